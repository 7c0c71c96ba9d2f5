"""The world the shared album tests run in: an album, its owner, a member in each role, an
invitee who has not accepted, a removed member, a stranger, and real uploaded pictures.

Memberships are rows made with the ORM (inviting and accepting are another feature's); the
pictures are uploaded through the API, as their renditions are what is served.
"""

import io
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images.models import Album, AlbumImage, AlbumMember
from tests.factories import DEFAULT_PASSWORD, UserFactory, upload_request
from users.models import User

MEMBER_ROLES = ("viewer", "contributor", "editor")
# Every kind of caller, and whether they are inside the album.
INSIDE = ("owner", *MEMBER_ROLES)
OUTSIDE = ("pending", "removed", "stranger")
CALLERS = (*INSIDE, *OUTSIDE, "anonymous")
SECRETS = (b"SECRETCAM", b"SECRETMODEL")


def camera_photo(color: int = 0) -> bytes:
    """A JPEG with the camera's make, model, date taken and GPS position in its EXIF."""
    picture = PILImage.new("RGB", (64, 48))
    picture.putdata(
        [
            ((x * 4 + color) % 256, (y * 5) % 256, (x * y) % 256)
            for y in range(48)
            for x in range(64)
        ]
    )
    exif = PILImage.Exif()
    exif[0x010F] = "SECRETCAM"  # Make
    exif[0x0110] = "SECRETMODEL"  # Model
    exif.get_ifd(0x8769)[0x9003] = "2021:07:14 09:30:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.0)
    gps[3], gps[4] = "W", (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, quality=92)
    return buffer.getvalue()


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def client_for(user: User) -> APIClient:
    """A client with a real JWT from the token endpoint."""
    client = APIClient()
    response = client.post(
        reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def upload_as(client: APIClient, data: bytes, title: str = "") -> dict:
    response = upload_request(client, data, title=title)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ready", body
    return body


@dataclass
class World:
    album: Album
    users: dict[str, User]
    clients: dict[str, APIClient]
    owners_in: dict  # the owner's picture in the album (with the camera's EXIF)
    owners_out: dict  # the owner's picture in no album
    contributors_in: dict  # the contributor's picture in the album
    contributors_out: dict  # the contributor's picture in no album

    def url(self, name: str, **kwargs: object) -> str:
        return reverse(name, kwargs={"album_id": self.album.pk, **kwargs})

    def image_url(self, name: str, image: dict) -> str:
        return self.url(f"shared-album-image-{name}", image_id=image["id"])

    def album_settings(self, *, originals: bool, metadata: bool) -> None:
        Album.objects.filter(pk=self.album.pk).update(
            members_see_originals=originals, members_see_metadata=metadata
        )


@pytest.fixture(name="world")
def shared_album_world(db, user: User, auth_client: APIClient) -> World:
    """The album, its callers and their pictures (import this fixture to use it)."""
    users: dict[str, User] = {"owner": user}
    for name in (*MEMBER_ROLES, "pending", "removed", "stranger"):
        users[name] = UserFactory(username=name, first_name=name.title())
    clients = {name: client_for(account) for name, account in users.items() if name != "owner"}
    clients["owner"] = auth_client
    clients["anonymous"] = APIClient()
    album = Album.objects.create(owner=user, title="Trip", description="Summer")
    now = timezone.now()
    for role in MEMBER_ROLES:
        AlbumMember.objects.create(album=album, user=users[role], role=role, accepted_at=now)
    AlbumMember.objects.create(album=album, user=users["pending"], role="viewer")
    AlbumMember.objects.create(
        album=album, user=users["removed"], role="editor", accepted_at=now
    ).delete()
    owners_in = upload_as(auth_client, camera_photo(), title="Beach")
    owners_out = upload_as(auth_client, camera_photo(90), title="Private")
    contributors_in = upload_as(clients["contributor"], camera_photo(30), title="Dunes")
    contributors_out = upload_as(clients["contributor"], camera_photo(60), title="Home")
    for image in (owners_in, contributors_in):
        AlbumImage.objects.create(album=album, image_id=image["id"])
    return World(
        album=album,
        users=users,
        clients=clients,
        owners_in=owners_in,
        owners_out=owners_out,
        contributors_in=contributors_in,
        contributors_out=contributors_out,
    )
