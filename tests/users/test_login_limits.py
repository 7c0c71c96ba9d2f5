"""One failed-login limit for every way to present a password, and one fold for usernames (#9).

The API token endpoint, the browsable API's login form, the admin's login form and the
password change all draw on the same counters (per canonical username, per address). A
username is compared in its canonical form (NFKC, case-folded) everywhere: lookups,
uniqueness and the counters.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.parallel import in_parallel_n
from users.models import User

WRONG = "not-the-password"


def token_login(client, username: str, password: str = DEFAULT_PASSWORD, **extra: str):
    return client.post(reverse("auth-token"), {"username": username, "password": password}, **extra)


def fail_api_logins(client, username: str, count: int, **extra: str) -> None:
    for _ in range(count):
        response = token_login(client, username, WRONG, **extra)
        assert response.status_code == HTTPStatus.UNAUTHORIZED


def form_login(client, path: str, username: str, password: str = DEFAULT_PASSWORD):
    client.get(path)  # the CSRF cookie
    return client.post(
        path,
        {"username": username, "password": password, "next": "/api/v1/images/"},
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


def has_api_session(client) -> bool:
    return client.get(reverse("users-me")).status_code == HTTPStatus.OK


@pytest.fixture
def form_client():
    """A browser: form posts, cookies, CSRF enforced."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
class TestBrowserLoginForm:
    """#1: the browsable API's login form shares the API's counters."""

    def test_after_ten_api_failures_the_form_refuses_the_right_password(
        self, api_client, form_client, user
    ):
        fail_api_logins(api_client, "alice", 10)

        response = form_login(form_client, reverse("rest_framework:login"), "alice")

        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert int(response["Retry-After"]) >= 1
        assert b"Too many failed logins" in response.content
        assert not has_api_session(form_client)

    def test_form_failures_lock_the_api_login(self, api_client, form_client, user):
        for _ in range(10):
            response = form_login(form_client, reverse("rest_framework:login"), "alice", WRONG)
            assert response.status_code == HTTPStatus.OK  # the form again, with its error

        assert token_login(api_client, "alice").status_code == HTTPStatus.TOO_MANY_REQUESTS

    def test_the_right_password_on_the_form_gives_a_working_session(self, form_client, user):
        response = form_login(form_client, reverse("rest_framework:login"), "alice")

        assert response.status_code == HTTPStatus.FOUND
        assert has_api_session(form_client)


@pytest.mark.django_db
class TestAdminLoginForm:
    """#1: the admin's login form shares them too, and is mounted only where enabled."""

    def test_after_ten_api_failures_the_admin_refuses_a_superuser(self, api_client, form_client):
        UserFactory(username="root", is_staff=True, is_superuser=True)
        fail_api_logins(api_client, "root", 10)

        response = form_login(form_client, reverse("admin:login"), "root")

        assert response.status_code == HTTPStatus.OK
        assert b"Too many failed logins" in response.content
        assert form_client.get(reverse("admin:index")).status_code == HTTPStatus.FOUND

    def test_admin_is_not_mounted_without_its_url(self, tmp_path):
        import subprocess
        import sys

        code = (
            "import django; django.setup();"
            "from django.urls import resolve, Resolver404\n"
            "try:\n    resolve('/admin/'); print('mounted')\n"
            "except Resolver404:\n    print('absent')"
        )
        env = {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "atelier.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "PATH": "/usr/bin:/bin",
        }
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "absent"
        env["ATELIER_ADMIN_URL"] = "backstage-7f3a/"
        code = code.replace("/admin/", "/backstage-7f3a/")
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "mounted"


@pytest.mark.django_db
class TestPasswordChange:
    """A stolen access token cannot guess the current password past the same limit."""

    def test_wrong_current_passwords_count_and_then_lock(self, auth_client, api_client):
        url = reverse("users-me-password")
        for _ in range(10):
            response = auth_client.post(
                url, {"old_password": WRONG, "new_password": "another-long-phrase-77"}
            )
            assert response.status_code == HTTPStatus.BAD_REQUEST

        locked = auth_client.post(
            url, {"old_password": DEFAULT_PASSWORD, "new_password": "another-long-phrase-77"}
        )

        assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert token_login(api_client, "alice").status_code == HTTPStatus.TOO_MANY_REQUESTS


@pytest.mark.django_db
class TestCanonicalUsernames:
    """#3 and #4: one fold (NFKC + case folding) for lookups, uniqueness and counters."""

    def test_a_spelling_that_folds_to_the_name_logs_in_and_shares_its_counter(self, api_client):
        UserFactory(username="sis1d1bd")
        # U+017F LATIN SMALL LETTER LONG S folds to "s".
        assert token_login(api_client, "ſis1d1bd").status_code == HTTPStatus.OK
        fail_api_logins(api_client, "ſIS1D1BD", 10)

        assert token_login(api_client, "sis1d1bd").status_code == HTTPStatus.TOO_MANY_REQUESTS

    def test_a_look_alike_that_does_not_fold_to_the_name_is_another_name(self, api_client):
        UserFactory(username="sis1d1bd")
        # U+0131 LATIN SMALL LETTER DOTLESS I does not fold to "i".
        assert token_login(api_client, "sıs1d1bd").status_code == HTTPStatus.UNAUTHORIZED
        # From another address, so that only the username counters are in play.
        fail_api_logins(api_client, "sıs1d1bd", 9, REMOTE_ADDR="10.9.9.9")

        assert token_login(api_client, "sis1d1bd").status_code == HTTPStatus.OK

    def test_a_mathematical_look_alike_registers_without_locking_the_original_out(self, api_client):
        UserFactory(username="bill8108")
        response = api_client.post(
            reverse("auth-register"),
            {
                "username": "b\U0001d6a4ll8108",
                "email": "other@example.com",
                "password": "plum-kettle-orbit-1987",
            },
        )
        assert response.status_code == HTTPStatus.CREATED, response.content

        assert token_login(api_client, "bill8108").status_code == HTTPStatus.OK
        assert token_login(api_client, "b\U0001d6a4ll8108").status_code == HTTPStatus.UNAUTHORIZED

    @pytest.mark.parametrize(
        ("first", "second"),
        [("émile", "ÉMILE"), ("straße", "STRASSE"), ("ﬀoo", "FFOO"), ("ǅemal", "ǆEMAL")],
    )
    def test_a_name_that_folds_to_a_taken_one_is_a_400(self, api_client, first, second):
        payload = {"email": "a@example.com", "password": "plum-kettle-orbit-1987"}
        assert (
            api_client.post(reverse("auth-register"), {**payload, "username": first}).status_code
            == HTTPStatus.CREATED
        )

        response = api_client.post(
            reverse("auth-register"),
            {**payload, "username": second, "email": "b@example.com"},
        )

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["username"] == ["A user with that username already exists."]
        assert token_login(api_client, second, "plum-kettle-orbit-1987").status_code == (
            HTTPStatus.OK
        )

    def test_an_email_that_folds_to_a_taken_one_is_a_400(self, api_client):
        UserFactory(username="emile", email="émile@example.com")
        response = api_client.post(
            reverse("auth-register"),
            {"username": "other", "email": "ÉMILE@EXAMPLE.COM", "password": "plum-kettle-or-19"},
        )

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "email" in response.json()

    def test_canonical_columns_follow_a_rename(self, user):
        user.username = "ALİCE-2"
        user.save(update_fields=["username"])

        assert User.objects.get(pk=user.pk).username_canonical == "ali̇ce-2"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentGuesses:
    """#2: the attempt is reserved before the password is checked, atomically."""

    def test_forty_parallel_guesses_try_at_most_the_limit(self):
        if connection.vendor != "postgresql":
            pytest.skip("real parallel requests are tested on PostgreSQL")
        UserFactory(username="target")

        statuses = in_parallel_n(
            40, lambda i: token_login(APIClient(), "target", f"guess-{i}").status_code
        )

        assert statuses.count(HTTPStatus.UNAUTHORIZED) == 10
        assert statuses.count(HTTPStatus.TOO_MANY_REQUESTS) == 30
