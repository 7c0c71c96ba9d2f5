"""One album of alice's, shared: an account of every kind there is around it, each with a
client, for the members and invitations tests (``tests/images/test_members.py``,
``tests/images/test_invitations.py``)."""

import uuid
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images.models import Album, AlbumImage, AlbumMember, Image
from tests.factories import DEFAULT_PASSWORD, UserFactory
from users.models import User

#: Every kind of caller: the owner, an invitee yet to accept, an accepted member in each
#: role, a member the owner removed, an account with no part in it, and no account at all.
CALLERS = (
    "owner",
    "pending",
    "viewer",
    "contributor",
    "editor",
    "removed",
    "stranger",
    "anonymous",
)
MEMBER_ROLES = ("viewer", "contributor", "editor")


def client_for(user: User | None) -> APIClient:
    """A client with a real access token from the token endpoint (none for ``None``)."""
    client = APIClient()
    if user is None:
        return client
    response = client.post(
        reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def picture(owner: User, album: Album | None = None, *, trashed: bool = False) -> Image:
    """An image row of ``owner``'s (in ``album`` if given); no files: nothing here reads them."""
    key = uuid.uuid4().hex
    image = Image.objects.create(
        owner=owner,
        format="JPEG",
        width=1,
        height=1,
        size=1,
        status=Image.Status.READY,
        processed_key=f"{key}/processed.jpg",
        thumbnail_key=f"{key}/thumbnail.jpg",
        trashed_at=timezone.now() if trashed else None,
    )
    if album is not None:
        AlbumImage.objects.create(album=album, image=image)
    return image


@dataclass
class World:
    """The album, its accounts by caller kind, and a client for each."""

    album: Album
    users: dict[str, User | None]
    clients: dict[str, APIClient] = field(default_factory=dict)
    rows: dict[str, AlbumMember] = field(default_factory=dict)

    def client(self, caller: str) -> APIClient:
        if caller not in self.clients:
            self.clients[caller] = client_for(self.users[caller])
        return self.clients[caller]


def world_make(owner: User) -> World:
    """alice's album "Trip" with a member in each role, a pending invitee and a removed member
    (removed by the owner through the API), and a stranger."""
    album = Album.objects.create(owner=owner, title="Trip", description="Summer")
    users: dict[str, User | None] = {"owner": owner, "anonymous": None}
    for kind in ("pending", *MEMBER_ROLES, "removed", "stranger"):
        users[kind] = UserFactory(username=f"{kind}-account", first_name=kind.title())
    world = World(album=album, users=users)
    now = timezone.now()
    for kind in (*MEMBER_ROLES, "removed"):
        role = kind if kind in MEMBER_ROLES else "viewer"
        world.rows[kind] = AlbumMember.objects.create(
            album=album, user=users[kind], role=role, accepted_at=now
        )
    world.rows["pending"] = AlbumMember.objects.create(
        album=album, user=users["pending"], role="contributor"
    )
    removed = world.client("owner").delete(
        reverse(
            "album-member-detail",
            kwargs={"album_id": album.pk, "member_id": world.rows["removed"].pk},
        )
    )
    assert removed.status_code == 204, removed.content
    return world
