"""Accounts and tokens over HTTP: register, log in, rotate, log out, and refuse forged bearers."""

import base64
import json
import uuid
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.conftest import field_errors
from tests.factories import DEFAULT_PASSWORD, UserFactory
from users.models import User

NEW_PASSWORD = "plum-kettle-orbit-1987"
NO_ACCOUNT = "No active account found with the given credentials."
REQUIRED = ["This field is required."]


def register(client: APIClient, **fields: str):
    """Posts a registration for ``bob`` with a strong password, with ``fields`` overriding."""
    payload = {"username": "bob", "email": "bob@example.com", "password": NEW_PASSWORD, **fields}
    return client.post(reverse("auth-register"), payload)


def obtain(client: APIClient, username: str, password: str = DEFAULT_PASSWORD):
    return client.post(reverse("auth-token"), {"username": username, "password": password})


def refresh(client: APIClient, token: str):
    return client.post(reverse("auth-token-refresh"), {"refresh": token})


def me_with(token: str):
    """The caller's profile, fetched with ``token`` as the bearer."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(reverse("users-me"))


def claims(token: str) -> dict:
    """A token's payload, read without checking its signature."""
    return jwt.decode(token, options={"verify_signature": False})


def sign(payload: dict, key: str | None = None) -> str:
    """An HS256 JWT over ``payload``, signed with the server's key unless told otherwise."""
    return jwt.encode(payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def segment(payload: dict) -> str:
    """``payload`` as an unpadded base64url JWT segment."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def assert_token_rejected(response) -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    body = response.json()
    assert body["detail"]
    assert "access" not in body and "refresh" not in body
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
def tokens(api_client: APIClient, user: User) -> dict[str, str]:
    """An access and refresh token for ``user``, from the token endpoint."""
    response = obtain(api_client, user.username)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


@pytest.mark.django_db
class TestRegisterView:
    def test_valid_registration_returns_the_account_without_the_password(self, api_client):
        response = register(api_client)

        assert response.status_code == HTTPStatus.CREATED, response.content
        body = response.json()
        assert set(body) == {"id", "username", "email", "date_joined"}
        assert body["username"] == "bob"
        assert body["email"] == "bob@example.com"
        account = User.objects.get(pk=body["id"])
        assert account.check_password(NEW_PASSWORD)
        assert NEW_PASSWORD not in response.content.decode()

    def test_registered_account_can_log_in(self, api_client):
        register(api_client)

        response = obtain(api_client, "bob", NEW_PASSWORD)

        assert response.status_code == HTTPStatus.OK
        assert set(response.json()) == {"access", "refresh"}

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("Xy7!", "This password is too short. It must contain at least 8 characters."),
            ("password123", "This password is too common."),
            ("8301946275", "This password is entirely numeric."),
            ("bobthebuilder", "The password is too similar to the username."),
        ],
    )
    def test_weak_password_is_rejected_with_the_validator_message(
        self, api_client, password, message
    ):
        response = register(api_client, username="bobthebuilder", password=password)

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert message in response.json()["password"]
        assert not User.objects.filter(username="bobthebuilder").exists()

    @pytest.mark.parametrize("username", ["alice", "ALICE", "Alice"])
    def test_username_taken_in_any_case_is_rejected(self, api_client, user, username):
        response = register(api_client, username=username)

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "username": ["A user with that username already exists."]
        }
        assert User.objects.filter(username__iexact=user.username).count() == 1

    def test_email_taken_in_another_case_is_rejected(self, api_client, user):
        response = register(api_client, email=user.email.upper())

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "email": ["A user with that email already exists."]
        }
        assert not User.objects.filter(username="bob").exists()

    def test_email_lost_to_a_concurrent_registration_is_reported_on_email(
        self, api_client, user, monkeypatch
    ):
        # The race: the pre-check saw the email free, then the database constraint refused it.
        monkeypatch.setattr("users.serializers.user_email_taken", lambda **kwargs: False)

        response = register(api_client, email=user.email.upper())

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "email": ["A user with that email already exists."]
        }

    def test_empty_body_reports_every_missing_field(self, api_client):
        response = api_client.post(reverse("auth-register"), {})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "username": REQUIRED,
            "email": REQUIRED,
            "password": REQUIRED,
        }

    @pytest.mark.parametrize("missing", ["username", "email", "password"])
    def test_each_missing_field_is_reported(self, api_client, missing):
        payload = {"username": "bob", "email": "bob@example.com", "password": NEW_PASSWORD}
        del payload[missing]

        response = api_client.post(reverse("auth-register"), payload)

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {missing: REQUIRED}
        assert not User.objects.exists()

    def test_invalid_email_is_rejected(self, api_client):
        response = register(api_client, email="not-an-email")

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {"email": ["Enter a valid email address."]}


@pytest.mark.django_db
class TestLoginView:
    def test_right_password_returns_a_working_token_pair(self, api_client, user):
        response = obtain(api_client, user.username)

        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert set(body) == {"access", "refresh"}
        assert claims(body["access"])["user_id"] == str(user.pk)
        assert me_with(body["access"]).json()["username"] == user.username

    def test_username_is_matched_in_any_case(self, api_client, user):
        response = obtain(api_client, "ALICE")

        assert response.status_code == HTTPStatus.OK, response.content
        assert me_with(response.json()["access"]).json()["id"] == str(user.pk)

    def test_login_records_last_login(self, api_client, user):
        obtain(api_client, user.username)

        user.refresh_from_db()
        assert user.last_login is not None

    def test_wrong_password_is_401_without_tokens(self, api_client, user):
        response = obtain(api_client, user.username, "not-the-password")

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json() == {"detail": NO_ACCOUNT, "code": "no_active_account"}

    def test_unknown_username_is_401_like_a_wrong_password(self, api_client, db):
        response = obtain(api_client, "nobody")

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json() == {"detail": NO_ACCOUNT, "code": "no_active_account"}

    def test_inactive_user_is_401_even_with_the_right_password(self, api_client):
        UserFactory(username="sleeper", is_active=False)

        response = obtain(api_client, "sleeper")

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json() == {"detail": NO_ACCOUNT, "code": "no_active_account"}

    def test_missing_password_is_400(self, api_client, user):
        response = api_client.post(reverse("auth-token"), {"username": user.username})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {"password": REQUIRED}


@pytest.mark.django_db
class TestTokenRefreshView:
    def test_refresh_returns_a_new_working_pair(self, api_client, tokens):
        response = refresh(api_client, tokens["refresh"])

        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert set(body) == {"access", "refresh"}
        assert body["refresh"] != tokens["refresh"]
        assert body["access"] != tokens["access"]
        assert me_with(body["access"]).status_code == HTTPStatus.OK

    def test_reusing_a_rotated_refresh_token_is_401(self, api_client, tokens):
        assert refresh(api_client, tokens["refresh"]).status_code == HTTPStatus.OK

        response = refresh(api_client, tokens["refresh"])

        assert_token_rejected(response)
        assert response.json() == {"detail": "Token is blacklisted.", "code": "token_not_valid"}

    def test_rotated_refresh_token_can_itself_be_rotated(self, api_client, tokens):
        second = refresh(api_client, tokens["refresh"]).json()

        response = refresh(api_client, second["refresh"])

        assert response.status_code == HTTPStatus.OK, response.content
        assert set(response.json()) == {"access", "refresh"}

    def test_access_token_is_not_accepted_as_a_refresh_token(self, api_client, tokens):
        assert_token_rejected(refresh(api_client, tokens["access"]))

    def test_garbage_is_401(self, api_client, db):
        assert_token_rejected(refresh(api_client, "not.a.token"))

    def test_expired_refresh_token_is_401(self, api_client, user):
        token = RefreshToken.for_user(user)
        token.set_exp(from_time=timezone.now() - timedelta(days=30))

        response = refresh(api_client, str(token))

        assert_token_rejected(response)
        assert "expired" in response.json()["detail"]

    def test_refresh_for_a_deleted_user_is_401(self, api_client, user, tokens):
        me = APIClient()
        me.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        deleted = me.post(reverse("users-me-delete"), {"password": DEFAULT_PASSWORD})
        assert deleted.status_code == HTTPStatus.NO_CONTENT

        response = refresh(api_client, tokens["refresh"])

        assert_token_rejected(response)
        assert response.json() == {
            "detail": "No active account found for the given token.",
            "code": "token_not_valid",
        }

    def test_refresh_for_a_deactivated_user_is_401(self, api_client, user, tokens):
        User.objects.filter(pk=user.pk).update(is_active=False)

        response = refresh(api_client, tokens["refresh"])

        assert_token_rejected(response)
        assert response.json() == {
            "detail": "No active account found for the given token.",
            "code": "token_not_valid",
        }

    def test_signed_token_with_a_non_uuid_user_id_is_401_not_500(self, api_client, user):
        token = RefreshToken.for_user(user)
        token["user_id"] = "42"

        assert_token_rejected(refresh(api_client, str(token)))

    def test_missing_refresh_is_400(self, api_client, db):
        response = api_client.post(reverse("auth-token-refresh"), {})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {"refresh": REQUIRED}


@pytest.mark.django_db
class TestLogoutView:
    def test_logout_is_204_and_the_refresh_token_then_fails(self, api_client, tokens):
        response = api_client.post(reverse("auth-logout"), {"refresh": tokens["refresh"]})

        assert response.status_code == HTTPStatus.NO_CONTENT
        assert response.content == b""
        rejected = refresh(api_client, tokens["refresh"])
        assert_token_rejected(rejected)
        assert rejected.json() == {"detail": "Token is blacklisted.", "code": "token_not_valid"}

    def test_logging_out_twice_is_401(self, api_client, tokens):
        api_client.post(reverse("auth-logout"), {"refresh": tokens["refresh"]})

        response = api_client.post(reverse("auth-logout"), {"refresh": tokens["refresh"]})

        assert_token_rejected(response)

    def test_logout_with_an_invalid_token_is_401(self, api_client, tokens):
        assert_token_rejected(api_client.post(reverse("auth-logout"), {"refresh": "x.y.z"}))

    def test_logout_with_an_access_token_is_401(self, api_client, tokens):
        response = api_client.post(reverse("auth-logout"), {"refresh": tokens["access"]})

        assert_token_rejected(response)

    def test_signed_token_with_a_non_uuid_user_id_is_401_not_500(self, api_client, user):
        token = RefreshToken.for_user(user)
        token["user_id"] = "42"

        response = api_client.post(reverse("auth-logout"), {"refresh": str(token)})

        assert_token_rejected(response)

    def test_missing_refresh_is_400(self, api_client, db):
        response = api_client.post(reverse("auth-logout"), {})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {"refresh": REQUIRED}


@pytest.mark.django_db
class TestBearerAuthentication:
    """Forged, expired, misused and orphaned bearer tokens on an authenticated endpoint."""

    def test_payload_swapped_under_the_original_signature_is_401(self, tokens, other_user):
        header, _payload, signature = tokens["access"].split(".")
        forged = {**claims(tokens["access"]), "user_id": str(other_user.pk)}

        response = me_with(f"{header}.{segment(forged)}.{signature}")

        assert_token_rejected(response)
        assert response.json()["code"] == "token_not_valid"

    def test_token_signed_with_another_key_is_401(self, tokens):
        forged = sign(claims(tokens["access"]), key="guessed-key-" + "x" * 40)

        response = me_with(forged)

        assert_token_rejected(response)
        assert response.json()["code"] == "token_not_valid"

    def test_unsigned_alg_none_token_is_401(self, tokens):
        forged = jwt.encode(claims(tokens["access"]), None, algorithm="none")
        assert jwt.get_unverified_header(forged)["alg"] == "none"

        response = me_with(forged)

        assert_token_rejected(response)
        assert response.json()["code"] == "token_not_valid"

    def test_expired_access_token_is_401(self, user):
        token = AccessToken.for_user(user)
        token.set_exp(from_time=timezone.now() - timedelta(hours=1))

        response = me_with(str(token))

        assert_token_rejected(response)
        # Said at the top, with its own code, not buried in simplejwt's ``messages`` (#10.7).
        assert response.json()["code"] == "token_expired"
        assert response.json()["detail"] == (
            "The access token has expired; refresh it or log in again."
        )

    def test_refresh_token_used_as_access_token_is_401(self, tokens):
        response = me_with(tokens["refresh"])

        assert_token_rejected(response)
        assert response.json()["code"] == "token_not_valid"

    def test_validly_signed_token_for_a_missing_user_is_401_not_500(self, tokens):
        orphan = sign({**claims(tokens["access"]), "user_id": str(uuid.uuid4())})

        response = me_with(orphan)

        assert_token_rejected(response)
        assert response.json()["code"] == "user_not_found"

    def test_validly_signed_token_with_a_non_uuid_user_id_is_401_not_500(self, tokens):
        # An integer id, as a token minted before ids were UUIDs (or by another service
        # sharing JWT_SIGNING_KEY) would carry.
        response = me_with(sign({**claims(tokens["access"]), "user_id": "42"}))

        assert_token_rejected(response)

    def test_token_of_a_deleted_user_is_401_not_500(self, user, tokens):
        User.objects.filter(pk=user.pk).delete()

        response = me_with(tokens["access"])

        assert_token_rejected(response)
        assert response.json()["code"] == "user_not_found"

    def test_token_of_a_deactivated_user_is_401(self, user, tokens):
        User.objects.filter(pk=user.pk).update(is_active=False)

        response = me_with(tokens["access"])

        assert_token_rejected(response)
        assert response.json()["code"] == "user_inactive"
