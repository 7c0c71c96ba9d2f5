"""The locked folder's pages (/locked/, /locked/<id>/) through Django's test client.

Every kind of caller: the owner without an elevation (the password prompt, never a
thumbnail), with one (the pictures, by the locked list's signed URLs), with an expired one
or one made before a password change (asked again), another account (404, as if missing),
anonymous (sent to log in). A locked picture appears on no other page: the gallery, its
album's page, a share's page, its own picture page (404).
"""

import time
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from images import access, locked
from images.models import Image
from tests.factories import DEFAULT_PASSWORD
from tests.web.test_pages import assert_strict_page, logged_in, main_of, parse
from users import services as user_services
from users.elevation import elevation_make
from users.models import User
from web.locked_pages import SESSION_KEY

pytestmark = pytest.mark.django_db

OK, FOUND, NOT_FOUND = HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.NOT_FOUND
PROMPT = b"Open the locked folder</button>"


def _lock(auth_client, *ids: str) -> None:
    response = auth_client.post(reverse("images-lock"), {"image_ids": list(ids)}, format="json")
    assert response.status_code == OK, response.content
    assert {row["result"] for row in response.json()["results"]} == {"locked"}


def _folder() -> str:
    return reverse("locked-folder")


def _picture(image: dict) -> str:
    return reverse("locked-picture", kwargs={"image_id": image["id"]})


def _elevate(client: Client, password: str = DEFAULT_PASSWORD, url: str | None = None):
    return client.post(url or _folder(), {"password": password})


def _local(url: str) -> str:
    parts = urlsplit(url.replace("&amp;", "&"))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _signed_sources(response) -> list[str]:
    """The page's image sources that are the locked list's signed URLs."""
    sources = [img.get("src") or "" for img in parse(response).images]
    return [src for src in sources if "/api/v1/locked/" in src]


def _signed_thumbnails(response) -> list[str]:
    return [src for src in _signed_sources(response) if "/thumbnail/" in src]


@pytest.fixture
def pictures(auth_client, upload) -> dict:
    """Alice's ``hidden`` picture, locked, and ``kept``, not."""
    kept = upload(title="Kept in sight")
    hidden = upload(title="Hidden away")
    _lock(auth_client, hidden["id"])
    return {"hidden": hidden, "kept": kept}


@pytest.fixture
def owner(user: User) -> Client:
    return logged_in(user)


@pytest.fixture
def elevated(owner: Client) -> Client:
    response = _elevate(owner)
    assert response.status_code == FOUND
    return owner


class TestAnonymous:
    def test_is_sent_to_log_in(self, pictures):
        for url in (_folder(), _picture(pictures["hidden"])):
            response = Client().get(url)
            assert response.status_code == FOUND
            assert response["Location"] == f"{reverse('login')}?next={url}"

    def test_a_posted_password_is_sent_to_log_in(self, pictures):
        response = Client().post(_folder(), {"password": DEFAULT_PASSWORD})
        assert response.status_code == FOUND
        assert response["Location"].startswith(reverse("login"))


class TestOwnerWithoutElevation:
    def test_the_folder_asks_for_the_password_and_shows_nothing(self, owner, pictures):
        response = owner.get(_folder())
        assert response.status_code == OK
        assert PROMPT in response.content
        assert b"Hidden away" not in response.content
        assert pictures["hidden"]["id"].encode() not in response.content
        assert b"/api/v1/locked/" not in response.content
        assert_strict_page(response)
        assert "no-store" in response["Cache-Control"]

    def test_a_locked_picture_s_page_asks_too(self, owner, pictures):
        response = owner.get(_picture(pictures["hidden"]))
        assert response.status_code == OK
        assert PROMPT in response.content
        assert b"Hidden away" not in response.content
        assert b"/api/v1/locked/" not in response.content

    def test_moving_out_is_refused_without_the_password(self, owner, pictures):
        response = owner.post(_picture(pictures["hidden"]), {"action": "unlock"})
        assert PROMPT in response.content
        assert Image.objects.get(pk=pictures["hidden"]["id"]).locked_at is not None

    def test_the_unlock_service_refuses_a_principal_not_elevated(self, user, pictures):
        with pytest.raises(locked.ElevationRequired):
            locked.images_unlock_elevated(
                principal=access.Owner(user=user), image_ids=[pictures["hidden"]["id"]]
            )
        assert Image.objects.get(pk=pictures["hidden"]["id"]).locked_at is not None

    def test_a_wrong_password_says_so_and_opens_nothing(self, owner, pictures):
        response = _elevate(owner, "not my password")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert b"The password is not correct." in response.content
        assert b'aria-invalid="true"' in response.content
        assert SESSION_KEY not in owner.session
        assert b"/api/v1/locked/" not in response.content

    def test_too_many_wrong_passwords_are_refused_for_a_while(self, owner, pictures):
        statuses = [_elevate(owner, "guess").status_code for _ in range(12)]
        assert HTTPStatus.TOO_MANY_REQUESTS in statuses
        refused = _elevate(owner)  # even the right one, while locked
        assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert b"Too many wrong passwords" in refused.content
        assert SESSION_KEY not in owner.session

    def test_a_picture_not_locked_or_missing_is_404(self, owner, pictures):
        for image_id in (pictures["kept"]["id"], "00000000-0000-4000-8000-000000000001"):
            response = owner.get(reverse("locked-picture", kwargs={"image_id": image_id}))
            assert response.status_code == NOT_FOUND


class TestOwnerElevated:
    def test_the_password_opens_the_folder_with_its_signed_thumbnails(self, owner, pictures):
        response = _elevate(owner)
        assert response.status_code == FOUND
        assert response["Location"] == _folder()
        page = owner.get(_folder())
        assert page.status_code == OK
        assert_strict_page(page)
        assert b"Hidden away" in page.content
        assert b"Kept in sight" not in page.content
        thumbnails = _signed_thumbnails(page)
        assert len(thumbnails) == 1
        assert pictures["hidden"]["id"] in thumbnails[0]
        # The signed URL alone serves it (an <img> sends no header), and never for long.
        served = Client().get(_local(thumbnails[0]))
        assert served.status_code == OK
        assert served["Cache-Control"] == "private, no-store"
        assert _picture(pictures["hidden"]).encode() in page.content

    def test_the_elevation_stays_on_the_server(self, elevated, pictures):
        token = elevated.session[SESSION_KEY]["token"]
        for url in (_folder(), _picture(pictures["hidden"])):
            response = elevated.get(url)
            assert token.encode() not in response.content
            assert "no-store" in response["Cache-Control"]
        # The session, not the API: a session-authenticated API call is not elevated by it.
        api = elevated.get(reverse("locked-list"))
        assert api.status_code == HTTPStatus.FORBIDDEN
        assert api.json()["code"] == "elevation_required"

    def test_the_picture_opens_large(self, elevated, pictures):
        response = elevated.get(_picture(pictures["hidden"]))
        assert response.status_code == OK
        assert_strict_page(response)
        body = main_of(response)
        assert "Move out of the locked folder" in body
        previews = _signed_sources(response)
        assert len(previews) == 1 and "/preview/" in previews[0]
        assert Client().get(_local(previews[0])).status_code == OK

    def test_asked_from_a_picture_s_page_the_password_comes_back_to_it(self, owner, pictures):
        url = _picture(pictures["hidden"])
        response = _elevate(owner, url=url)
        assert response.status_code == FOUND
        assert response["Location"] == url
        assert b"Hidden away" in owner.get(url).content

    def test_moving_out_brings_it_back_to_the_gallery(self, elevated, pictures):
        hidden = pictures["hidden"]
        response = elevated.post(_picture(hidden), {"action": "unlock"})
        assert response.status_code == FOUND
        assert response["Location"] == reverse("image", kwargs={"image_id": hidden["id"]})
        assert Image.objects.get(pk=hidden["id"]).locked_at is None
        page = elevated.get(response["Location"])
        assert page.status_code == OK
        assert b"Moved out of the locked folder" in page.content
        assert hidden["id"].encode() in elevated.get(reverse("home")).content
        assert elevated.get(_picture(hidden)).status_code == NOT_FOUND
        assert hidden["id"].encode() not in elevated.get(_folder()).content

    def test_locking_it_again_now_ends_the_elevation(self, elevated, pictures):
        response = elevated.post(_folder(), {"action": "leave"})
        assert response.status_code == FOUND
        assert SESSION_KEY not in elevated.session
        assert PROMPT in elevated.get(_folder()).content

    def test_logging_out_ends_the_elevation(self, user, elevated, pictures):
        elevated.post(reverse("logout"))
        elevated.force_login(user)
        assert SESSION_KEY not in elevated.session
        assert PROMPT in elevated.get(_folder()).content

    def test_the_session_key_changes_with_the_elevation(self, owner, pictures):
        before = owner.session.session_key
        _elevate(owner)
        assert owner.session.session_key != before


class TestOwnerWithAnElevationThatEnded:
    def test_an_expired_elevation_asks_again_and_is_dropped(self, owner, user, pictures):
        token, expires = elevation_make(user=user, now=time.time() - 400)
        session = owner.session
        session[SESSION_KEY] = {"token": token, "expires": expires}
        session.save()
        for url in (_folder(), _picture(pictures["hidden"])):
            response = owner.get(url)
            assert response.status_code == OK
            assert PROMPT in response.content
            assert b"/api/v1/locked/" not in response.content
        assert SESSION_KEY not in owner.session

    def test_a_password_change_ends_it(self, elevated, user, pictures):
        kept = elevated.session[SESSION_KEY]
        user_services.user_password_change(user=user, new_password="a n0ther Passw0rd!")
        user.refresh_from_db()
        elevated.force_login(user)  # the password change logged the old session out
        session = elevated.session
        session[SESSION_KEY] = kept  # the elevation made under the old password
        session.save()
        assert PROMPT in elevated.get(_folder()).content
        assert SESSION_KEY not in elevated.session

    def test_an_elevation_of_another_account_opens_nothing(self, owner, other_user, pictures):
        token, expires = elevation_make(user=other_user)
        session = owner.session
        session[SESSION_KEY] = {"token": token, "expires": expires}
        session.save()
        assert PROMPT in owner.get(_folder()).content


class TestAnotherAccount:
    def test_my_locked_picture_is_missing_to_them_before_and_after_their_password(
        self, other_user, pictures
    ):
        intruder = logged_in(other_user)
        url = _picture(pictures["hidden"])
        for _ in range(2):
            response = intruder.get(url)
            assert response.status_code == NOT_FOUND
            assert b"Nothing here" in response.content
            assert b"Hidden away" not in response.content
            response = intruder.post(url, {"action": "unlock"})
            assert response.status_code == NOT_FOUND
            assert _elevate(intruder).status_code == FOUND  # their own password, their folder
        assert Image.objects.get(pk=pictures["hidden"]["id"]).locked_at is not None

    def test_their_folder_holds_none_of_mine(self, other_user, pictures):
        intruder = logged_in(other_user)
        _elevate(intruder)
        response = intruder.get(_folder())
        assert response.status_code == OK
        assert b"Nothing locked" in response.content
        assert pictures["hidden"]["id"].encode() not in response.content


class TestNowhereElse:
    def test_a_locked_picture_is_on_no_other_page(self, owner, auth_client, upload):
        hidden = upload(title="Hidden away")
        kept = upload(title="Kept in sight")
        album = auth_client.post(reverse("album-list"), {"title": "Summer"}, format="json").json()
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [hidden["id"], kept["id"]]},
            format="json",
        )
        album_link = auth_client.post(
            reverse("share-list"), {"album": album["id"]}, format="json"
        ).json()
        list_link = auth_client.post(
            reverse("share-list"), {"image_ids": [hidden["id"], kept["id"]]}, format="json"
        ).json()
        _lock(auth_client, hidden["id"])
        _elevate(owner)  # elevated or not, the other pages leave it out
        pages = {
            "gallery": owner.get(reverse("home")),
            "album": owner.get(reverse("album", kwargs={"album_id": album["id"]})),
            "albums": owner.get(reverse("albums")),
            "album share": Client().get(reverse("share", kwargs={"token": album_link["token"]})),
            "list share": Client().get(reverse("share", kwargs={"token": list_link["token"]})),
        }
        for name, response in pages.items():
            assert response.status_code == OK, name
            assert hidden["id"].encode() not in response.content, name
            assert b"Hidden away" not in response.content, name
        for name in ("gallery", "album", "album share", "list share"):
            assert kept["id"].encode() in pages[name].content, name
        picture_page = owner.get(reverse("image", kwargs={"image_id": hidden["id"]}))
        assert picture_page.status_code == NOT_FOUND
        shared = Client().get(
            reverse("share-image", kwargs={"token": list_link["token"], "image_id": hidden["id"]})
        )
        assert shared.status_code == NOT_FOUND


class TestImagePage:
    def test_offers_to_move_the_picture_into_the_locked_folder(self, owner, pictures):
        response = owner.get(reverse("image", kwargs={"image_id": pictures["kept"]["id"]}))
        body = main_of(response)
        assert f'data-api="{reverse("images-lock")}"' in body
        assert "Move to locked folder" in body
        assert 'data-done-text="Moved to the locked folder."' in body


class TestQueries:
    def test_the_folder_page_takes_constant_queries(
        self, elevated, auth_client, upload, django_assert_max_num_queries
    ):
        _lock(auth_client, upload()["id"])
        with django_assert_max_num_queries(20) as one:
            response = elevated.get(_folder())
        assert len(_signed_thumbnails(response)) == 1
        for_one = len(one)
        _lock(auth_client, *[upload(name=f"p{i}.jpg")["id"] for i in range(4)])
        with django_assert_max_num_queries(for_one):
            response = elevated.get(_folder())
        assert len(_signed_thumbnails(response)) == 5
