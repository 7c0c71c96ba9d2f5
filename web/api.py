"""Reads for the pages, through the API's own views: one door for every rule.

A page that lists or shows the caller's images, albums, trash or share links asks the API view
that answers ``/api/v1/`` for them, with the page's own request (its session). Scoping to the
owner, filters and their validation, ordering, cursors, the trash and the signed rendition
URLs are therefore exactly the API's; a page cannot show what the API would refuse.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.http import Http404, HttpRequest, QueryDict

from images.views import (
    AlbumViewSet,
    ImageViewSet,
    SharedDetailView,
    ShareViewSet,
    TrashViewSet,
)

IMAGE_LIST = ImageViewSet.as_view({"get": "list"})
IMAGE_DETAIL = ImageViewSet.as_view({"get": "retrieve"})
ALBUM_LIST = AlbumViewSet.as_view({"get": "list"})
ALBUM_DETAIL = AlbumViewSet.as_view({"get": "retrieve"})
TRASH_LIST = TrashViewSet.as_view({"get": "list"})
SHARE_LIST = ShareViewSet.as_view({"get": "list"})
SHARED_DETAIL = SharedDetailView.as_view()

# The headers a share's API reads its grant from, as a WSGI environ key.
_GRANT_META = "HTTP_X_SHARE_GRANT"
# A page is read as its session's user, whatever ``Authorization`` a browser sends along (a
# proxy's Basic credentials, a stray token): the API view must not see it.
_AUTHORIZATION_META = "HTTP_AUTHORIZATION"


class ApiRefused(Exception):
    """The API answered a read with an error other than 404 (a bad filter, a throttle)."""

    def __init__(self, status: int, data: Any) -> None:
        detail = data.get("detail") if isinstance(data, Mapping) else None
        super().__init__(detail or "The request could not be answered.")
        self.status = status
        self.detail = str(self)


def api_read(
    request: HttpRequest,
    view: Callable[..., Any],
    *,
    params: Mapping[str, str] | None = None,
    grant: str | None = None,
    **kwargs: Any,
) -> Any:
    """The data the API view answers ``GET`` with, for this request's caller.

    ``params`` replace the page's query string for the call (the page's own parameters are
    not the API's); a 404 is the page's 404, any other error is ``ApiRefused``.
    """
    saved_get, saved_method, saved_user = request.GET, request.method, request.user
    saved_grant = request.META.get(_GRANT_META)
    saved_authorization = request.META.pop(_AUTHORIZATION_META, None)
    query = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        query[key] = value
    # A HEAD stays a HEAD: the API counts a share's views on GET alone.
    request.GET, request.method = query, "HEAD" if saved_method == "HEAD" else "GET"
    if grant is not None:
        request.META[_GRANT_META] = grant
    # ``request.headers`` is read from ``META`` once and cached: let it see the grant.
    request.__dict__.pop("headers", None)
    try:
        response = view(request, **kwargs)
    finally:
        # DRF sets the user it authenticated on the request it wraps (an anonymous one for
        # the share views, which read no account): the page keeps its own.
        request.GET, request.method, request.user = saved_get, saved_method, saved_user
        if saved_grant is None:
            request.META.pop(_GRANT_META, None)
        else:
            request.META[_GRANT_META] = saved_grant
        if saved_authorization is not None:
            request.META[_AUTHORIZATION_META] = saved_authorization
        request.__dict__.pop("headers", None)
    if response.status_code == 404:
        raise Http404()
    if response.status_code >= 400:
        raise ApiRefused(response.status_code, response.data)
    return response.data
