"""The privacy matrix of a shared album's inside: every caller, every endpoint, every rendition.

The owner and the members who accepted (viewer, contributor, editor) see the album's live
pictures; an invitee who has not accepted, a removed member and a stranger get the very 404
a missing album gets, and anonymous callers a 401. A member's signed URL opens one rendition
of one picture in one album for one member, and only while the membership, the album and
the picture's place in it last. The originals and the camera's metadata reach members only
where the album lets them (checked on the served bytes).
"""

import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from images.models import AlbumMember, Image
from images.signing import credential_digest
from images.together.signing import member_rendition_signature
from tests.images.shared_album_world import (
    CALLERS,
    INSIDE,
    MEMBER_ROLES,
    SECRETS,
    World,
    content,
    path_of,
    shared_album_world,  # noqa: F401 (the ``world`` fixture)
)

pytestmark = pytest.mark.django_db

OK, CREATED, NOT_FOUND = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NOT_FOUND
UNAUTHORIZED = HTTPStatus.UNAUTHORIZED
STILLS = ("thumbnail", "preview", "processed")
NOT_FOUND_BODY = {"detail": "Not found.", "code": "not_found"}


def _refused_as_missing(world: World, caller: str, response) -> None:
    """A 404 byte for byte like a missing album's, or a 401 for anonymous callers."""
    if caller == "anonymous":
        assert response.status_code == UNAUTHORIZED, response.content
        return
    missing = world.clients[caller].get(
        reverse("shared-album-detail", kwargs={"album_id": uuid.uuid4()})
    )
    assert response.status_code == missing.status_code == NOT_FOUND
    assert content(response) == content(missing)
    assert response.json() == NOT_FOUND_BODY


def _read_urls(world: World) -> list[str]:
    urls = [
        world.url("shared-album-detail"),
        world.url("shared-album-images"),
        world.image_url("detail", world.owners_in),
        world.image_url("detail", world.contributors_in),
    ]
    return urls + [world.image_url(name, world.owners_in) for name in (*STILLS, "original")]


class TestWhoReads:
    """Read-only: every caller asks the same world (a world per caller would be slow)."""

    def test_only_the_owner_and_accepted_members_read_anything(self, world):
        world.album_settings(originals=True, metadata=True)
        for caller in CALLERS:
            for url in _read_urls(world):
                response = world.clients[caller].get(url)
                if caller in INSIDE:
                    assert response.status_code == OK, (caller, url, response.content)
                else:
                    _refused_as_missing(world, caller, response)

    def test_a_photo_has_no_moving_file_and_outsiders_learn_not_even_that(self, world):
        for caller in CALLERS:
            for rendition in ("video", "motion"):
                response = world.clients[caller].get(world.image_url(rendition, world.owners_in))
                if caller in INSIDE:
                    assert response.status_code == NOT_FOUND
                    assert response.json()["code"] == "no_such_file"
                else:
                    _refused_as_missing(world, caller, response)

    def test_the_album_lists_its_pictures_and_nothing_else(self, world):
        for caller in INSIDE:
            body = world.clients[caller].get(world.url("shared-album-images")).json()
            ids = {image["id"] for image in body["results"]}
            assert ids == {world.owners_in["id"], world.contributors_in["id"]}, caller

    def test_a_picture_outside_the_album_is_byte_identical_to_a_missing_one(self, world):
        world.album_settings(originals=True, metadata=True)
        for caller in MEMBER_ROLES:
            client = world.clients[caller]
            for name in ("detail", *STILLS, "original", "video", "save"):
                method = client.post if name == "save" else client.get
                for outside in (world.owners_out, world.contributors_out):
                    if outside["owner"] == str(world.users[caller].pk):
                        continue
                    there = method(world.image_url(name, outside))
                    missing = method(world.image_url(name, {"id": str(uuid.uuid4())}))
                    assert there.status_code == missing.status_code == NOT_FOUND
                    assert content(there) == content(missing), (caller, name)
        saved = Image.objects.filter(owner__in=[world.users["viewer"], world.users["editor"]])
        assert not saved.exists()  # no save of a picture outside the album went through

    def test_a_picture_of_a_member_who_left_leaves_the_album_with_them(self, world):
        AlbumMember.objects.filter(user=world.users["contributor"]).delete()
        response = world.clients["viewer"].get(world.image_url("detail", world.contributors_in))
        _refused_as_missing(world, "viewer", response)
        listed = world.clients["viewer"].get(world.url("shared-album-images")).json()
        assert [image["id"] for image in listed["results"]] == [world.owners_in["id"]]


class TestWhoWrites:
    """Each caller in turn on one world: a refusal changes nothing, and what an allowed
    caller changes does not change who else is allowed."""

    def test_only_editors_and_the_owner_change_the_album(self, world):
        for caller in CALLERS:
            response = world.clients[caller].patch(
                world.url("shared-album-detail"), {"title": f"By {caller}"}, format="json"
            )
            if caller in ("owner", "editor"):
                assert response.status_code == OK, response.content
                assert response.json()["title"] == f"By {caller}"
            elif caller in ("viewer", "contributor"):
                assert response.json() == NOT_FOUND_BODY, caller
            else:
                _refused_as_missing(world, caller, response)
        world.album.refresh_from_db()
        assert world.album.title == "By editor"

    @pytest.mark.parametrize("route", ["shared-album-images", "shared-album-images-remove"])
    def test_only_contributors_editors_and_the_owner_add_or_remove(self, world, route):
        for caller in CALLERS:
            client = world.clients[caller]
            send = client.put if route == "shared-album-images" else client.post
            response = send(
                world.url(route), {"image_ids": [world.owners_out["id"]]}, format="json"
            )
            if caller in ("owner", "editor", "contributor"):
                assert response.status_code == OK, (caller, response.content)
            elif caller == "viewer":
                assert response.json() == NOT_FOUND_BODY
            else:
                _refused_as_missing(world, caller, response)

    def test_saving_is_for_members_and_someone_elses_pictures(self, world):
        for caller in CALLERS:
            response = world.clients[caller].post(world.image_url("save", world.owners_in))
            if caller in MEMBER_ROLES:
                assert response.status_code == CREATED, (caller, response.content)
            elif caller == "owner":
                assert response.json() == NOT_FOUND_BODY  # their own picture
            else:
                _refused_as_missing(world, caller, response)
        own = world.clients["contributor"].post(world.image_url("save", world.contributors_in))
        assert own.json() == NOT_FOUND_BODY
        for caller in (*MEMBER_ROLES, "pending", "removed", "stranger"):
            copies = Image.objects.filter(owner=world.users[caller], title="Beach").count()
            assert copies == (1 if caller in MEMBER_ROLES else 0), caller


class TestOriginalsAndMetadata:
    @pytest.mark.parametrize("originals", [False, True])
    @pytest.mark.parametrize("metadata", [False, True])
    def test_what_the_album_lets_its_members_have(self, world, originals, metadata):
        world.album_settings(originals=originals, metadata=metadata)
        for caller in INSIDE:
            client = world.clients[caller]
            for picture in (world.owners_in, world.contributors_in):
                theirs = caller == "owner" or picture["owner"] == str(world.users[caller].pk)
                may_original, may_metadata = (theirs or originals), (theirs or metadata)
                body = client.get(world.image_url("detail", picture)).json()
                assert ("original" in body["urls"]) is may_original, (caller, body)
                assert ("metadata" in body) is may_metadata, (caller, body)
                assert ("taken_at" in body) is may_metadata, (caller, body)
                if may_metadata:
                    assert body["metadata"]["camera_make"] == "SECRETCAM"
                response = client.get(world.image_url("original", picture))
                if not may_original:
                    assert response.json() == NOT_FOUND_BODY
                    continue
                assert response.status_code == OK
                served = content(response)
                for secret in SECRETS:
                    assert (secret in served) is may_metadata, (caller, secret)
                # The signed URL serves the very same bytes, without any header.
                signed = world.clients["anonymous"].get(path_of(body["urls"]["original"]))
                assert content(signed) == served

    def test_stills_never_carry_metadata(self, world):
        world.album_settings(originals=True, metadata=True)
        for caller in MEMBER_ROLES:
            for name in STILLS:
                served = content(world.clients[caller].get(world.image_url(name, world.owners_in)))
                assert not any(secret in served for secret in SECRETS), (caller, name)


def _viewer_thumbnail(world: World) -> str:
    body = world.clients["viewer"].get(world.url("shared-album-images")).json()
    [picture] = [image for image in body["results"] if image["id"] == world.owners_in["id"]]
    return path_of(picture["urls"]["thumbnail"])


class TestSignedUrls:
    def test_a_signed_url_opens_its_rendition_without_credentials(self, world):
        response = world.clients["anonymous"].get(_viewer_thumbnail(world))
        assert response.status_code == OK
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-cache"

    @pytest.mark.parametrize("move", ["image", "album", "rendition", "user", "forged"])
    def test_a_signature_moved_opens_nothing(self, world, move):
        url = _viewer_thumbnail(world)
        if move == "image":
            url = url.replace(world.owners_in["id"], world.contributors_in["id"])
        elif move == "album":
            other = world.album.__class__.objects.create(owner=world.users["owner"], title="B")
            AlbumMember.objects.create(
                album=other, user=world.users["viewer"], role="viewer", accepted_at=other.created_at
            )
            other.memberships.create(image_id=world.owners_in["id"])
            url = url.replace(str(world.album.pk), str(other.pk))
        elif move == "rendition":
            url = url.replace("/thumbnail/", "/preview/")
        elif move == "user":
            url = url.replace(world.users["viewer"].pk.hex, world.users["editor"].pk.hex)
        else:
            url = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
        for caller in ("anonymous", "viewer"):
            response = world.clients[caller].get(url)
            assert response.status_code == NOT_FOUND
            assert response.json()["code"] == "not_found"

    @pytest.mark.parametrize("ending", ["removed", "album_deleted", "trashed", "taken_out"])
    def test_a_signed_url_ends_the_moment_access_does(self, world, ending):
        url = _viewer_thumbnail(world)
        assert world.clients["anonymous"].get(url).status_code == OK
        owner = world.clients["owner"]
        if ending == "removed":
            AlbumMember.objects.filter(album=world.album, user=world.users["viewer"]).delete()
        elif ending == "album_deleted":
            owner.delete(reverse("album-detail", kwargs={"pk": world.album.pk}))
        elif ending == "trashed":
            owner.delete(reverse("image-detail", kwargs={"pk": world.owners_in["id"]}))
        else:
            response = owner.post(
                world.url("shared-album-images-remove"),
                {"image_ids": [world.owners_in["id"]]},
                format="json",
            )
            assert response.json()["results"][0]["result"] == "removed"
        response = world.clients["anonymous"].get(url)
        assert response.status_code == NOT_FOUND
        assert response.json() == NOT_FOUND_BODY

    def test_a_password_change_ends_a_members_urls(self, world):
        url = _viewer_thumbnail(world)
        viewer = world.users["viewer"]
        viewer.set_password("another-long-password-77")
        viewer.save()
        assert world.clients["anonymous"].get(url).status_code == NOT_FOUND

    @pytest.mark.parametrize("who", ["pending", "removed", "stranger", "viewer"])
    def test_a_valid_signature_opens_only_what_its_member_sees(self, world, who):
        """Signed with the real key: for an outsider, or for a picture outside the album."""
        account = world.users[who]
        picture = world.owners_out if who == "viewer" else world.owners_in
        token, _ = member_rendition_signature(
            user_id=account.pk,
            credential=credential_digest(account.password),
            album_id=world.album.pk,
            image_id=uuid.UUID(picture["id"]),
            rendition="thumbnail",
        )
        url = f"{world.image_url('thumbnail', picture)}?sig={token}"
        response = world.clients["anonymous"].get(url)
        assert response.status_code == NOT_FOUND
        assert response.json() == NOT_FOUND_BODY

    def test_no_original_url_is_handed_out_and_none_opens_where_the_album_keeps_it(self, world):
        world.album_settings(originals=False, metadata=False)
        viewer = world.users["viewer"]
        token, _ = member_rendition_signature(
            user_id=viewer.pk,
            credential=credential_digest(viewer.password),
            album_id=world.album.pk,
            image_id=uuid.UUID(world.owners_in["id"]),
            rendition="original",
        )
        url = f"{world.image_url('original', world.owners_in)}?sig={token}"
        assert world.clients["anonymous"].get(url).json() == NOT_FOUND_BODY

    def test_a_signature_on_the_json_endpoints_is_no_credential(self, world):
        query = _viewer_thumbnail(world).partition("?")[2]
        response = world.clients["anonymous"].get(f"{world.url('shared-album-images')}?{query}")
        assert response.status_code == UNAUTHORIZED
