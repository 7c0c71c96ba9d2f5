"""An account's invitations: list them, accept one (a membership from then on) or decline it
(nothing left), asked by every kind of caller; and the rate limit on inviting, which keeps
invitations from telling which accounts exist any faster than registration does."""

from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from images import access
from images.models import Album, AlbumActivity, AlbumMember
from tests.factories import UserFactory
from tests.images.member_world import CALLERS, World, client_for, world_make

pytestmark = pytest.mark.django_db

OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT
BAD_REQUEST, UNAUTHORIZED, NOT_FOUND = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.NOT_FOUND,
)
TOO_MANY = HTTPStatus.TOO_MANY_REQUESTS


@pytest.fixture
def world(user) -> World:
    return world_make(user)


@pytest.fixture
def invite_rate(settings):
    """Sets the invitation rate for one test."""

    def _set(rate: str) -> None:
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "album_invite": rate}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return _set


def _missing(response) -> None:
    assert response.status_code == NOT_FOUND, response.content
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def _refused(caller: str, response) -> None:
    if caller == "anonymous":
        assert response.status_code == UNAUTHORIZED, response.content
    else:
        _missing(response)


def _answer(world: World, caller: str, verb: str, invitation: AlbumMember):
    return world.client(caller).post(reverse(f"invitation-{verb}", kwargs={"pk": invitation.pk}))


class TestInvitationList:
    def test_the_invitee_sees_the_album_title_and_who_invited_them(self, world):
        response = world.client("pending").get(reverse("invitation-list"))
        assert response.status_code == OK, response.content
        (invitation,) = response.json()["results"]
        assert invitation == {
            "id": str(world.rows["pending"].pk),
            "album": {"id": str(world.album.pk), "title": "Trip"},
            "invited_by": {
                "id": str(world.users["owner"].pk),
                "username": "alice",
                "display_name": "alice",
            },
            "role": "contributor",
            "invited_at": invitation["invited_at"],
        }

    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "pending"])
    def test_nobody_else_sees_it(self, world, caller):
        response = world.client(caller).get(reverse("invitation-list"))
        if caller == "anonymous":
            assert response.status_code == UNAUTHORIZED
            return
        assert response.status_code == OK, response.content
        assert response.json()["results"] == []

    def test_an_invitation_from_an_inactive_account_is_not_shown(self, world):
        world.users["owner"].is_active = False
        world.users["owner"].save(update_fields=["is_active"])
        assert world.client("pending").get(reverse("invitation-list")).json()["results"] == []
        _missing(_answer(world, "pending", "accept", world.rows["pending"]))

    def test_newest_first_by_cursor_in_constant_queries(self, user, django_assert_max_num_queries):
        invitee = UserFactory(username="invitee")
        owners = [UserFactory(username=f"owner{i}") for i in range(4)]
        for index in range(12):
            album = Album.objects.create(owner=owners[index % 4], title=f"A{index}")
            AlbumMember.objects.create(album=album, user=invitee, role="viewer")
        client = client_for(invitee)
        with django_assert_max_num_queries(3):
            first = client.get(reverse("invitation-list"), {"page_size": 10}).json()
        second = client.get(first["next"]).json()
        titles = [i["album"]["title"] for i in first["results"] + second["results"]]
        assert titles == [f"A{index}" for index in reversed(range(12))]


class TestInvitationAccept:
    def test_the_invitee_accepts_and_becomes_a_member(self, world):
        invitee = world.users["pending"]
        response = _answer(world, "pending", "accept", world.rows["pending"])
        assert response.status_code == OK, response.content
        body = response.json()
        assert body["id"] == str(world.rows["pending"].pk)
        assert body["album"] == {"id": str(world.album.pk), "title": "Trip"}
        assert (body["role"], body["status"]) == ("contributor", "accepted")
        assert body["accepted_at"] is not None
        principal = access.member_principal(user=invitee, album_id=world.album.pk)
        assert principal is not None and principal.role == access.Role.CONTRIBUTOR
        joined = AlbumActivity.objects.get(album=world.album, kind=AlbumActivity.Kind.JOINED)
        assert joined.actor_id == invitee.pk
        assert world.client("pending").get(reverse("invitation-list")).json()["results"] == []
        shared = world.client("pending").get(reverse("shared-album-list")).json()["results"]
        assert [(a["id"], a["role"]) for a in shared] == [(str(world.album.pk), "contributor")]
        # Accepted once: no longer an invitation to answer.
        _missing(_answer(world, "pending", "accept", world.rows["pending"]))
        _missing(_answer(world, "pending", "decline", world.rows["pending"]))

    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "pending"])
    def test_nobody_else_accepts_it(self, world, caller):
        _refused(caller, _answer(world, caller, "accept", world.rows["pending"]))
        assert AlbumMember.objects.get(pk=world.rows["pending"].pk).accepted_at is None
        assert not AlbumActivity.objects.filter(album=world.album).exists()

    @pytest.mark.parametrize("kind", ["viewer", "contributor", "editor"])
    def test_a_membership_is_not_an_invitation(self, world, kind):
        _missing(_answer(world, kind, "accept", world.rows[kind]))
        _missing(_answer(world, kind, "decline", world.rows[kind]))
        assert AlbumMember.objects.filter(pk=world.rows[kind].pk).exists()


class TestInvitationDecline:
    def test_declining_leaves_nothing(self, world):
        invitee = world.users["pending"]
        response = _answer(world, "pending", "decline", world.rows["pending"])
        assert response.status_code == NO_CONTENT, response.content
        assert not AlbumMember.objects.filter(album=world.album, user=invitee).exists()
        assert access.member_principal(user=invitee, album_id=world.album.pk) is None
        client = world.client("pending")
        assert client.get(reverse("invitation-list")).json()["results"] == []
        assert client.get(reverse("shared-album-list")).json()["results"] == []
        _missing(_answer(world, "pending", "accept", world.rows["pending"]))
        assert not AlbumActivity.objects.filter(album=world.album).exists()
        # The owner may invite them again.
        again = world.client("owner").post(
            reverse("album-member-list", kwargs={"album_id": world.album.pk}),
            {"user": invitee.username, "role": "viewer"},
        )
        assert again.status_code == CREATED, again.content

    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "pending"])
    def test_nobody_else_declines_it(self, world, caller):
        _refused(caller, _answer(world, caller, "decline", world.rows["pending"]))
        assert AlbumMember.objects.filter(pk=world.rows["pending"].pk).exists()

    def test_an_id_that_is_not_an_invitation_is_missing(self, world):
        for verb in ("accept", "decline"):
            response = world.client("pending").post(
                reverse(f"invitation-{verb}", kwargs={"pk": world.album.pk})
            )
            _missing(response)


class TestInviteRateLimit:
    def test_the_default_is_registrations_own(self):
        rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        assert rates["album_invite"] == rates["register"] == "20/h"

    def test_every_attempt_counts_accepted_or_refused(self, world, invite_rate):
        invite_rate("4/h")
        UserFactory(username="real")
        client = world.client("owner")
        url = reverse("album-member-list", kwargs={"album_id": world.album.pk})
        answers = [
            client.post(url, {"user": name, "role": "viewer"}).status_code
            for name in ("guess-1", "real", "guess-2", "viewer-account")
        ]
        assert answers == [BAD_REQUEST, CREATED, BAD_REQUEST, BAD_REQUEST]
        UserFactory(username="later")
        refused = client.post(url, {"user": "later", "role": "viewer"})
        assert refused.status_code == TOO_MANY, refused.content
        assert refused.json()["code"] == "throttled"
        assert "Retry-After" in refused.headers
        assert not AlbumMember.objects.filter(user__username="later").exists()
        # Another album of the same owner draws on the same allowance.
        other = Album.objects.create(owner=world.users["owner"], title="Other")
        again = client.post(
            reverse("album-member-list", kwargs={"album_id": other.pk}),
            {"user": "later", "role": "viewer"},
        )
        assert again.status_code == TOO_MANY
        # Reading and changing members is not inviting.
        assert client.get(url).status_code == OK

    def test_counted_per_account(self, world, invite_rate):
        invite_rate("1/h")
        url = reverse("album-member-list", kwargs={"album_id": world.album.pk})
        owner = world.client("owner")
        assert owner.post(url, {"user": "nobody", "role": "viewer"}).status_code == BAD_REQUEST
        assert owner.post(url, {"user": "nobody", "role": "viewer"}).status_code == TOO_MANY
        bob = UserFactory(username="bob")
        album = Album.objects.create(owner=bob, title="Bob's")
        response = client_for(bob).post(
            reverse("album-member-list", kwargs={"album_id": album.pk}),
            {"user": "stranger-account", "role": "viewer"},
        )
        assert response.status_code == CREATED, response.content
