"""The locked folder: a locked picture vanishes from every read path, and is listed and served
only to its owner with an elevation (the password given again), never to anyone else.

Callers: the owner (a token, a session), the owner elevated, with an expired elevation or
another account's, a signed URL of the gallery made before locking and one of the locked
list, a link's visitor, an album's member, another account and anonymous.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images import access, selectors, trash
from images.errors import ImageNotFound
from images.models import AlbumImage, AlbumMember, Image
from tests.factories import DEFAULT_PASSWORD, image_bytes
from users.elevation import elevation_make

pytestmark = pytest.mark.django_db

OK, FORBIDDEN = HTTPStatus.OK, HTTPStatus.FORBIDDEN
NOT_FOUND, UNAUTHORIZED = HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED
RENDITIONS = ("processed", "preview", "thumbnail", "original")
SIGNED = ("processed", "preview", "thumbnail")
MISSING = "00000000-0000-4000-8000-000000000001"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _elevated(token: str) -> dict[str, str]:
    return {"HTTP_X_ATELIER_ELEVATION": token}


def _lock(client: APIClient, *ids: str, route: str = "images-lock", **headers: str):
    return client.post(reverse(route), {"image_ids": list(ids)}, format="json", **headers)


def _results(response) -> list[tuple[str, str]]:
    assert response.status_code == OK, response.content
    return [(row["image_id"], row["result"]) for row in response.json()["results"]]


def _refused_for_elevation(response) -> None:
    assert response.status_code == FORBIDDEN, response.content
    assert response.json()["code"] == "elevation_required"


def _gallery_ids(client: APIClient, **params: str) -> list[str]:
    response = client.get(reverse("image-list"), params)
    assert response.status_code == OK, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def elevation(auth_client) -> str:
    response = auth_client.post(
        reverse("auth-reauth"), {"password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == OK, response.content
    return response.json()["elevation"]


@dataclass
class Folder:
    """Two pictures of the owner's, ``hidden`` then locked, ``kept`` not; ``signed`` the
    gallery's signed URLs of ``hidden`` handed out before it was locked."""

    hidden: dict
    kept: dict
    signed: dict


@pytest.fixture
def folder(auth_client, upload) -> Folder:
    kept = upload(image_bytes(color=(10, 200, 10)), title="kept")
    hidden = upload(image_bytes(color=(200, 10, 10)), title="hidden")
    assert _results(_lock(auth_client, hidden["id"])) == [(hidden["id"], "locked")]
    return Folder(hidden=hidden, kept=kept, signed=hidden["urls"])


# --- moving pictures in and out -------------------------------------------------------------------


class TestLockView:
    def test_results_per_id(self, auth_client, other_client, upload):
        mine, again = upload(), upload()
        theirs = upload(client=other_client)
        trashed = upload()
        auth_client.delete(reverse("image-detail", kwargs={"pk": trashed["id"]}))
        _lock(auth_client, again["id"])
        ids = [mine["id"], again["id"], theirs["id"], MISSING, trashed["id"], mine["id"]]
        assert _results(_lock(auth_client, *ids)) == [
            (mine["id"], "locked"),
            (again["id"], "already_locked"),
            (theirs["id"], "not_found"),
            (MISSING, "not_found"),
            (trashed["id"], "not_found"),
        ]
        assert Image.objects.get(pk=theirs["id"]).locked_at is None

    def test_at_most_500_ids(self, auth_client):
        response = _lock(auth_client, *[MISSING] * 501)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "image_ids" in response.json()

    def test_moving_in_needs_no_elevation_moving_out_does(self, auth_client, folder, elevation):
        hidden, kept = folder.hidden["id"], folder.kept["id"]
        _refused_for_elevation(_lock(auth_client, hidden, route="images-unlock"))
        assert Image.objects.get(pk=hidden).locked_at is not None
        response = _lock(
            auth_client, hidden, kept, MISSING, route="images-unlock", **_elevated(elevation)
        )
        assert _results(response) == [
            (hidden, "unlocked"),
            (kept, "not_locked"),
            (MISSING, "not_found"),
        ]
        assert _gallery_ids(auth_client) == [hidden, kept]

    def test_another_account_cannot_unlock_mine(self, other_client, folder):
        theirs = other_client.post(
            reverse("auth-reauth"), {"password": DEFAULT_PASSWORD}, format="json"
        ).json()["elevation"]
        response = _lock(
            other_client, folder.hidden["id"], route="images-unlock", **_elevated(theirs)
        )
        assert _results(response) == [(folder.hidden["id"], "not_found")]
        assert Image.objects.get(pk=folder.hidden["id"]).locked_at is not None

    @pytest.mark.parametrize("route", ["images-lock", "images-unlock"])
    def test_anonymous_is_401(self, api_client, folder, route):
        assert _lock(api_client, folder.hidden["id"], route=route).status_code == UNAUTHORIZED

    def test_the_quota_still_counts_a_locked_picture(self, auth_client, folder):
        quota = auth_client.get(reverse("users-me")).json()["quota"]
        assert quota["images_used"] == 2


# --- vanishing from every read path -------------------------------------------------------------


class TestVanishing:
    def test_out_of_the_gallery_list_and_its_search(self, auth_client, folder):
        assert _gallery_ids(auth_client) == [folder.kept["id"]]
        assert _gallery_ids(auth_client, search="hidden") == []

    def test_an_elevation_does_not_bring_it_back_to_the_gallery(
        self, auth_client, folder, elevation
    ):
        listed = auth_client.get(reverse("image-list"), **_elevated(elevation)).json()
        assert [row["id"] for row in listed["results"]] == [folder.kept["id"]]
        for name in ("detail", *RENDITIONS):
            url = reverse(f"image-{name}", kwargs={"pk": folder.hidden["id"]})
            assert auth_client.get(url, **_elevated(elevation)).status_code == NOT_FOUND, name

    def test_its_detail_is_404_like_a_missing_one(self, auth_client, folder):
        response = auth_client.get(reverse("image-detail", kwargs={"pk": folder.hidden["id"]}))
        missing = auth_client.get(reverse("image-detail", kwargs={"pk": MISSING}))
        assert response.status_code == NOT_FOUND
        assert response.json() == missing.json()

    @pytest.mark.parametrize("rendition", RENDITIONS)
    def test_each_rendition_is_404(self, auth_client, folder, rendition):
        url = reverse(f"image-{rendition}", kwargs={"pk": folder.hidden["id"]})
        assert auth_client.get(url).status_code == NOT_FOUND

    @pytest.mark.parametrize("rendition", SIGNED)
    def test_a_signed_url_made_before_locking_is_404(self, api_client, folder, rendition):
        assert api_client.get(_path(folder.signed[rendition])).status_code == NOT_FOUND

    def test_it_cannot_be_changed_trashed_or_deleted_until_unlocked(
        self, auth_client, user, folder
    ):
        detail = reverse("image-detail", kwargs={"pk": folder.hidden["id"]})
        assert auth_client.patch(detail, {"title": "x"}, format="json").status_code == NOT_FOUND
        assert auth_client.delete(detail).status_code == NOT_FOUND
        assert auth_client.delete(f"{detail}?permanent=true").status_code == NOT_FOUND
        with pytest.raises(ImageNotFound):
            trash.image_trash(owner=user, image_id=folder.hidden["id"])
        assert auth_client.get(reverse("trash-list")).json()["results"] == []
        assert Image.objects.filter(pk=folder.hidden["id"], trashed_at__isnull=True).exists()

    def test_out_of_the_owner_s_albums_their_counts_and_covers(self, auth_client, upload):
        kept, hidden = upload(), upload()
        album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
        images = reverse("album-images", kwargs={"pk": album["id"]})
        auth_client.put(images, {"image_ids": [kept["id"], hidden["id"]]}, format="json")
        detail = reverse("album-detail", kwargs={"pk": album["id"]})
        auth_client.patch(detail, {"cover_image": hidden["id"]}, format="json")
        assert auth_client.get(detail).json()["cover_image"] == hidden["id"]
        _lock(auth_client, hidden["id"])
        body = auth_client.get(detail).json()
        assert (body["image_count"], body["cover_image"]) == (1, kept["id"])
        assert _gallery_ids(auth_client, album=album["id"]) == [kept["id"]]
        listed = auth_client.get(reverse("album-list")).json()["results"]
        assert [(row["image_count"], row["cover_image"]) for row in listed] == [(1, kept["id"])]
        # Nor can it be added again, or be made the cover.
        again = auth_client.put(images, {"image_ids": [hidden["id"]]}, format="json")
        assert again.json()["results"] == [{"image_id": hidden["id"], "result": "not_found"}]
        cover = auth_client.patch(detail, {"cover_image": hidden["id"]}, format="json")
        assert cover.status_code == HTTPStatus.BAD_REQUEST
        # Unlocked, it is back where it was, its cover too.
        elevation = elevation_make(user=Image.objects.get(pk=hidden["id"]).owner)[0]
        _lock(auth_client, hidden["id"], route="images-unlock", **_elevated(elevation))
        body = auth_client.get(detail).json()
        assert (body["image_count"], body["cover_image"]) == (2, hidden["id"])

    def test_out_of_an_album_link_and_a_list_link_naming_it(self, auth_client, upload):
        kept, hidden = upload(), upload()
        album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [kept["id"], hidden["id"]]},
            format="json",
        )
        links = [
            auth_client.post(reverse("share-list"), body, format="json").json()
            for body in (
                {"album": album["id"], "allow_original": True},
                {"image_ids": [hidden["id"], kept["id"]], "allow_original": True},
            )
        ]
        visitor = APIClient()
        pages = [visitor.get(_path(link["api_url"])).json() for link in links]
        handed_out = {
            link["token"]: next(r for r in page["results"] if r["id"] == hidden["id"])["urls"]
            for link, page in zip(links, pages, strict=True)
        }
        _lock(auth_client, hidden["id"])
        for link in links:
            page = visitor.get(_path(link["api_url"])).json()
            assert [row["id"] for row in page["results"]] == [kept["id"]]
            for name, url in handed_out[link["token"]].items():
                if name != "expires_at":
                    assert visitor.get(_path(url)).status_code == NOT_FOUND, name
        # And no new link can name it.
        response = auth_client.post(
            reverse("share-list"), {"image_ids": [hidden["id"]]}, format="json"
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"] == "not_found"

    def test_out_of_the_member_scope(self, auth_client, user, other_user, upload):
        kept, hidden = upload(), upload()
        album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [kept["id"], hidden["id"]]},
            format="json",
        )
        AlbumMember.objects.create(
            album_id=album["id"], user=other_user, role="viewer", accepted_at=timezone.now()
        )
        _lock(auth_client, hidden["id"])
        for account in (user, other_user):
            member = access.member_principal(user=account, album_id=album["id"])
            assert member is not None
            visible = access.images_visible(principal=member)
            assert [str(pk) for pk in visible.values_list("pk", flat=True)] == [kept["id"]]
            image = Image.objects.get(pk=hidden["id"])
            for action in (access.Action.IMAGE_VIEW, access.Action.IMAGE_SAVE):
                assert not access.access_allows(principal=member, action=action, target=image)
            rendition = access.Rendition(image=image, name="thumbnail")
            assert not access.access_allows(
                principal=member, action=access.Action.RENDITION_VIEW, target=rendition
            )

    @pytest.mark.parametrize("role", ["viewer", "contributor", "editor"])
    def test_a_member_s_own_locked_picture_leaves_the_album_they_share(
        self, auth_client, user, other_user, other_client, upload, role
    ):
        album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
        AlbumMember.objects.create(
            album_id=album["id"], user=other_user, role=role, accepted_at=timezone.now()
        )
        theirs = upload(client=other_client)
        AlbumImage.objects.create(album_id=album["id"], image_id=theirs["id"])
        owner = access.member_principal(user=user, album_id=album["id"])
        assert access.images_visible(principal=owner).filter(pk=theirs["id"]).exists()
        assert _results(_lock(other_client, theirs["id"])) == [(theirs["id"], "locked")]
        image = Image.objects.get(pk=theirs["id"])
        for account in (user, other_user):
            member = access.member_principal(user=account, album_id=album["id"])
            assert not access.images_visible(principal=member).exists()
            assert not access.access_allows(
                principal=member, action=access.Action.IMAGE_VIEW, target=image
            )
        assert (
            auth_client.get(reverse("album-detail", kwargs={"pk": album["id"]})).json()[
                "image_count"
            ]
            == 0
        )

    def test_a_pending_invitee_and_a_removed_member_see_nothing_of_it(
        self, auth_client, other_user, folder
    ):
        album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
        AlbumImage.objects.create(album_id=album["id"], image_id=folder.hidden["id"])
        invitation = AlbumMember.objects.create(
            album_id=album["id"], user=other_user, role="editor"
        )
        assert access.member_principal(user=other_user, album_id=album["id"]) is None
        invitation.delete()  # removed
        assert access.member_principal(user=other_user, album_id=album["id"]) is None
        assert not access.images_visible(principal=None).exists()

    def test_out_of_the_owner_scope_unless_elevated(self, user, folder):
        plain = access.images_visible(principal=access.Owner(user=user))
        assert not plain.filter(pk=folder.hidden["id"]).exists()
        elevated = access.images_visible(principal=access.Owner(user=user, elevated=True))
        assert elevated.filter(pk=folder.hidden["id"]).exists()

    def test_skipped_by_a_picture_s_neighbours(self, auth_client, user, upload):
        first, middle, last = upload(), upload(), upload()
        _lock(auth_client, middle["id"])
        assert selectors.image_neighbours(owner=user, image_id=first["id"]) == (
            uuid.UUID(last["id"]),
            None,
        )
        assert selectors.image_neighbours(owner=user, image_id=last["id"]) == (
            None,
            uuid.UUID(first["id"]),
        )
        assert selectors.image_neighbours(owner=user, image_id=middle["id"]) == (None, None)

    def test_out_of_the_web_gallery_and_its_picture_page(self, user, folder):
        browser = Client()
        browser.force_login(user)
        gallery = browser.get(reverse("home"))
        assert gallery.status_code == OK
        assert folder.kept["id"] in gallery.content.decode()
        assert folder.hidden["id"] not in gallery.content.decode()
        page = browser.get(reverse("image", kwargs={"image_id": folder.hidden["id"]}))
        assert page.status_code == NOT_FOUND


# --- the locked folder itself -------------------------------------------------------------------


class TestLockedViewSet:
    def test_without_an_elevation_it_asks_for_one(self, auth_client, folder):
        hidden = folder.hidden["id"]
        _refused_for_elevation(auth_client.get(reverse("locked-list")))
        _refused_for_elevation(auth_client.get(reverse("locked-detail", kwargs={"pk": hidden})))
        for rendition in RENDITIONS:
            url = reverse(f"locked-{rendition}", kwargs={"pk": hidden})
            _refused_for_elevation(auth_client.get(url))

    def test_an_expired_elevation_is_refused(self, auth_client, user, folder):
        expired, _ = elevation_make(user=user, now=time.time() - 400)
        _refused_for_elevation(auth_client.get(reverse("locked-list"), **_elevated(expired)))

    def test_another_account_s_elevation_is_refused(self, auth_client, other_user, folder):
        theirs, _ = elevation_make(user=other_user)
        _refused_for_elevation(auth_client.get(reverse("locked-list"), **_elevated(theirs)))

    def test_elevated_the_owner_lists_and_opens_it(self, auth_client, folder, elevation):
        hidden = folder.hidden["id"]
        response = auth_client.get(reverse("locked-list"), **_elevated(elevation))
        assert response.status_code == OK, response.content
        [row] = response.json()["results"]
        assert (row["id"], row["title"]) == (hidden, "hidden")
        assert row["locked_at"] is not None
        detail = auth_client.get(
            reverse("locked-detail", kwargs={"pk": hidden}), **_elevated(elevation)
        )
        assert detail.status_code == OK
        assert detail.json()["id"] == hidden
        for rendition in RENDITIONS:
            url = reverse(f"locked-{rendition}", kwargs={"pk": hidden})
            response = auth_client.get(url, **_elevated(elevation))
            assert response.status_code == OK, (rendition, response.content)
            assert response["Cache-Control"] == "private, no-store"

    def test_a_picture_not_locked_is_not_in_it(self, auth_client, folder, elevation):
        url = reverse("locked-detail", kwargs={"pk": folder.kept["id"]})
        assert auth_client.get(url, **_elevated(elevation)).status_code == NOT_FOUND

    def test_its_signed_urls_live_as_long_as_the_elevation(self, auth_client, folder, elevation):
        [row] = auth_client.get(reverse("locked-list"), **_elevated(elevation)).json()["results"]
        urls = row["urls"]
        assert set(urls) == {*SIGNED, "expires_at"}
        ends = datetime.fromisoformat(urls["expires_at"].replace("Z", "+00:00"))
        assert ends.timestamp() <= time.time() + 301
        assert ends > datetime.now(UTC)
        for rendition in SIGNED:
            path = _path(urls[rendition])
            assert path.startswith(reverse(f"locked-{rendition}", kwargs={"pk": row["id"]}))
            response = APIClient().get(path)  # no token, no elevation: an <img src>
            assert response.status_code == OK, (rendition, response.content)
            assert response["Cache-Control"] == "private, no-store"

    def test_its_signed_urls_open_nothing_else(self, auth_client, folder, elevation):
        [row] = auth_client.get(reverse("locked-list"), **_elevated(elevation)).json()["results"]
        sig = urlsplit(row["urls"]["thumbnail"]).query
        visitor = APIClient()
        # Not another rendition, not the original, not the gallery's endpoint, not the list.
        for url in (
            reverse("locked-preview", kwargs={"pk": row["id"]}),
            reverse("image-thumbnail", kwargs={"pk": row["id"]}),
        ):
            assert visitor.get(f"{url}?{sig}").status_code == NOT_FOUND
        original = reverse("locked-original", kwargs={"pk": row["id"]})
        assert visitor.get(f"{original}?{sig}").status_code == UNAUTHORIZED
        assert visitor.get(f"{reverse('locked-list')}?{sig}").status_code == UNAUTHORIZED
        assert (
            visitor.get(f"{reverse('locked-detail', kwargs={'pk': row['id']})}?{sig}").status_code
            == UNAUTHORIZED
        )

    def test_its_signed_urls_end_when_the_picture_is_unlocked(self, auth_client, folder, elevation):
        [row] = auth_client.get(reverse("locked-list"), **_elevated(elevation)).json()["results"]
        _lock(auth_client, row["id"], route="images-unlock", **_elevated(elevation))
        assert APIClient().get(_path(row["urls"]["thumbnail"])).status_code == NOT_FOUND

    def test_a_gallery_signed_url_does_not_open_the_locked_folder(self, auth_client, folder):
        sig = urlsplit(folder.signed["thumbnail"]).query
        url = reverse("locked-thumbnail", kwargs={"pk": folder.hidden["id"]})
        assert APIClient().get(f"{url}?{sig}").status_code == NOT_FOUND

    def test_another_account_finds_nothing(self, other_client, folder):
        theirs = other_client.post(
            reverse("auth-reauth"), {"password": DEFAULT_PASSWORD}, format="json"
        ).json()["elevation"]
        headers = _elevated(theirs)
        assert other_client.get(reverse("locked-list"), **headers).json()["results"] == []
        hidden = folder.hidden["id"]
        for name in ("detail", *RENDITIONS):
            url = reverse(f"locked-{name}", kwargs={"pk": hidden})
            assert other_client.get(url, **headers).status_code == NOT_FOUND, name

    def test_anonymous_is_401(self, api_client, folder):
        assert api_client.get(reverse("locked-list")).status_code == UNAUTHORIZED
        for name in ("detail", *RENDITIONS):
            url = reverse(f"locked-{name}", kwargs={"pk": folder.hidden["id"]})
            assert api_client.get(url).status_code == UNAUTHORIZED, name

    def test_the_list_takes_constant_queries(
        self, auth_client, upload, elevation, django_assert_max_num_queries
    ):
        _lock(auth_client, upload()["id"])
        with django_assert_max_num_queries(10) as one:
            response = auth_client.get(reverse("locked-list"), **_elevated(elevation))
        assert len(response.json()["results"]) == 1
        # Read now: the next request resets Django's query log, and with it what was captured.
        for_one = len(one)
        _lock(auth_client, *[upload()["id"] for _ in range(4)])
        with django_assert_max_num_queries(for_one):
            response = auth_client.get(reverse("locked-list"), **_elevated(elevation))
        assert len(response.json()["results"]) == 5
