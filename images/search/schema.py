"""The OpenAPI description of search (tag ``search``)."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from core.schema import THROTTLED, UNAUTHENTICATED, error, field_errors
from images.search.serializers import (
    SearchParamsSerializer,
    SuggestionListSerializer,
    SuggestionsParamsSerializer,
)
from images.serializers import ImageSerializer

_TAGS = ["search"]

SEARCH_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="search_list",
        summary="Search my pictures",
        description="The caller's own pictures (never the trash or the locked folder) that "
        "match every word of `q` and every filter given, best first: pictures whose title, "
        "place or album title has a word, then those where only the description, file name, "
        "camera or lens has it; newest on the timeline (the camera's date) first within "
        "each. One cursor page at a time, in the image list's shape; the cursor stays valid "
        "as pictures come and go. With `include_partners=true`, also the pictures partners "
        "share with the caller, in the same rank and pages, each marked (`partner`) and "
        "shaped as in the gallery's mix; found by their title only (never by place, camera "
        "or lens, nor by the `place`, `camera` or `has_location` filters) unless the "
        "partner shows the caller its metadata.",
        tags=_TAGS,
        parameters=[SearchParamsSerializer],
        responses={
            200: ImageSerializer(many=True),
            400: field_errors(
                "A parameter is invalid: `q` longer than 200 characters (`too_long`) or of "
                "more than 10 words (`too_many_terms`), an unknown `kind`, a date that is "
                "not one, `camera` or `place` without a letter or digit."
            ),
            401: UNAUTHENTICATED,
            404: error(
                "`album` names no album of yours (another account's is the same 404); or "
                "the cursor is not valid (`invalid_cursor`)."
            ),
            429: THROTTLED,
        },
    ),
    suggestions=extend_schema(
        operation_id="search_suggestions",
        summary="Suggest searches as I type",
        description="Up to 10 places, cameras, album titles and titles of the caller's own "
        "pictures and albums, each word of `q` beginning one of theirs; each with the "
        "search it stands for (`params`). Never a partner's (their places and cameras are "
        "metadata).",
        tags=_TAGS,
        parameters=[SuggestionsParamsSerializer],
        responses={
            200: SuggestionListSerializer,
            400: field_errors("`q` is missing, too long or of too many words."),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    ),
)
