"""Request and response shapes for accounts and tokens."""

from typing import Any, cast

from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from core.serializers import StrictFieldsMixin
from core.throttling import login_attempt
from users.models import User, canonical_name
from users.selectors import (
    user_email_taken,
    user_quota_limits,
    user_username_taken,
)
from users.services import account_must_exist
from users.usage import account_usage


def _django_errors(exc: DjangoValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def canonical_limit(field_name: str) -> int:
    """The length of a canonical column (a ``CharField``, which always has a ``max_length``)."""
    field = User._meta.get_field(field_name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


def canonical_length_check(value: str, *, limit: int) -> str:
    """Refuses a name whose canonical form (``canonical_name``) outgrows its column.

    Folding can lengthen text (``ß`` → ``ss``, ``ﬃ`` → ``ffi``), so a name within its own
    limit may not be within the canonical column's.
    """
    if len(canonical_name(value)) > limit:
        raise serializers.ValidationError(
            f"Too long once letter case and compatibility forms are folded (limit {limit}).",
            code="max_length",
        )
    return value


def email_available(value: str, *, account: User | None) -> str:
    """An email no other account uses (in its canonical form), short enough once folded."""
    canonical_length_check(value, limit=canonical_limit("email_canonical"))
    if user_email_taken(email=value, exclude=account):
        raise serializers.ValidationError("A user with that email already exists.")
    return value


class UserSerializer(serializers.ModelSerializer):
    """An account as its owner sees it; never the password."""

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]
        read_only_fields = ["id", "username", "date_joined"]

    def validate_email(self, value: str) -> str:
        account = self.instance if isinstance(self.instance, User) else None
        return email_available(value, account=account)


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
        canonical_length_check(value, limit=canonical_limit("username_canonical"))
        if user_username_taken(username=value):
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_email(self, value: str) -> str:
        return email_available(value, account=None)

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


class AccountDeleteSerializer(StrictFieldsMixin, serializers.Serializer):
    """The account's current password, to confirm its deletion."""

    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )


class ReauthSerializer(StrictFieldsMixin, serializers.Serializer):
    """The account's current password, given again to open what needs it (the locked folder)."""

    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )


class ElevationSerializer(serializers.Serializer):
    """An elevation: send it in the ``X-Atelier-Elevation`` header until it expires."""

    elevation = serializers.CharField(
        read_only=True,
        help_text="Send it as the `X-Atelier-Elevation` header. A password change ends it.",
    )
    expires_at = serializers.DateTimeField(
        read_only=True, help_text="When it ends (ATELIER_ELEVATION_SECONDS, 300 s by default)."
    )


class TokenObtainPairSerializer(StrictFieldsMixin, jwt_serializers.TokenObtainPairSerializer):
    """A username and password, each bounded: no longer than an account's could be.

    Keeps simplejwt's class name, which names the request body in the schema (and so in
    generated clients).
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The password check (simplejwt's base validate), then the writes of simplejwt's pair
        # serializer (the outstanding refresh token, the last login) as one unit: an account
        # deleted between the two is a 401, not a foreign-key error.
        data = jwt_serializers.TokenObtainSerializer.validate(self, attrs)
        user = self.user
        assert user is not None, "simplejwt's validate sets the user or raises"
        with account_must_exist(user=user):
            # The pair serializer's token_class: a RefreshToken, typed by simplejwt as a Token.
            refresh = cast(RefreshToken, self.get_token(user))
            data["refresh"] = str(refresh)
            data["access"] = str(refresh.access_token)
            if jwt_settings.UPDATE_LAST_LOGIN:
                update_last_login(User, user)
        return data

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
    trash_bytes = serializers.IntegerField(
        read_only=True,
        help_text="Of bytes_used, what is in the trash: freed when the trash is emptied.",
    )
    trash_images = serializers.IntegerField(
        read_only=True, help_text="Of images_used, how many are in the trash."
    )


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
            "trash_bytes": usage.get("trash_bytes", 0),
            "trash_images": usage.get("trash_images", 0),
        }
