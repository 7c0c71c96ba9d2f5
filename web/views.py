"""The web app's pages: each reads through the API's views (``web.api``) and renders HTML.

Writes on images, albums, the trash and share links are made by the pages' scripts against
the API itself (``static/web/app.js``), so they take the one path every client takes. The
account's own forms (sign up, log in, password, deletion) are served here, through the same
serializers, services and failed-login limits as the API's.
"""

import math
import uuid
from collections.abc import Callable
from datetime import UTC
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_safe
from rest_framework.exceptions import NotAcceptable

from core.errors import ApplicationError, NotFound
from core.throttling import LoginLocked, RegisterRateThrottle
from images import delivery, selectors
from images.models import Image
from images.selectors import image_albums
from imaging.styles import DEFAULT_STYLE, STYLES
from users import services as user_services
from users.serializers import MeSerializer, PasswordChangeSerializer, RegisterSerializer
from users.views import BrowserLoginView
from web import api
from web.security import strict_csp

# Thumbnails the gallery renders with the page; the rest come from the API as one scrolls.
GALLERY_PAGE_SIZE = "30"
ORDERINGS = [
    ("-created_at", "Newest uploads"),
    ("created_at", "Oldest uploads"),
    ("-taken_at", "Newest taken"),
    ("taken_at", "Oldest taken"),
]
# What the gallery's filter form sends on to the API's list.
GALLERY_PARAMS = ("style", "is_favorite", "album", "ordering", "cursor")
# What a picture's page keeps of where the person came from, to step within it.
CONTEXT_PARAMS = ("style", "is_favorite", "album", "ordering")
# Tile shapes: ratios from 1/RATIO_STEP**RATIO_STEPS to RATIO_STEP**RATIO_STEPS (1:10 to 10:1),
# a class each in app.css.
RATIO_STEP = 1.02
RATIO_STEPS = 116
# The thumbnail's long edge never passes this (a panorama's thumbnail), as the renders make it.
THUMBNAIL_LONG_EDGE_CAP = 3840


def page_with_missing(
    missing: Callable[[HttpRequest], HttpResponse],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page decorator: strict CSP, and ``missing`` answers anything not found.

    Another account's object and a missing one are the same 404 (never a 403), as in the
    API, whatever ``DEBUG`` says.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @strict_csp
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except (Http404, NotFound):
                return missing(request)

        return wrapped

    return decorator


# A web page: strict CSP, and the web's own 404 page (defined below) for anything not found.
page = page_with_missing(lambda request: not_found_page(request))


def private_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the caller's own gallery: anonymous callers are sent to log in."""
    return page(login_required(view))


def read_only_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A private page that only shows: any other method is a 405 naming GET and HEAD (its
    changes go to the API, from its forms)."""
    return private_page(require_safe(view))


def not_found_page(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=HTTPStatus.NOT_FOUND)


not_found = strict_csp(not_found_page)


@strict_csp
def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", status=HTTPStatus.INTERNAL_SERVER_ERROR)


# --- the gallery -------------------------------------------------------------------------------


@read_only_page
def gallery(request: HttpRequest) -> HttpResponse:
    params = _params(request, GALLERY_PARAMS)
    params.setdefault("page_size", GALLERY_PAGE_SIZE)
    albums = _albums(request)
    context = {key: params[key] for key in CONTEXT_PARAMS if key in params}
    images, next_url, error = _image_page(request, params, context=context)
    filtered = any(key in params for key in ("style", "is_favorite", "album"))
    return render(
        request,
        "web/gallery.html",
        {
            "images": images,
            "next_url": next_url,
            "error": error,
            "filtered": filtered,
            "params": params,
            "styles": STYLES.values(),
            "orderings": ORDERINGS,
            "albums": albums,
            "context": _query(context),
        },
    )


@read_only_page
def upload(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/upload.html",
        {
            "styles": STYLES.values(),
            "default_style": DEFAULT_STYLE,
            "default_style_label": STYLES[DEFAULT_STYLE].label,
            "max_bytes": settings.ATELIER["MAX_UPLOAD_BYTES"],
        },
    )


@read_only_page
def image(request: HttpRequest, image_id: uuid.UUID) -> HttpResponse:
    data = api.api_read(request, api.IMAGE_DETAIL, pk=str(image_id))
    member_of = {album.pk for album in image_albums(owner=request.user, image_id=image_id)}
    albums = _albums(request)
    context = _browse_context(request)
    newer, older, context = _neighbours(request, data, context)
    suffix = _query(context)
    back = (
        reverse("album", args=[context["album"]])
        if context.get("via") == "album"
        else reverse("home") + _query({k: v for k, v in context.items() if k != "via"})
    )
    tile = _tile(data)
    return render(
        request,
        "web/image.html",
        {
            "image": tile,
            "data": data,
            "created_at": parse_datetime(data["created_at"]),
            "taken": _taken(data),
            "metadata": photo_facts(data.get("metadata") or {}),
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
    data = api.api_read(request, api.ALBUM_LIST, params={"page_size": "100"})
    return render(request, "web/albums.html", {"albums": [_album(a) for a in data["results"]]})


@read_only_page
def album(request: HttpRequest, album_id: uuid.UUID) -> HttpResponse:
    data = api.api_read(request, api.ALBUM_DETAIL, pk=str(album_id))
    params = _params(request, ("cursor",))
    params.update(album=str(album_id), page_size=GALLERY_PAGE_SIZE)
    context = {"album": str(album_id), "via": "album"}
    images, next_url, error = _image_page(request, params, context=context)
    return render(
        request,
        "web/album.html",
        {
            "album": _album(data),
            "images": images,
            "next_url": next_url,
            "error": error,
            "context": _query(context),
        },
    )


@read_only_page
def trash(request: HttpRequest) -> HttpResponse:
    data = api.api_read(request, api.TRASH_LIST, params=_params(request, ("cursor",)))
    items = [
        {
            **item,
            "alt": _alt(item),
            "ratio": ratio_class(item["width"], item["height"]),
            "trashed_at": parse_datetime(item["trashed_at"]),
            "purge_at": parse_datetime(item["purge_at"]),
        }
        for item in data["results"]
    ]
    return render(request, "web/trash.html", {"items": items, "next_url": _local(data["next"])})


@read_only_page
def trash_thumbnail(request: HttpRequest, image_id: uuid.UUID) -> HttpResponseBase:
    """A trashed picture's thumbnail, for its owner's trash page only (by session).

    The API serves nothing of a trashed image, and signs no URL for it; the owner still needs
    to see what they are about to restore or delete for good.
    """
    image = (
        selectors.images_trashed(Image.objects.filter(owner=request.user))
        .filter(pk=image_id)
        .first()
    )
    if image is None or not image.thumbnail_key:
        raise Http404()
    try:
        return delivery.rendition_response(request, image, "thumbnail")
    except NotAcceptable:
        return HttpResponse(status=HTTPStatus.NOT_ACCEPTABLE)


@read_only_page
def share_list(request: HttpRequest) -> HttpResponse:
    data = api.api_read(request, api.SHARE_LIST, params=_params(request, ("cursor",)))
    albums = _albums(request)
    titles = {a["id"]: a["title"] for a in albums}
    links = []
    for item in data["results"]:
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
        {"links": links, "albums": albums, "next_url": _local(data["next"])},
    )


# --- the account -------------------------------------------------------------------------------


class LoginView(BrowserLoginView):
    """Log in with a session: the browsable API's limited login form, in the web's look."""

    template_name = "web/login.html"
    next_page = "home"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        # Someone already logged in who follows a link back to this page (?next=/login/)
        # goes to the gallery, not round in a loop (Django raises on that loop).
        if url.split("?", 1)[0] == self.request.path:
            return resolve_url(self.next_page)
        return url


login_view = page(LoginView.as_view())
logout_view = strict_csp(LogoutView.as_view(next_page="login"))


@page
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    errors: dict[str, list[str]] = {}
    values = {"username": "", "email": ""}
    status = HTTPStatus.OK
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in ("username", "email")}
        throttle = RegisterRateThrottle()
        if not throttle.allow_request(request, None):
            minutes = max(1, round((throttle.wait() or 60) / 60))
            errors["form"] = [
                f"Too many new accounts from this address. Try again in about {minutes} min."
            ]
            status = HTTPStatus.TOO_MANY_REQUESTS
        else:
            serializer = RegisterSerializer(
                data={**values, "password": request.POST.get("password", "")}
            )
            if serializer.is_valid():
                try:
                    user = user_services.user_create(**serializer.validated_data)
                except ApplicationError as exc:
                    errors = _field_errors(exc)
                else:
                    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
                    messages.success(request, "Welcome to Atelier. Upload your first photos.")
                    return redirect("upload")
            else:
                errors = {key: [str(m) for m in value] for key, value in serializer.errors.items()}
            status = HTTPStatus.BAD_REQUEST
    return render(request, "web/signup.html", {"errors": errors, "values": values}, status=status)


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    status = HTTPStatus.OK
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "password":
        serializer = PasswordChangeSerializer(
            data={
                "old_password": request.POST.get("old_password", ""),
                "new_password": request.POST.get("new_password", ""),
            },
            context={"request": request},
        )
        try:
            valid = serializer.is_valid()
        except LoginLocked as exc:
            valid = False
            errors = {"old_password": [_locked_message(exc)]}
        else:
            errors = {key: [str(m) for m in value] for key, value in serializer.errors.items()}
        if valid:
            user_services.user_password_change(
                user=request.user, new_password=serializer.validated_data["new_password"]
            )
            update_session_auth_hash(request, request.user)
            messages.success(
                request,
                "Password changed. Other sessions are logged out; share links keep working.",
            )
            return redirect("account")
        status = HTTPStatus.BAD_REQUEST
    elif action == "delete":
        try:
            user_services.user_delete_confirmed(
                user=request.user, password=request.POST.get("password", ""), request=request
            )
        except LoginLocked as exc:
            errors = {"delete_password": [_locked_message(exc)]}
        except user_services.PasswordIncorrect as exc:
            errors = {"delete_password": [exc.message]}
        else:
            logout(request)
            messages.success(request, "Your account and every picture in it were deleted.")
            return redirect("login")
        status = HTTPStatus.BAD_REQUEST
    quota = MeSerializer(request.user).data["quota"]
    return render(
        request,
        "web/account.html",
        {"quota": quota, "errors": errors},
        status=status,
    )


# --- helpers -----------------------------------------------------------------------------------


def _params(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The page's query parameters the API call takes, leaving out empty ones (a form's
    "any" choice) so that they mean "no filter" rather than a wrong value."""
    return {name: request.GET[name] for name in names if request.GET.get(name)}


def _image_page(
    request: HttpRequest, params: dict[str, str], *, context: dict[str, str]
) -> tuple[list[dict[str, Any]], str | None, str]:
    """One page of the caller's images as tiles (each linking to its page in ``context``),
    the next page's address, and any error."""
    try:
        data = api.api_read(request, api.IMAGE_LIST, params=params)
    except api.ApiRefused as exc:
        return [], None, exc.detail
    suffix = _query(context)
    return [_tile(item, suffix) for item in data["results"]], _local(data["next"]), ""


def _albums(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's albums for a picker: the API's first hundred, by title."""
    data = api.api_read(request, api.ALBUM_LIST, params={"page_size": "100"})
    return sorted(data["results"], key=lambda album: album["title"].casefold())


def _album(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "updated_at": parse_datetime(data["updated_at"])}


def _tile(data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
    """What a thumbnail tile (``web/_tile.html``) shows of an image the API described;
    ``suffix`` is the query that carries the browsing context to the picture's page."""
    return {
        "id": data["id"],
        "alt": _alt(data),
        "url": reverse("image", args=[data["id"]]) + suffix,
        "thumbnail": data["urls"].get("thumbnail"),
        "processed": data["urls"].get("processed"),
        "width": data["width"],
        "height": data["height"],
        "ratio": ratio_class(data["width"], data["height"]),
        "status": data["status"],
        "is_favorite": data["is_favorite"],
        "style": data["style"],
        "title": data["title"],
    }


def ratio_class(width: int, height: int) -> str:
    """The tile's shape class, ``k<n>``: its width-to-height ratio as ``RATIO_STEP ** n``.

    A justified row gives each tile a base width and a share of the row's spare width both in
    proportion to its ratio, and the tile's height follows from its width by that same ratio
    (``app.css``): every tile of a row ends equally tall, the row exactly fills the width, and
    each picture keeps its shape (to within half a step, 1 %), laid out from the server's
    numbers before any byte of it loads. A class, not a ``style`` attribute: the pages' CSP
    allows no inline style. ``gallery.js`` does the same for the tiles it adds.
    """
    ratio = width / height if width > 0 and height > 0 else 1.0
    step = math.floor(math.log(ratio) / math.log(RATIO_STEP) + 0.5)  # as Math.round
    return f"k{min(RATIO_STEPS, max(-RATIO_STEPS, step))}"


def _alt(data: dict[str, Any]) -> str:
    return data.get("title") or data.get("original_filename") or "Untitled picture"


def _local(url: str | None) -> str | None:
    """An absolute link the API built for this page's request, as a path on this site."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _query(params: dict[str, str]) -> str:
    """``params`` as a query string with its ``?``, or nothing."""
    return f"?{urlencode(params)}" if params else ""


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
    ordering = context.get("ordering") or "-created_at"
    field = ordering.lstrip("-")
    if field not in ("created_at", "taken_at"):
        return _neighbours(request, data, {}) if context else (None, None, {})
    filters = {key: context[key] for key in CONTEXT_PARAMS if key in context}
    value = parse_datetime(data[field]) if data.get(field) else None
    position = api.cursor_position(value=value, image_id=data["id"])
    found = []
    for reverse_walk in (True, False):
        params = {
            **filters,
            "page_size": "1",
            "cursor": api.position_cursor(position, reverse=reverse_walk),
        }
        try:
            page_data = api.api_read(request, api.IMAGE_LIST, params=params)
        except (api.ApiRefused, Http404):
            return _neighbours(request, data, {}) if context else (None, None, {})
        found.append(page_data["results"][0]["id"] if page_data["results"] else None)
    return found[0], found[1], context


def _taken(data: dict[str, Any]) -> dict[str, Any] | None:
    """When the photo was taken, as the camera's clock said (``taken_at_local``), with its
    UTC offset where the camera recorded one: a photo taken at 18:32 in Paris reads 18:32."""
    if "taken_at_local" in data:
        local = data["taken_at_local"]
        wall = parse_datetime(local) if local else None
        if wall is None:
            return None
        offset = data.get("taken_at_offset")
        return {"iso": local, "wall": wall.replace(tzinfo=None), "offset": offset}
    # An API without the local time: the instant, in UTC, said as such.
    taken_at = parse_datetime(data["taken_at"]) if data.get("taken_at") else None
    if taken_at is None:
        return None
    utc = taken_at.astimezone(UTC)
    return {"iso": data["taken_at"], "wall": utc.replace(tzinfo=None), "offset": "+00:00"}


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


def _number(value: float) -> str:
    return f"{value:g}"


def photo_facts(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """The camera's metadata as a photographer reads it: "1/250 s", "f/1.8", "50 mm", "ISO 100"."""
    facts: list[tuple[str, str]] = []
    make, model = metadata.get("camera_make"), metadata.get("camera_model")
    if model and make and not model.casefold().startswith(make.casefold()):
        facts.append(("Camera", f"{make} {model}"))
    elif model or make:
        facts.append(("Camera", model or make))
    if metadata.get("lens"):
        facts.append(("Lens", metadata["lens"]))
    exposure = metadata.get("exposure_time")
    if exposure:
        denominator = 1 / exposure
        if exposure < 1 and abs(denominator - round(denominator)) < 0.05 * denominator:
            facts.append(("Exposure", f"1/{round(denominator)} s"))
        else:
            facts.append(("Exposure", f"{_number(round(exposure, 1))} s"))
    if metadata.get("f_number"):
        facts.append(("Aperture", f"f/{_number(round(metadata['f_number'], 1))}"))
    if metadata.get("focal_length"):
        facts.append(("Focal length", f"{_number(round(metadata['focal_length'], 1))} mm"))
    if metadata.get("iso"):
        facts.append(("ISO", f"ISO {metadata['iso']}"))
    latitude, longitude = metadata.get("latitude"), metadata.get("longitude")
    if latitude is not None and longitude is not None:
        north = "N" if latitude >= 0 else "S"
        east = "E" if longitude >= 0 else "W"
        facts.append(("Location", f"{abs(latitude):.5f}° {north}, {abs(longitude):.5f}° {east}"))
    if metadata.get("altitude") is not None:
        facts.append(("Altitude", f"{_number(round(metadata['altitude']))} m"))
    return facts


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    if exc.extra and all(isinstance(v, list) for v in exc.extra.values()):
        return {key: [str(m) for m in value] for key, value in exc.extra.items()}
    return {exc.field or "form": [exc.message]}


def _locked_message(exc: LoginLocked) -> str:
    minutes = max(1, round(exc.wait / 60))
    return f"Too many wrong passwords. Try again in about {minutes} min."
