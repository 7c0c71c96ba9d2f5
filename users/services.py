"""Write-side operations on accounts and their tokens."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from core.errors import InvalidInput, Unauthenticated
from core.throttling import login_attempt
from users.elevation import elevation_make
from users.errors import AccountGone
from users.models import User
from users.selectors import user_email_taken, user_username_taken


@contextmanager
def account_must_exist(*, user: User) -> Iterator[None]:
    """Runs a write about an account atomically; if the account vanished, ``AccountGone``.

    A request authenticated a moment before its account's deletion committed would otherwise
    fail on the foreign key of what it writes (a refresh token, a saved field) with a 500.
    """
    try:
        with transaction.atomic():
            yield
    except DatabaseError as exc:
        if not User.objects.filter(pk=user.pk).exists():
            raise AccountGone() from exc
        raise


class PasswordIncorrect(InvalidInput):
    """The password given to confirm a change is not the account's (an error on ``field``)."""

    def __init__(self, field: str = "password") -> None:
        super().__init__("The password is not correct.", code="password_incorrect", field=field)


class TokenRejected(Unauthenticated):
    """A refresh token that cannot be used: invalid, expired, reused or revoked."""

    def __init__(self, reason: str) -> None:
        reason = reason.strip() or "Token is invalid"
        super().__init__(reason if reason.endswith(".") else f"{reason}.", code="token_not_valid")


class AccountTaken(InvalidInput):
    """The username or email is already in use (found by the database constraint).

    Two requests racing for one name both pass the serializer's check; the constraint picks
    the winner, and the loser learns which of its fields were taken, as field errors.
    """

    def __init__(self, *, username: str | None = None, email: str | None = None) -> None:
        errors: dict[str, list[str]] = {}
        if username is not None and user_username_taken(username=username):
            errors["username"] = ["A user with that username already exists."]
        if email is not None and user_email_taken(email=email):
            errors["email"] = ["A user with that email already exists."]
        if not errors:  # the constraint fired but the row is gone again: blame the name
            errors["username" if username is not None else "email"] = [
                "A user with that name already exists."
            ]
        field, messages = next(iter(errors.items()))
        super().__init__(f"{field}: {messages[0]}", code="unique", extra=errors)


def user_create(*, username: str, email: str, password: str) -> User:
    """Creates an account; the caller has validated the password and uniqueness."""
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as exc:
        # Two registrations racing for one name: the constraint, not the pre-check, decides.
        raise AccountTaken(username=username, email=email) from exc


def user_update(*, user: User, email: str) -> User:
    """Changes the account's email address."""
    user.email = email
    try:
        with account_must_exist(user=user):
            user.save(update_fields=["email"])
    except IntegrityError as exc:
        raise AccountTaken(email=email) from exc
    return user


def user_password_change(*, user: User, new_password: str) -> dict[str, str]:
    """Sets a new password and revokes every token issued before it; returns a fresh pair.

    Access tokens die through simplejwt's revoke claim (a hash of the password); refresh
    tokens are blacklisted here so they cannot mint new access tokens either.
    """
    validate_password(new_password, user=user)
    with account_must_exist(user=user):
        user.set_password(new_password)
        user.save(update_fields=["password"])
        token_revoke_all(user=user)
        return token_pair_for_user(user=user)


def user_password_check(*, user: User, password: str, request: Any) -> None:
    """``PasswordIncorrect`` unless ``password`` is the account's current one.

    Knowing the password is what a stolen access token or session lacks. A try draws on the
    failed-login counters (``core.throttling.login_attempt``) like any login, so this is
    no faster a way to guess a password; a locked username or address is ``LoginLocked``.
    """
    with login_attempt(request, user.get_username()) as attempt:
        # No stored password holds a NUL (every door refuses one), but Django's PBKDF2 check
        # accepts the right one with NULs added: the web form, which takes the raw field, must
        # not be the one door that does.
        attempt.succeeded = "\x00" not in password and user.check_password(password)
    if not attempt.succeeded:
        raise PasswordIncorrect()


def user_elevate(
    *, user: User, password: str, request: Any, now: float | None = None
) -> tuple[str, int]:
    """An elevation (``users.elevation``) and when it ends, once ``password`` is the account's.

    A wrong password is ``PasswordIncorrect`` and counts as a failed login (a locked username
    or address is ``LoginLocked``): asking for elevations is no faster a way to guess.
    """
    user_password_check(user=user, password=password, request=request)
    return elevation_make(user=user, now=now)


def user_delete_confirmed(*, user: User, password: str, request: Any) -> None:
    """Deletes the account and everything it owns, once ``password`` proves it is its owner.

    Every door that deletes an account (the API, the web app's form) comes through here.
    """
    user_password_check(user=user, password=password, request=request)
    user_delete(user=user)


def user_delete(*, user: User) -> None:
    """Deletes the account and everything it owns; files go once the deletion commits.

    The account's row is locked first, as every upload and restyle locks it: one racing the
    deletion either commits before it (and its files are collected here) or finds no account
    afterwards and keeps nothing.
    """
    with transaction.atomic():
        if not User.objects.select_for_update().filter(pk=user.pk).exists():
            return  # deleted meanwhile by a parallel request: nothing left to do
        # Apps that keep files for the account remove them on its pre_delete signal (after
        # commit); this app knows none of them.
        user.delete()


def token_pair_for_user(*, user: User) -> dict[str, str]:
    """A new refresh token and its access token for this user."""
    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def token_refresh(*, raw: str) -> dict[str, str]:
    """Exchanges a refresh token for a new pair, retiring the old one exactly once.

    The old token is blacklisted with an INSERT that the one-to-one constraint allows only
    once, so two parallel refreshes with the same token cannot both succeed.
    """
    try:
        refresh = RefreshToken(raw)  # type: ignore[arg-type]  # simplejwt types the str as Token
    except TokenError as exc:
        raise TokenRejected(str(exc)) from exc
    try:
        user = User.objects.filter(pk=refresh.get(jwt_settings.USER_ID_CLAIM)).first()
    except DjangoValidationError:
        user = None  # a user id that is not a UUID names no account
    if user is None or not user.is_active:
        raise TokenRejected("No active account found for the given token.")
    if refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise TokenRejected("The user's password has been changed.")
    try:
        with transaction.atomic():
            outstanding, _ = OutstandingToken.objects.get_or_create(
                jti=refresh[jwt_settings.JTI_CLAIM],
                defaults={
                    "user": user,
                    "token": raw,
                    "created_at": datetime_from_epoch(refresh["iat"]),
                    "expires_at": datetime_from_epoch(refresh["exp"]),
                },
            )
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:
        raise TokenRejected("Token is blacklisted") from exc
    with account_must_exist(user=user):
        return token_pair_for_user(user=user)


def token_blacklist(*, raw: str) -> None:
    """Retires a refresh token (logout); an unusable token is rejected."""
    try:
        refresh = RefreshToken(raw)  # type: ignore[arg-type]  # simplejwt types the str as Token
        refresh.blacklist()
    except (TokenError, DjangoValidationError) as exc:
        raise TokenRejected(str(exc)) from exc


def token_revoke_all(*, user: User) -> None:
    """Blacklists every unexpired refresh token the user holds."""
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )
