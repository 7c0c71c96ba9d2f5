"""The caller's own account over HTTP: read it, change its email or password, delete it."""

from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from images.models import Image
from tests.conftest import field_errors
from tests.factories import DEFAULT_PASSWORD
from users.models import User

NEW_PASSWORD = "plum-kettle-orbit-1987"
PROFILE_FIELDS = {"id", "username", "email", "date_joined", "quota"}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def login(client: APIClient, password: str = DEFAULT_PASSWORD):
    return client.post(reverse("auth-token"), {"username": "alice", "password": password})


def change_password(client: APIClient, old: str = DEFAULT_PASSWORD, new: str = NEW_PASSWORD):
    return client.post(reverse("users-me-password"), {"old_password": old, "new_password": new})


@pytest.fixture
def tokens(api_client: APIClient, user: User) -> dict[str, str]:
    """An access and refresh token for ``user``, from the token endpoint."""
    response = login(api_client)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


@pytest.mark.django_db
class TestMeViewSetAnonymous:
    @pytest.mark.parametrize(
        ("method", "name"),
        [
            ("get", "users-me"),
            ("patch", "users-me"),
            ("post", "users-me-delete"),
            ("post", "users-me-password"),
        ],
    )
    def test_anonymous_caller_gets_401_with_a_bearer_challenge(
        self, api_client, user, method, name
    ):
        response = getattr(api_client, method)(reverse(name), {})

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
class TestMeViewSetRetrieve:
    def test_returns_the_callers_profile_and_quota(self, auth_client, user):
        response = auth_client.get(reverse("users-me"))

        assert response.status_code == HTTPStatus.OK
        body = response.json()
        assert set(body) == PROFILE_FIELDS
        assert body["id"] == str(user.pk)
        assert body["username"] == "alice"
        assert body["email"] == "alice@example.com"
        assert body["quota"] == {
            "bytes_used": 0,
            "bytes_limit": settings.ATELIER["QUOTA_BYTES"],
            "images_used": 0,
            "images_limit": settings.ATELIER["QUOTA_IMAGES"],
            "trash_bytes": 0,
            "trash_images": 0,
        }

    def test_each_caller_sees_only_their_own_account(self, auth_client, other_client, other_user):
        response = other_client.get(reverse("users-me"))

        assert response.json()["id"] == str(other_user.pk)
        assert response.json()["username"] == "mallory"

    def test_quota_counts_the_callers_images(self, auth_client, upload):
        upload()

        quota = auth_client.get(reverse("users-me")).json()["quota"]

        assert quota["images_used"] == 1
        assert quota["bytes_used"] == sum(Image.objects.values_list("stored_bytes", flat=True))
        assert quota["bytes_used"] > 0

    def test_quota_shows_a_per_user_override(self, auth_client, user):
        User.objects.filter(pk=user.pk).update(quota_bytes=1000, quota_images=3)

        quota = auth_client.get(reverse("users-me")).json()["quota"]

        assert quota["bytes_limit"] == 1000
        assert quota["images_limit"] == 3


@pytest.mark.django_db
class TestMeViewSetPartialUpdate:
    def test_changes_the_email(self, auth_client, user):
        response = auth_client.patch(reverse("users-me"), {"email": "alice@new.example"})

        assert response.status_code == HTTPStatus.OK, response.content
        assert response.json()["email"] == "alice@new.example"
        assert set(response.json()) == PROFILE_FIELDS
        user.refresh_from_db()
        assert user.email == "alice@new.example"

    def test_email_of_another_account_in_another_case_is_400(self, auth_client, user, other_user):
        response = auth_client.patch(reverse("users-me"), {"email": "MALLORY@Example.COM"})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "email": ["A user with that email already exists."]
        }
        user.refresh_from_db()
        assert user.email == "alice@example.com"

    def test_own_email_in_another_case_is_allowed(self, auth_client, user):
        response = auth_client.patch(reverse("users-me"), {"email": "Alice@Example.com"})

        assert response.status_code == HTTPStatus.OK, response.content
        assert response.json()["email"] == "Alice@Example.com"

    def test_invalid_email_is_400(self, auth_client, user):
        response = auth_client.patch(reverse("users-me"), {"email": "not-an-email"})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {"email": ["Enter a valid email address."]}

    def test_username_and_id_cannot_be_changed(self, auth_client, user, other_user):
        response = auth_client.patch(
            reverse("users-me"), {"username": "eve", "id": str(other_user.pk)}
        )

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "username": ["This field is read-only."],
            "id": ["This field is read-only."],
        }
        user.refresh_from_db()
        assert user.username == "alice"


def delete_account(client: APIClient, password: str | None = DEFAULT_PASSWORD):
    body = {} if password is None else {"password": password}
    return client.post(reverse("users-me-delete"), body)


@pytest.mark.django_db
class TestMeViewSetDelete:
    def test_deletes_the_account_and_its_token_then_gets_401(self, api_client, user, tokens):
        client = bearer(tokens["access"])

        response = delete_account(client)

        assert response.status_code == HTTPStatus.NO_CONTENT
        assert response.content == b""
        assert not User.objects.filter(pk=user.pk).exists()
        after = client.get(reverse("users-me"))
        assert after.status_code == HTTPStatus.UNAUTHORIZED
        assert after.json()["code"] == "user_not_found"

    def test_a_bare_access_token_deletes_nothing(self, auth_client, user):
        # Found by attack (#18): ten minutes of a stolen access token deleted everything.
        without_password = delete_account(auth_client, password=None)
        old_door = auth_client.delete(reverse("users-me"))

        assert without_password.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(without_password.json()) == {"password": ["This field is required."]}
        assert old_door.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert old_door.json()["code"] == "method_not_allowed"
        assert User.objects.filter(pk=user.pk).exists()

    def test_a_wrong_password_is_400_on_the_field_and_deletes_nothing(self, auth_client, user):
        response = delete_account(auth_client, password="not-the-password")

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {"password": ["The password is not correct."]}
        assert User.objects.filter(pk=user.pk).exists()
        assert auth_client.get(reverse("users-me")).status_code == HTTPStatus.OK

    def test_wrong_passwords_count_as_failed_logins(self, auth_client, api_client, user):
        for _ in range(10):
            response = delete_account(auth_client, password="not-the-password")
            assert response.status_code == HTTPStatus.BAD_REQUEST

        assert login(api_client).status_code == HTTPStatus.TOO_MANY_REQUESTS
        locked = delete_account(auth_client)
        assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert int(locked["Retry-After"]) >= 1
        assert User.objects.filter(pk=user.pk).exists()

    def test_the_deleted_account_can_no_longer_log_in(self, api_client, user, auth_client):
        delete_account(auth_client)

        response = login(api_client)

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert "access" not in response.json()

    def test_deletes_the_accounts_images_and_files(
        self, auth_client, upload, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        upload()

        # Files go only once the deletion commits; the test transaction never does on its own.
        with django_capture_on_commit_callbacks(execute=True):
            response = delete_account(auth_client)

        assert response.status_code == HTTPStatus.NO_CONTENT
        assert not Image.objects.exists()
        assert_storage_consistent()

    def test_other_accounts_are_untouched(self, auth_client, other_client, other_user):
        delete_account(auth_client)

        assert User.objects.filter(pk=other_user.pk).exists()
        assert other_client.get(reverse("users-me")).status_code == HTTPStatus.OK


@pytest.mark.django_db
class TestMeViewSetPassword:
    def test_change_returns_a_fresh_pair_that_works(self, user, tokens):
        response = change_password(bearer(tokens["access"]))

        assert response.status_code == HTTPStatus.OK, response.content
        pair = response.json()
        assert set(pair) == {"access", "refresh"}
        assert bearer(pair["access"]).get(reverse("users-me")).status_code == HTTPStatus.OK
        refreshed = APIClient().post(reverse("auth-token-refresh"), {"refresh": pair["refresh"]})
        assert refreshed.status_code == HTTPStatus.OK
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)

    def test_old_access_and_refresh_tokens_stop_working(self, api_client, tokens):
        change_password(bearer(tokens["access"]))

        old_access = bearer(tokens["access"]).get(reverse("users-me"))
        old_refresh = api_client.post(reverse("auth-token-refresh"), {"refresh": tokens["refresh"]})

        assert old_access.status_code == HTTPStatus.UNAUTHORIZED
        assert old_access.json()["code"] == "password_changed"
        assert old_refresh.status_code == HTTPStatus.UNAUTHORIZED
        assert "access" not in old_refresh.json()

    def test_tokens_of_other_sessions_are_revoked_too(self, api_client, user, tokens):
        other_session = login(api_client).json()

        change_password(bearer(tokens["access"]))

        assert (
            bearer(other_session["access"]).get(reverse("users-me")).status_code
            == HTTPStatus.UNAUTHORIZED
        )
        refreshed = api_client.post(
            reverse("auth-token-refresh"), {"refresh": other_session["refresh"]}
        )
        assert refreshed.status_code == HTTPStatus.UNAUTHORIZED

    def test_the_old_password_no_longer_logs_in(self, api_client, auth_client):
        change_password(auth_client)

        old = login(api_client)
        new = login(api_client, NEW_PASSWORD)

        assert old.status_code == HTTPStatus.UNAUTHORIZED
        assert new.status_code == HTTPStatus.OK

    def test_wrong_old_password_is_400_and_changes_nothing(self, auth_client, user):
        response = change_password(auth_client, old="not-the-password")

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "old_password": ["The current password is not correct."]
        }
        user.refresh_from_db()
        assert user.check_password(DEFAULT_PASSWORD)
        assert auth_client.get(reverse("users-me")).status_code == HTTPStatus.OK

    @pytest.mark.parametrize(
        ("new", "message"),
        [
            ("password123", "This password is too common."),
            ("Xy7!", "This password is too short. It must contain at least 8 characters."),
            ("alice2024", "The password is too similar to the username."),
        ],
    )
    def test_weak_new_password_is_400_and_changes_nothing(self, auth_client, user, new, message):
        response = change_password(auth_client, new=new)

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert message in response.json()["new_password"]
        user.refresh_from_db()
        assert user.check_password(DEFAULT_PASSWORD)

    def test_missing_fields_are_400(self, auth_client):
        response = auth_client.post(reverse("users-me-password"), {})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field_errors(response.json()) == {
            "old_password": ["This field is required."],
            "new_password": ["This field is required."],
        }


@pytest.mark.django_db
class TestPasswordChangeHint:
    """The account page says what a password change ends, and only that (#18)."""

    def test_share_links_keep_working_as_the_account_page_says(self, auth_client, user):
        album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
        share = auth_client.post(reverse("share-list"), {"album": album["id"]}, format="json")
        link = reverse("share", kwargs={"token": share.json()["token"]})
        browser = Client()
        browser.force_login(user)

        page = browser.get(reverse("account")).content.decode()
        changed = browser.post(
            reverse("account"),
            {"action": "password", "old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
            follow=True,
        )

        assert "Share links keep working" in page
        assert "stop working" not in page
        assert changed.status_code == HTTPStatus.OK
        assert "stop working" not in changed.content.decode()
        assert Client().get(link).status_code == HTTPStatus.OK
