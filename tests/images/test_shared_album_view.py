"""Inside a shared album: the album as a member sees it, its pictures, adding and removing
pictures, and saving someone else's picture to one's own gallery.

Who may reach each endpoint at all is tests/images/test_member_privacy.py's subject; here,
what each endpoint does for those who may.
"""

import io
import uuid
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image as PILImage

from images import access
from images.models import Album, AlbumActivity, AlbumImage, AlbumLike, AlbumMember, Image
from images.together import services
from images.together.selectors import open_as_member
from tests.factories import image_bytes
from tests.images.shared_album_world import (
    SECRETS,
    World,
    content,
    path_of,
    shared_album_world,  # noqa: F401 (the ``world`` fixture)
    upload_as,
)
from tests.videos import clip

pytestmark = pytest.mark.django_db

OK, CREATED, BAD_REQUEST = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST
NOT_FOUND, PARTIAL = HTTPStatus.NOT_FOUND, HTTPStatus.PARTIAL_CONTENT


def _ids(world: World, route: str, caller: str, *images: dict | str, put: bool = False) -> dict:
    client = world.clients[caller]
    send = client.put if put else client.post
    ids = [image if isinstance(image, str) else image["id"] for image in images]
    response = send(world.url(route), {"image_ids": ids}, format="json")
    assert response.status_code == OK, response.content
    return {row["image_id"]: row["result"] for row in response.json()["results"]}


def _add(world: World, caller: str, *images: dict | str) -> dict:
    return _ids(world, "shared-album-images", caller, *images, put=True)


def _remove(world: World, caller: str, *images: dict | str) -> dict:
    return _ids(world, "shared-album-images-remove", caller, *images)


class TestSharedAlbumView:
    @pytest.mark.parametrize("caller", ["owner", "viewer", "contributor", "editor"])
    def test_the_album_as_each_role_sees_it(self, world, caller):
        body = world.clients[caller].get(world.url("shared-album-detail")).json()
        role = access.Role(caller)
        assert body["id"] == str(world.album.pk)
        assert (body["title"], body["description"], body["role"]) == ("Trip", "Summer", caller)
        assert body["owner"] == {
            "id": str(world.users["owner"].pk),
            "username": "alice",
            "display_name": "alice",
        }
        assert body["permissions"] == sorted(action.value for action in access.ROLE_ACTIONS[role])
        assert body["image_count"] == 2
        assert (body["members_see_originals"], body["members_see_metadata"]) == (False, False)
        # No cover chosen: the picture added last.
        assert body["cover_image"] == world.contributors_in["id"]
        thumbnail = world.clients["anonymous"].get(path_of(body["cover_thumbnail"]))
        assert thumbnail.status_code == OK

    def test_the_count_and_cover_are_of_what_the_member_sees(self, world):
        Album.objects.filter(pk=world.album.pk).update(cover_id=world.contributors_in["id"])
        world.clients["contributor"].delete(
            reverse("image-detail", kwargs={"pk": world.contributors_in["id"]})
        )
        body = world.clients["viewer"].get(world.url("shared-album-detail")).json()
        assert (body["image_count"], body["cover_image"]) == (1, world.owners_in["id"])

    def test_an_empty_album_has_no_cover(self, world):
        AlbumImage.objects.filter(album=world.album).delete()
        body = world.clients["viewer"].get(world.url("shared-album-detail")).json()
        assert (body["image_count"], body["cover_image"], body["cover_thumbnail"]) == (
            0,
            None,
            None,
        )

    def test_an_editor_changes_the_words_and_picks_any_visible_cover(self, world):
        response = world.clients["editor"].patch(
            world.url("shared-album-detail"),
            {"title": "Summer trip", "description": "", "cover_image": world.owners_in["id"]},
            format="json",
        )
        assert response.status_code == OK, response.content
        body = response.json()
        assert (body["title"], body["description"]) == ("Summer trip", "")
        assert body["cover_image"] == world.owners_in["id"]
        world.album.refresh_from_db()
        assert str(world.album.cover_id) == world.owners_in["id"]
        response = world.clients["editor"].patch(
            world.url("shared-album-detail"), {"cover_image": None}, format="json"
        )
        assert response.json()["cover_image"] == world.contributors_in["id"]  # added last

    @pytest.mark.parametrize("which", ["owners_out", "contributors_out", "missing"])
    def test_a_cover_outside_the_album_is_refused(self, world, which):
        image_id = str(uuid.uuid4()) if which == "missing" else getattr(world, which)["id"]
        response = world.clients["editor"].patch(
            world.url("shared-album-detail"), {"cover_image": image_id}, format="json"
        )
        assert response.status_code == BAD_REQUEST
        assert "cover_image" in response.json()
        world.album.refresh_from_db()
        assert world.album.cover_id is None

    def test_the_members_settings_are_not_changed_here(self, world):
        response = world.clients["owner"].patch(
            world.url("shared-album-detail"), {"members_see_originals": True}, format="json"
        )
        assert response.status_code == BAD_REQUEST
        world.album.refresh_from_db()
        assert world.album.members_see_originals is False


class TestSharedAlbumImages:
    def test_each_picture_says_whose_it_is_and_its_likes(self, world):
        AlbumLike.objects.create(
            album=world.album, image_id=world.owners_in["id"], user=world.users["viewer"]
        )
        AlbumLike.objects.create(
            album=world.album, image_id=world.owners_in["id"], user=world.users["editor"]
        )
        response = world.clients["viewer"].get(world.url("shared-album-images"))
        assert response.status_code == OK
        body = response.json()
        assert (body["next"], body["previous"]) == (None, None)
        by_id = {image["id"]: image for image in body["results"]}
        beach, dunes = by_id[world.owners_in["id"]], by_id[world.contributors_in["id"]]
        assert beach["owner"] == {"id": str(world.users["owner"].pk), "display_name": "alice"}
        assert dunes["owner"]["display_name"] == "Contributor"
        assert (beach["like_count"], beach["liked"], beach["mine"]) == (2, True, False)
        assert (dunes["like_count"], dunes["liked"]) == (0, False)
        assert (beach["title"], beach["kind"], beach["status"]) == ("Beach", "photo", "ready")
        assert set(beach["urls"]) == {"processed", "preview", "thumbnail", "expires_at"}
        assert "metadata" not in beach and "taken_at" not in beach
        mine = world.clients["contributor"].get(world.url("shared-album-images")).json()
        [own] = [image for image in mine["results"] if image["mine"]]
        assert own["id"] == world.contributors_in["id"]
        assert own["metadata"]["camera_make"] == "SECRETCAM"
        assert "original" in own["urls"]

    def test_pages_by_cursor(self, world):
        first = world.clients["viewer"].get(world.url("shared-album-images"), {"page_size": 1})
        body = first.json()
        assert len(body["results"]) == 1 and body["next"]
        second = world.clients["viewer"].get(path_of(body["next"])).json()
        assert len(second["results"]) == 1 and second["next"] is None
        assert {body["results"][0]["id"], second["results"][0]["id"]} == {
            world.owners_in["id"],
            world.contributors_in["id"],
        }

    def test_one_picture(self, world):
        response = world.clients["editor"].get(world.image_url("detail", world.contributors_in))
        assert response.status_code == OK
        assert response.json()["id"] == world.contributors_in["id"]

    def test_a_page_costs_the_same_queries_for_one_picture_or_twenty(
        self, world, django_assert_max_num_queries
    ):
        """Pictures of two owners, liked: the likes are annotations, the policy is asked
        once per owner, the member's credential digested once."""

        def listed() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = world.clients["viewer"].get(
                    world.url("shared-album-images"), {"page_size": 50}
                )
            assert response.status_code == OK
            return len(queries)

        AlbumImage.objects.filter(album=world.album).exclude(
            image_id=world.contributors_in["id"]
        ).delete()
        one = listed()
        source = Image.objects.get(pk=world.contributors_in["id"])
        for index in range(19):
            owner = world.users["owner"] if index % 2 else world.users["contributor"]
            copy = Image.objects.create(
                owner=owner,
                title=f"copy {index}",
                status=Image.Status.READY,
                format=source.format,
                width=source.width,
                height=source.height,
                size=source.size,
                checksum=source.checksum,
                original_key=source.original_key,
                processed_key=source.processed_key,
                preview_key=source.preview_key,
                thumbnail_key=source.thumbnail_key,
            )
            AlbumImage.objects.create(album=world.album, image=copy)
            AlbumLike.objects.create(album=world.album, image=copy, user=world.users["viewer"])
        with django_assert_max_num_queries(one):
            response = world.clients["viewer"].get(
                world.url("shared-album-images"), {"page_size": 50}
            )
        assert len(response.json()["results"]) == 20
        Image.objects.filter(title__startswith="copy ").delete()  # rows naming another's files


class TestRenditions:
    def test_the_stills_are_negotiated_like_the_owners(self, world):
        client = world.clients["viewer"]
        response = client.get(
            world.image_url("thumbnail", world.owners_in), HTTP_ACCEPT="text/html"
        )
        assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
        webp = client.get(world.image_url("preview", world.owners_in), HTTP_ACCEPT="image/webp")
        assert webp["Content-Type"] == "image/webp"
        assert "Accept" in webp["Vary"]

    def test_a_range_of_an_original(self, world):
        world.album_settings(originals=True, metadata=True)
        response = world.clients["viewer"].get(
            world.image_url("original", world.owners_in), HTTP_RANGE="bytes=0-9"
        )
        assert response.status_code == PARTIAL
        assert len(content(response)) == 10

    def test_a_video_plays_in_ranges_by_its_signed_url(self, world):
        video = upload_as(world.clients["contributor"], clip("h264_aac.mp4"))
        assert _add(world, "contributor", video) == {video["id"]: "added"}
        body = world.clients["viewer"].get(world.image_url("detail", video)).json()
        assert body["kind"] == "video" and "video" in body["urls"]
        response = world.clients["anonymous"].get(
            path_of(body["urls"]["video"]), HTTP_RANGE="bytes=0-99"
        )
        assert response.status_code == PARTIAL
        assert response["Content-Type"] == "video/mp4"
        assert len(content(response)) == 100


class TestAddAndRemove:
    def test_a_contributor_adds_only_their_own_live_pictures(self, world):
        trashed = upload_as(world.clients["contributor"], image_bytes(color=(1, 2, 3)))
        world.clients["contributor"].delete(reverse("image-detail", kwargs={"pk": trashed["id"]}))
        missing = str(uuid.uuid4())
        results = _add(
            world,
            "contributor",
            world.contributors_out,
            world.contributors_in,
            world.owners_out,
            trashed,
            missing,
            world.contributors_out,
        )
        assert results == {
            world.contributors_out["id"]: "added",
            world.contributors_in["id"]: "already_in_album",
            world.owners_out["id"]: "not_found",
            trashed["id"]: "not_found",
            missing: "not_found",
        }
        assert AlbumImage.objects.filter(
            album=world.album, image_id=world.contributors_out["id"]
        ).exists()
        [added] = AlbumActivity.objects.filter(album=world.album, kind="added")
        assert added.actor == world.users["contributor"]
        assert (added.count, str(added.image_id)) == (1, world.contributors_out["id"])

    def test_adding_many_records_one_activity_and_nothing_when_nothing_changed(self, world):
        second = upload_as(world.clients["contributor"], image_bytes(color=(4, 5, 6)))
        _add(world, "contributor", world.contributors_out, second)
        _add(world, "contributor", world.contributors_out, second)
        [added] = AlbumActivity.objects.filter(album=world.album, kind="added")
        assert (added.count, added.image_id) == (2, None)

    def test_at_most_500_ids(self, world):
        ids = [str(uuid.uuid4()) for _ in range(501)]
        response = world.clients["owner"].put(
            world.url("shared-album-images"), {"image_ids": ids}, format="json"
        )
        assert response.status_code == BAD_REQUEST

    def test_a_contributor_removes_only_their_own(self, world):
        results = _remove(
            world, "contributor", world.owners_in, world.contributors_in, world.contributors_out
        )
        assert results == {
            world.owners_in["id"]: "not_found",
            world.contributors_in["id"]: "removed",
            world.contributors_out["id"]: "not_in_album",
        }
        [removed] = AlbumActivity.objects.filter(album=world.album, kind="removed")
        assert (removed.count, str(removed.image_id)) == (1, world.contributors_in["id"])
        # Still in the contributor's gallery.
        assert Image.objects.filter(pk=world.contributors_in["id"], trashed_at=None).exists()

    @pytest.mark.parametrize("caller", ["editor", "owner"])
    def test_an_editor_or_the_owner_removes_anyones(self, world, caller):
        results = _remove(world, caller, world.owners_in, world.contributors_in, world.owners_out)
        expected_out = "not_in_album" if caller == "owner" else "not_found"
        assert results == {
            world.owners_in["id"]: "removed",
            world.contributors_in["id"]: "removed",
            world.owners_out["id"]: expected_out,
        }
        assert not AlbumImage.objects.filter(album=world.album).exists()

    @pytest.mark.parametrize("ending", ["removed", "album_deleted"])
    def test_a_member_let_in_before_their_access_ended_changes_nothing(self, world, ending):
        """The membership is read again once the album is locked: a change that passed the
        door just before the member was removed (or the album deleted) does nothing."""
        contributor = world.users["contributor"]
        principal = open_as_member(user=contributor, album_id=world.album.pk)
        if ending == "removed":
            AlbumMember.objects.filter(album=world.album, user=contributor).delete()
        else:
            Album.objects.filter(pk=world.album.pk).delete()
        ids = [uuid.UUID(world.contributors_out["id"])]
        with pytest.raises(access.AccessRefused):
            services.shared_album_images_add(principal=principal, image_ids=ids)
        with pytest.raises(access.AccessRefused):
            services.shared_album_images_remove(
                principal=principal, image_ids=[uuid.UUID(world.contributors_in["id"])]
            )
        assert not AlbumImage.objects.filter(image_id=world.contributors_out["id"]).exists()
        assert not AlbumActivity.objects.exists()

    def test_an_album_nobody_shares_records_no_activity(self, world):
        album = Album.objects.create(owner=world.users["owner"], title="Mine")
        response = world.clients["owner"].put(
            reverse("shared-album-images", kwargs={"album_id": album.pk}),
            {"image_ids": [world.owners_out["id"]]},
            format="json",
        )
        assert response.json()["results"][0]["result"] == "added"
        assert not AlbumActivity.objects.filter(album=album).exists()


def _exif_of(data: bytes) -> dict:
    return dict(PILImage.open(io.BytesIO(data)).getexif())


class TestSaveToMyLibrary:
    def _save(self, world: World, caller: str = "viewer", picture: dict | None = None, **headers):
        return world.clients[caller].post(
            world.image_url("save", picture or world.owners_in), **headers
        )

    def _original(self, world: World, caller: str, image_id: str) -> bytes:
        return content(
            world.clients[caller].get(reverse("image-original", kwargs={"pk": image_id}))
        )

    def test_without_the_original_the_styled_rendition_is_copied(self, world):
        response = self._save(world)
        assert response.status_code == CREATED, response.content
        body = response.json()
        assert response["Location"].endswith(reverse("image-detail", kwargs={"pk": body["id"]}))
        assert body["owner"] == str(world.users["viewer"].pk)
        assert (body["title"], body["format"], body["style"]) == ("Beach", "JPEG", "none")
        assert body["original_filename"] == "Beach-none.jpg"
        saved = self._original(world, "viewer", body["id"])
        assert not any(secret in saved for secret in SECRETS)
        mine = world.clients["viewer"].get(reverse("image-list")).json()["results"]
        assert [image["id"] for image in mine] == [body["id"]]

    def test_the_original_without_its_metadata(self, world):
        world.album_settings(originals=True, metadata=False)
        body = self._save(world).json()
        saved = self._original(world, "viewer", body["id"])
        assert not any(secret in saved for secret in SECRETS)
        assert (body["width"], body["height"]) == (64, 48)
        assert body["metadata"]["camera_make"] is None

    def test_the_original_as_it_is_where_the_album_shows_metadata(self, world):
        world.album_settings(originals=True, metadata=True)
        body = self._save(world).json()
        assert body["checksum"] == world.owners_in["checksum"]
        assert body["metadata"]["camera_make"] == "SECRETCAM"

    def test_a_video_without_metadata_is_saved_from_its_playback_file(self, world):
        world.album_settings(originals=True, metadata=False)
        video = upload_as(world.clients["contributor"], clip("h264_aac.mp4"))
        _add(world, "contributor", video)
        response = self._save(world, picture=video)
        assert response.status_code == CREATED, response.content
        assert response.json()["kind"] == "video"

    @pytest.mark.parametrize("quota", ["quota_images", "quota_bytes"])
    def test_over_quota_nothing_is_stored(self, world, quota, assert_storage_consistent):
        viewer = world.users["viewer"]
        setattr(viewer, quota, 0)
        viewer.save()
        response = self._save(world)
        assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        assert response.json()["code"] == "quota_exceeded"
        assert not Image.objects.filter(owner=viewer).exists()
        assert_storage_consistent()

    def test_a_retry_with_the_same_key_saves_once(self, world, assert_storage_consistent):
        first = self._save(world, HTTP_IDEMPOTENCY_KEY="save-1")
        again = self._save(world, HTTP_IDEMPOTENCY_KEY="save-1")
        assert first.status_code == again.status_code == CREATED
        assert again["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        assert Image.objects.filter(owner=world.users["viewer"]).count() == 1
        assert_storage_consistent()

    def test_the_copy_is_the_savers_own(self, world):
        """Deleting the source leaves the copy; the copy's owner is the saver alone."""
        body = self._save(world).json()
        world.clients["owner"].delete(
            reverse("image-detail", kwargs={"pk": world.owners_in["id"]}) + "?permanent=true"
        )
        response = world.clients["viewer"].get(reverse("image-original", kwargs={"pk": body["id"]}))
        assert response.status_code == OK
        stranger = world.clients["stranger"].get(reverse("image-detail", kwargs={"pk": body["id"]}))
        assert stranger.status_code == NOT_FOUND
