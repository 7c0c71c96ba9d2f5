"""Bearer-token authentication: simplejwt's, with a malformed user id answered as a 401."""

from typing import cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.authentication import AuthUser
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from users.models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """Authenticates a bearer JWT; a user id claim that is not a UUID names no account.

    An ``Authorization`` header in another scheme (``Token ...``, ``JWT ...``) is refused with
    a 401 that names the right one; simplejwt would skip it, and the caller would be told
    only that no credentials were provided.
    """

    def authenticate(self, request: Request) -> tuple[AuthUser, Token] | None:
        header = self.get_header(request)
        if header is not None:
            scheme = header.split(maxsplit=1)[0] if header.split() else b""
            if scheme.decode("latin-1") not in jwt_settings.AUTH_HEADER_TYPES:
                raise AuthenticationFailed(
                    "The Authorization header must use the Bearer scheme: "
                    "'Authorization: Bearer <access token>'.",
                    code="bad_authorization_header",
                )
        return super().authenticate(request)

    # simplejwt's get_user returns a TypeVar bound by none of its arguments; it fetches the
    # user from get_user_model(), which is users.User.
    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        try:
            return cast(User, super().get_user(validated_token))
        except DjangoValidationError as exc:
            raise AuthenticationFailed("User not found", code="user_not_found") from exc


def request_user(request: Request | HttpRequest) -> User:
    """The account behind a request that authentication and ``IsAuthenticated`` have let in.

    ``request.user`` is typed ``User | AnonymousUser``; behind ``IsAuthenticated`` (or
    ``login_required``) it is always a ``User``, and this says so with a check, not a cast.
    """
    user = request.user
    assert isinstance(user, User), "request_user() on a request that was not authenticated"
    return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Documents ``JWTAuthentication`` as the same bearer scheme as simplejwt's."""

    target_class = "users.authentication.JWTAuthentication"
