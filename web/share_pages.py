"""A share link's public pages: its pictures at /s/<token>, one picture at /s/<token>/i/<id>.

Whoever holds the link sees these, usually with no account. Each page opens the link once
(``_visit``: ``shares.share_open``), makes its visitor the access policy's principal
(``access.share_principal``, with the grant the visitor's session got from the password),
asks the policy whether it may see the link (``access.access_check``) and hands that visitor
to the reads, which page the pictures in its scope with the API's own pagination and
describe them with the API's own serializer (``web.reads.shared_page_read``): the page shows
exactly what the API shows a visitor and nothing more: signed rendition URLs, camera details
only where the link shows metadata, originals only where it allows them. One picture and its
neighbours are read as one-picture pages of that same list, by cursors that name the
picture, so a picture the link does not show is the list's 404.

Before a protected link's password nothing of the link is shown (not its title, its album or
its pictures), whatever picture is asked for. Every "not found" under /s/ (an unknown, expired
or revoked link, a picture not in it, another account's) is the one page. Recipient pages
offer no account's menu and no API docs; someone logged in gets a link to their own gallery.
"""

import uuid
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.throttling import LoginLocked
from images import access, shares
from images.models import Share
from images.pagination import SharedCursorPagination
from web import reads, wording
from web.pages import page_with_missing
from web.present import alt_text, local_path, photo_facts, ratio_class, taken_display

# The set page a picture was opened from (its cursor), kept while stepping so that "All
# pictures" and Escape return there; longer than any cursor the API makes is dropped.
FROM_PARAM = "from"
_FROM_MAX_LENGTH = 200


def _share_missing(request: HttpRequest) -> HttpResponse:
    return render(request, "web/share_missing.html", status=HTTPStatus.NOT_FOUND)


# A recipient's page: strict CSP, and one 404 page for anything not found under /s/.
share_page = page_with_missing(_share_missing)


@share_page
@require_http_methods(["GET", "HEAD", "POST"])
def share(request: HttpRequest, token: str) -> HttpResponse:
    """The link's pictures, a cursor page at a time, under the link's (or album's) title."""
    visitor = _visit(request, token)
    if isinstance(visitor, HttpResponse):
        return visitor  # the password prompt, or the way back after it
    link = visitor.share
    cursor = request.GET.get("cursor") or None
    try:
        page = reads.shared_page_read(request=request, visitor=visitor, cursor=cursor)
    except Http404:
        if cursor is None:
            raise
        # The link lives (it was just opened); its pictures changed under the visitor's
        # "more" link (the picture it named left). Start again from the first page.
        messages.info(request, wording.message(wording.SHARE_PICTURES_CHANGED))
        return redirect("share", token=token)
    if page.first and request.method != "HEAD":
        shares.share_viewed(share=link)  # a visit: not each page of it, not a HEAD
    came_from = {FROM_PARAM: cursor} if cursor else {}
    images = [
        {
            **item,
            "alt": alt_text(item),
            "ratio": ratio_class(item["width"], item["height"]),
            "page_url": _picture_url(token, item["id"], came_from),
        }
        for item in page.results
    ]
    album = reads.shared_album(visitor)
    return render(
        request,
        "web/share.html",
        {
            "heading": link.title or (album or {}).get("title") or "Shared pictures",
            "album": album,
            "images": images,
            "next_url": local_path(page.next),
            "previous_url": local_path(page.previous),
        },
    )


@share_page
@require_http_methods(["GET", "HEAD", "POST"])
def share_image(request: HttpRequest, token: str, image_id: str) -> HttpResponse:
    """One picture of the link, large: steps to its neighbours, back to the set, zoom to the
    full size, the original where the link allows it, the camera where it shows metadata."""
    picture = _uuid(image_id)
    visitor = _visit(request, token)
    if isinstance(visitor, HttpResponse):
        return visitor  # the password prompt, or the way back after it
    before, data, after = _picture_and_neighbours(request, visitor, picture)
    came_from = _came_from(request)
    back = reverse("share", kwargs={"token": token})
    if came_from:
        back += f"?{urlencode({'cursor': came_from[FROM_PARAM]})}"
    urls = data["urls"]
    return render(
        request,
        "web/share_image.html",
        {
            "data": data,
            "alt": alt_text(data),
            # The screen-sized preview (the processed rendition where an image rendered before
            # previews has none); the full size on zoom.
            "preview_url": urls.get("preview") or urls.get("processed"),
            "full_url": urls.get("processed") or urls.get("preview"),
            "taken": taken_display(data) if "taken_at" in data else None,
            "facts": photo_facts(data.get("metadata") or {}),
            "back_url": f"{back}#p-{data['id']}",
            "prev_url": _picture_url(token, before, came_from) if before else None,
            "next_url": _picture_url(token, after, came_from) if after else None,
        },
    )


# --- helpers -----------------------------------------------------------------------------------


def _visit(request: HttpRequest, token: str) -> access.ShareVisitor | HttpResponse:
    """The visitor of the link ``token`` names, let in once for this request; or the page to
    answer instead: the password prompt (nothing of the link on it), or after a right
    password a redirect back here. ``ShareNotFound`` (the one 404) for a link that is not live.

    The link is opened once (``shares.share_open``); the visitor is the policy's principal
    (``access.share_principal``, with the grant the visitor's session got from the password),
    and the policy decides whether it may see the link (``access.access_check``,
    ``SHARE_VIEW``: ``SharePasswordRequired`` before the password). What a visitor sees of a
    picture is the policy's too, through the serializer.
    """
    link = shares.share_open(token=token)
    grant_key = f"share-grant:{link.pk.hex}"
    error = ""
    status = HTTPStatus.OK
    if request.method == "POST":
        try:
            grant, _expires = shares.share_unlock(
                share=link, password=request.POST.get("password", "")[:128], request=request
            )
        except LoginLocked as exc:
            error = wording.passwords_locked(exc.wait)
            status = HTTPStatus.TOO_MANY_REQUESTS
        except shares.SharePasswordInvalid as exc:
            error = wording.error_message(exc)
            status = HTTPStatus.UNAUTHORIZED
        else:
            request.session[grant_key] = grant
            return redirect(request.get_full_path())
    visitor = _visitor(link, request.session.get(grant_key))
    try:
        access.access_check(principal=visitor, action=access.Action.SHARE_VIEW, target=link)
    except shares.SharePasswordRequired:
        return render(request, "web/share_password.html", {"error": error}, status=status)
    return visitor


def _visitor(link: Share, grant: str | None) -> access.ShareVisitor:
    """The policy's principal for a page's visitor of ``link`` holding ``grant`` (a page is
    never a signed rendition URL, so it is always a visitor)."""
    principal = access.share_principal(share=link, grant=grant)
    if not isinstance(principal, access.ShareVisitor):
        raise access.AccessRefused()
    return principal


def _picture_and_neighbours(
    request: HttpRequest, visitor: access.ShareVisitor, picture: uuid.UUID
) -> tuple[str | None, dict[str, Any], str | None]:
    """The ids of the pictures before and after ``picture`` in the link's order, and the
    visitor's representation of ``picture`` itself; ``Http404`` if the link does not show it.

    Two one- and two-picture pages of the link's own list: the one after ``picture`` (a
    cursor naming a picture the link does not show is the list's 404), then the two before
    that one (or the last two), ending with ``picture``. Neither is the link's first page,
    so neither counts as a view (nor would it: only ``share`` counts).
    """

    def page(image_id: uuid.UUID | None, *, reverse: bool, size: int) -> list[dict[str, Any]]:
        cursor = _cursor(image_id, reverse=reverse)
        return reads.shared_page_read(
            request=request, visitor=visitor, cursor=cursor, size=size
        ).results

    following = page(picture, reverse=False, size=1)
    after = following[0]["id"] if following else None
    found = page(uuid.UUID(after) if after else None, reverse=True, size=2)
    if not found or found[-1]["id"] != str(picture):
        raise Http404()  # the link changed between the two reads
    before = found[-2]["id"] if len(found) > 1 else None
    return before, found[-1], after


def _cursor(image_id: uuid.UUID | None, *, reverse: bool) -> str:
    """The link's list cursor for the pictures after ``image_id`` (before it if ``reverse``;
    from the end when ``image_id`` is None), encoded by the list's own pagination, whose
    positions name a picture only (``SharedCursorPagination.opaque_position``)."""
    position = None if image_id is None else f"|{image_id.hex}"
    return reads.position_cursor(position, reverse=reverse, pagination=SharedCursorPagination)


def _picture_url(token: str, image_id: str, came_from: dict[str, str]) -> str:
    url = reverse("share-image", kwargs={"token": token, "image_id": image_id})
    return f"{url}?{urlencode(came_from)}" if came_from else url


def _came_from(request: HttpRequest) -> dict[str, str]:
    value = request.GET.get(FROM_PARAM, "")
    return {FROM_PARAM: value} if 0 < len(value) <= _FROM_MAX_LENGTH else {}


def _uuid(value: str) -> uuid.UUID:
    """``value`` as an image id, written as the API writes ids; else the one 404."""
    try:
        parsed = uuid.UUID(value)
    except ValueError as exc:
        raise Http404() from exc
    if str(parsed) != value:
        raise Http404()
    return parsed
