"""The search API: ``search/`` (the caller's pictures that match, a cursor page at a time)
and ``search/suggestions/`` (what to search, as a person types).

Thin: each parses the query string with a serializer, reads the caller's scope, calls one
selector and serializes. The scope is the owned viewsets' (``core.ownership``: the caller's
own rows), narrowed to what the access policy lets the ``Owner`` see
(``access.images_visible``) and to the live pictures (``selectors.images_live``): nothing
here can reach another account's picture, the trash or the locked folder. With
``include_partners=true`` the search also reads each accepted partner's scope (the access
policy's ``Partner``) and marks their pictures as the gallery's mix does
(``images.partners.gallery.mixed_bodies``); the suggestions stay the caller's own (a
partner's places and cameras are metadata the grantor may not show).
"""

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.ownership import OwnerScopedViewSet
from images import access, selectors
from images.access import Action
from images.models import Image
from images.partners.gallery import mixed_bodies
from images.permissions import HasAccess
from images.search.pagination import SearchCursorPagination
from images.search.schema import SEARCH_VIEWSET_SCHEMA
from images.search.selectors import album_titles, images_search_for
from images.search.serializers import (
    SearchParamsSerializer,
    SuggestionSerializer,
    SuggestionsParamsSerializer,
)
from images.search.suggestions import search_suggestions
from images.search.text import QueryTooLong
from images.serializers import ImageSerializer
from users.authentication import request_user


@SEARCH_VIEWSET_SCHEMA
class SearchViewSet(mixins.ListModelMixin, OwnerScopedViewSet):
    """Search over the caller's own pictures."""

    model = Image
    permission_classes = [IsAuthenticated, HasAccess]
    access_actions = {"list": Action.IMAGE_VIEW, "suggestions": Action.IMAGE_VIEW}
    pagination_class = SearchCursorPagination
    serializer_class = ImageSerializer
    filter_backends: list[Any] = []

    def safely_get_queryset(self, queryset: QuerySet[Image]) -> QuerySet[Image]:
        owner = access.Owner(user=request_user(self.request))
        visible = queryset & access.images_visible(principal=owner)
        return selectors.images_live(visible).only(*selectors.LIST_FIELDS, "timeline_at")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A plain dict: from a QueryDict DRF reads an absent boolean as false.
        params = SearchParamsSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        user = request_user(request)
        partners = (
            {p.partnership.grantor_id: p for p in access.partner_principals(user=user)}
            if params.validated_data["include_partners"]
            else {}
        )
        try:
            found = images_search_for(
                principal=access.Owner(user=user),
                params=params.validated_data,
                partners=list(partners.values()),
            )
        except QueryTooLong as exc:  # the serializer's bounds hold first; a backstop
            raise ValidationError({"q": [str(exc)]}, code=exc.code) from exc
        if not partners:
            # Within the viewset's own scope as well: the caller's rows, whatever the selector
            # did. (With partners, the selector's scopes are the access policy's, each.)
            page = self.paginate_queryset(found & self.get_queryset()) or []
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        page = self.paginate_queryset(found) or []
        return self.get_paginated_response(
            mixed_bodies(page=page, partners=partners, view=self, request=request)
        )

    @action(detail=False, methods=["get"], url_path="suggestions", url_name="suggestions")
    def suggestions(self, request: Request) -> Response:
        params = SuggestionsParamsSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        text = params.validated_data["q"]
        owner = access.Owner(user=request_user(request))
        found = search_suggestions(
            images=self.get_queryset(),
            albums=album_titles(access.albums_visible(principal=owner)) if text.strip() else [],
            text=text,
        )
        body = SuggestionSerializer(
            [{"kind": s.kind, "label": s.label, "params": s.params} for s in found], many=True
        ).data
        return Response({"results": body})
