"""Request and response shapes for accounts and tokens."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers

from project.serializers import StrictFieldsMixin
from project.throttling import login_attempt
from users.models import User
from users.selectors import (
    user_email_taken,
    user_quota_limits,
    user_username_taken,
)
from users.usage import account_usage


def _django_errors(exc: DjangoValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


class UserSerializer(serializers.ModelSerializer):
    """An account as its owner sees it; never the password."""

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]
        read_only_fields = ["id", "username", "date_joined"]

    def validate_email(self, value: str) -> str:
        account = self.instance if isinstance(self.instance, User) else None
        if user_email_taken(email=value, exclude=account):
            raise serializers.ValidationError("A user with that email already exists.")
        return value


class RegisterSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A new account: username, email and a password that passes the password validators."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=128
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "password", "date_joined"]
        read_only_fields = ["id", "date_joined"]

    def validate_username(self, value: str) -> str:
        if user_username_taken(username=value):
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_email(self, value: str) -> str:
        if user_email_taken(email=value):
            raise serializers.ValidationError("A user with that email already exists.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": _django_errors(exc)}) from exc
        return attrs


class PasswordChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    """The current password and the new one."""

    old_password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )
    new_password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=128
    )

    def validate_old_password(self, value: str) -> str:
        # Knowing the password is what a stolen access token lacks: guesses here count against
        # the same failed-login limit as every login form (a lock is a 429).
        request = self.context["request"]
        with login_attempt(request, request.user.username) as attempt:
            attempt.succeeded = request.user.check_password(value)
        if not attempt.succeeded:
            raise serializers.ValidationError("The current password is not correct.")
        return value

    def validate_new_password(self, value: str) -> str:
        try:
            validate_password(value, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_django_errors(exc)) from exc
        return value


class TokenObtainPairSerializer(StrictFieldsMixin, jwt_serializers.TokenObtainPairSerializer):
    """A username and password, each bounded: no longer than an account's could be.

    Keeps simplejwt's class name, which names the request body in the schema (and so in
    generated clients).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = serializers.CharField(max_length=150, write_only=True)
        self.fields["password"] = jwt_serializers.PasswordField(
            max_length=4096, trim_whitespace=False
        )


class TokenPairSerializer(serializers.Serializer):
    """An access token (short-lived) and the refresh token that renews it."""

    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class RefreshInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """A refresh token, as given to refresh and logout."""

    # Any string is "a refresh token" here: blank, spaces or garbage, an unusable one is a
    # 401 like every other, decided by the token check. Ours are about 300 characters; the
    # bound keeps a huge string from being decoded at all.
    refresh = serializers.CharField(
        write_only=True, max_length=4096, allow_blank=True, trim_whitespace=False
    )


class QuotaSerializer(serializers.Serializer):
    """What an account stores now and what it may store."""

    bytes_used = serializers.IntegerField(read_only=True)
    bytes_limit = serializers.IntegerField(read_only=True)
    images_used = serializers.IntegerField(read_only=True)
    images_limit = serializers.IntegerField(read_only=True)


class MeSerializer(StrictFieldsMixin, UserSerializer):
    """The caller's own account, with storage usage against its quotas."""

    quota = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "quota"]

    @extend_schema_field(QuotaSerializer)
    def get_quota(self, user: User) -> dict[str, int]:
        usage = account_usage(user=user)
        limits = user_quota_limits(user=user)
        return {
            "bytes_used": usage["bytes"],
            "bytes_limit": limits["bytes"],
            "images_used": usage["images"],
            "images_limit": limits["images"],
        }
