"""The owner's pages: each reads what the API's views read (``web.reads``) and renders HTML.

Writes on images, albums, the trash and share links are made by the pages' scripts against
the API itself (``static/web/app.js``), so they take the one path every client takes. The
account's own forms are in ``web.account_pages``; a link's visitor's pages in
``web.share_pages``.
"""

import uuid
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotAcceptable

from images import delivery
from images.models import AlbumMember
from images.video_render import video_max_upload_bytes
from imaging.styles import DEFAULT_STYLE, STYLES
from web import partner_pages, partner_reads, reads, timeline_pages, together_reads, wording
from web.pages import read_only_page
from web.present import (
    alt_text,
    local_path,
    photo_facts,
    place_display,
    query_string,
    ratio_class,
    taken_display,
)

# Thumbnails the gallery renders with the page; the rest come from the API as one scrolls.
GALLERY_PAGE_SIZE = 30
# The albums a picker offers: the first hundred (the most a list page holds), by title.
ALBUM_PICKER_SIZE = 100
ORDERINGS = [
    # The timeline (issue 22, item 1): the gallery opens on it.
    ("-timeline_at", "Timeline, newest first"),
    ("timeline_at", "Timeline, oldest first"),
    ("-created_at", "Newest uploads"),
    ("created_at", "Oldest uploads"),
    ("-taken_at", "Newest taken"),
    ("taken_at", "Oldest taken"),
]
# What the gallery's filter form sends on to the image list.
GALLERY_PARAMS: tuple[str, ...] = ("style", "is_favorite", "album", "ordering", "cursor")
# What a picture's page keeps of where the person came from, to step within it.
CONTEXT_PARAMS: tuple[str, ...] = ("style", "is_favorite", "album", "ordering")
# --- partner sharing (issue 20, item 4): the gallery's toggle, kept across paging, filters
# and a picture's page (whose way back keeps it; its steps stay within one's own pictures).
GALLERY_PARAMS += (partner_reads.INCLUDE_PARTNERS,)
CONTEXT_PARAMS += (partner_reads.INCLUDE_PARTNERS,)
# --- end partner sharing
# --- the timeline (issue 22, item 1): the gallery's order unless another is asked, and its
# jump (a day or a month to start at), kept across the filter form (``web.timeline_pages``).
GALLERY_DEFAULT_ORDERING = timeline_pages.GALLERY_DEFAULT_ORDERING
GALLERY_PARAMS += (timeline_pages.TIMELINE_JUMP,)
# --- end timeline
# The thumbnail's long edge never passes this (a panorama's thumbnail), as the renders make it.
THUMBNAIL_LONG_EDGE_CAP = 3840


# --- the gallery -------------------------------------------------------------------------------


@read_only_page
def gallery(request: HttpRequest) -> HttpResponse:
    params = _params(request, GALLERY_PARAMS)
    albums = _albums(request)
    context = {key: params[key] for key in CONTEXT_PARAMS if key in params}
    # --- the timeline (issue 22, item 1): its order by default, and its jump as a cursor.
    ordering = params.get("ordering") or GALLERY_DEFAULT_ORDERING
    refused = False
    images: list[dict[str, Any]]
    next_url: str | None
    try:
        params = timeline_pages.gallery_start(params, ordering)
    except reads.ListRefused:
        refused = True
    # --- end timeline
    # --- partner sharing (issue 20, item 4): ?include_partners=true mixes theirs in, marked.
    if refused:  # the timeline's jump (issue 22, item 1), refused as the API does
        images, next_url, error = [], None, wording.message(wording.LIST_REFUSED)
    else:
        mixed = _partners_page(request, params, context=context, ordering=ordering)
        images, next_url, error = mixed or _image_page(
            request, params, context=context, ordering=ordering
        )
    # --- end partner sharing
    filtered = any(key in params for key in ("style", "is_favorite", "album"))
    # --- the timeline (issue 22, item 1): headers, the scrubber, "on this day"
    on_timeline = ordering.lstrip("-") == "timeline_at" and not error
    heads = timeline_pages.day_heads(images) if on_timeline else []
    opening = not (filtered or params.get("cursor") or timeline_pages.TIMELINE_JUMP in request.GET)
    scrubber = timeline_pages.scrubber_years(request)
    # --- end timeline
    return render(
        request,
        "web/gallery.html",
        {
            "images": images,
            "next_url": timeline_pages.with_ordering(next_url, ordering) if next_url else None,
            "error": error,
            "filtered": filtered,
            "params": params,
            "styles": STYLES.values(),
            "orderings": ORDERINGS,
            "albums": albums,
            "context": query_string(context),
            "include_partners": params.get(partner_reads.INCLUDE_PARTNERS) == "true",
            # the timeline (issue 22, item 1)
            "heads": heads,
            "scrubber": scrubber,
            "scrubber_html": timeline_pages.scrubber_html(scrubber),
            "album_filter_options": timeline_pages.album_options_html(albums, params.get("album")),
            "album_options": timeline_pages.album_options_html(albums),
            "on_this_day": _on_this_day(request) if opening and ordering == "-timeline_at" else [],
        },
    )


def _on_this_day(request: HttpRequest) -> list[dict[str, Any]]:
    """The gallery's "on this day" (issue 22, item 1), each year's pictures as tiles."""
    return [
        {**year, "tiles": [_tile(image) for image in year["images"]]}
        for year in timeline_pages.on_this_day_years(request)
    ]


# --- partner sharing (issue 20, item 4) ---------------------------------------------------------


def _partners_page(
    request: HttpRequest, params: dict[str, str], *, context: dict[str, str], ordering: str
) -> tuple[list[dict[str, Any]], str | None, str] | None:
    """The gallery's page with the caller's partners' pictures mixed in, each marked, where
    the page asks for them (``include_partners=true``); None where it does not."""
    try:
        if not partner_reads.include_partners(params):
            return None
        page = partner_reads.gallery_with_partners_read(
            request=request,
            filters=params,
            ordering=params.get("ordering") or ordering,
            cursor=params.get("cursor"),
            size=GALLERY_PAGE_SIZE,
        )
    except reads.ListRefused:
        return [], None, wording.message(wording.LIST_REFUSED)
    suffix = query_string(context)
    tiles = [
        partner_pages.partner_tile(item, suffix) if item.get("partner") else _tile(item, suffix)
        for item in page.results
    ]
    return tiles, local_path(page.next), ""


# --- end partner sharing


@read_only_page
def upload(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/upload.html",
        {
            "styles": STYLES.values(),
            "default_style": DEFAULT_STYLE,
            "default_style_label": STYLES[DEFAULT_STYLE].label,
            # The browser refuses before sending what is over a photo's or (by the file's
            # type) a video's limit; the server decides from the bytes, and says it in words.
            "photo_max_bytes": settings.ATELIER["MAX_UPLOAD_BYTES"],
            "video_max_bytes": video_max_upload_bytes(),
            "resumable_max_bytes": settings.ATELIER_MAX_RESUMABLE_BYTES,
        },
    )


@read_only_page
def image(request: HttpRequest, image_id: uuid.UUID) -> HttpResponse:
    data = reads.image_detail_read(request=request, image_id=image_id)
    member_of = reads.image_album_ids(request=request, image_id=image_id)
    albums = _albums(request)
    context = _browse_context(request)
    newer, older, context = _neighbours(request, data, context)
    suffix = query_string(context)
    back = (
        reverse("album", args=[context["album"]])
        if context.get("via") == "album"
        else reverse("home") + query_string({k: v for k, v in context.items() if k != "via"})
    )
    tile = _tile(data)
    return render(
        request,
        "web/image.html",
        {
            "image": tile,
            "data": data,
            "created_at": parse_datetime(data["created_at"]),
            "taken": taken_display(data),
            "metadata": photo_facts(data.get("metadata") or {}),
            "place": place_display(data),
            "styles": STYLES.values(),
            "in_albums": [a for a in albums if uuid.UUID(a["id"]) in member_of],
            "other_albums": [a for a in albums if uuid.UUID(a["id"]) not in member_of],
            "newer": reverse("image", args=[newer]) + suffix if newer else None,
            "older": reverse("image", args=[older]) + suffix if older else None,
            "back": back,
            "back_label": "← Album" if context.get("via") == "album" else "← All pictures",
            "srcset": _stage_srcset(data),
            "style_label": STYLES[data["style"]].label if data["style"] in STYLES else "",
        },
    )


# --- albums, trash, share links ------------------------------------------------------------------


@read_only_page
def albums(request: HttpRequest) -> HttpResponse:
    page = reads.album_page_read(request=request, size=ALBUM_PICKER_SIZE)
    return render(request, "web/albums.html", {"albums": [_album(a) for a in page.results]})


@read_only_page
def album(request: HttpRequest, album_id: uuid.UUID) -> HttpResponse:
    data = reads.album_detail_read(request=request, album_id=album_id)
    params = _params(request, ("cursor",))
    params.update(album=str(album_id))
    context = {"album": str(album_id), "via": "album"}
    images, next_url, error = _image_page(request, params, context=context)
    # --- shared albums (issue 20): the owner's members section (``web.together_reads``)
    members = together_reads.album_members_read(request=request, album_id=album_id)
    # --- end shared albums
    return render(
        request,
        "web/album.html",
        {
            "album": _album(data),
            "images": images,
            "next_url": next_url,
            "error": error,
            "context": query_string(context),
            # shared albums (issue 20)
            "members": members,
            "member_roles": AlbumMember.Role.choices,
        },
    )


@read_only_page
def trash(request: HttpRequest) -> HttpResponse:
    page = reads.trash_page_read(request=request, cursor=request.GET.get("cursor") or None)
    items = [
        {
            **item,
            "alt": alt_text(item),
            "ratio": ratio_class(item["width"], item["height"]),
            "trashed_at": parse_datetime(item["trashed_at"]),
            "purge_at": parse_datetime(item["purge_at"]),
        }
        for item in page.results
    ]
    return render(request, "web/trash.html", {"items": items, "next_url": local_path(page.next)})


@read_only_page
def trash_thumbnail(request: HttpRequest, image_id: uuid.UUID) -> HttpResponseBase:
    """A trashed picture's thumbnail, for its owner's trash page only (by session).

    The API serves nothing of a trashed image, and signs no URL for it; the owner still needs
    to see what they are about to restore or delete for good.
    """
    image = reads.trashed_thumbnail_get(request=request, image_id=image_id)
    if not image.thumbnail_key:
        raise Http404()
    try:
        return delivery.rendition_response(request, image, "thumbnail")
    except NotAcceptable:
        return HttpResponse(status=HTTPStatus.NOT_ACCEPTABLE)


@read_only_page
def share_list(request: HttpRequest) -> HttpResponse:
    page = reads.share_page_read(request=request, cursor=request.GET.get("cursor") or None)
    albums = _albums(request)
    titles = {a["id"]: a["title"] for a in albums}
    links = []
    for item in page.results:
        links.append(
            {
                **item,
                "page_url": request.build_absolute_uri(reverse("share", args=[item["token"]])),
                "album_title": titles.get(item["album"] or ""),
                "expires_at": parse_datetime(item["expires_at"]) if item["expires_at"] else None,
                "last_viewed_at": (
                    parse_datetime(item["last_viewed_at"]) if item["last_viewed_at"] else None
                ),
            }
        )
    return render(
        request,
        "web/shares.html",
        {"links": links, "albums": albums, "next_url": local_path(page.next)},
    )


# --- helpers -----------------------------------------------------------------------------------


def _params(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The page's query parameters the list takes, leaving out empty ones (a form's "any"
    choice) so that they mean "no filter" rather than a wrong value."""
    return {name: request.GET[name] for name in names if request.GET.get(name)}


def _image_page(
    request: HttpRequest,
    params: dict[str, str],
    *,
    context: dict[str, str],
    ordering: str | None = None,
) -> tuple[list[dict[str, Any]], str | None, str]:
    """One page of the caller's images as tiles (each linking to its page in ``context``),
    the next page's address, and any error. ``ordering``: the page's own default order."""
    try:
        page = reads.image_page_read(
            request=request,
            filters=params,
            ordering=params.get("ordering") or ordering,
            cursor=params.get("cursor"),
            size=GALLERY_PAGE_SIZE,
        )
    except reads.ListRefused:
        return [], None, wording.message(wording.LIST_REFUSED)
    suffix = query_string(context)
    return [_tile(item, suffix) for item in page.results], local_path(page.next), ""


def _albums(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's albums for a picker: the newest hundred, by title (ids and titles only:
    a picker needs no counts or covers, and a large library's summaries are not free)."""
    choices = reads.album_choices_read(request=request, size=ALBUM_PICKER_SIZE)
    return sorted(choices, key=lambda album: album["title"].casefold())


def _album(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "updated_at": parse_datetime(data["updated_at"])}


def _tile(data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
    """What a thumbnail tile (``web/_tile.html``) shows of an image the API described;
    ``suffix`` is the query that carries the browsing context to the picture's page."""
    return {
        "id": data["id"],
        "alt": alt_text(data),
        "url": reverse("image", args=[data["id"]]) + suffix,
        "thumbnail": data["urls"].get("thumbnail"),
        "preview": data["urls"].get("preview"),
        "processed": data["urls"].get("processed"),
        "placeholder": data.get("placeholder", ""),
        "kind": data.get("kind", "photo"),
        "duration": data.get("duration"),
        "width": data["width"],
        "height": data["height"],
        "ratio": ratio_class(data["width"], data["height"]),
        "status": data["status"],
        "is_favorite": data["is_favorite"],
        "style": data["style"],
        "title": data["title"],
        "timeline_at": data.get("timeline_at"),  # the timeline (issue 22, item 1)
    }


# The gallery's tile, for the search page's results too (``web.search_pages``).
image_tile = _tile


def _browse_context(request: HttpRequest) -> dict[str, str]:
    """Where the person came from to a picture's page: the gallery's filters and order, and
    ``via=album`` when it was an album's page. Checked by the API when it is used."""
    context = _params(request, CONTEXT_PARAMS)
    if "album" in context:
        # One spelling of the id for the API, the links and the way back: the API takes
        # {uuid}, upper case or no hyphens too, which reverse() does not.
        try:
            context["album"] = str(uuid.UUID(context["album"]))
        except ValueError:
            del context["album"]
    if request.GET.get("via") == "album" and "album" in context:
        context["via"] = "album"
    return context


def _neighbours(
    request: HttpRequest, data: dict[str, Any], context: dict[str, str]
) -> tuple[str | None, str | None, dict[str, str]]:
    """The ids of the pictures before and after this one in its context's sequence, and the
    context they were found in.

    The API's own list, filtered and ordered as the person saw it, is read one row either
    side of this picture's position, so the steps are exactly the gallery's (or the album's)
    even where the picture itself has left it since (unfavourited, taken out of the album). A
    context the API refuses (a forged order, another account's album) falls back to the whole
    gallery, newest first.
    """
    # The gallery's default order is the timeline's (issue 22, item 1); an album's, uploads'.
    default = "-created_at" if context.get("via") == "album" else GALLERY_DEFAULT_ORDERING
    ordering = context.get("ordering") or default
    field = ordering.lstrip("-")
    if field not in ("created_at", "taken_at", "timeline_at"):
        return _neighbours(request, data, {}) if context else (None, None, {})
    filters = {key: context[key] for key in CONTEXT_PARAMS if key in context}
    value = parse_datetime(data[field]) if data.get(field) else None
    position = reads.cursor_position(value=value, image_id=data["id"])
    found = []
    for reverse_walk in (True, False):
        try:
            page = reads.image_page_read(
                request=request,
                filters=filters,
                ordering=ordering,
                cursor=reads.position_cursor(position, reverse=reverse_walk),
                size=1,
            )
        except (reads.ListRefused, Http404):
            return _neighbours(request, data, {}) if context else (None, None, {})
        found.append(page.results[0]["id"] if page.results else None)
    return found[0], found[1], context


def _scaled(width: int, height: int, scale: float) -> int:
    """The width of a rendition ``scale`` times the original's, never upscaled."""
    return max(1, round(width * min(1.0, scale)))


def _stage_srcset(data: dict[str, Any]) -> dict[str, str]:
    """The picture page's image: the preview (screen-sized) and the thumbnail as ``srcset``
    candidates with their widths, so a phone loads no more than it shows; the full-size
    processed rendition only on zoom or download."""
    urls = data.get("urls") or {}
    width, height = data["width"], data["height"]
    preview, thumbnail = urls.get("preview"), urls.get("thumbnail")
    if not preview:
        return {"src": urls.get("processed") or "", "srcset": ""}
    long_edge, short_edge = max(width, height, 1), max(min(width, height), 1)
    preview_width = _scaled(width, height, settings.ATELIER.get("PREVIEW_EDGE", 1440) / long_edge)
    candidates = []
    if thumbnail:
        thumbnail_scale = min(
            settings.ATELIER.get("THUMBNAIL_EDGE", 480) / short_edge,
            THUMBNAIL_LONG_EDGE_CAP / long_edge,
        )
        thumbnail_width = _scaled(width, height, thumbnail_scale)
        if thumbnail_width < preview_width:
            candidates.append(f"{thumbnail} {thumbnail_width}w")
    candidates.append(f"{preview} {preview_width}w")
    return {"src": preview, "srcset": ", ".join(candidates)}
