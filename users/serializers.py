"""Request and response shapes for accounts and tokens."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from users.models import User
from users.selectors import (
    user_email_taken,
    user_quota_limits,
    user_storage_usage,
    user_username_taken,
)


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


class RegisterSerializer(serializers.ModelSerializer):
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


class PasswordChangeSerializer(serializers.Serializer):
    """The current password and the new one."""

    old_password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False
    )
    new_password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=128
    )

    def validate_old_password(self, value: str) -> str:
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("The current password is not correct.")
        return value

    def validate_new_password(self, value: str) -> str:
        try:
            validate_password(value, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_django_errors(exc)) from exc
        return value


class TokenPairSerializer(serializers.Serializer):
    """An access token (short-lived) and the refresh token that renews it."""

    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class RefreshInputSerializer(serializers.Serializer):
    """A refresh token, as given to refresh and logout."""

    refresh = serializers.CharField(write_only=True)


class QuotaSerializer(serializers.Serializer):
    """What an account stores now and what it may store."""

    bytes_used = serializers.IntegerField(read_only=True)
    bytes_limit = serializers.IntegerField(read_only=True)
    images_used = serializers.IntegerField(read_only=True)
    images_limit = serializers.IntegerField(read_only=True)


class MeSerializer(UserSerializer):
    """The caller's own account, with storage usage against its quotas."""

    quota = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "quota"]

    @extend_schema_field(QuotaSerializer)
    def get_quota(self, user: User) -> dict[str, int]:
        usage = user_storage_usage(user=user)
        limits = user_quota_limits(user=user)
        return {
            "bytes_used": usage["bytes"],
            "bytes_limit": limits["bytes"],
            "images_used": usage["images"],
            "images_limit": limits["images"],
        }
