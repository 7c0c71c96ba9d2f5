"""The shared albums' pages (issue 20) through Django's test client: "Shared with me", a shared
album's page, one of its pictures, and the owner's members section on their album's page.

Every page is fetched by every kind of caller (the owner, a member in each role, an invitee
who has not accepted, a removed member, a stranger, anonymous): those inside see it, everyone
else gets the very 404 page a missing album gets, anonymous is sent to log in. What a person
typed is shown escaped, and a page costs the same queries however many pictures and events.
"""

import re
import uuid
from http import HTTPStatus
from typing import cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from images.models import Album, AlbumActivity, AlbumImage, AlbumLike, AlbumMember
from tests.factories import UserFactory
from tests.images.member_world import picture
from tests.images.shared_album_world import (
    CALLERS,
    INSIDE,
    World,
    shared_album_world,  # noqa: F401 (the ``world`` fixture)
)
from tests.web.test_pages import assert_strict_page
from users.models import User

pytestmark = pytest.mark.django_db

OK, NOT_FOUND, FOUND = HTTPStatus.OK, HTTPStatus.NOT_FOUND, HTTPStatus.FOUND
HOSTILE = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
# A page's per-request CSRF tokens: the only difference between two 404 pages of one account.
CSRF_TOKEN = re.compile(rb'(content|value)="[A-Za-z0-9]{64}"')
# The most queries a shared album's page (or a picture's) may cost, however full it is.
PAGE_QUERIES = 13


def page_as(world: World, caller: str, viewname: str, **kwargs: object):
    client = Client()
    if caller != "anonymous":
        client.force_login(world.users[caller])
    return client.get(reverse(viewname, kwargs=kwargs))


def album_page(world: World, caller: str):
    return page_as(world, caller, "together", album_id=world.album.pk)


def picture_page(world: World, caller: str, image: dict):
    return page_as(world, caller, "together-image", album_id=world.album.pk, image_id=image["id"])


def same_page(first, second) -> bool:
    return CSRF_TOKEN.sub(b"", first.content) == CSRF_TOKEN.sub(b"", second.content)


class TestWhoSeesWhat:
    @pytest.mark.parametrize("caller", CALLERS)
    def test_shared_album_page(self, world, caller):
        response = album_page(world, caller)
        if caller == "anonymous":
            assert response.status_code == FOUND
            assert response["Location"].startswith(reverse("login"))
        elif caller in INSIDE:
            assert response.status_code == OK
            assert world.album.title in response.content.decode()
        else:
            assert response.status_code == NOT_FOUND
            missing = page_as(world, caller, "together", album_id=uuid.uuid4())
            assert missing.status_code == NOT_FOUND
            assert same_page(response, missing), "a refused album differs from a missing one"
        assert "Content-Security-Policy" in response

    @pytest.mark.parametrize("caller", CALLERS)
    def test_shared_picture_page(self, world, caller):
        response = picture_page(world, caller, world.owners_in)
        if caller == "anonymous":
            assert response.status_code == FOUND
            assert response["Location"].startswith(reverse("login"))
        elif caller in INSIDE:
            assert response.status_code == OK
            assert "Beach" in response.content.decode()
        else:
            assert response.status_code == NOT_FOUND
            missing = page_as(
                world, caller, "together-image", album_id=world.album.pk, image_id=uuid.uuid4()
            )
            assert same_page(response, missing)

    @pytest.mark.parametrize("caller", INSIDE)
    def test_a_picture_out_of_the_album_is_missing_for_everyone_inside(self, world, caller):
        # The owner's own picture in no album, and the contributor's: never through the album.
        for image in (world.owners_out, world.contributors_out):
            assert picture_page(world, caller, image).status_code == NOT_FOUND

    @pytest.mark.parametrize("caller", CALLERS)
    def test_shared_with_me_page(self, world, caller):
        response = page_as(world, caller, "together-list")
        if caller == "anonymous":
            assert response.status_code == FOUND
            return
        assert response.status_code == OK
        text = response.content.decode()
        album_link = f'href="{reverse("together", kwargs={"album_id": world.album.pk})}"'
        if caller in ("viewer", "contributor", "editor"):
            assert album_link in text and "alice’s" in text
            assert f"you are {caller}" in text
        else:
            assert album_link not in text
        if caller == "pending":
            accept = reverse("invitation-accept", kwargs={"pk": self._invitation(world).pk})
            assert accept in text and "Trip" in text
        else:
            assert "invitation-accept" not in text and "Invitations" not in text

    @pytest.mark.parametrize("caller", CALLERS)
    def test_owner_s_album_page_members_section(self, world, caller):
        response = page_as(world, caller, "album", album_id=world.album.pk)
        if caller == "anonymous":
            assert response.status_code == FOUND
        elif caller == "owner":
            text = response.content.decode()
            assert response.status_code == OK
            for name in ("Viewer", "Contributor", "Editor", "Pending"):
                assert name in text  # display names (first names) of members and the invitee
            assert "invitation pending" in text and "<strong>Removed</strong>" not in text
            assert reverse("album-member-list", kwargs={"album_id": world.album.pk}) in text
            assert 'name="members_see_originals"' in text
            assert reverse("together", kwargs={"album_id": world.album.pk}) in text
        else:
            assert response.status_code == NOT_FOUND

    @staticmethod
    def _invitation(world: World) -> AlbumMember:
        return AlbumMember.objects.get(album=world.album, user=world.users["pending"])


class TestWhatEachRoleIsOffered:
    def test_viewer_may_comment_and_leave_but_not_add_or_edit(self, world):
        text = album_page(world, "viewer").content.decode()
        assert "Post comment" in text and "Leave album" in text
        assert "Add my pictures" not in text and "Edit album" not in text

    def test_contributor_is_offered_their_own_pictures_not_in_the_album(self, world):
        text = album_page(world, "contributor").content.decode()
        assert "Add my pictures" in text and "Edit album" not in text
        assert world.contributors_out["id"] in text
        assert f'value="{world.contributors_in["id"]}"' not in text
        assert world.owners_out["id"] not in text

    def test_editor_edits_the_words_and_the_owner_does_not_leave(self, world):
        assert "Edit album" in album_page(world, "editor").content.decode()
        owner = album_page(world, "owner").content.decode()
        assert "Edit album" in owner and "Leave album" not in owner

    def test_tiles_say_whose_picture_it_is(self, world):
        text = album_page(world, "viewer").content.decode()
        assert "Beach, by alice" in text
        assert "Dunes, by Contributor" in text
        assert "Dunes, by you" in album_page(world, "contributor").content.decode()

    def test_remove_and_save_follow_the_role(self, world):
        remove = reverse("shared-album-images-remove", kwargs={"album_id": world.album.pk})
        own = picture_page(world, "contributor", world.contributors_in).content.decode()
        assert remove in own and "Save to my gallery" not in own
        others = picture_page(world, "contributor", world.owners_in).content.decode()
        assert remove not in others and "Save to my gallery" in others
        assert remove in picture_page(world, "editor", world.owners_in).content.decode()
        viewer = picture_page(world, "viewer", world.owners_in).content.decode()
        assert remove not in viewer and "Like" in viewer

    def test_nav_counts_invitations_waiting(self, world):
        text = page_as(world, "pending", "home").content.decode()
        assert '1<span class="vh"> invitation waiting</span>' in text
        assert "invitation waiting" not in page_as(world, "viewer", "home").content.decode()


class TestEscaping:
    def test_typed_words_are_shown_as_text(self, world):
        Album.objects.filter(pk=world.album.pk).update(title=HOSTILE, description=HOSTILE)
        AlbumActivity.objects.create(
            album=world.album,
            actor=world.users["viewer"],
            kind=AlbumActivity.Kind.COMMENT,
            text=f"{HOSTILE}\nsecond line",
        )
        AlbumActivity.objects.create(
            album=world.album,
            actor=world.users["viewer"],
            kind=AlbumActivity.Kind.COMMENT,
            image_id=world.owners_in["id"],
            text=HOSTILE,
        )
        pages = [
            album_page(world, "viewer"),
            picture_page(world, "viewer", world.owners_in),
            page_as(world, "viewer", "together-list"),
            page_as(world, "pending", "together-list"),  # the invitation names the album
            page_as(world, "owner", "album", album_id=world.album.pk),
        ]
        for response in pages:
            assert response.status_code == OK
            body = response.content.decode()
            assert HOSTILE not in body, response.request["PATH_INFO"]
            assert ESCAPED in body, response.request["PATH_INFO"]
        assert f"{ESCAPED}<br>second line" in pages[0].content.decode()


class TestQueries:
    def _fill(self, world: World, pictures: int, comments: int) -> None:
        people = [world.users[name] for name in ("owner", "viewer", "contributor", "editor")]
        for index in range(pictures):
            image = picture(people[index % len(people)], world.album)
            AlbumLike.objects.create(album=world.album, image=image, user=people[0])
        for index in range(comments):
            AlbumActivity.objects.create(
                album=world.album,
                actor=people[index % len(people)],
                kind=AlbumActivity.Kind.COMMENT,
                text=f"comment {index}",
            )

    def _count(self, client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == OK
        return len(queries)

    @pytest.mark.parametrize("caller", ["owner", "contributor"])
    def test_album_page_costs_the_same_however_full(
        self, world, caller, django_assert_max_num_queries
    ):
        client = Client()
        client.force_login(world.users[caller])
        url = reverse("together", kwargs={"album_id": world.album.pk})
        few = self._count(client, url)
        self._fill(world, pictures=12, comments=12)
        with django_assert_max_num_queries(PAGE_QUERIES):
            response = client.get(url)
        assert response.content.decode().count('class="tile ') == 14
        assert self._count(client, url) == few

    def test_picture_page_costs_the_same_however_many_comments(
        self, world, django_assert_max_num_queries
    ):
        client = Client()
        client.force_login(world.users["viewer"])
        url = reverse(
            "together-image",
            kwargs={"album_id": world.album.pk, "image_id": world.owners_in["id"]},
        )
        few = self._count(client, url)
        for index in range(10):
            AlbumActivity.objects.create(
                album=world.album,
                actor=world.users["editor" if index % 2 else "viewer"],
                kind=AlbumActivity.Kind.COMMENT,
                image_id=world.owners_in["id"],
                text=f"comment {index}",
            )
        with django_assert_max_num_queries(PAGE_QUERIES):
            assert client.get(url).status_code == OK
        assert self._count(client, url) == few

    def test_shared_with_me_costs_the_same_however_many_albums(self, world):
        client = Client()
        client.force_login(world.users["viewer"])
        url = reverse("together-list")
        few = self._count(client, url)
        for index in range(4):
            owner = cast(User, UserFactory(username=f"sharer{index}"))
            album = Album.objects.create(owner=owner, title=f"Album {index}")
            AlbumMember.objects.create(
                album=album, user=world.users["viewer"], role="viewer", accepted_at=timezone.now()
            )
            AlbumImage.objects.create(album=album, image=picture(owner))
        page = client.get(url).content.decode()
        assert page.count("/thumbnail/?") >= 5  # each album with its cover
        assert self._count(client, url) == few


def test_a_member_removed_meanwhile_gets_the_missing_page(world):
    client = Client()
    client.force_login(world.users["viewer"])
    url = reverse("together", kwargs={"album_id": world.album.pk})
    assert client.get(url).status_code == OK
    AlbumMember.objects.filter(album=world.album, user=world.users["viewer"]).delete()
    assert client.get(url).status_code == NOT_FOUND
    listing = client.get(reverse("together-list")).content.decode()
    assert url not in listing


def test_shared_with_me_lists_each_album_with_its_owner_and_a_cover(world):
    other = cast(User, UserFactory(username="bob", first_name="Bob", last_name="Baker"))
    album = Album.objects.create(owner=other, title="Bob's garden")
    AlbumMember.objects.create(
        album=album, user=world.users["viewer"], role="contributor", accepted_at=timezone.now()
    )
    AlbumImage.objects.create(album=album, image=picture(other))
    text = page_as(world, "viewer", "together-list").content.decode()
    assert "Bob Baker’s" in text and "you are contributor" in text
    assert "Bob&#x27;s garden" in text
    cover = AlbumImage.objects.get(album=album).image_id
    thumbnail = reverse(
        "shared-album-image-thumbnail", kwargs={"album_id": album.pk, "image_id": cover}
    )
    assert f"{thumbnail}?" in text


@pytest.mark.parametrize("caller", ["owner", "contributor", "editor", "pending"])
def test_pages_are_strict_and_every_control_is_named(world, caller):
    """The strict CSP, nothing inline, every image with its alt and every control labelled, on
    each page in its fullest state for the caller (the pickers, forms and invitations)."""
    AlbumActivity.objects.create(
        album=world.album, actor=world.users["viewer"], kind=AlbumActivity.Kind.COMMENT, text="Hi"
    )
    pages = [page_as(world, caller, "together-list")]
    if caller == "owner":
        pages.append(page_as(world, caller, "album", album_id=world.album.pk))
    if caller != "pending":
        pages += [album_page(world, caller), picture_page(world, caller, world.contributors_in)]
    for response in pages:
        assert response.status_code == OK
        assert_strict_page(response)
