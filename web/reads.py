"""The pages' reads: the selectors, filters, paginations and serializers the API's views use.

A page asks here for what it shows (the caller's images, albums, trash and links; a share's
pictures) and gets the API's own representation of it, built by the API's serializers (so the
signed rendition URLs are theirs), filtered by the API's ``ImageFilter``, ordered as the image
list orders and paged by the API's keyset paginations (so a page's cursors are the API's
cursors). No view of the API is called and no request is built, copied or changed: the
page's own request is handed over read-only, for its session's account and for the address
the next-page links and the absolute rendition URLs are built on.

Nothing here decides who may see what: the one access policy (``images.access``) does. Every
read goes through a principal's scope (``images_visible``, ``albums_visible``,
``shares_visible``: the page's account as an ``Owner``, or the ``ShareVisitor`` that
``web.share_pages`` let in) and asks ``access_check``/``access_allows`` about what it shows
beyond the scope (an album's words, a trashed picture's thumbnail).
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from rest_framework.exceptions import NotFound as ApiNotFound
from rest_framework.pagination import Cursor

from images import access, albums, locked, selectors, shares
from images.errors import AlbumNotFound
from images.filters import (
    IMAGE_DEFAULT_ORDERING,
    IMAGE_ORDERING_FIELDS,
    ImageFilter,
    datetime_to_utc,
)
from images.locked_serializers import LockedImageSerializer
from images.locked_views import LockedCursorPagination
from images.models import Image
from images.pagination import (
    KeysetCursorPagination,
    SharedCursorPagination,
    TrashCursorPagination,
    timeline_jump_position,
)
from images.public.serializers import SharedImageSerializer
from images.serializers import AlbumSerializer, ImageSerializer, TrashedImageSerializer
from images.share_serializers import ShareSerializer
from images.timeline import selectors as timeline_selectors
from images.timeline.serializers import on_this_day_body
from users.authentication import request_user
from users.elevation import elevation_expires

# The image list's filters a page may pass on (``ImageFilter``'s, as the API reads them).
IMAGE_FILTERS = ("style", "is_favorite", "album")


class ListRefused(Exception):
    """A list asked for with a filter or an order the API's list refuses (its 400)."""


@dataclass(frozen=True)
class Page:
    """One cursor page as the API's list answers it: ``results`` in the API's representation,
    ``next``/``previous`` as absolute links (the page's own address with the next cursor)."""

    results: list[dict[str, Any]]
    next: str | None
    previous: str | None


# --- who is asking ------------------------------------------------------------------------------


def owner_principal(request: HttpRequest) -> access.Owner:
    """The account a private page is for, as the policy's principal (``login_required`` let
    only such requests in; a session carries no grant, so it is the owner, whole)."""
    return access.Owner(user=request_user(request))


# --- the owner's pages ---------------------------------------------------------------------------


def image_page_read(
    *,
    request: HttpRequest,
    filters: Mapping[str, str],
    ordering: str | None,
    cursor: str | None,
    size: int,
) -> Page:
    """One page of the caller's gallery, filtered and ordered as the API's image list would
    (``ListRefused`` where it answers 400, ``Http404`` for another account's album or a
    cursor that is not valid, as it answers 404)."""
    queryset = _images_live(owner_principal(request))
    filterset = ImageFilter(
        data={key: filters[key] for key in IMAGE_FILTERS if key in filters},
        queryset=queryset,
        request=request,
    )
    # In the API's order: the filters' values (400), their album (404), then the order (400).
    if not filterset.is_valid():
        raise ListRefused()
    try:
        queryset = filterset.qs
    except ApiNotFound as exc:
        raise Http404() from exc
    order = image_ordering(ordering)
    page = _paginate(
        KeysetPages(cursor=cursor, size=size, ordering=order), queryset, request=request
    )
    results = ImageSerializer(page.rows, many=True, context={"request": request}).data
    return Page(results=list(results), next=page.next, previous=page.previous)


def image_ordering(value: str | None) -> str:
    """The order the image list pages in for its ``ordering`` parameter: what the API's
    ``StrictOrderingFilter`` refuses is ``ListRefused``, what DRF's ``OrderingFilter`` then
    drops (``--created_at``) is the default order."""
    if not value:
        return IMAGE_DEFAULT_ORDERING
    fields = [field.strip() for field in value.split(",")]
    if len(fields) > 1 or fields[0].lstrip("-") not in IMAGE_ORDERING_FIELDS:
        raise ListRefused()
    term = fields[0]
    return term if term.removeprefix("-") in IMAGE_ORDERING_FIELDS else IMAGE_DEFAULT_ORDERING


def image_detail_read(*, request: HttpRequest, image_id: uuid.UUID) -> dict[str, Any]:
    """One of the caller's images out of the trash, as the API's detail shows it; else 404."""
    principal = owner_principal(request)
    image = _images_live(principal).filter(pk=image_id).first()
    if image is None:
        raise Http404()
    access.access_check(principal=principal, action=access.Action.IMAGE_VIEW, target=image)
    return dict(ImageSerializer(image, context={"request": request}).data)


def image_album_ids(*, request: HttpRequest, image_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids of the caller's albums that hold the image."""
    visible = access.albums_visible(principal=owner_principal(request))
    return set(visible.filter(memberships__image_id=image_id).values_list("pk", flat=True))


def trashed_thumbnail_get(*, request: HttpRequest, image_id: uuid.UUID) -> Image:
    """One of the caller's images in the trash, whose thumbnail the policy lets its trash
    page show; else 404 (the API serves nothing of a trashed image)."""
    principal = owner_principal(request)
    trashed = selectors.images_trashed(access.images_visible(principal=principal))
    image = trashed.filter(pk=image_id).first()
    if image is None:
        raise Http404()
    access.access_check(
        principal=principal,
        action=access.Action.TRASH_THUMBNAIL_VIEW,
        target=access.Rendition(image=image, name=access.THUMBNAIL),
    )
    return image


def album_page_read(*, request: HttpRequest, size: int | None = None) -> Page:
    """The caller's albums, newest first, as the API's album list shows them."""
    visible = access.albums_visible(principal=owner_principal(request))
    queryset = albums.albums_with_summary(queryset=visible)
    page = _paginate(KeysetPages(cursor=None, size=size), queryset, request=request)
    results = AlbumSerializer(page.rows, many=True, context={"request": request}).data
    return Page(results=list(results), next=page.next, previous=page.previous)


def album_choices_read(*, request: HttpRequest, size: int) -> list[dict[str, str]]:
    """The caller's newest ``size`` albums, as ``{"id", "title"}`` for a picker: one indexed
    read, however many pictures they hold."""
    visible = access.albums_visible(principal=owner_principal(request))
    rows = visible.order_by("-created_at", "-id").values_list("id", "title")[:size]
    return [{"id": str(pk), "title": title} for pk, title in rows]


def album_detail_read(*, request: HttpRequest, album_id: uuid.UUID) -> dict[str, Any]:
    """One of the caller's albums as the API's detail shows it; else ``AlbumNotFound``."""
    principal = owner_principal(request)
    visible = access.albums_visible(principal=principal).filter(pk=album_id)
    album = albums.albums_with_summary(queryset=visible).first()
    if album is None or not access.access_allows(
        principal=principal, action=access.Action.ALBUM_LIST, target=album
    ):
        raise AlbumNotFound()
    return dict(AlbumSerializer(album, context={"request": request}).data)


def trash_page_read(*, request: HttpRequest, cursor: str | None) -> Page:
    """One page of the caller's trash, most recently trashed first, as the API lists it."""
    visible = access.images_visible(principal=owner_principal(request))
    queryset = selectors.image_fields_for_listing(selectors.images_trashed(visible))
    page = _paginate(TrashPages(cursor=cursor), queryset, request=request)
    results = TrashedImageSerializer(page.rows, many=True, context={"request": request}).data
    return Page(results=list(results), next=page.next, previous=page.previous)


def share_page_read(*, request: HttpRequest, cursor: str | None) -> Page:
    """One page of the caller's share links, newest first, as the API lists them."""
    visible = access.shares_visible(principal=owner_principal(request))
    queryset = shares.shares_for_listing(queryset=visible)
    page = _paginate(KeysetPages(cursor=cursor), queryset, request=request)
    results = ShareSerializer(page.rows, many=True, context={"request": request}).data
    return Page(results=list(results), next=page.next, previous=page.previous)


# --- the timeline (issue 22, item 1): the gallery's scrubber, its jump and "on this day" -----


def timeline_months_read(*, request: HttpRequest) -> list[timeline_selectors.Bucket]:
    """The caller's timeline by month, newest first, as ``timeline/`` counts it."""
    timeline = timeline_selectors.timeline_buckets(
        principal=owner_principal(request), group="month"
    )
    return timeline.buckets


def on_this_day_read(
    *, request: HttpRequest, today: date, per_year: int, most_years: int
) -> list[dict[str, Any]]:
    """The caller's latest ``most_years`` earlier years of ``today``, as
    ``timeline/on_this_day/`` shows them (at most ``per_year`` pictures of each)."""
    years = timeline_selectors.timeline_on_this_day(
        principal=owner_principal(request), today=today, per_year=per_year, most_years=most_years
    )
    body = on_this_day_body(today=today, years=years, context={"request": request})
    return list(body["years"])


def timeline_jump_cursor(*, period: str, ordering: str) -> str | None:
    """The cursor the gallery starts at for ``timeline_from`` (None: the top), as the image
    list's ``timeline_from`` positions it; ``ListRefused`` where the list answers 400."""
    if ordering.lstrip("-") != "timeline_at":
        raise ListRefused()
    try:
        position = timeline_jump_position(period=period, descending=ordering.startswith("-"))
    except ValueError:
        raise ListRefused() from None
    return None if position is None else position_cursor(position, reverse=False)


# --- end timeline


# --- the locked folder (issue 20, part 6) --------------------------------------------------------


@dataclass(frozen=True)
class Elevated:
    """The page's account elevated (its password given again moments ago), and when that ends:
    made by ``elevated_owner`` alone, from an elevation the users app checked."""

    principal: access.Owner
    expires: int


def elevated_owner(*, request: HttpRequest, token: str | None) -> Elevated | None:
    """The page's account elevated by ``token`` (``users.elevation``), the locked folder's
    principal as the API's views build it (``images.locked.locked_principal``); ``None`` when
    the token is absent, expired, forged, another account's or older than the password."""
    user = request_user(request)
    expires = elevation_expires(user=user, token=token)
    principal = locked.locked_principal(user=user, auth=None, elevation=expires)
    if expires is None or not isinstance(principal, access.Owner):
        return None
    return Elevated(principal=principal, expires=expires)


def locked_page_read(
    *, request: HttpRequest, elevated: Elevated, cursor: str | None, size: int
) -> Page:
    """One page of the account's locked folder, most recently locked first, as the API's
    ``locked/`` lists it: its ``urls`` are the locked list's signed URLs, ending with the
    elevation."""
    queryset = selectors.image_fields_for_listing(_locked(elevated.principal))
    page = _paginate(LockedPages(cursor=cursor, size=size), queryset, request=request)
    context = {"request": request, "elevation_expires": elevated.expires}
    results = LockedImageSerializer(page.rows, many=True, context=context).data
    return Page(results=list(results), next=page.next, previous=page.previous)


def locked_detail_read(
    *, request: HttpRequest, elevated: Elevated, image_id: uuid.UUID
) -> dict[str, Any]:
    """One picture of the account's locked folder, as the API's ``locked/{id}/`` shows it;
    else 404 (another account's, a missing one, one not locked)."""
    queryset = selectors.image_fields_for_listing(_locked(elevated.principal))
    image = queryset.filter(pk=image_id).first()
    if image is None:
        raise Http404()
    access.access_check(principal=elevated.principal, action=access.Action.IMAGE_VIEW, target=image)
    context = {"request": request, "elevation_expires": elevated.expires}
    return dict(LockedImageSerializer(image, context=context).data)


def locked_image_held(*, request: HttpRequest, image_id: uuid.UUID) -> bool:
    """Whether the account's locked folder holds ``image_id``: what a locked picture's page
    may know before the password (to ask for it rather than answer 404), never more than
    that the id is the account's own. Read through the scope the folder is read through."""
    scope = access.Owner(user=request_user(request), elevated=True)
    return _locked(scope).filter(pk=image_id).exists()


def _locked(principal: access.Owner) -> QuerySet[Image]:
    return selectors.images_locked(access.images_visible(principal=principal))


# --- end locked folder


# --- a share's pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedPage(Page):
    """A page of a share's pictures; ``first`` when no cursor was given (a visit)."""

    first: bool


def shared_page_read(
    *,
    request: HttpRequest,
    visitor: access.ShareVisitor,
    cursor: str | None,
    size: int | None = None,
) -> SharedPage:
    """One page of the pictures ``visitor`` may see through its link, as the API shows them
    to that visitor: the visitor the page let in (``web.share_pages``), read through its
    scope (``access.images_visible``). ``Http404`` for a cursor that is not valid (or names a
    picture the link does not show)."""
    page = _paginate(
        SharedPages(cursor=cursor, size=size),
        access.images_visible(principal=visitor),
        request=request,
    )
    context = {"request": request, "visitor": visitor}
    results = SharedImageSerializer(page.rows, many=True, context=context).data
    return SharedPage(
        results=list(results), next=page.next, previous=page.previous, first=cursor is None
    )


def shared_album(visitor: access.ShareVisitor) -> dict[str, str] | None:
    """The words of the album ``visitor``'s link shares, where the policy lets it list the
    album, as the API's shared page gives them; or None."""
    share = visitor.share
    album = share.album if share.album_id is not None else None  # read with the link
    if album is None or not access.access_allows(
        principal=visitor, action=access.Action.ALBUM_LIST, target=album
    ):
        return None
    return {"title": album.title, "description": album.description}


# --- cursors -------------------------------------------------------------------------------------


def cursor_position(*, value: datetime | None, image_id: str | uuid.UUID) -> str:
    """An image's place in a list ordered by a date-time field (``value``, null last) then id,
    as the list's cursors name it."""
    text = datetime_to_utc(value).isoformat() if value is not None else ""
    return f"{text}|{uuid.UUID(str(image_id)).hex}"


def position_cursor(
    position: str | None,
    *,
    reverse: bool,
    pagination: type[KeysetCursorPagination] = KeysetCursorPagination,
) -> str:
    """The ``cursor`` for the rows after ``position`` (before it if ``reverse``; from the end
    when ``position`` is None), encoded by the list's own pagination."""
    paginator = pagination()
    paginator.base_url = "/"
    # DRF's cursor positions are text (``CursorPagination`` joins and splits them as such);
    # drf-stubs 3.16 types ``Cursor.position`` as an int.
    cursor = Cursor(offset=0, reverse=reverse, position=position)  # type: ignore[arg-type]
    url = paginator.encode_cursor(cursor)
    return parse_qs(urlsplit(url).query)[paginator.cursor_query_param][0]


@dataclass(frozen=True)
class CursorQuery:
    """What DRF's cursor decoding reads (``query_params``), holding the cursor a page hands
    in and nothing else: not a request, and never used as one."""

    query_params: Mapping[str, str]


class GivenCursor(KeysetCursorPagination):
    """An API pagination paging by the cursor, size and order the page hands in, not by the
    page's query string (whose parameters are the page's, not the list's)."""

    def __init__(
        self, *, cursor: str | None, size: int | None = None, ordering: str | None = None
    ) -> None:
        self.given_cursor = cursor
        self.given_size = size
        if ordering is not None:
            self.ordering = ordering

    def get_page_size(self, request: Any) -> int:
        return min(self.given_size or self.page_size, self.max_page_size)

    def decode_cursor(self, request: Any) -> Any:
        given = {} if self.given_cursor is None else {self.cursor_query_param: self.given_cursor}
        # DRF's decode_cursor reads nothing of its request but ``query_params``: it gets only
        # the cursor the page handed in, never a request.
        return super().decode_cursor(CursorQuery(query_params=given))  # type: ignore[arg-type]


class KeysetPages(GivenCursor):
    """The image, album and share-link lists' pagination (``KeysetCursorPagination``)."""


class TrashPages(GivenCursor, TrashCursorPagination):
    """The trash's pagination."""


class SharedPages(GivenCursor, SharedCursorPagination):
    """A share's pagination (cursors that name a picture only)."""


class LockedPages(GivenCursor, LockedCursorPagination):
    """The locked folder's pagination (most recently locked first)."""


@dataclass(frozen=True)
class _Rows:
    rows: list[Any]
    next: str | None
    previous: str | None


def _paginate(paginator: GivenCursor, queryset: QuerySet, *, request: HttpRequest) -> _Rows:
    """``paginator``'s page of ``queryset``; links on the page's own address, as the API's
    list built them for the page. A cursor the pagination refuses is the page's 404."""
    try:
        rows = paginator.paginate_queryset(queryset, request)  # type: ignore[arg-type]
    except ApiNotFound as exc:
        raise Http404() from exc
    return _Rows(
        rows=list(rows or []),
        next=paginator.get_next_link(),
        previous=paginator.get_previous_link(),
    )


def _images_live(principal: access.Owner) -> QuerySet[Image]:
    """The owner's images out of the trash, narrowed to what a representation reads (the
    API's gallery queryset)."""
    live = selectors.images_live(access.images_visible(principal=principal))
    return selectors.image_fields_for_listing(live)


# --- shared albums (issue 20): the pages inside a shared album page as the lists above ------


def rows_paginate(paginator: GivenCursor, queryset: QuerySet, *, request: HttpRequest) -> _Rows:
    """``paginator``'s page of ``queryset`` (``web.together_reads``: a shared album's pictures
    and activity, paged by the API's own keyset pagination)."""
    return _paginate(paginator, queryset, request=request)


# --- end shared albums
