"""Bearer-token authentication: simplejwt's, with a malformed user id answered as a 401."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.tokens import Token

from users.models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """Authenticates a bearer JWT; a user id claim that is not a UUID names no account."""

    def get_user(self, validated_token: Token) -> User:
        try:
            return super().get_user(validated_token)
        except DjangoValidationError as exc:
            raise AuthenticationFailed("User not found", code="user_not_found") from exc


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Documents ``JWTAuthentication`` as the same bearer scheme as simplejwt's."""

    target_class = "users.authentication.JWTAuthentication"
