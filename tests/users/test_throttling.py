"""Rate limits on passwords and sign-ups: failed logins per username and per address, sign-ups,
and wrong share-link passwords per (link, address) and per address, counted apart from logins."""

import time
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory
from users.models import User

WINDOW_SECONDS = 15 * 60
GENEROUS = "1000/15m"


@pytest.fixture
def rates(settings):
    """Sets throttle rates by scope for one test, leaving the other scopes as configured."""

    def _set(**scopes: str) -> None:
        merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged}

    return _set


def login(client, username: str = "alice", password: str = DEFAULT_PASSWORD, **extra: str):
    return client.post(reverse("auth-token"), {"username": username, "password": password}, **extra)


def fail_logins(client, count: int, username: str = "alice", **extra: str) -> None:
    for _ in range(count):
        response = login(client, username, "wrong-password", **extra)
        assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content


def assert_throttled(response, window: int = WINDOW_SECONDS) -> None:
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS, response.content
    retry_after = int(response["Retry-After"])
    # Counted in 15 slots, a sliding window frees its oldest failure within one slot of it.
    assert 1 <= retry_after <= window + window / 15 + 1
    assert response.json() == {
        "detail": "Too many requests. Try again later.",
        "code": "throttled",
        "retry_after": retry_after,
    }


@pytest.mark.django_db
class TestLoginViewThrottling:
    def test_eleventh_attempt_after_ten_failures_is_429_even_with_the_right_password(
        self, api_client, user
    ):
        fail_logins(api_client, 10)

        assert_throttled(login(api_client))

    def test_nine_failures_still_let_the_right_password_in(self, api_client, user):
        fail_logins(api_client, 9)

        response = login(api_client)

        assert response.status_code == HTTPStatus.OK
        assert set(response.json()) == {"access", "refresh"}

    def test_successful_logins_are_never_counted(self, api_client, user, rates):
        rates(login_username="3/15m", login_ip="3/15m")

        statuses = {login(api_client).status_code for _ in range(6)}

        assert statuses == {HTTPStatus.OK}

    def test_username_limit_holds_across_client_addresses(self, api_client, user, rates):
        rates(login_username="3/15m", login_ip=GENEROUS)
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
            fail_logins(api_client, 1, REMOTE_ADDR=address)

        assert_throttled(login(api_client, REMOTE_ADDR="10.0.0.4"))

    def test_username_limit_ignores_letter_case(self, api_client, user, rates):
        rates(login_username="3/15m", login_ip=GENEROUS)
        for spelling in ("ALICE", "Alice", "alice"):
            fail_logins(api_client, 1, username=spelling)

        assert_throttled(login(api_client, "aLiCe"))

    def test_username_limit_leaves_other_accounts_alone(self, api_client, user, rates):
        rates(login_username="3/15m", login_ip=GENEROUS)
        UserFactory(username="bob")
        fail_logins(api_client, 3)

        assert login(api_client, "bob").status_code == HTTPStatus.OK

    def test_address_limit_holds_across_usernames(self, api_client, user, rates):
        rates(login_username=GENEROUS, login_ip="3/15m")
        for username in ("carol", "dave", "erin"):
            fail_logins(api_client, 1, username=username, REMOTE_ADDR="10.0.0.1")

        assert_throttled(login(api_client, REMOTE_ADDR="10.0.0.1"))
        assert login(api_client, REMOTE_ADDR="10.0.0.2").status_code == HTTPStatus.OK

    def test_forwarded_for_header_does_not_dodge_the_address_limit(
        self, api_client, user, rates, settings
    ):
        settings.ATELIER_CLIENT_IP_HEADER = ""
        rates(login_username=GENEROUS, login_ip="3/15m")
        for n, username in enumerate(("carol", "dave", "erin")):
            fail_logins(api_client, 1, username=username, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

        assert_throttled(login(api_client, HTTP_X_FORWARDED_FOR="198.51.100.99"))

    def test_trusted_proxy_header_names_the_client(self, api_client, user, rates, settings):
        settings.ATELIER_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
        rates(login_username=GENEROUS, login_ip="3/15m")
        for username in ("carol", "dave", "erin"):
            fail_logins(api_client, 1, username=username, HTTP_X_REAL_IP="203.0.113.5")

        assert_throttled(login(api_client, HTTP_X_REAL_IP="203.0.113.5"))
        assert login(api_client, HTTP_X_REAL_IP="203.0.113.6").status_code == HTTPStatus.OK

    def test_throttled_attempts_do_not_reach_authentication(self, api_client, user, rates):
        rates(login_username="3/15m", login_ip=GENEROUS)
        fail_logins(api_client, 3)

        assert_throttled(login(api_client))
        user.refresh_from_db()
        assert user.last_login is None

    def test_attempts_are_allowed_again_once_the_window_passes(self, api_client, user, rates):
        # The window is the cache entry's lifetime, so the test waits it out for real.
        rates(login_username="3/1s", login_ip="3/1s")
        fail_logins(api_client, 3)
        assert_throttled(login(api_client), window=1)

        time.sleep(1.2)

        assert login(api_client).status_code == HTTPStatus.OK


@pytest.mark.django_db
class TestRegisterViewThrottling:
    @staticmethod
    def register(client, username: str, **extra: str):
        payload = {
            "username": username,
            "email": f"{username}@example.com",
            "password": "plum-kettle-orbit-1987",
        }
        return client.post(reverse("auth-register"), payload, **extra)

    def test_registrations_beyond_the_rate_from_one_address_are_429(self, api_client, rates):
        rates(register="2/h")
        assert self.register(api_client, "bob").status_code == HTTPStatus.CREATED
        assert self.register(api_client, "carol").status_code == HTTPStatus.CREATED

        response = self.register(api_client, "dave")

        assert_throttled(response, window=3600)
        assert not User.objects.filter(username="dave").exists()

    def test_another_address_can_still_register(self, api_client, rates):
        rates(register="1/h")
        self.register(api_client, "bob", REMOTE_ADDR="10.0.0.1")

        response = self.register(api_client, "carol", REMOTE_ADDR="10.0.0.2")

        assert response.status_code == HTTPStatus.CREATED
        assert response.json()["username"] == "carol"

    def test_forwarded_for_header_does_not_dodge_the_limit(self, api_client, rates, settings):
        settings.ATELIER_CLIENT_IP_HEADER = ""
        rates(register="1/h")
        self.register(api_client, "bob", HTTP_X_FORWARDED_FOR="198.51.100.1")

        response = self.register(api_client, "carol", HTTP_X_FORWARDED_FOR="198.51.100.2")

        assert_throttled(response, window=3600)


@pytest.mark.django_db
class TestSharedUnlockViewThrottling:
    """A link's password is guessed per (link, address) and per address, never with logins.

    A link has no counter of its own: anyone holding it could otherwise lock every visitor
    out with wrong guesses from many addresses (found by attack, #18).
    """

    PASSWORD = "tea at five"

    @pytest.fixture
    def album_links(self, auth_client):
        """Makes ``count`` links with this password, each to an album; returns their tokens."""

        def _make(count: int = 1) -> list[str]:
            tokens = []
            for _ in range(count):
                album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json")
                share = auth_client.post(
                    reverse("share-list"),
                    {"album": album.json()["id"], "password": self.PASSWORD},
                    format="json",
                )
                assert share.status_code == HTTPStatus.CREATED, share.content
                tokens.append(share.json()["token"])
            return tokens

        return _make

    @staticmethod
    def unlock(client, token: str, password: str, **extra: str):
        url = reverse("shared-unlock", kwargs={"token": token})
        return client.post(url, {"password": password}, format="json", **extra)

    def fail_unlocks(self, client, token: str, count: int, **extra: str) -> None:
        for n in range(count):
            response = self.unlock(client, token, f"guess {n}", **extra)
            assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content

    def test_wrong_guesses_from_many_addresses_never_lock_out_the_right_password(
        self, api_client, album_links
    ):
        (token,) = album_links()
        for n in range(12):
            self.fail_unlocks(api_client, token, 1, REMOTE_ADDR=f"10.0.1.{n}")

        response = self.unlock(api_client, token, self.PASSWORD, REMOTE_ADDR="10.0.2.1")

        assert response.status_code == HTTPStatus.OK, response.content
        assert response.json()["grant"]

    def test_one_address_is_limited_per_link_and_others_still_get_in(self, api_client, album_links):
        (token,) = album_links()
        self.fail_unlocks(api_client, token, 10, REMOTE_ADDR="10.0.1.1")

        assert_throttled(self.unlock(api_client, token, self.PASSWORD, REMOTE_ADDR="10.0.1.1"))
        response = self.unlock(api_client, token, self.PASSWORD, REMOTE_ADDR="10.0.1.2")
        assert response.status_code == HTTPStatus.OK

    def test_one_address_guessing_many_links_is_limited_across_them(
        self, api_client, album_links, rates
    ):
        rates(share_unlock="3/15m", share_unlock_ip="5/15m")
        first, second, third = album_links(3)
        self.fail_unlocks(api_client, first, 3, REMOTE_ADDR="10.0.1.1")
        self.fail_unlocks(api_client, second, 2, REMOTE_ADDR="10.0.1.1")

        assert_throttled(self.unlock(api_client, third, self.PASSWORD, REMOTE_ADDR="10.0.1.1"))
        response = self.unlock(api_client, third, self.PASSWORD, REMOTE_ADDR="10.0.1.2")
        assert response.status_code == HTTPStatus.OK

    def test_right_passwords_are_never_counted(self, api_client, album_links, rates):
        rates(share_unlock="2/15m", share_unlock_ip="2/15m")
        (token,) = album_links()

        statuses = {self.unlock(api_client, token, self.PASSWORD).status_code for _ in range(5)}

        assert statuses == {HTTPStatus.OK}

    def test_wrong_link_passwords_leave_the_address_login_allowance_alone(
        self, api_client, user, album_links
    ):
        (token,) = album_links()
        self.fail_unlocks(api_client, token, 10, REMOTE_ADDR="10.0.1.1")

        assert login(api_client, REMOTE_ADDR="10.0.1.1").status_code == HTTPStatus.OK

    def test_failed_logins_leave_the_address_unlock_allowance_alone(
        self, api_client, user, album_links
    ):
        (token,) = album_links()
        for username in ("carol", "dave"):
            fail_logins(api_client, 5, username=username, REMOTE_ADDR="10.0.1.1")

        response = self.unlock(api_client, token, self.PASSWORD, REMOTE_ADDR="10.0.1.1")

        assert response.status_code == HTTPStatus.OK

    def test_the_share_page_form_counts_the_same_way(self, album_links):
        (token,) = album_links()
        page = reverse("share", kwargs={"token": token})
        browser = Client()
        for n in range(12):
            wrong = browser.post(page, {"password": f"guess {n}"}, REMOTE_ADDR=f"10.0.1.{n}")
            assert wrong.status_code == HTTPStatus.UNAUTHORIZED
        for _ in range(10):
            browser.post(page, {"password": "guess"}, REMOTE_ADDR="10.0.3.1")

        locked = browser.post(page, {"password": self.PASSWORD}, REMOTE_ADDR="10.0.3.1")
        unlocked = browser.post(page, {"password": self.PASSWORD}, REMOTE_ADDR="10.0.2.1")

        assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert unlocked.status_code == HTTPStatus.FOUND
