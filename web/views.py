"""The web app's pages: each reads through the API's views (``web.api``) and renders HTML.

Writes on images, albums, the trash and share links are made by the pages' scripts against
the API itself (``static/web/app.js``), so they take the one path every client takes. The
account's own forms (sign up, log in, password, deletion) are served here, through the same
serializers, services and failed-login limits as the API's.
"""

import uuid
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_safe

from images import shares
from images.selectors import image_albums, image_neighbours
from images.styles import DEFAULT_STYLE, STYLES
from project.errors import ApplicationError, NotFound
from project.throttling import LoginLocked, RegisterRateThrottle
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


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A web page: strict CSP, and the web's own 404 page for anything not found.

    Another account's object and a missing one are the same 404 (never a 403), as in the
    API, whatever ``DEBUG`` says.
    """

    @strict_csp
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (Http404, NotFound):
            return not_found_page(request)

    return wrapped


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
    images, next_url, error = _image_page(request, params)
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
            "max_bytes": settings.ATELIER["MAX_UPLOAD_BYTES"],
        },
    )


@read_only_page
def image(request: HttpRequest, image_id: uuid.UUID) -> HttpResponse:
    data = api.api_read(request, api.IMAGE_DETAIL, pk=str(image_id))
    member_of = {album.pk for album in image_albums(owner=request.user, image_id=image_id)}
    albums = _albums(request)
    newer, older = image_neighbours(owner=request.user, image_id=image_id)
    return render(
        request,
        "web/image.html",
        {
            "image": _tile(data),
            "data": data,
            "created_at": parse_datetime(data["created_at"]),
            "taken_at": parse_datetime(data["taken_at"]) if data["taken_at"] else None,
            "metadata": [
                (key.replace("_", " ").capitalize(), value)
                for key, value in (data.get("metadata") or {}).items()
                if value is not None
            ],
            "styles": STYLES.values(),
            "in_albums": [a for a in albums if uuid.UUID(a["id"]) in member_of],
            "other_albums": [a for a in albums if uuid.UUID(a["id"]) not in member_of],
            "newer": reverse("image", args=[newer]) if newer else None,
            "older": reverse("image", args=[older]) if older else None,
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
    images, next_url, error = _image_page(request, params)
    return render(
        request,
        "web/album.html",
        {"album": _album(data), "images": images, "next_url": next_url, "error": error},
    )


@read_only_page
def trash(request: HttpRequest) -> HttpResponse:
    data = api.api_read(request, api.TRASH_LIST, params=_params(request, ("cursor",)))
    items = [
        {
            **item,
            "alt": _alt(item),
            "trashed_at": parse_datetime(item["trashed_at"]),
            "purge_at": parse_datetime(item["purge_at"]),
        }
        for item in data["results"]
    ]
    return render(request, "web/trash.html", {"items": items, "next_url": _local(data["next"])})


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


@page
@require_http_methods(["GET", "HEAD", "POST"])
def share(request: HttpRequest, token: str) -> HttpResponse:
    """A share link's public page: no account, only what the link shows."""
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
            minutes = max(1, round(exc.wait / 60))
            error = f"Too many wrong passwords. Try again in about {minutes} min."
            status = HTTPStatus.TOO_MANY_REQUESTS
        except shares.SharePasswordInvalid:
            error = "That is not the password of this link."
            status = HTTPStatus.UNAUTHORIZED
        else:
            request.session[grant_key] = grant
            return redirect("share", token=token)
    grant = request.session.get(grant_key)
    try:
        shares.share_access_check(share=link, grant=grant)
    except shares.SharePasswordRequired:
        return render(
            request,
            "web/share_password.html",
            {"title": link.title, "error": error},
            status=status,
        )
    params = _params(request, ("cursor",))
    try:
        data = api.api_read(request, api.SHARED_DETAIL, params=params, grant=grant, token=token)
    except Http404:
        if "cursor" not in params:
            raise
        # The link lives (share_open said so); its pictures changed under the visitor's
        # "more" link (the picture it named left). Start again from the first page.
        messages.info(request, "The pictures of this link changed; here they are from the start.")
        return redirect("share", token=token)
    images = [
        {**item, "alt": _alt(item), "ratio": ratio_class(item["width"], item["height"])}
        for item in data["results"]
    ]
    return render(
        request,
        "web/share.html",
        {"title": data["title"], "images": images, "next_url": _local(data["next"])},
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
                request, "Password changed. Links to your pictures made before it stop working."
            )
            return redirect("account")
        status = HTTPStatus.BAD_REQUEST
    elif action == "delete":
        try:
            confirmed = authenticate(
                request,
                username=request.user.get_username(),
                password=request.POST.get("password", ""),
            )
        except LoginLocked as exc:
            confirmed = None
            errors = {"delete_password": [_locked_message(exc)]}
        else:
            if confirmed is None:
                errors = {"delete_password": ["The password is not correct."]}
        if confirmed is not None and confirmed.pk == request.user.pk:
            user_services.user_delete(user=request.user)
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
    request: HttpRequest, params: dict[str, str]
) -> tuple[list[dict[str, Any]], str | None, str]:
    """One page of the caller's images as tiles, the next page's address, and any error."""
    try:
        data = api.api_read(request, api.IMAGE_LIST, params=params)
    except api.ApiRefused as exc:
        return [], None, exc.detail
    return [_tile(item) for item in data["results"]], _local(data["next"]), ""


def _albums(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's albums for a picker: the API's first hundred, by title."""
    data = api.api_read(request, api.ALBUM_LIST, params={"page_size": "100"})
    return sorted(data["results"], key=lambda album: album["title"].casefold())


def _album(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "updated_at": parse_datetime(data["updated_at"])}


def _tile(data: dict[str, Any]) -> dict[str, Any]:
    """What a thumbnail tile (``web/_tile.html``) shows of an image the API described."""
    return {
        "id": data["id"],
        "alt": _alt(data),
        "url": reverse("image", args=[data["id"]]),
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
    """The tile's shape class: its width-to-height ratio in tenths, 0.3 to 3.0 (``r3``-``r30``).

    A justified row grows each tile in proportion to its ratio (``app.css``), so every picture
    keeps its shape, laid out from the server's numbers before any byte of it loads. A class,
    not a ``style`` attribute: the pages' CSP allows no inline style. ``gallery.js`` does the
    same for the tiles it adds.
    """
    tenths = int(10 * width / height + 0.5) if width > 0 and height > 0 else 10  # as Math.round
    return f"r{min(30, max(3, tenths))}"


def _alt(data: dict[str, Any]) -> str:
    return data.get("title") or data.get("original_filename") or "Untitled picture"


def _local(url: str | None) -> str | None:
    """An absolute link the API built for this page's request, as a path on this site."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    if exc.extra and all(isinstance(v, list) for v in exc.extra.values()):
        return {key: [str(m) for m in value] for key, value in exc.extra.items()}
    return {exc.field or "form": [exc.message]}


def _locked_message(exc: LoginLocked) -> str:
    minutes = max(1, round(exc.wait / 60))
    return f"Too many wrong passwords. Try again in about {minutes} min."
