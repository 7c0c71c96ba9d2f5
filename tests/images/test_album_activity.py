"""A shared album's activity, comments and likes: who may see and do what, and what never leaks.

Every kind of caller (the owner, each role, a pending invitee, a removed member, a stranger,
anonymous) on every endpoint; comment text bounds (a property: no text ever makes a 500);
who may delete a comment; likes that are idempotent and go with a picture leaving the album;
an activity that never names a picture its caller cannot see.
"""

import json
import uuid
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from images.activity import (
    activity_record,
    album_likes_clear,
    album_likes_of_user_clear,
    comment_text_clean,
)
from images.albums import album_images_add
from images.models import Album, AlbumActivity, AlbumImage, AlbumLike, AlbumMember, Image
from images.trash import image_trash
from tests.conftest import field_errors
from tests.factories import DEFAULT_PASSWORD, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "contributor", "editor")
ALLOWED = ("owner", *ROLES)
REFUSED = ("pending", "removed", "stranger")
CALLERS = (*ALLOWED, *REFUSED, "anonymous")


def login(user: User) -> APIClient:
    """A client with a real JWT from the token endpoint, as every client of the API has."""
    client = APIClient()
    response = client.post(
        reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == HTTPStatus.OK, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def member_add(album: Album, user: User, role: str, *, accepted: bool = True) -> AlbumMember:
    return AlbumMember.objects.create(
        album=album, user=user, role=role, accepted_at=timezone.now() if accepted else None
    )


class World:
    """An album of alice's, a picture of hers in it, and one account of every kind."""

    def __init__(self, owner: User, owner_client: APIClient, upload: Callable[..., dict]):
        self.owner = owner
        self.album = Album.objects.create(owner=owner, title="Trip")
        self.image_id = uuid.UUID(upload()["id"])
        album_images_add(owner=owner, album=self.album, image_ids=[self.image_id])
        self.users: dict[str, User] = {"owner": owner}
        self.clients: dict[str, APIClient] = {"owner": owner_client, "anonymous": APIClient()}
        for name in (*ROLES, "pending", "removed", "stranger"):
            self.users[name] = UserFactory(username=name, first_name=name.title())
        for role in ROLES:
            member_add(self.album, self.users[role], role)
        member_add(self.album, self.users["pending"], "viewer", accepted=False)
        member_add(self.album, self.users["removed"], "contributor")

    def client(self, name: str) -> APIClient:
        if name not in self.clients:
            self.clients[name] = login(self.users[name])
        return self.clients[name]

    def remove(self, name: str) -> None:
        """The member's row goes, as removing or leaving deletes it."""
        AlbumMember.objects.filter(album=self.album, user=self.users[name]).delete()

    def comment(self, name: str, text: str = "hello", image_id=None) -> AlbumActivity:
        return AlbumActivity.objects.create(
            album=self.album,
            actor=self.users[name],
            kind=AlbumActivity.Kind.COMMENT,
            text=text,
            image_id=image_id,
        )

    def url(self, name: str, **kwargs) -> str:
        return reverse(name, kwargs={"album_id": self.album.pk, **kwargs})


@pytest.fixture
def world(user, auth_client, upload) -> World:
    return World(user, auth_client, upload)


def activity_url(world: World) -> str:
    return world.url("shared-album-activity")


def comments_url(world: World) -> str:
    return world.url("shared-album-comments")


def like_url(world: World, image_id=None) -> str:
    return world.url("shared-album-image-like", image_id=image_id or world.image_id)


def refused_status(caller: str) -> HTTPStatus:
    return HTTPStatus.UNAUTHORIZED if caller == "anonymous" else HTTPStatus.NOT_FOUND


def assert_refused(response, caller: str) -> None:
    assert response.status_code == refused_status(caller), response.content
    body = response.json()
    if caller != "anonymous":
        # Exactly what a missing album answers: nothing tells one from the other.
        assert body == {"detail": "Not found.", "code": "not_found"}


# --- every caller on every endpoint -----------------------------------------------------------


class TestWhoMay:
    @pytest.mark.parametrize("caller", CALLERS)
    def test_activity(self, world, caller):
        world.comment("owner")
        if caller == "removed":
            world.remove("removed")
        response = world.client(caller).get(activity_url(world))
        if caller in ALLOWED:
            assert response.status_code == HTTPStatus.OK, response.content
            assert [e["text"] for e in response.json()["results"]] == ["hello"]
        else:
            assert_refused(response, caller)

    @pytest.mark.parametrize("caller", CALLERS)
    def test_comment(self, world, caller):
        if caller == "removed":
            world.remove("removed")
        response = world.client(caller).post(
            comments_url(world), {"text": "nice", "image": str(world.image_id)}, format="json"
        )
        if caller in ALLOWED:
            assert response.status_code == HTTPStatus.CREATED, response.content
            assert response.json()["actor"]["id"] == str(world.users[caller].pk)
        else:
            assert_refused(response, caller)
            assert not AlbumActivity.objects.filter(kind="comment").exists()

    @pytest.mark.parametrize("caller", CALLERS)
    def test_delete_own_comment(self, world, caller):
        # The refused kinds are given a comment of "their own" too: being its author is not
        # enough without being in the album.
        comment = world.comment("owner" if caller == "anonymous" else caller)
        if caller == "removed":
            world.remove("removed")
        response = world.client(caller).delete(
            world.url("shared-album-comment-detail", pk=comment.pk)
        )
        if caller in ALLOWED:
            assert response.status_code == HTTPStatus.NO_CONTENT, response.content
            assert not AlbumActivity.objects.filter(pk=comment.pk).exists()
        else:
            assert_refused(response, caller)
            assert AlbumActivity.objects.filter(pk=comment.pk).exists()

    @pytest.mark.parametrize("caller", CALLERS)
    @pytest.mark.parametrize("method", ["put", "delete"])
    def test_like(self, world, caller, method):
        if caller == "removed":
            world.remove("removed")
        response = getattr(world.client(caller), method)(like_url(world))
        if caller in ALLOWED:
            assert response.status_code == HTTPStatus.OK, response.content
            liked = method == "put"
            assert response.json() == {"like_count": int(liked), "liked": liked}
        else:
            assert_refused(response, caller)
            assert not AlbumLike.objects.exists()

    @pytest.mark.parametrize("caller", ["viewer", "stranger"])
    def test_options_and_the_browsable_api_answer_without_error(self, world, caller):
        world.comment("viewer")
        urls = (
            activity_url(world),
            comments_url(world),
            like_url(world),
            world.url("shared-album-comment-detail", pk=uuid.uuid4()),
        )
        client = world.client(caller)
        for url in urls:
            for response in (client.options(url), client.get(url, HTTP_ACCEPT="text/html")):
                if caller == "stranger":
                    assert response.status_code == HTTPStatus.NOT_FOUND
                else:
                    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR

    def test_a_missing_album_is_the_same_404(self, world):
        world.album.pk = uuid.uuid4()
        client = world.client("viewer")
        for response in (
            client.get(activity_url(world)),
            client.post(comments_url(world), {"text": "x"}, format="json"),
            client.put(like_url(world)),
        ):
            assert_refused(response, "stranger")

    def test_removing_a_member_ends_everything_at_once(self, world):
        client = world.client("removed")
        assert client.get(activity_url(world)).status_code == HTTPStatus.OK
        world.remove("removed")
        assert_refused(client.get(activity_url(world)), "removed")
        assert_refused(client.put(like_url(world)), "removed")
        response = client.post(comments_url(world), {"text": "still here?"}, format="json")
        assert_refused(response, "removed")

    def test_an_album_of_a_deactivated_owner_is_gone_for_its_members(self, world):
        client = world.client("viewer")
        User.objects.filter(pk=world.owner.pk).update(is_active=False)
        assert_refused(client.get(activity_url(world)), "viewer")


# --- the activity ---------------------------------------------------------------------------


class TestActivity:
    def test_an_event_as_the_caller_sees_it(self, world):
        User.objects.filter(pk=world.owner.pk).update(first_name="Alice", last_name="Liddell")
        activity_record(
            album=world.album,
            actor=world.owner,
            kind=AlbumActivity.Kind.ADDED,
            image=Image.objects.get(pk=world.image_id),
            count=1,
        )
        mine = world.comment("viewer", "mine")
        theirs = world.comment("editor", "theirs")
        body = world.client("viewer").get(activity_url(world)).json()
        events = {event["id"]: event for event in body["results"]}
        added = next(e for e in body["results"] if e["kind"] == "added")
        assert added == {
            "id": added["id"],
            "kind": "added",
            "actor": {
                "id": str(world.owner.pk),
                "username": "alice",
                "display_name": "Alice Liddell",
            },
            "image": str(world.image_id),
            "count": 1,
            "text": "",
            "created_at": added["created_at"],
            "can_delete": False,
        }
        assert events[str(mine.pk)]["can_delete"] is True
        assert events[str(theirs.pk)]["can_delete"] is False
        assert events[str(theirs.pk)]["actor"]["display_name"] == "Editor"

    def test_the_owner_may_delete_every_comment_and_no_other_event(self, world):
        world.comment("viewer")
        activity_record(album=world.album, actor=world.users["viewer"], kind="joined", always=True)
        body = world.client("owner").get(activity_url(world)).json()
        assert {(e["kind"], e["can_delete"]) for e in body["results"]} == {
            ("comment", True),
            ("joined", False),
        }

    def test_a_display_name_falls_back_to_the_username(self, world):
        world.comment("owner")
        body = world.client("viewer").get(activity_url(world)).json()
        assert body["results"][0]["actor"]["display_name"] == "alice"

    def test_newest_first_page_by_page(self, world):
        made = [world.comment("viewer", f"c{n}") for n in range(5)]
        # Equal timestamps too: the id breaks ties, so no event is skipped or repeated.
        AlbumActivity.objects.filter(pk__in=[c.pk for c in made[:3]]).update(
            created_at=made[0].created_at
        )
        client = world.client("editor")
        seen, url = [], activity_url(world) + "?page_size=2"
        while url:
            body = client.get(url).json()
            seen += [event["id"] for event in body["results"]]
            url = body["next"]
        expected = AlbumActivity.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
        assert seen == [str(pk) for pk in expected]
        assert len(set(seen)) == 5

    def test_another_albums_activity_is_not_shown(self, world, other_user):
        other = Album.objects.create(owner=other_user, title="Other")
        AlbumActivity.objects.create(album=other, actor=other_user, kind="comment", text="x")
        assert world.client("owner").get(activity_url(world)).json()["results"] == []

    def test_a_page_takes_as_many_queries_for_20_events_as_for_1(
        self, world, django_assert_max_num_queries
    ):
        client = world.client("viewer")
        world.comment("owner", image_id=world.image_id)
        with CaptureQueriesContext(connection) as one:
            assert len(client.get(activity_url(world)).json()["results"]) == 1
        for n in range(19):
            world.comment(ROLES[n % 3], f"c{n}", image_id=world.image_id if n % 2 else None)
        with django_assert_max_num_queries(len(one.captured_queries)):
            assert len(client.get(activity_url(world)).json()["results"]) == 20

    def test_a_bad_image_filter_is_a_400(self, world):
        response = world.client("viewer").get(activity_url(world), {"image": "not-a-uuid"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "image" in field_errors(response.json())

    def test_a_forged_cursor_is_a_404(self, world):
        response = world.client("viewer").get(activity_url(world), {"cursor": "garbage"})
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["code"] == "invalid_cursor"

    def test_the_image_filter_shows_one_pictures_comments(self, world):
        world.comment("viewer", "on the album")
        world.comment("viewer", "on the picture", image_id=world.image_id)
        body = world.client("owner").get(activity_url(world), {"image": str(world.image_id)})
        assert [e["text"] for e in body.json()["results"]] == ["on the picture"]


class TestActivityNeverRevealsAHiddenPicture:
    """A picture trashed, taken out of the album, or gone with the member who added it, is
    never named by an event, nor found through the image filter."""

    @pytest.fixture
    def contributed(self, world, upload) -> uuid.UUID:
        client = world.client("contributor")
        image_id = uuid.UUID(upload(client=client)["id"])
        AlbumImage.objects.create(album=world.album, image_id=image_id)
        world.comment("viewer", "on theirs", image_id=image_id)
        return image_id

    def _named(self, world: World, image_id: uuid.UUID, caller: str = "viewer") -> tuple:
        client = world.client(caller)
        events = client.get(activity_url(world)).json()["results"]
        filtered = client.get(activity_url(world), {"image": str(image_id)}).json()["results"]
        return [e["image"] for e in events if e["text"] == "on theirs"], filtered

    def test_visible_while_it_is_in_the_album(self, world, contributed):
        named, filtered = self._named(world, contributed)
        assert named == [str(contributed)]
        assert len(filtered) == 1

    def test_trashed(self, world, contributed):
        image_trash(owner=world.users["contributor"], image_id=contributed)
        for caller in ALLOWED:
            assert self._named(world, contributed, caller) == ([None], [])

    def test_removed_from_the_album(self, world, contributed):
        AlbumImage.objects.filter(album=world.album, image_id=contributed).delete()
        assert self._named(world, contributed, "owner") == ([None], [])

    def test_its_contributor_left(self, world, contributed):
        world.remove("contributor")
        assert self._named(world, contributed, "editor") == ([None], [])

    def test_a_picture_of_another_album_is_never_named(self, world, upload, user):
        elsewhere = uuid.UUID(upload()["id"])
        world.comment("owner", "on theirs", image_id=elsewhere)  # only a bug could make this
        assert self._named(world, elsewhere) == ([None], [])


# --- comments -------------------------------------------------------------------------------


class TestCommentText:
    def post(self, world: World, payload, caller: str = "viewer"):
        return world.client(caller).post(comments_url(world), payload, format="json")

    @pytest.mark.parametrize(
        ("sent", "stored"),
        [
            ("a", "a"),
            ("  padded\n\n", "padded"),
            ("x" * 2000, "x" * 2000),
            ("  " + "y" * 2000 + "\n", "y" * 2000),
            ("two\r\nlines\rthree", "two\nlines\nthree"),
            ("tab\there", "tab\there"),
            ("émoji 📷 and \u202ebidi", "émoji 📷 and \u202ebidi"),
        ],
    )
    def test_accepted(self, world, sent, stored):
        response = self.post(world, {"text": sent})
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert response.json()["text"] == stored
        assert AlbumActivity.objects.get(kind="comment").text == stored

    @pytest.mark.parametrize(
        ("sent", "code"),
        [
            ("", "blank"),
            ("   \n\t ", "blank"),
            ("x" * 2001, "max_length"),
            ("bell\x07", "control_character"),
            ("nul\x00", "control_character"),
            ("escape\x1b[31m", "control_character"),
            ("c1\x85", "control_character"),
            ("del\x7f", "control_character"),
            ("trailing file separator\x1c", "control_character"),
            (42, "invalid"),
            (None, "null"),
            (["a"], "invalid"),
        ],
    )
    def test_refused_with_a_field_error(self, world, sent, code):
        response = self.post(world, {"text": sent})
        assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
        errors = field_errors(response.json())
        assert list(errors) == ["text"]
        assert response.json()["code"] == code
        assert not AlbumActivity.objects.exists()

    def test_text_is_required(self, world):
        response = self.post(world, {})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "text" in field_errors(response.json())

    def test_an_unknown_field_is_refused(self, world):
        response = self.post(world, {"text": "hi", "kind": "added"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "kind" in field_errors(response.json())

    def test_html_comes_back_as_literal_text(self, world):
        html = '<script>alert("x")</script><img src=x onerror=alert(1)> &amp;'
        response = self.post(world, {"text": html})
        assert response.json()["text"] == html
        listed = world.client("owner").get(activity_url(world)).json()["results"]
        assert listed[0]["text"] == html
        assert response["Content-Type"] == "application/json"

    # Any code point, lone surrogates included; and lengths about the bound.
    @given(
        text=st.text(st.characters(exclude_categories=()), max_size=2100)
        | st.text(st.sampled_from("ab \n\t\r\x00\x85"), min_size=1990, max_size=2010)
    )
    def test_any_text_is_a_comment_or_a_400_never_a_500(self, world, settings, text):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "album_comment": "100000/m",
            },
        }
        # Raw JSON with \\u escapes: a lone surrogate reaches the server as a client sends it.
        body = json.dumps({"text": text}, ensure_ascii=True)
        response = world.client("viewer").post(
            comments_url(world), body, content_type="application/json"
        )
        assert response.status_code in (HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST)
        if response.status_code == HTTPStatus.CREATED:
            assert response.json()["text"] == comment_text_clean(text=text)
            assert 1 <= len(response.json()["text"]) <= 2000


class TestCommentOnAPicture:
    def post(self, world: World, image, caller: str = "viewer"):
        return world.client(caller).post(
            comments_url(world), {"text": "look", "image": image}, format="json"
        )

    def test_on_a_picture_of_the_album(self, world):
        response = self.post(world, str(world.image_id))
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert response.json()["image"] == str(world.image_id)
        assert response.json()["kind"] == "comment"

    def test_on_the_album(self, world):
        response = self.post(world, None)
        assert response.status_code == HTTPStatus.CREATED
        assert response.json()["image"] is None

    def test_a_picture_not_visible_is_refused_like_a_missing_one(self, world, upload, other_user):
        outside = uuid.UUID(upload()["id"])  # the owner's, not in the album
        trashed = uuid.UUID(upload()["id"])
        album_images_add(owner=world.owner, album=world.album, image_ids=[trashed])
        image_trash(owner=world.owner, image_id=trashed)
        strangers = uuid.UUID(upload(client=login(other_user))["id"])
        AlbumImage.objects.create(album=world.album, image_id=strangers)  # not a member's
        bodies = set()
        for image in (outside, trashed, strangers, uuid.uuid4()):
            response = self.post(world, str(image))
            assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
            bodies.add(json.dumps(response.json(), sort_keys=True))
        assert len(bodies) == 1
        assert "image" in field_errors(json.loads(bodies.pop()))
        assert not AlbumActivity.objects.exists()

    def test_a_malformed_image_id_is_a_field_error(self, world):
        response = self.post(world, "nope")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "image" in field_errors(response.json())

    def test_a_retry_with_the_same_idempotency_key_comments_once(self, world):
        client = world.client("viewer")
        key = str(uuid.uuid4())
        first, second = (
            client.post(
                comments_url(world), {"text": "once"}, format="json", HTTP_IDEMPOTENCY_KEY=key
            )
            for _ in range(2)
        )
        assert first.status_code == second.status_code == HTTPStatus.CREATED
        assert first.json() == second.json()
        assert second["Idempotent-Replayed"] == "true"
        assert AlbumActivity.objects.filter(kind="comment").count() == 1

    def test_comments_are_rate_limited_per_account(self, world, settings):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "album_comment": "2/m",
            },
        }
        for _ in range(2):
            assert self.post(world, None).status_code == HTTPStatus.CREATED
        response = self.post(world, None)
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert response.json()["code"] == "throttled"
        # Another account has an allowance of its own.
        assert self.post(world, None, caller="editor").status_code == HTTPStatus.CREATED


class TestCommentDelete:
    def delete(self, world: World, comment, caller: str):
        return world.client(caller).delete(world.url("shared-album-comment-detail", pk=comment.pk))

    @pytest.mark.parametrize("caller", ROLES)
    def test_a_member_cannot_delete_anothers_comment(self, world, caller):
        comment = world.comment("owner" if caller != "viewer" else "editor")
        assert_refused(self.delete(world, comment, caller), caller)
        assert AlbumActivity.objects.filter(pk=comment.pk).exists()

    @pytest.mark.parametrize("author", ROLES)
    def test_the_owner_deletes_any_comment(self, world, author):
        comment = world.comment(author)
        assert self.delete(world, comment, "owner").status_code == HTTPStatus.NO_CONTENT
        assert not AlbumActivity.objects.filter(pk=comment.pk).exists()

    def test_a_comment_of_a_member_who_left_is_still_the_owners_to_delete(self, world):
        comment = world.comment("viewer")
        world.remove("viewer")
        assert self.delete(world, comment, "owner").status_code == HTTPStatus.NO_CONTENT

    def test_an_event_that_is_not_a_comment_is_a_404(self, world):
        event = activity_record(
            album=world.album, actor=world.users["viewer"], kind="joined", always=True
        )
        for caller in ("owner", "viewer"):
            assert_refused(self.delete(world, event, caller), caller)
        assert AlbumActivity.objects.filter(pk=event.pk).exists()

    def test_another_albums_comment_is_a_404(self, world):
        other = Album.objects.create(owner=world.owner, title="Other")
        comment = AlbumActivity.objects.create(
            album=other, actor=world.owner, kind="comment", text="x"
        )
        assert_refused(self.delete(world, comment, "owner"), "owner")
        assert AlbumActivity.objects.filter(pk=comment.pk).exists()

    def test_a_missing_comment_is_a_404(self, world):
        response = world.client("owner").delete(
            world.url("shared-album-comment-detail", pk=uuid.uuid4())
        )
        assert_refused(response, "owner")

    def test_deleting_twice_is_a_404_the_second_time(self, world):
        comment = world.comment("viewer")
        assert self.delete(world, comment, "viewer").status_code == HTTPStatus.NO_CONTENT
        assert_refused(self.delete(world, comment, "viewer"), "viewer")


# --- likes ----------------------------------------------------------------------------------


class TestLikes:
    def test_liking_twice_is_one_like(self, world):
        client = world.client("viewer")
        for _ in range(2):
            response = client.put(like_url(world))
            assert response.json() == {"like_count": 1, "liked": True}
        assert AlbumLike.objects.count() == 1

    def test_likes_are_counted_across_people(self, world):
        world.client("viewer").put(like_url(world))
        response = world.client("owner").put(like_url(world))
        assert response.json() == {"like_count": 2, "liked": True}
        response = world.client("editor").delete(like_url(world))
        assert response.json() == {"like_count": 2, "liked": False}

    def test_unliking_twice_changes_nothing(self, world):
        client = world.client("editor")
        client.put(like_url(world))
        for _ in range(2):
            assert client.delete(like_url(world)).json() == {"like_count": 0, "liked": False}
        assert not AlbumLike.objects.exists()

    def test_a_like_of_someone_who_left_no_longer_counts(self, world):
        world.client("viewer").put(like_url(world))
        world.remove("viewer")
        assert world.client("owner").put(like_url(world)).json() == {
            "like_count": 1,
            "liked": True,
        }

    def test_a_members_likes_can_go_with_them(self, world):
        for caller in ("viewer", "editor"):
            world.client(caller).put(like_url(world))
        other = Album.objects.create(owner=world.owner, title="Other")
        AlbumLike.objects.create(album=other, image_id=world.image_id, user=world.users["viewer"])
        viewer = world.users["viewer"].pk
        assert album_likes_of_user_clear(album_id=world.album.pk, user_id=viewer) == 1
        assert set(AlbumLike.objects.values_list("album_id", "user_id")) == {
            (world.album.pk, world.users["editor"].pk),
            (other.pk, viewer),
        }

    def test_a_picture_not_visible_in_the_album_is_a_404(self, world, upload):
        outside = uuid.UUID(upload()["id"])
        trashed = uuid.UUID(upload()["id"])
        album_images_add(owner=world.owner, album=world.album, image_ids=[trashed])
        image_trash(owner=world.owner, image_id=trashed)
        for image_id in (outside, trashed, uuid.uuid4()):
            for method in ("put", "delete"):
                response = getattr(world.client("viewer"), method)(like_url(world, image_id))
                assert_refused(response, "viewer")
        assert not AlbumLike.objects.exists()

    def test_a_picture_of_a_member_who_left_is_a_404(self, world, upload):
        image_id = uuid.UUID(upload(client=world.client("contributor"))["id"])
        AlbumImage.objects.create(album=world.album, image_id=image_id)
        assert world.client("viewer").put(like_url(world, image_id)).status_code == HTTPStatus.OK
        world.remove("contributor")
        assert_refused(world.client("viewer").put(like_url(world, image_id)), "viewer")

    def test_likes_go_with_the_picture_leaving_the_album(self, world, upload):
        kept = uuid.UUID(upload()["id"])
        album_images_add(owner=world.owner, album=world.album, image_ids=[kept])
        other = Album.objects.create(owner=world.owner, title="Other")
        album_images_add(owner=world.owner, album=other, image_ids=[world.image_id])
        for caller in ("viewer", "owner"):
            world.client(caller).put(like_url(world))
        world.client("viewer").put(like_url(world, kept))
        AlbumLike.objects.create(album=other, image_id=world.image_id, user=world.owner)
        assert album_likes_clear(album_id=world.album.pk, image_ids=[world.image_id]) == 2
        assert album_likes_clear(album_id=world.album.pk, image_ids=[]) == 0
        remaining = set(AlbumLike.objects.values_list("album_id", "image_id"))
        assert remaining == {(world.album.pk, kept), (other.pk, world.image_id)}
