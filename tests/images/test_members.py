"""An album's members, for its owner (list, invite, change a role, remove or withdraw), the
album's settings for its members, the albums shared with an account, and leaving one.

Every endpoint is asked by every kind of caller (``tests/images/member_world.py``): the
owner, an invitee yet to accept, a member in each role, a removed member, a stranger and no
account; anything a caller may not see answers exactly like something missing. A membership
that ends ends everything at once, and takes the member's pictures out of the album.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse

from images import access
from images.models import Album, AlbumActivity, AlbumImage, AlbumMember, Image
from tests.factories import UserFactory
from tests.images.member_world import CALLERS, MEMBER_ROLES, World, client_for, picture, world_make
from tests.parallel import in_parallel

pytestmark = pytest.mark.django_db

OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT
BAD_REQUEST, UNAUTHORIZED, NOT_FOUND = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.NOT_FOUND,
)


@pytest.fixture
def world(user) -> World:
    return world_make(user)


def _missing(response) -> None:
    """Exactly what something that does not exist answers."""
    assert response.status_code == NOT_FOUND, response.content
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def _refused(caller: str, response) -> None:
    if caller == "anonymous":
        assert response.status_code == UNAUTHORIZED, response.content
    else:
        _missing(response)


def _members_url(album: Album) -> str:
    return reverse("album-member-list", kwargs={"album_id": album.pk})


def _member_url(album: Album, member: AlbumMember) -> str:
    return reverse("album-member-detail", kwargs={"album_id": album.pk, "member_id": member.pk})


def _shared_ids(client) -> list[str]:
    response = client.get(reverse("shared-album-list"))
    assert response.status_code == OK, response.content
    return [album["id"] for album in response.json()["results"]]


class TestAlbumMemberList:
    def test_the_owner_sees_every_member_and_pending_invitation(self, world):
        response = world.client("owner").get(_members_url(world.album))
        assert response.status_code == OK, response.content
        body = response.json()
        assert [(m["user"]["username"], m["role"], m["status"]) for m in body] == [
            ("viewer-account", "viewer", "accepted"),
            ("contributor-account", "contributor", "accepted"),
            ("editor-account", "editor", "accepted"),
            ("pending-account", "contributor", "pending"),
        ]
        pending = body[-1]
        assert set(pending) == {"id", "user", "role", "status", "invited_at", "accepted_at"}
        assert pending["accepted_at"] is None
        assert pending["id"] == str(world.rows["pending"].pk)
        assert pending["user"] == {
            "id": str(world.users["pending"].pk),
            "username": "pending-account",
            "display_name": "Pending",
        }

    def test_display_name_is_the_username_without_a_full_name(self, world):
        nameless = UserFactory(username="nameless")
        AlbumMember.objects.create(album=world.album, user=nameless, role="viewer")
        body = world.client("owner").get(_members_url(world.album)).json()
        assert body[-1]["user"]["display_name"] == "nameless"

    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "owner"])
    def test_nobody_else_sees_the_members(self, world, caller):
        _refused(caller, world.client(caller).get(_members_url(world.album)))

    def test_an_album_that_does_not_exist_is_missing(self, world):
        other = Album(pk="00000000-0000-4000-8000-000000000000", owner=world.users["owner"])
        _missing(world.client("owner").get(_members_url(other)))

    def test_a_constant_number_of_queries_however_many_members(
        self, world, django_assert_max_num_queries
    ):
        client = world.client("owner")
        with django_assert_max_num_queries(4):
            assert len(client.get(_members_url(world.album)).json()) == 4
        for index in range(20):
            AlbumMember.objects.create(
                album=world.album, user=UserFactory(username=f"many{index}"), role="viewer"
            )
        with django_assert_max_num_queries(4):
            assert len(client.get(_members_url(world.album)).json()) == 24


class TestAlbumMemberInvite:
    def test_the_owner_invites_by_username_in_any_case(self, world):
        invitee = UserFactory(username="Bob", email="bob@example.com")
        response = world.client("owner").post(
            _members_url(world.album), {"user": "BOB", "role": "editor"}, format="json"
        )
        assert response.status_code == CREATED, response.content
        body = response.json()
        assert body["user"]["id"] == str(invitee.pk)
        assert (body["role"], body["status"], body["accepted_at"]) == ("editor", "pending", None)
        row = AlbumMember.objects.get(pk=body["id"])
        assert (row.album_id, row.user_id, row.accepted_at) == (world.album.pk, invitee.pk, None)
        # An invitation is not a membership.
        assert access.member_principal(user=invitee, album_id=world.album.pk) is None

    def test_the_owner_invites_by_email(self, world):
        invitee = UserFactory(username="carol", email="Carol@Example.com")
        response = world.client("owner").post(
            _members_url(world.album), {"user": "carol@example.COM", "role": "viewer"}
        )
        assert response.status_code == CREATED, response.content
        assert response.json()["user"]["id"] == str(invitee.pk)

    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "owner"])
    def test_nobody_else_invites(self, world, caller):
        UserFactory(username="target")
        response = world.client(caller).post(
            _members_url(world.album), {"user": "target", "role": "viewer"}, format="json"
        )
        _refused(caller, response)
        assert not AlbumMember.objects.filter(user__username="target").exists()

    @pytest.mark.parametrize(
        ("named", "code"),
        [
            ("nobody-has-this-name", "no_such_account"),
            ("inactive", "no_such_account"),
            ("alice", "self_invite"),
            ("viewer-account", "already_member"),
            ("pending-account", "already_member"),
        ],
    )
    def test_refusals_name_the_field_and_a_code(self, world, named, code):
        UserFactory(username="inactive", is_active=False)
        before = AlbumMember.objects.count()
        response = world.client("owner").post(
            _members_url(world.album), {"user": named, "role": "viewer"}, format="json"
        )
        assert response.status_code == BAD_REQUEST, response.content
        body = response.json()
        assert body["code"] == code
        assert list(body) == ["detail", "code", "user"]
        assert AlbumMember.objects.count() == before

    def test_an_inactive_account_answers_exactly_as_no_account(self, world):
        UserFactory(username="dormant", is_active=False)
        client = world.client("owner")
        answers = [
            client.post(_members_url(world.album), {"user": name, "role": "viewer"}).json()
            for name in ("dormant", "dormant@example.com", "never-registered")
        ]
        assert answers[0] == answers[1] == answers[2]

    def test_a_removed_member_may_be_invited_again(self, world):
        response = world.client("owner").post(
            _members_url(world.album), {"user": "removed-account", "role": "viewer"}
        )
        assert response.status_code == CREATED, response.content
        assert response.json()["status"] == "pending"

    @pytest.mark.parametrize(
        "body",
        [
            {"user": "stranger-account", "role": "owner"},
            {"user": "stranger-account"},
            {"role": "viewer"},
            {"user": 7, "role": "viewer"},
            {"user": "stranger-account", "role": "viewer", "accepted_at": "2020-01-01T00:00Z"},
        ],
    )
    def test_an_invitation_takes_a_user_and_one_of_three_roles(self, world, body):
        response = world.client("owner").post(_members_url(world.album), body, format="json")
        assert response.status_code == BAD_REQUEST, response.content
        assert not AlbumMember.objects.filter(user=world.users["stranger"]).exists()


class TestAlbumMemberChange:
    @pytest.mark.parametrize("kind", ["pending", *MEMBER_ROLES])
    def test_the_owner_changes_a_role(self, world, kind):
        response = world.client("owner").patch(
            _member_url(world.album, world.rows[kind]), {"role": "editor"}, format="json"
        )
        assert response.status_code == OK, response.content
        assert response.json()["role"] == "editor"
        world.rows[kind].refresh_from_db()
        assert world.rows[kind].role == "editor"

    def test_a_new_role_applies_on_the_next_request(self, world):
        viewer = world.users["viewer"]
        assert access.member_principal(user=viewer, album_id=world.album.pk).role == "viewer"
        world.client("owner").patch(
            _member_url(world.album, world.rows["viewer"]), {"role": "contributor"}
        )
        principal = access.member_principal(user=viewer, album_id=world.album.pk)
        assert principal.role == access.Role.CONTRIBUTOR
        assert access.access_allows(
            principal=principal, action=access.Action.ALBUM_CONTRIBUTE, target=world.album
        )

    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "owner"])
    def test_nobody_else_changes_a_role(self, world, caller):
        for kind in ("viewer", "editor"):
            response = world.client(caller).patch(
                _member_url(world.album, world.rows[kind]), {"role": "editor"}, format="json"
            )
            _refused(caller, response)
        assert AlbumMember.objects.get(pk=world.rows["viewer"].pk).role == "viewer"

    def test_a_member_of_another_album_is_missing(self, world):
        other = Album.objects.create(owner=world.users["owner"], title="Other")
        _missing(
            world.client("owner").patch(
                _member_url(other, world.rows["viewer"]), {"role": "editor"}
            )
        )
        _missing(world.client("owner").delete(_member_url(other, world.rows["viewer"])))
        assert AlbumMember.objects.filter(pk=world.rows["viewer"].pk).exists()

    def test_the_role_must_be_one_of_three(self, world):
        response = world.client("owner").patch(
            _member_url(world.album, world.rows["viewer"]), {"role": "owner"}, format="json"
        )
        assert response.status_code == BAD_REQUEST, response.content
        assert "role" in response.json()


class TestAlbumMemberRemove:
    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "owner"])
    def test_nobody_else_removes_a_member(self, world, caller):
        _refused(
            caller, world.client(caller).delete(_member_url(world.album, world.rows["viewer"]))
        )
        assert AlbumMember.objects.filter(pk=world.rows["viewer"].pk).exists()

    def test_removal_ends_access_at_once(self, world):
        viewer = world.users["viewer"]
        client = world.client("viewer")
        assert _shared_ids(client) == [str(world.album.pk)]
        response = world.client("owner").delete(_member_url(world.album, world.rows["viewer"]))
        assert response.status_code == NO_CONTENT, response.content
        assert not AlbumMember.objects.filter(pk=world.rows["viewer"].pk).exists()
        assert access.member_principal(user=viewer, album_id=world.album.pk) is None
        assert _shared_ids(client) == []
        _missing(client.post(reverse("shared-album-leave", kwargs={"album_id": world.album.pk})))

    def test_the_removed_members_pictures_leave_the_album(self, world):
        owner, contributor = world.users["owner"], world.users["contributor"]
        ours = picture(owner, world.album)
        theirs = [picture(contributor, world.album) for _ in range(2)]
        elsewhere = Album.objects.create(owner=contributor, title="Theirs")
        AlbumImage.objects.create(album=elsewhere, image=theirs[0])
        Album.objects.filter(pk=world.album.pk).update(cover=theirs[1])
        response = world.client("owner").delete(_member_url(world.album, world.rows["contributor"]))
        assert response.status_code == NO_CONTENT, response.content
        assert set(
            AlbumImage.objects.filter(album=world.album).values_list("image_id", flat=True)
        ) == {ours.pk}
        world.album.refresh_from_db()
        assert world.album.cover_id is None
        # Their pictures stay theirs, in their gallery and their own albums.
        assert AlbumImage.objects.filter(album=elsewhere, image=theirs[0]).exists()
        assert contributor.images.count() == 2
        removed = AlbumActivity.objects.get(album=world.album, kind=AlbumActivity.Kind.REMOVED)
        assert (removed.actor_id, removed.count, removed.image_id) == (owner.pk, 2, None)

    def test_withdrawing_an_invitation_leaves_no_access(self, world):
        pending = world.users["pending"]
        client = world.client("pending")
        assert len(client.get(reverse("invitation-list")).json()["results"]) == 1
        response = world.client("owner").delete(_member_url(world.album, world.rows["pending"]))
        assert response.status_code == NO_CONTENT, response.content
        assert client.get(reverse("invitation-list")).json()["results"] == []
        _missing(client.post(reverse("invitation-accept", kwargs={"pk": world.rows["pending"].pk})))
        assert access.member_principal(user=pending, album_id=world.album.pk) is None
        assert _shared_ids(client) == []
        assert not AlbumActivity.objects.filter(album=world.album).exists()

    def test_a_member_already_removed_is_missing(self, world):
        url = _member_url(world.album, world.rows["viewer"])
        assert world.client("owner").delete(url).status_code == NO_CONTENT
        _missing(world.client("owner").delete(url))


class TestAlbumSettingsForMembers:
    def test_members_get_the_styled_renditions_only_by_default(self, auth_client):
        created = auth_client.post(reverse("album-list"), {"title": "New"}, format="json").json()
        assert created["members_see_originals"] is False
        assert created["members_see_metadata"] is False

    def test_the_owner_changes_them(self, world):
        client = world.client("owner")
        url = reverse("album-detail", kwargs={"pk": world.album.pk})
        response = client.patch(url, {"members_see_originals": True}, format="json")
        assert response.status_code == OK, response.content
        assert (
            response.json()["members_see_originals"],
            response.json()["members_see_metadata"],
        ) == (
            True,
            False,
        )
        response = client.patch(url, {"members_see_metadata": True, "title": "T"}, format="json")
        body = response.json()
        assert (body["members_see_originals"], body["members_see_metadata"], body["title"]) == (
            True,
            True,
            "T",
        )
        world.album.refresh_from_db()
        assert world.album.members_see_originals and world.album.members_see_metadata
        principal = access.member_principal(user=world.users["viewer"], album_id=world.album.pk)
        image = picture(world.users["owner"], world.album)
        assert access.access_allows(
            principal=principal,
            action=access.Action.ORIGINAL_DOWNLOAD,
            target=access.Rendition(image=image, name="original"),
        )

    def test_only_true_or_false(self, world):
        url = reverse("album-detail", kwargs={"pk": world.album.pk})
        response = world.client("owner").patch(url, {"members_see_originals": "yes"}, format="json")
        assert response.status_code == BAD_REQUEST, response.content
        world.album.refresh_from_db()
        assert world.album.members_see_originals is False

    @pytest.mark.parametrize("caller", [c for c in CALLERS if c != "owner"])
    def test_nobody_else_changes_them(self, world, caller):
        url = reverse("album-detail", kwargs={"pk": world.album.pk})
        _refused(
            caller, world.client(caller).patch(url, {"members_see_originals": True}, format="json")
        )
        world.album.refresh_from_db()
        assert world.album.members_see_originals is False


class TestSharedAlbumList:
    @pytest.mark.parametrize("caller", CALLERS)
    def test_each_caller_sees_the_albums_it_accepted(self, world, caller):
        response = world.client(caller).get(reverse("shared-album-list"))
        if caller == "anonymous":
            assert response.status_code == UNAUTHORIZED
            return
        assert response.status_code == OK, response.content
        ids = [album["id"] for album in response.json()["results"]]
        assert ids == ([str(world.album.pk)] if caller in MEMBER_ROLES else [])

    def test_an_entry_says_what_a_member_may_know(self, world):
        owner, contributor = world.users["owner"], world.users["contributor"]
        picture(owner, world.album)
        picture(owner, world.album)
        picture(owner, world.album, trashed=True)
        picture(contributor, world.album)
        picture(world.users["stranger"], world.album)  # never a member: not shown, not counted
        picture(owner)  # not in the album
        (entry,) = world.client("contributor").get(reverse("shared-album-list")).json()["results"]
        assert set(entry) == {
            "id",
            "title",
            "description",
            "owner",
            "role",
            "image_count",
            "joined_at",
        }
        assert entry["owner"] == {
            "id": str(owner.pk),
            "username": "alice",
            "display_name": "alice",
        }
        assert (entry["title"], entry["description"], entry["role"], entry["image_count"]) == (
            "Trip",
            "Summer",
            "contributor",
            3,
        )
        member = access.member_principal(user=contributor, album_id=world.album.pk)
        assert entry["image_count"] == access.images_visible(principal=member).count()
        assert entry["joined_at"] is not None

    def test_an_owner_whose_account_is_inactive_shares_nothing(self, world):
        world.users["owner"].is_active = False
        world.users["owner"].save(update_fields=["is_active"])
        assert _shared_ids(world.client("viewer")) == []

    def test_pages_by_cursor_the_one_joined_last_first(self, user):
        member = UserFactory(username="member")
        albums = [Album.objects.create(owner=user, title=f"A{i}") for i in range(5)]
        for album in albums:
            # Joined one after another: each accepted later than the one before.
            AlbumMember.objects.create(
                album=album, user=member, role="viewer", accepted_at=album.created_at
            )
        client = client_for(member)
        first = client.get(reverse("shared-album-list"), {"page_size": 3}).json()
        second = client.get(first["next"]).json()
        seen = [a["title"] for a in first["results"] + second["results"]]
        assert seen == ["A4", "A3", "A2", "A1", "A0"]
        assert second["next"] is None

    @pytest.mark.parametrize("count", [1, 20])
    def test_a_constant_number_of_queries_per_page(
        self, user, count, django_assert_max_num_queries
    ):
        member = UserFactory(username="member")
        others = [UserFactory(username=f"other{i}") for i in range(3)]
        for index in range(count):
            owner = (user, *others)[index % 4]
            album = Album.objects.create(owner=owner, title=f"A{index}")
            joined = album.created_at
            AlbumMember.objects.create(album=album, user=member, role="viewer", accepted_at=joined)
            if owner is user:
                AlbumMember.objects.create(
                    album=album, user=others[0], role="contributor", accepted_at=joined
                )
                picture(others[0], album)
            picture(owner, album)
        client = client_for(member)
        with django_assert_max_num_queries(3):
            response = client.get(reverse("shared-album-list"))
        assert len(response.json()["results"]) == count


class TestSharedAlbumLeave:
    def _leave(self, world: World, caller: str):
        return world.client(caller).post(
            reverse("shared-album-leave", kwargs={"album_id": world.album.pk})
        )

    @pytest.mark.parametrize("caller", MEMBER_ROLES)
    def test_a_member_leaves(self, world, caller):
        member = world.users[caller]
        response = self._leave(world, caller)
        assert response.status_code == NO_CONTENT, response.content
        assert not AlbumMember.objects.filter(album=world.album, user=member).exists()
        assert access.member_principal(user=member, album_id=world.album.pk) is None
        assert _shared_ids(world.client(caller)) == []
        left = AlbumActivity.objects.get(album=world.album, kind=AlbumActivity.Kind.LEFT)
        assert left.actor_id == member.pk
        _missing(self._leave(world, caller))

    def test_the_owner_cannot_leave(self, world):
        response = self._leave(world, "owner")
        assert response.status_code == BAD_REQUEST, response.content
        assert response.json()["code"] == "owner_cannot_leave"
        assert Album.objects.filter(pk=world.album.pk).exists()

    @pytest.mark.parametrize("caller", ["pending", "removed", "stranger", "anonymous"])
    def test_nobody_else_leaves(self, world, caller):
        before = AlbumMember.objects.count()
        _refused(caller, self._leave(world, caller))
        assert AlbumMember.objects.count() == before

    def test_the_pictures_of_who_leaves_leave_with_them(self, world):
        editor = world.users["editor"]
        ours = picture(world.users["owner"], world.album)
        theirs = picture(editor, world.album)
        Album.objects.filter(pk=world.album.pk).update(cover=theirs)
        assert self._leave(world, "editor").status_code == NO_CONTENT
        assert list(
            AlbumImage.objects.filter(album=world.album).values_list("image_id", flat=True)
        ) == [ours.pk]
        world.album.refresh_from_db()
        assert world.album.cover_id is None
        kinds = dict(AlbumActivity.objects.filter(album=world.album).values_list("kind", "count"))
        assert kinds == {"removed": 1, "left": 0}
        assert Image.objects.filter(pk=theirs.pk, owner=editor).exists()

    def test_an_album_that_does_not_exist_is_missing(self, world):
        response = world.client("viewer").post(
            reverse(
                "shared-album-leave", kwargs={"album_id": "00000000-0000-4000-8000-000000000000"}
            )
        )
        _missing(response)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestMembershipRaces:
    """Two requests at once on PostgreSQL, each on its own connection (``tests.parallel``):
    the album's lock orders them, so one wins and the other is answered as if it came after;
    never a 500, never a row left behind."""

    @pytest.fixture(autouse=True)
    def _postgres_only(self):
        if connection.vendor != "postgresql":
            pytest.skip("row-locking races are tested on PostgreSQL")

    def test_leaving_while_being_removed(self, world):
        editor = world.users["editor"]
        picture(editor, world.album)
        owner, member = world.client("owner"), world.client("editor")
        removed, left = in_parallel(
            lambda: owner.delete(_member_url(world.album, world.rows["editor"])),
            lambda: member.post(reverse("shared-album-leave", kwargs={"album_id": world.album.pk})),
        )
        assert sorted([removed.status_code, left.status_code]) == [NO_CONTENT, NOT_FOUND]
        assert not AlbumMember.objects.filter(user=editor).exists()
        assert not AlbumImage.objects.filter(album=world.album, image__owner=editor).exists()
        removals = AlbumActivity.objects.filter(album=world.album, kind=AlbumActivity.Kind.REMOVED)
        assert list(removals.values_list("count", flat=True)) == [1]
        lefts = AlbumActivity.objects.filter(album=world.album, kind=AlbumActivity.Kind.LEFT)
        assert lefts.count() == (1 if left.status_code == NO_CONTENT else 0)

    def test_accepting_while_the_invitation_is_withdrawn(self, world):
        owner, invitee = world.client("owner"), world.client("pending")
        invitation = world.rows["pending"]
        withdrawn, accepted = in_parallel(
            lambda: owner.delete(_member_url(world.album, invitation)),
            lambda: invitee.post(reverse("invitation-accept", kwargs={"pk": invitation.pk})),
        )
        assert accepted.status_code in (OK, NOT_FOUND), accepted.content
        # Withdrawn after it was accepted, it removes the new member: either way, nothing left.
        assert withdrawn.status_code == NO_CONTENT, withdrawn.content
        assert not AlbumMember.objects.filter(pk=invitation.pk).exists()
        pending = world.users["pending"]
        assert access.member_principal(user=pending, album_id=world.album.pk) is None

    def test_the_same_account_invited_twice_at_once(self, world):
        UserFactory(username="twice")
        first, second = world.client("owner"), client_for(world.users["owner"])
        answers = in_parallel(
            *(
                lambda client=client: client.post(
                    _members_url(world.album), {"user": "twice", "role": "viewer"}
                )
                for client in (first, second)
            )
        )
        assert sorted(a.status_code for a in answers) == [CREATED, BAD_REQUEST]
        refused = next(a for a in answers if a.status_code == BAD_REQUEST)
        assert refused.json()["code"] == "already_member"
        assert AlbumMember.objects.filter(user__username="twice").count() == 1
