"""Giving the password again (``auth/reauth/``): an elevation, bound to the account and its
current password, ending exactly when it says, and no faster a way to guess a password."""

import time
from datetime import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD
from users.elevation import elevation_expires, elevation_make

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a quite different passphrase 9"


def _reauth(client: APIClient, password: str = DEFAULT_PASSWORD):
    return client.post(reverse("auth-reauth"), {"password": password}, format="json")


def _locked_list(client: APIClient, elevation: str | None):
    headers = {"HTTP_X_ATELIER_ELEVATION": elevation} if elevation is not None else {}
    return client.get(reverse("locked-list"), **headers)


class TestReauthView:
    def test_the_right_password_gives_an_elevation_for_five_minutes(self, auth_client, user):
        before = time.time()
        response = _reauth(auth_client)
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert set(body) == {"elevation", "expires_at"}
        ends = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")).timestamp()
        assert before + 300 <= ends <= time.time() + 301  # no rounding up to a step
        assert elevation_expires(user=user, token=body["elevation"]) == int(ends)
        assert _locked_list(auth_client, body["elevation"]).status_code == HTTPStatus.OK

    def test_its_length_is_the_setting(self, auth_client, settings):
        settings.ATELIER_ELEVATION_SECONDS = 60
        before = time.time()
        body = _reauth(auth_client).json()
        ends = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")).timestamp()
        assert before + 60 <= ends <= time.time() + 61

    def test_a_wrong_password_is_a_clear_400(self, auth_client):
        response = _reauth(auth_client, "not it")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        body = response.json()
        assert body["code"] == "password_incorrect"
        assert body["password"] == ["The password is not correct."]

    def test_anonymous_is_401(self, api_client):
        assert _reauth(api_client).status_code == HTTPStatus.UNAUTHORIZED

    def test_unknown_fields_and_a_missing_password_are_400(self, auth_client):
        response = auth_client.post(reverse("auth-reauth"), {}, format="json")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "password" in response.json()

    def test_wrong_passwords_count_as_failed_logins(self, auth_client, user, settings):
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "login_username": "3/15m"},
        }
        for _ in range(3):
            assert _reauth(auth_client, "guess").status_code == HTTPStatus.BAD_REQUEST
        # The fourth try is refused before the password is even checked, the right one too.
        locked = _reauth(auth_client)
        assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert locked.json()["code"] == "throttled"
        # And the same counters hold the login door shut: reauth is no side way to guess.
        login = APIClient().post(
            reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
        )
        assert login.status_code == HTTPStatus.TOO_MANY_REQUESTS

    def test_a_right_password_gives_its_try_back(self, auth_client, settings):
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "login_username": "2/15m"},
        }
        for _ in range(4):
            assert _reauth(auth_client).status_code == HTTPStatus.OK


class TestElevation:
    def test_an_expired_elevation_opens_nothing(self, auth_client, user, settings):
        token, ends = elevation_make(user=user, now=time.time() - 301)
        assert ends < time.time()
        assert elevation_expires(user=user, token=token) is None
        response = _locked_list(auth_client, token)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["code"] == "elevation_required"

    def test_it_ends_the_second_it_says(self, user):
        token, ends = elevation_make(user=user, now=1_000_000_000.5)
        assert ends == 1_000_000_301
        assert elevation_expires(user=user, token=token, now=ends) == ends
        assert elevation_expires(user=user, token=token, now=ends + 1) is None

    def test_a_password_change_ends_it(self, auth_client, user):
        elevation = _reauth(auth_client).json()["elevation"]
        changed = auth_client.post(
            reverse("users-me-password"),
            {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
        )
        assert changed.status_code == HTTPStatus.OK, changed.content
        auth_client.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['access']}")
        response = _locked_list(auth_client, elevation)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["code"] == "elevation_required"

    def test_another_account_s_elevation_is_refused(self, auth_client, other_client):
        theirs = _reauth(other_client).json()["elevation"]
        response = _locked_list(auth_client, theirs)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["code"] == "elevation_required"

    @pytest.mark.parametrize(
        "token", ["", "garbage", "0.0", "a" * 32 + ".99999999999." + "0" * 40, " " * 3]
    )
    def test_a_malformed_elevation_is_refused(self, auth_client, token):
        response = _locked_list(auth_client, token)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["code"] == "elevation_required"

    def test_a_session_sends_the_same_header(self, user):
        client = APIClient()
        client.force_login(user)
        elevation = elevation_make(user=user)[0]
        assert _locked_list(client, elevation).status_code == HTTPStatus.OK
        assert _locked_list(client, None).status_code == HTTPStatus.FORBIDDEN
