"""Reads for the pages, through the API's own views: one door for every rule.

A page that lists or shows the caller's images, albums, trash or share links asks the API view
that answers ``/api/v1/`` for them, as its session's user. Scoping to the owner, filters and
their validation, ordering, cursors, the trash and the signed rendition URLs are therefore
exactly the API's; a page cannot show what the API would refuse.

The API view is handed a copy of the page's request made for it (the live request is never
changed): a JSON ``GET`` with the API's parameters, read as the session's account. What the
browser asked of the *page* is not the API's business: its ``Accept`` (a page is HTML whatever
it admits, and the API would answer a 406), its ``Authorization`` (a proxy's Basic
credentials, a stray token) and its query string's filters.
"""

import copy
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.http import Http404, HttpRequest, QueryDict
from rest_framework.pagination import Cursor

from images.filters import datetime_to_utc
from images.pagination import ImageCursorPagination
from images.public.views import SharedDetailView
from images.share_views import ShareViewSet
from images.views import AlbumViewSet, ImageViewSet, TrashViewSet

IMAGE_LIST = ImageViewSet.as_view({"get": "list"})
IMAGE_DETAIL = ImageViewSet.as_view({"get": "retrieve"})
ALBUM_LIST = AlbumViewSet.as_view({"get": "list"})
ALBUM_DETAIL = AlbumViewSet.as_view({"get": "retrieve"})
TRASH_LIST = TrashViewSet.as_view({"get": "list"})
SHARE_LIST = ShareViewSet.as_view({"get": "list"})
SHARED_DETAIL = SharedDetailView.as_view()

# The header a share's API reads its grant from, as a WSGI environ key.
_GRANT_META = "HTTP_X_SHARE_GRANT"
# What a page's read asks the API for, whatever the browser asked the page for.
_API_ACCEPT = "application/json"


class ApiRefused(Exception):
    """The API answered a read with an error other than 404 (a bad filter, a throttle)."""

    def __init__(self, status: int, data: Any) -> None:
        detail = data.get("detail") if isinstance(data, Mapping) else None
        super().__init__(detail or "The request could not be answered.")
        self.status = status
        self.detail = str(self)


def api_request(
    request: HttpRequest, *, params: Mapping[str, str] | None = None, grant: str | None = None
) -> HttpRequest:
    """A copy of the page's request for one API read: same session, user and address, a JSON
    ``GET`` (a ``HEAD`` stays a ``HEAD``: the API counts a share's views on GET alone) with
    ``params`` as its query, the share ``grant`` if any, and no ``Authorization``."""
    inner = copy.copy(request)
    meta = {
        key: value
        for key, value in request.META.items()
        if key not in ("HTTP_AUTHORIZATION", _GRANT_META, "CONTENT_TYPE", "CONTENT_LENGTH")
    }
    meta["HTTP_ACCEPT"] = _API_ACCEPT
    if grant is not None:
        meta[_GRANT_META] = grant
    inner.META = meta
    inner.method = "HEAD" if request.method == "HEAD" else "GET"
    meta["REQUEST_METHOD"] = inner.method
    query = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        query[key] = value
    query._mutable = False
    inner.GET = query
    inner.POST = QueryDict()
    # Read from ``META`` once and cached on the request: the copy reads its own.
    inner.__dict__.pop("headers", None)
    return inner


def api_read(
    request: HttpRequest,
    view: Callable[..., Any],
    *,
    params: Mapping[str, str] | None = None,
    grant: str | None = None,
    **kwargs: Any,
) -> Any:
    """The data the API view answers ``GET`` with, for this request's caller.

    ``params`` are the call's query (the page's own parameters are not the API's); a 404 is
    the page's 404, any other error is ``ApiRefused``.
    """
    response = view(api_request(request, params=params, grant=grant), **kwargs)
    if response.status_code == 404:
        raise Http404()
    if response.status_code >= 400:
        raise ApiRefused(response.status_code, response.data)
    return response.data


def cursor_position(*, value: datetime | None, image_id: str | uuid.UUID) -> str:
    """An image's place in a list ordered by a date-time field (``value``, null last) then id,
    as the list's cursors name it."""
    text = datetime_to_utc(value).isoformat() if value is not None else ""
    return f"{text}|{uuid.UUID(str(image_id)).hex}"


def position_cursor(position: str, *, reverse: bool) -> str:
    """The image list's ``cursor`` for the rows after ``position`` (before it if ``reverse``),
    encoded by the list's own pagination."""
    pagination = ImageCursorPagination()
    pagination.base_url = "/"
    url = pagination.encode_cursor(Cursor(offset=0, reverse=reverse, position=position))
    return parse_qs(urlsplit(url).query)[pagination.cursor_query_param][0]
