"""The account's own pages: sign up, log in and out, the account (password, deletion).

They are forms, not API calls from the page's scripts: they go through the same serializers,
services and failed-login limits as the API's ``auth/`` and ``users/me/`` endpoints.
"""

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from core.throttling import LoginLocked, RegisterRateThrottle
from users import services as user_services
from users.authentication import request_user
from users.serializers import MeSerializer, PasswordChangeSerializer, RegisterSerializer
from users.views import BrowserLoginView
from web import wording
from web.pages import page, private_page
from web.security import strict_csp

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
        # Not a DRF ``Request`` (its ``user`` would run the API's authentication): the
        # throttle reads only the client address (``request.META``) and no view.
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            errors["form"] = [wording.signups_limited(throttle.wait())]
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
                    messages.success(request, wording.notice("welcome"))
                    return redirect("upload")
            else:
                errors = {key: [str(m) for m in value] for key, value in serializer.errors.items()}
            status = HTTPStatus.BAD_REQUEST
    return render(request, "web/signup.html", {"errors": errors, "values": values}, status=status)


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
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
            errors = {"old_password": [wording.passwords_locked(exc.wait)]}
        else:
            errors = {key: [str(m) for m in value] for key, value in serializer.errors.items()}
        if valid:
            user_services.user_password_change(
                user=user, new_password=serializer.validated_data["new_password"]
            )
            update_session_auth_hash(request, user)
            messages.success(request, wording.notice("password_changed"))
            return redirect("account")
        status = HTTPStatus.BAD_REQUEST
    elif action == "delete":
        try:
            user_services.user_delete_confirmed(
                user=user, password=request.POST.get("password", ""), request=request
            )
        except LoginLocked as exc:
            errors = {"delete_password": [wording.passwords_locked(exc.wait)]}
        except user_services.PasswordIncorrect as exc:
            errors = {"delete_password": [wording.error_message(exc)]}
        else:
            logout(request)
            messages.success(request, wording.notice("account_deleted"))
            return redirect("login")
        status = HTTPStatus.BAD_REQUEST
    quota = MeSerializer(user).data["quota"]
    return render(
        request,
        "web/account.html",
        {"quota": quota, "errors": errors},
        status=status,
    )


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    if exc.extra and all(isinstance(v, list) for v in exc.extra.values()):
        return {key: [str(m) for m in value] for key, value in exc.extra.items()}
    return {exc.field or "form": [wording.error_message(exc)]}
