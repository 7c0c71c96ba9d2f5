"""The pages of albums shared between accounts (issue 20): "Shared with me", a shared album
and one of its pictures.

Each reads through ``web.together_reads`` (the members API's selectors, serializers and the
access policy) and renders HTML; every change (accept, comment, like, add, leave) is made by
the page's forms against the API itself (``static/web/app.js``). Anything the caller is not
inside (an invitation not accepted, a membership ended, a stranger's album) is the web's
404 page, the very page a missing album gets; anonymous callers are sent to log in.
"""

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from images import access
from web import together_reads
from web.pages import read_only_page
from web.present import alt_text, query_string, ratio_class
from web.templatetags.tiles import tile_media

# The pictures a shared album's page shows at once, and the activity beside them.
PICTURES_PAGE_SIZE = 30
ACTIVITY_PAGE_SIZE = 30
# What "Add my pictures" offers: the caller's newest pictures not in the album yet.
PICKS_SIZE = 24


@read_only_page
def shared_with_me(request: HttpRequest) -> HttpResponse:
    invitations = [
        {**item, "invited_at": parse_datetime(item["invited_at"])}
        for item in together_reads.invitations_pending_read(request=request)
    ]
    albums = together_reads.shared_albums_read(request=request)
    return render(request, "web/together_list.html", {"invitations": invitations, "albums": albums})


@read_only_page
def shared_album(request: HttpRequest, album_id: uuid.UUID) -> HttpResponse:
    principal = together_reads.member_open(request=request, album_id=album_id)
    album = together_reads.shared_album_read(request=request, principal=principal)
    pictures = together_reads.shared_images_read(
        request=request,
        principal=principal,
        cursor=request.GET.get("cursor") or None,
        size=PICTURES_PAGE_SIZE,
    )
    events = together_reads.activity_read(
        request=request,
        principal=principal,
        cursor=request.GET.get("activity") or None,
        size=ACTIVITY_PAGE_SIZE,
    )
    picks = together_reads.contribution_picks_read(
        request=request, principal=principal, size=PICKS_SIZE
    )
    here = reverse("together", args=[album_id])
    return render(
        request,
        "web/together.html",
        {
            "album": album,
            "tiles": [_tile(album_id, item) for item in pictures.results],
            "more_pictures": _more(here, "cursor", pictures.next),
            "events": [_event(item) for item in events.results],
            "more_events": _more(here, "activity", events.next),
            "picks": [{**item, "alt": alt_text(item)} for item in picks],
            **_abilities(principal),
        },
    )


@read_only_page
def shared_picture(request: HttpRequest, album_id: uuid.UUID, image_id: uuid.UUID) -> HttpResponse:
    principal = together_reads.member_open(request=request, album_id=album_id)
    picture = together_reads.shared_image_read(
        request=request, principal=principal, image_id=image_id
    )
    comments = together_reads.activity_read(
        request=request,
        principal=principal,
        cursor=request.GET.get("activity") or None,
        size=ACTIVITY_PAGE_SIZE,
        image_id=image_id,
    )
    data = picture.body
    here = reverse("together-image", args=[album_id, image_id])
    return render(
        request,
        "web/together_image.html",
        {
            "album": {
                "id": str(principal.album.pk),
                "title": principal.album.title,
            },
            "image": {**data, "alt": alt_text(data)},
            "may_save": picture.may_save,
            "may_remove": picture.may_remove,
            "events": [_event(item) for item in comments.results],
            "more_events": _more(here, "activity", comments.next),
            **_abilities(principal),
        },
    )


def _abilities(principal: access.Member) -> dict[str, Any]:
    """What the caller's role lets them do to the album, as the policy answers."""
    allows = together_reads.member_allows
    return {
        "role": principal.role.value,
        "is_owner": principal.role == access.Role.OWNER,
        "may_comment": allows(principal, access.Action.COMMENT_CREATE),
        "may_contribute": allows(principal, access.Action.ALBUM_CONTRIBUTE),
        "may_edit": allows(principal, access.Action.ALBUM_EDIT),
        "may_leave": allows(principal, access.Action.MEMBERSHIP_LEAVE),
    }


def _tile(album_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """A shared picture's tile: its member URLs, whose it is, its likes."""
    tile = {
        **data,
        "alt": alt_text(data),
        "url": reverse("together-image", args=[album_id, data["id"]]),
        "thumbnail": data["urls"].get("thumbnail"),
        "ratio": ratio_class(data["width"], data["height"]),
    }
    tile["media"] = tile_media(tile)
    return tile


def _event(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "created_at": parse_datetime(data["created_at"])}


def _more(here: str, name: str, next_url: str | None) -> str | None:
    """The page's own address with the next page's cursor as ``name`` (the API's cursor,
    from the link the pagination built), or None at the end."""
    if not next_url:
        return None
    cursor = parse_qs(urlsplit(next_url).query).get("cursor")
    return f"{here}{query_string({name: cursor[0]})}" if cursor else None
