"""The access policy's ``Member``: an account inside one album, decided in ``images.access``.

Rows are made directly (no files: nothing here serves bytes); the HTTP matrices of the member
endpoints are in their own modules. What is pinned here is the policy itself: each role ×
each action on the album, its pictures and their renditions; who is a member at all (the
owner, an accepted member; never a pending invitee, a stranger, nobody); and the scope: the
album's live pictures of its owner and accepted members, never another picture of anyone's.
"""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from core.grants import Grant
from images import access
from images.access import Action, Member, Rendition, Role
from images.models import Album, AlbumActivity, AlbumImage, AlbumMember, Image
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _image(owner, **fields) -> Image:
    defaults = {"format": "jpeg", "width": 4, "height": 3, "size": 10, "checksum": "0" * 64}
    return Image.objects.create(owner=owner, **{**defaults, **fields})


@pytest.fixture
def world(user):
    """An album of ``user``'s with a member in each role, a pending invitee, a stranger, and
    pictures in it (the owner's, a contributor's) and out of it (the owner's)."""
    album = Album.objects.create(owner=user, title="Holiday")
    people = {name: UserFactory(username=name) for name in ("vic", "cora", "eddie", "penny")}
    now = timezone.now()
    for name, role in (("vic", "viewer"), ("cora", "contributor"), ("eddie", "editor")):
        AlbumMember.objects.create(album=album, user=people[name], role=role, accepted_at=now)
    AlbumMember.objects.create(album=album, user=people["penny"], role="editor")  # pending
    inside = _image(user, title="inside")
    outside = _image(user, title="outside")
    contributed = _image(people["cora"], title="cora's")
    for image in (inside, contributed):
        AlbumImage.objects.create(album=album, image=image)
    return {
        "album": album,
        "owner": user,
        **people,
        "stranger": UserFactory(username="stranger"),
        "inside": inside,
        "outside": outside,
        "contributed": contributed,
    }


def _member(world, name) -> Member | None:
    return access.member_principal(user=world[name], album_id=world["album"].pk)


class TestWhoIsAMember:
    @pytest.mark.parametrize(
        ("name", "role"),
        [("owner", Role.OWNER), ("vic", Role.VIEWER), ("cora", Role.CONTRIBUTOR),
         ("eddie", Role.EDITOR)],
    )  # fmt: skip
    def test_the_owner_and_accepted_members_in_their_roles(self, world, name, role):
        member = _member(world, name)
        assert member is not None and member.role == role

    @pytest.mark.parametrize("name", ["penny", "stranger"])
    def test_a_pending_invitee_and_a_stranger_are_nobody(self, world, name):
        assert _member(world, name) is None

    def test_nobody_signed_in_an_inactive_account_and_a_missing_album_are_nobody(self, world):
        album_id = world["album"].pk
        assert access.member_principal(user=AnonymousUser(), album_id=album_id) is None
        assert access.member_principal(user=world["vic"], album_id=uuid.uuid4()) is None
        world["vic"].is_active = False
        world["vic"].save()
        assert access.member_principal(user=world["vic"], album_id=album_id) is None

    def test_an_inactive_owner_shares_nothing_any_more(self, world):
        world["owner"].is_active = False
        world["owner"].save()
        assert _member(world, "vic") is None

    def test_a_removed_member_is_nobody_at_once(self, world):
        AlbumMember.objects.filter(user=world["vic"]).delete()
        assert _member(world, "vic") is None

    def test_shared_with_me_lists_accepted_memberships_only(self, world):
        assert list(access.albums_shared_with(user=world["vic"])) == [world["album"]]
        assert list(access.albums_shared_with(user=world["penny"])) == []
        assert list(access.albums_shared_with(user=world["owner"])) == []


class TestScope:
    def test_a_member_sees_the_albums_pictures_and_nothing_else(self, world):
        visible = set(access.images_visible(principal=_member(world, "vic")))
        assert visible == {world["inside"], world["contributed"]}

    def test_a_trashed_picture_leaves_the_scope_at_once(self, world):
        Image.objects.filter(pk=world["inside"].pk).update(trashed_at=timezone.now())
        assert set(access.images_visible(principal=_member(world, "vic"))) == {world["contributed"]}

    def test_a_contributor_who_is_no_member_any_more_takes_their_pictures_along(self, world):
        # Even with its album row left behind, a picture of someone no longer a member is
        # out of the scope (and refused on the object).
        AlbumMember.objects.filter(user=world["cora"]).delete()
        member = _member(world, "vic")
        assert set(access.images_visible(principal=member)) == {world["inside"]}
        assert not access.access_allows(
            principal=member, action=Action.IMAGE_VIEW, target=world["contributed"]
        )

    def test_the_album_is_the_only_album_in_scope(self, world):
        Album.objects.create(owner=world["owner"], title="Private")
        assert list(access.albums_visible(principal=_member(world, "vic"))) == [world["album"]]

    def test_a_signed_url_narrows_the_scope_to_its_picture(self, world):
        grant = Grant(
            owner_id=world["vic"].pk,
            object_id=world["inside"].pk,
            actions=frozenset({"thumbnail"}),
            expires=0,
        )
        member = access.member_principal(user=world["vic"], album_id=world["album"].pk, grant=grant)
        assert list(access.images_visible(principal=member)) == [world["inside"]]
        assert list(access.albums_visible(principal=member)) == []


ALBUM_ACTIONS = {
    Action.ALBUM_LIST: {"owner", "vic", "cora", "eddie"},
    Action.ACTIVITY_VIEW: {"owner", "vic", "cora", "eddie"},
    Action.COMMENT_CREATE: {"owner", "vic", "cora", "eddie"},
    Action.ALBUM_CONTRIBUTE: {"owner", "cora", "eddie"},
    Action.ALBUM_CURATE: {"owner", "eddie"},
    Action.ALBUM_EDIT: {"owner", "eddie"},
    Action.MEMBERS_MANAGE: {"owner"},
    Action.MEMBERSHIP_LEAVE: {"vic", "cora", "eddie"},
    Action.ALBUM_MANAGE: set(),  # the owner's own API (an ``Owner``), never a member's
    Action.SHARE_MANAGE: set(),
}
MEMBERS = ("owner", "vic", "cora", "eddie")


class TestRoles:
    @pytest.mark.parametrize("action", list(ALBUM_ACTIONS))
    def test_what_each_role_may_do_to_the_album(self, world, action):
        allowed = {
            name
            for name in MEMBERS
            if access.access_allows(
                principal=_member(world, name), action=action, target=world["album"]
            )
        }
        assert allowed == ALBUM_ACTIONS[action]

    def test_no_role_reaches_another_album(self, world):
        other = Album.objects.create(owner=world["owner"], title="Private")
        for name in MEMBERS:
            member = _member(world, name)
            for action in ALBUM_ACTIONS:
                assert not access.access_allows(principal=member, action=action, target=other)

    def test_removing_pictures_editors_any_contributors_their_own(self, world):
        def may_remove(name, image):
            return access.access_allows(
                principal=_member(world, name), action=Action.ALBUM_CURATE, target=image
            )

        assert {n for n in MEMBERS if may_remove(n, world["inside"])} == {"owner", "eddie"}
        assert {n for n in MEMBERS if may_remove(n, world["contributed"])} == {
            "owner",
            "eddie",
            "cora",
        }

    def test_saving_a_copy_is_for_pictures_not_ones_own(self, world):
        def may_save(name, image):
            return access.access_allows(
                principal=_member(world, name), action=Action.IMAGE_SAVE, target=image
            )

        assert {n for n in MEMBERS if may_save(n, world["inside"])} == {"vic", "cora", "eddie"}
        assert {n for n in MEMBERS if may_save(n, world["contributed"])} == {
            "owner",
            "vic",
            "eddie",
        }

    def test_a_picture_outside_the_album_is_refused_to_every_role(self, world):
        for name in ("vic", "cora", "eddie"):
            member = _member(world, name)
            for action in (Action.IMAGE_VIEW, Action.METADATA_VIEW, Action.IMAGE_SAVE):
                assert not access.access_allows(
                    principal=member, action=action, target=world["outside"]
                )
            rendition = Rendition(image=world["outside"], name="thumbnail")
            assert not access.access_allows(
                principal=member, action=Action.RENDITION_VIEW, target=rendition
            )


class TestOriginalsAndMetadata:
    def _allows(self, world, name, image, *, original: bool) -> bool:
        member = _member(world, name)
        if original:
            return access.access_allows(
                principal=member,
                action=Action.ORIGINAL_DOWNLOAD,
                target=Rendition(image=image, name="original"),
            )
        return access.access_allows(principal=member, action=Action.METADATA_VIEW, target=image)

    @pytest.mark.parametrize("original", [True, False])
    def test_off_by_default_for_members_on_for_the_owner_and_ones_own(self, world, original):
        inside, contributed = world["inside"], world["contributed"]
        assert self._allows(world, "owner", inside, original=original)
        assert self._allows(world, "owner", contributed, original=original)
        assert self._allows(world, "cora", contributed, original=original)
        for name in ("vic", "cora", "eddie"):
            assert not self._allows(world, name, inside, original=original)

    @pytest.mark.parametrize("original", [True, False])
    def test_the_albums_setting_lets_every_member_have_them(self, world, original):
        setting = "members_see_originals" if original else "members_see_metadata"
        Album.objects.filter(pk=world["album"].pk).update(**{setting: True})
        for name in ("vic", "cora", "eddie"):
            assert self._allows(world, name, world["inside"], original=original)
        # The other setting stays as it was.
        other = not original
        assert not self._allows(world, "vic", world["inside"], original=other)

    def test_metadata_free_renditions_for_every_member(self, world):
        for name in MEMBERS:
            for rendition in ("thumbnail", "preview", "processed", "video", "motion"):
                assert access.access_allows(
                    principal=_member(world, name),
                    action=Action.RENDITION_VIEW,
                    target=Rendition(image=world["inside"], name=rendition),
                )


class TestSignedGrant:
    def _grant(self, world, image, rendition="thumbnail") -> Member | None:
        grant = Grant(
            owner_id=world["vic"].pk, object_id=image.pk, actions=frozenset({rendition}), expires=0
        )
        return access.member_principal(user=world["vic"], album_id=world["album"].pk, grant=grant)

    def test_opens_its_one_rendition_of_its_one_picture(self, world):
        member = self._grant(world, world["inside"])
        assert access.access_possible(principal=member, action=Action.RENDITION_VIEW)
        assert not access.access_possible(principal=member, action=Action.ALBUM_LIST)
        view = Action.RENDITION_VIEW
        assert access.access_allows(
            principal=member, action=view, target=Rendition(image=world["inside"], name="thumbnail")
        )
        for image, name in ((world["inside"], "preview"), (world["contributed"], "thumbnail")):
            target = Rendition(image=image, name=name)
            assert not access.access_allows(principal=member, action=view, target=target)
        assert not access.access_allows(
            principal=member, action=Action.ALBUM_LIST, target=world["album"]
        )

    def test_ends_with_the_membership(self, world):
        AlbumMember.objects.filter(user=world["vic"]).delete()
        assert self._grant(world, world["inside"]) is None


class TestComments:
    def test_deleted_by_their_author_or_the_albums_owner(self, world):
        comment = AlbumActivity.objects.create(
            album=world["album"], actor=world["vic"], kind="comment", text="Lovely"
        )
        allowed = {
            name
            for name in MEMBERS
            if access.access_allows(
                principal=_member(world, name), action=Action.COMMENT_DELETE, target=comment
            )
        }
        assert allowed == {"owner", "vic"}

    def test_other_events_are_nobodys_to_delete(self, world):
        joined = AlbumActivity.objects.create(
            album=world["album"], actor=world["vic"], kind="joined"
        )
        for name in MEMBERS:
            assert not access.access_allows(
                principal=_member(world, name), action=Action.COMMENT_DELETE, target=joined
            )


class TestCost:
    def test_a_page_read_through_the_scope_is_decided_without_a_query(
        self, world, django_assert_num_queries
    ):
        member = _member(world, "vic")
        images = list(access.images_visible(principal=member))
        with django_assert_num_queries(0):
            for image in images:
                assert access.access_allows(
                    principal=member, action=Action.IMAGE_VIEW, target=image
                )
                assert not access.access_allows(
                    principal=member, action=Action.METADATA_VIEW, target=image
                )
