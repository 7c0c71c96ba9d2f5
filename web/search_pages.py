"""The search page (``/search/?q=``): the caller's pictures that match, as the gallery's tiles.

It reads what ``search/`` reads (``images.search.selectors.images_search_for``, the caller as
the access policy's ``Owner``), paged by the API's own search cursor, and shows the API's
representation of each picture (``ImageSerializer``), so a tile is the gallery's. The box that
leads here is on every page (``web/base.html``); its suggestions come from the API
(``static/web/search.js``).
"""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from images import access
from images.search.pagination import SearchCursorPagination
from images.search.selectors import images_search_for
from images.search.serializers import SearchParamsSerializer
from images.search.text import QueryTooLong
from images.serializers import ImageSerializer
from users.authentication import request_user
from web import views
from web.pages import read_only_page
from web.present import local_path, query_string

SEARCH_PAGE_SIZE = views.GALLERY_PAGE_SIZE
# What the page passes on to the search (the API's parameters) and keeps in its links.
SEARCH_PARAMS = (
    "q",
    "kind",
    "is_favorite",
    "album",
    "camera",
    "place",
    "after",
    "before",
    "has_location",
)


@dataclass(frozen=True)
class _CursorQuery:
    """What DRF's cursor decoding reads (``query_params``): the page's cursor, nothing else."""

    query_params: dict[str, str]


class _SearchPages(SearchCursorPagination):
    """The search's pagination, paging by the cursor the page hands in."""

    def __init__(self, *, cursor: str | None) -> None:
        self.given_cursor = cursor

    def get_page_size(self, request: Any) -> int:
        return SEARCH_PAGE_SIZE

    def decode_cursor(self, request: Any) -> Any:
        given = {} if self.given_cursor is None else {self.cursor_query_param: self.given_cursor}
        # DRF's decode_cursor reads nothing of its request but ``query_params``.
        return super().decode_cursor(_CursorQuery(query_params=given))  # type: ignore[arg-type]


@read_only_page
def search(request: HttpRequest) -> HttpResponse:
    given = {key: request.GET[key] for key in SEARCH_PARAMS if request.GET.get(key)}
    params = SearchParamsSerializer(data=given)
    context: dict[str, Any] = {
        "params": given,
        "q": given.get("q", ""),
        "images": [],
        "next_url": None,
    }
    if not params.is_valid():
        fields = ", ".join(sorted(params.errors))
        context["error"] = f"This search cannot be answered ({fields}): change it and try again."
        return render(request, "web/search.html", context, status=HTTPStatus.BAD_REQUEST)
    owner = access.Owner(user=request_user(request))
    try:
        found = images_search_for(principal=owner, params=params.validated_data)
    except QueryTooLong as exc:
        context["error"] = str(exc)
        return render(request, "web/search.html", context, status=HTTPStatus.BAD_REQUEST)
    paginator = _SearchPages(cursor=request.GET.get("cursor"))
    # An invalid cursor is the API's 404 (a NotFound): the page's "missing" answers it.
    rows = paginator.paginate_queryset(found, request) or []  # type: ignore[arg-type]
    results = ImageSerializer(rows, many=True, context={"request": request}).data
    suffix = query_string({})
    context["images"] = [views.image_tile(item, suffix) for item in results]
    context["next_url"] = local_path(paginator.get_next_link())
    return render(request, "web/search.html", context)
