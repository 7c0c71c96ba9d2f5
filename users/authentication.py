"""Bearer-token authentication: simplejwt's, with a malformed user id answered as a 401."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from users.models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """Authenticates a bearer JWT; a user id claim that is not a UUID names no account.

    An ``Authorization`` header in another scheme (``Token ...``, ``JWT ...``) is refused with
    a 401 that names the right one; simplejwt would skip it, and the caller would be told
    only that no credentials were provided.
    """

    def authenticate(self, request: Request) -> tuple[User, Token] | None:
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

    def get_user(self, validated_token: Token) -> User:
        try:
            return super().get_user(validated_token)
        except DjangoValidationError as exc:
            raise AuthenticationFailed("User not found", code="user_not_found") from exc


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Documents ``JWTAuthentication`` as the same bearer scheme as simplejwt's."""

    target_class = "users.authentication.JWTAuthentication"
