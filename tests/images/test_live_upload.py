"""Live and motion photos through the upload and the render job (the wiring of issue 21.3).

A motion photo's clip, declared by the file's own XMP, is kept: the original comes back byte
for byte and its clip becomes the photo's ``motion_key``; an undeclared trailer is still cut.
A Live Photo's still, uploaded after its clip has landed, absorbs it when its render lands.
"""

import io
from http import HTTPStatus

import pytest
from django.urls import reverse

from images import files
from images.models import Image
from imaging import motion
from tests.factories import upload_request
from tests.live_factories import LIVE_ID, clip, live_jpeg, make_clip, micro_video

pytestmark = [pytest.mark.django_db, pytest.mark.inprocess_render]


def original_of(client, image_id: str) -> bytes:
    response = client.get(reverse("image-original", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK
    return b"".join(response.streaming_content)


def test_a_motion_photo_is_kept_whole_and_its_clip_moves(
    auth_client, upload, media_root, assert_storage_consistent
):
    data = micro_video(clip())
    body = upload(data, name="PXL_20261207_MP.jpg")

    assert body["status"] == "ready" and body["size"] == len(data)
    assert original_of(auth_client, body["id"]) == data
    image = Image.objects.get(pk=body["id"])
    playable = files.file_read(key=image.motion_key)
    assert playable == motion.motion_clip_remux(clip())
    assert image.motion_original_key == ""  # the clip is in the original, counted once
    assert image.stored_bytes > len(data) + len(playable)
    assert_storage_consistent()


def test_an_undeclared_trailer_after_a_motion_photo_is_cut(
    auth_client, upload, media_root, assert_storage_consistent
):
    declared = micro_video(clip())
    body = upload(declared + b"<html>polyglot</html>")

    image_end = len(declared) - len(clip())
    assert body["size"] == image_end
    assert original_of(auth_client, body["id"]) == declared[:image_end]
    assert Image.objects.get(pk=body["id"]).motion_key == ""
    assert_storage_consistent()


def test_a_restyle_keeps_the_motion_part_and_its_bytes(
    auth_client, upload, media_root, assert_storage_consistent, django_capture_on_commit_callbacks
):
    body = upload(micro_video(clip()))
    before = Image.objects.get(pk=body["id"])

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(
            reverse("image-detail", kwargs={"pk": body["id"]}), {"style": "sepia"}
        )

    assert response.status_code == HTTPStatus.OK, response.content
    after = Image.objects.get(pk=body["id"])
    assert after.motion_key == before.motion_key
    playable = files.file_read(key=after.motion_key)
    assert after.stored_bytes - after.size - len(playable) > 0  # the renditions' bytes
    assert_storage_consistent()


def test_a_live_photo_still_absorbs_its_landed_clip_when_it_renders(
    user, auth_client, media_root, assert_storage_consistent, django_capture_on_commit_callbacks
):
    clip_row = make_clip(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload_request(auth_client, live_jpeg(), name="IMG_0001.JPG")

    assert response.status_code == HTTPStatus.CREATED, response.content
    photo = Image.objects.get(pk=response.json()["id"])
    assert photo.live_photo_id == LIVE_ID
    assert photo.motion_original_key == clip_row.original_key
    assert not Image.objects.filter(pk=clip_row.pk).exists()
    assert (
        motion.live_photo_id_from_video(io.BytesIO(files.file_read(key=photo.motion_original_key)))
        == LIVE_ID
    )
    assert_storage_consistent()


@pytest.mark.django_db(transaction=True)  # the clip's stills go once its pairing commits
@pytest.mark.parametrize("photo_first", [True, False], ids=["photo-first", "clip-first"])
def test_a_live_photos_halves_become_one_item_whichever_arrives_first(
    auth_client, media_root, assert_storage_consistent, photo_first
):
    """Through the API as a phone's uploader sends them: one item, the photo, that moves."""
    halves = [
        ("IMG_0001.JPG", live_jpeg(), "image/jpeg"),
        ("IMG_0001.MOV", clip("mov", LIVE_ID), "video/quicktime"),
    ]
    if not photo_first:
        halves.reverse()
    answers = []
    for name, data, content_type in halves:
        response = upload_request(auth_client, data, name=name, content_type=content_type)
        assert response.status_code == HTTPStatus.CREATED, response.json()
        answers.append(response.json())
    [item] = auth_client.get(reverse("image-list")).json()["results"]
    assert item["kind"] == "photo" and item["format"] == "JPEG"
    assert "motion" in item["urls"]
    # Whichever half came second was answered with the one item it became part of.
    assert answers[1]["id"] == item["id"]
    motion_file = auth_client.get(reverse("image-motion", kwargs={"pk": item["id"]}))
    assert motion_file.status_code == HTTPStatus.OK
    assert motion_file["Content-Type"] == "video/mp4"
    # Both originals kept byte for byte: the photo's as the original, the clip's beside it.
    assert original_of(auth_client, item["id"]) == live_jpeg()
    photo = Image.objects.get(pk=item["id"])
    assert files.file_read(key=photo.motion_original_key) == clip("mov", LIVE_ID)
    assert_storage_consistent()
