"""The files of sharing between accounts, from whichever storage the run has.

On the embedded default they are on disk; on the S3 stack (``S3_STACK_RUNS``) in SeaweedFS,
rendered by a real worker. Each kind of caller that reaches another account's bytes gets
them streamed, byte for byte what the owner's own URL serves, without the camera's metadata
where it is kept back: an album's member, a partner, and the owner in the locked folder;
and a copy saved to a library shares the source's files and leaves the storage audit clean.
"""

import io
import uuid
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images.models import Album, AlbumImage, AlbumMember, Image, Partnership
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = b"SHARINGCAM"


def _camera_photo() -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = SECRET.decode()  # Make
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (30, 140, 200)).save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def photo(upload) -> dict:
    image = upload(_camera_photo(), name="camera.jpg", title="Shared")
    assert image["status"] == "ready", image
    return image


def _owners(auth_client, image: dict, rendition: str) -> bytes:
    response = auth_client.get(
        reverse(f"image-{rendition}", kwargs={"pk": image["id"]}), HTTP_ACCEPT="image/jpeg"
    )
    assert response.status_code == HTTPStatus.OK
    return _content(response)


class TestMember:
    def test_a_members_signed_urls_stream_the_owners_bytes_and_never_the_metadata(
        self, user, other_user, other_client, auth_client, photo, assert_storage_consistent
    ):
        album = Album.objects.create(owner=user, title="Together", members_see_originals=True)
        AlbumImage.objects.create(album=album, image_id=photo["id"])
        AlbumMember.objects.create(
            album=album, user=other_user, role="viewer", accepted_at=timezone.now()
        )
        listed = other_client.get(reverse("shared-album-images", kwargs={"album_id": album.pk}))
        [item] = listed.json()["results"]
        anonymous = APIClient()
        thumbnail = anonymous.get(_path(item["urls"]["thumbnail"]), HTTP_ACCEPT="image/jpeg")
        assert thumbnail.status_code == HTTPStatus.OK
        assert _content(thumbnail) == _owners(auth_client, photo, "thumbnail")
        original = anonymous.get(_path(item["urls"]["original"]))
        assert original.status_code == HTTPStatus.OK
        assert SECRET not in _content(original)  # members do not see metadata by default
        # Saved to the member's own library: the source's files, not stored twice.
        url = reverse(
            "shared-album-image-save", kwargs={"album_id": album.pk, "image_id": photo["id"]}
        )
        saved = other_client.post(url)
        assert saved.status_code == HTTPStatus.CREATED, saved.content
        copy = Image.objects.get(pk=saved.json()["id"])
        assert copy.owner == other_user
        source = Image.objects.get(pk=photo["id"])
        assert copy.thumbnail_key == source.thumbnail_key
        assert copy.original_key == source.stripped_key  # members do not see metadata
        assert_storage_consistent()
        # Removed from the album: the URLs end at once.
        AlbumImage.objects.filter(album=album).delete()
        gone = anonymous.get(_path(item["urls"]["thumbnail"]), HTTP_ACCEPT="image/jpeg")
        assert gone.status_code == HTTPStatus.NOT_FOUND


class TestPartner:
    def test_a_partners_original_streams_stripped_and_saves_a_copy(
        self, user, other_user, other_client, auth_client, photo, assert_storage_consistent
    ):
        Partnership.objects.create(
            grantor=user, grantee=other_user, accepted_at=timezone.now(), show_originals=True
        )
        kwargs = {"grantor_id": user.pk, "image_id": photo["id"]}
        original = other_client.get(reverse("partner-image-original", kwargs=kwargs))
        assert original.status_code == HTTPStatus.OK
        assert SECRET not in _content(original)
        processed = other_client.get(
            reverse("partner-image-processed", kwargs=kwargs), HTTP_ACCEPT="image/jpeg"
        )
        assert _content(processed) == _owners(auth_client, photo, "processed")
        saved = other_client.post(reverse("partner-image-save", kwargs=kwargs))
        assert saved.status_code == HTTPStatus.CREATED, saved.content
        assert_storage_consistent()


class TestLockedFolder:
    def test_the_owner_elevated_gets_the_bytes_nobody_else_does(
        self, auth_client, other_client, photo
    ):
        locked = auth_client.post(
            reverse("images-lock"), {"image_ids": [photo["id"]]}, format="json"
        )
        assert locked.status_code == HTTPStatus.OK
        url = reverse("locked-thumbnail", kwargs={"pk": photo["id"]})
        assert auth_client.get(url).status_code == HTTPStatus.FORBIDDEN  # the password first
        elevation = auth_client.post(
            reverse("auth-reauth"), {"password": DEFAULT_PASSWORD}, format="json"
        ).json()["elevation"]
        served = auth_client.get(url, HTTP_X_ATELIER_ELEVATION=elevation, HTTP_ACCEPT="image/jpeg")
        assert served.status_code == HTTPStatus.OK
        assert served["Cache-Control"] == "private, no-store"
        assert len(_content(served)) > 0
        # Another account: the owner's elevation is no elevation of theirs (the 403 any id
        # gets, a missing one too); with their own, the owner's picture is missing.
        missing = reverse("locked-thumbnail", kwargs={"pk": uuid.uuid4()})
        stolen = other_client.get(url, HTTP_X_ATELIER_ELEVATION=elevation)
        assert stolen.status_code == HTTPStatus.FORBIDDEN
        assert stolen.json() == other_client.get(missing).json()
        own = other_client.post(
            reverse("auth-reauth"), {"password": DEFAULT_PASSWORD}, format="json"
        ).json()["elevation"]
        theirs = other_client.get(url, HTTP_X_ATELIER_ELEVATION=own)
        assert theirs.status_code == HTTPStatus.NOT_FOUND
        # Out of the gallery's renditions meanwhile.
        owners = auth_client.get(reverse("image-thumbnail", kwargs={"pk": photo["id"]}))
        assert owners.status_code == HTTPStatus.NOT_FOUND
