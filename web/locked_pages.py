"""The locked folder's pages: /locked/ (its pictures) and /locked/<id>/ (one, large).

Both ask for the password first. It is checked by the same service, with the same failed-login
limits, as the API's ``auth/reauth/`` (``users.services.user_elevate``), and the elevation it
returns is kept **in the server-side session** (``SESSION_KEY``: the token and when it ends),
never handed to the page. Why not the alternative, the token in ``sessionStorage`` sent by
``app.js`` in the ``X-Atelier-Elevation`` header: a token a script can read is a token any
script on the origin can take (an injected one, a compromised dependency), and it would
outlive the logout in that tab; the session row is out of every script's reach (the cookie is
``HttpOnly``), is deleted by the logout (Django flushes the session), and is dropped here as
soon as it no longer checks out (expired, or made before a password change). The pages put no
elevation in a URL or an attribute: only the locked list's own signed URLs (``?sig=``, one
rendition each, ending with the elevation) reach the HTML, for ``<img src>``.

The session's elevation opens these pages only: the API still reads an elevation from its
header alone (a session-authenticated API call is not elevated by it), so taking a picture out
is a form posted to its page, which calls the locked folder's own service
(``images.locked.images_unlock_elevated``, with the elevated principal) once the elevation
checks out. Moving a picture *in* needs no elevation and goes through the API from the
picture's page (``images/lock/``), as every other change does.

Who may see what is decided by the access policy through ``web.reads``: the elevated owner's
principal is the one the API's locked views build. Another account's picture, a missing one
and one not locked are the one 404 page, before and after the password; an anonymous caller is
sent to log in. No page is kept by the browser's cache (``never_cache``).
"""

import uuid
from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.throttling import LoginLocked
from images import locked
from users import services as user_services
from users.authentication import request_user
from web import reads, wording
from web.pages import private_page
from web.present import alt_text, local_path, ratio_class

# The session's elevation: {"token": ..., "expires": <Unix time>}. Server-side only.
SESSION_KEY = "web.locked_elevation"
# Pictures per page of the folder (its "More" link pages on with the list's cursor).
LOCKED_PAGE_SIZE = 60


def session_elevation(request: HttpRequest) -> reads.Elevated | None:
    """The page's account elevated by the session's elevation, if it still checks out; a
    stale one (expired, another password's) is dropped from the session."""
    kept = request.session.get(SESSION_KEY)
    token = kept.get("token") if isinstance(kept, dict) else None
    elevated = reads.elevated_owner(request=request, token=token)
    if elevated is None and kept is not None:
        del request.session[SESSION_KEY]
    return elevated


@private_page
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def locked_folder(request: HttpRequest) -> HttpResponse:
    """The folder's pictures for the owner elevated; the password prompt otherwise. A POST is
    the prompt's (``password``) or "Lock again now" (``action=leave``)."""
    if request.method == "POST":
        if request.POST.get("action") == "leave":
            request.session.pop(SESSION_KEY, None)
            messages.success(request, wording.notice("locked_folder_closed"))
            return redirect("home")
        return _elevate(request, here=reverse("locked-folder"))
    elevated = session_elevation(request)
    if elevated is None:
        return _prompt(request)
    page = reads.locked_page_read(
        request=request,
        elevated=elevated,
        cursor=request.GET.get("cursor") or None,
        size=LOCKED_PAGE_SIZE,
    )
    return render(
        request,
        "web/locked.html",
        {
            "images": [_tile(item) for item in page.results],
            "next_url": local_path(page.next),
            "expires": elevated.expires,
        },
    )


@private_page
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def locked_image(request: HttpRequest, image_id: uuid.UUID) -> HttpResponse:
    """One locked picture, large, with "Move out of the locked folder" (``action=unlock``);
    the password prompt first for the owner not elevated."""
    if not reads.locked_image_held(request=request, image_id=image_id):
        raise Http404()  # another account's, missing, or not locked: before any password
    here = reverse("locked-picture", args=[image_id])
    elevated = session_elevation(request)
    if request.method == "POST" and request.POST.get("action") != "unlock":
        return _elevate(request, here=here)
    if elevated is None:
        return _prompt(request)
    if request.method == "POST":
        results = locked.images_unlock_elevated(principal=elevated.principal, image_ids=[image_id])
        if results[0]["result"] != "unlocked":
            raise Http404()  # taken out meanwhile (another tab): not in the folder any more
        messages.success(request, wording.notice("unlocked"))
        return redirect("image", image_id=image_id)
    data = reads.locked_detail_read(request=request, elevated=elevated, image_id=image_id)
    urls = data["urls"]
    return render(
        request,
        "web/locked_image.html",
        {
            "data": data,
            "alt": alt_text(data),
            "preview_url": urls.get("preview") or urls.get("processed"),
            "full_url": urls.get("processed") or urls.get("preview"),
            "locked_at": parse_datetime(data["locked_at"]),
            "expires": elevated.expires,
        },
    )


def _elevate(request: HttpRequest, *, here: str) -> HttpResponse:
    """The prompt's POST: the password given again keeps an elevation in the session and
    shows ``here`` afresh; a wrong one (400) or too many (429) show the prompt again, saying
    so."""
    try:
        token, expires = user_services.user_elevate(
            user=request_user(request), password=request.POST.get("password", ""), request=request
        )
    except LoginLocked as exc:
        return _prompt(
            request, error=wording.passwords_locked(exc.wait), status=HTTPStatus.TOO_MANY_REQUESTS
        )
    except user_services.PasswordIncorrect as exc:
        return _prompt(request, error=wording.error_message(exc), status=HTTPStatus.BAD_REQUEST)
    request.session[SESSION_KEY] = {"token": token, "expires": expires}
    # A new elevation is a change of privilege: a new session key, as a login makes one.
    request.session.cycle_key()
    return redirect(here)


def _prompt(request: HttpRequest, *, error: str = "", status: int = HTTPStatus.OK) -> HttpResponse:
    return render(request, "web/locked_prompt.html", {"error": error}, status=status)


def _tile(data: dict[str, Any]) -> dict[str, Any]:
    """A locked picture as a tile (``web/_tile.html``) that opens its locked page."""
    urls = data["urls"]
    return {
        "id": data["id"],
        "alt": alt_text(data),
        "url": reverse("locked-picture", args=[data["id"]]),
        "thumbnail": urls.get("thumbnail"),
        "preview": urls.get("preview"),
        "placeholder": data.get("placeholder", ""),
        "kind": data.get("kind", "photo"),
        "duration": data.get("duration"),
        "width": data["width"],
        "height": data["height"],
        "ratio": ratio_class(data["width"], data["height"]),
        "status": data["status"],
        "is_favorite": data["is_favorite"],
    }
