"""Videos through HTTP: uploaded like photos, rendered to a poster and a playback MP4, served
by the same rules (owner, signed URL, share link), refused at the door over each limit."""

import io
from http import HTTPStatus
from urllib.parse import urlsplit

import av
import pytest
from django.urls import reverse
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images.models import Image
from tests.factories import image_bytes, upload_request
from tests.videos import clip, mp4_top_level_boxes

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _refused(client, data: bytes, name: str) -> dict:
    response = upload_request(client, data, name=name)
    assert 400 <= response.status_code < 500, response.content
    body = response.json()
    assert body["detail"] and body["code"], body
    return {"status": response.status_code, **body}


class TestVideoUpload:
    @pytest.mark.parametrize(
        ("name", "fmt", "media_type", "size"),
        [
            ("h264_aac.mp4", "MP4", "video/mp4", (64, 48)),
            ("hevc.mov", "MOV", "video/quicktime", (64, 48)),
            ("vp9_opus.webm", "WEBM", "video/webm", (64, 48)),
            ("av1.webm", "WEBM", "video/webm", (64, 64)),
            ("rotated.mp4", "MP4", "video/mp4", (48, 64)),
        ],
    )
    def test_each_video_is_stored_rendered_and_plays(
        self, auth_client, upload, name, fmt, media_type, size, assert_storage_consistent
    ):
        data = clip(name)
        body = upload(data, name=f"clip-{name}")

        assert body["status"] == "ready", body
        assert (body["kind"], body["format"]) == ("video", fmt)
        assert (body["width"], body["height"]) == size
        assert body["duration"] == pytest.approx(1.0, abs=0.05)
        assert body["size"] == len(data)
        assert {"processed", "preview", "thumbnail", "video"} <= set(body["urls"])
        assert_storage_consistent()

        original = auth_client.get(reverse("image-original", kwargs={"pk": body["id"]}))
        assert original.status_code == HTTPStatus.OK
        assert original["Content-Type"] == media_type
        assert _bytes(original) == data

        # The signed URL plays without a token: H.264 and AAC (where there is sound) in an MP4.
        playback = APIClient().get(_path(body["urls"]["video"]))
        assert playback.status_code == HTTPStatus.OK
        assert playback["Content-Type"] == "video/mp4"
        played = _bytes(playback)
        assert mp4_top_level_boxes(played).index("moov") < mp4_top_level_boxes(played).index("mdat")
        with av.open(io.BytesIO(played)) as media:
            assert media.streams.video[0].codec_context.codec.canonical_name == "h264"
            sound = [s.codec_context.codec.canonical_name for s in media.streams.audio]
            assert sound in ([], ["aac"])
            assert next(media.decode(video=0)).width > 0

        # The stills are of the poster, upright.
        still = auth_client.get(reverse("image-processed", kwargs={"pk": body["id"]}))
        assert PILImage.open(io.BytesIO(_bytes(still))).size == size

    def test_photo_has_kind_photo_and_no_video(self, upload, auth_client):
        body = upload(image_bytes())
        assert (body["kind"], body["duration"]) == ("photo", None)
        assert "video" not in body["urls"]
        # A photo will never have one: a 404 that says so, not a 409 asking to come back.
        response = auth_client.get(reverse("image-video", kwargs={"pk": body["id"]}))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["code"] == "no_such_file"

    def test_taken_at_from_the_container(self, upload):
        body = upload(clip("hevc.mov"), name="IMG_0001.MOV")
        assert body["taken_at"] == "2023-05-01T10:34:56Z"
        assert body["taken_at_offset"] == "+02:00"
        assert body["metadata"]["camera_model"] == "iPhone 15"
        assert (body["metadata"]["latitude"], body["metadata"]["longitude"]) == (48.8584, 2.2945)

    def test_stored_bytes_count_the_playback_file(self, upload):
        body = upload(clip("vp9_opus.webm"), name="clip.webm")
        image = Image.objects.get(pk=body["id"])
        assert image.playback_key
        assert image.stored_bytes > image.size

    def test_a_restyle_keeps_the_playback_file(self, upload, auth_client):
        body = upload(clip("h264_aac.mp4"), name="clip.mp4")
        before = Image.objects.get(pk=body["id"])
        response = auth_client.patch(
            reverse("image-detail", kwargs={"pk": body["id"]}), {"style": "sepia"}, format="json"
        )
        assert response.status_code == HTTPStatus.OK
        after = Image.objects.get(pk=body["id"])
        assert after.status == "ready" and after.rendered_style == "sepia"
        assert after.playback_key == before.playback_key
        assert after.stored_bytes - after.size > 0


class TestVideoLimits:
    @pytest.mark.parametrize(
        ("setting", "value", "code"),
        [
            ("MAX_SECONDS", 0.5, "video_too_long"),
            ("MAX_PIXELS", 1000, "video_too_large"),
            ("MAX_FPS", 5, "video_frame_rate"),
            ("MAX_STREAMS", 1, "video_too_many_streams"),
        ],
    )
    def test_each_limit_is_a_4xx_with_its_code_and_leaves_nothing(
        self, auth_client, settings, setting, value, code, assert_storage_consistent
    ):
        settings.ATELIER_VIDEO = {setting: value}
        body = _refused(auth_client, clip("h264_aac.mp4"), "clip.mp4")
        assert body["code"] == code
        assert not Image.objects.exists()
        assert_storage_consistent()

    def test_video_size_limit_is_its_own(self, auth_client, settings, assert_storage_consistent):
        data = clip("h264_aac.mp4")
        settings.ATELIER_VIDEO = {"MAX_UPLOAD_BYTES": len(data) - 1}
        body = _refused(auth_client, data, "clip.mp4")
        assert (body["status"], body["code"]) == (413, "file_too_large")
        assert body["max_bytes"] == len(data) - 1
        assert not Image.objects.exists()
        assert_storage_consistent()

    def test_a_video_over_the_photo_limit_is_taken_within_its_own(self, auth_client, settings):
        settings.ATELIER = {**settings.ATELIER, "MAX_UPLOAD_BYTES": 1000}
        data = clip("h264_aac.mp4")
        assert len(data) > 1000
        response = upload_request(auth_client, data, name="clip.mp4")
        assert response.status_code == HTTPStatus.CREATED, response.content

    def test_a_photo_keeps_the_photo_limit_when_videos_may_be_larger(self, auth_client, settings):
        photo = image_bytes("PNG", size=(200, 200), noisy=True)
        settings.ATELIER = {**settings.ATELIER, "MAX_UPLOAD_BYTES": 1000}
        settings.ATELIER_VIDEO = {"MAX_UPLOAD_BYTES": 10 * 1024 * 1024}
        body = _refused(auth_client, photo, "photo.png")
        assert (body["status"], body["code"], body["max_bytes"]) == (413, "file_too_large", 1000)
        # A name or a type that says "video" changes nothing: the bytes are a photo.
        body = _refused(auth_client, photo, "clip.mp4")
        assert body["max_bytes"] == 1000

    @pytest.mark.parametrize(
        ("name", "code"),
        [("ten_hours.mp4", "video_too_long"), ("mjpeg.mov", "unsupported_codec")],
    )
    def test_hostile_videos_are_refused(self, auth_client, name, code, assert_storage_consistent):
        assert _refused(auth_client, clip(name), name)["code"] == code
        assert not Image.objects.exists()
        assert_storage_consistent()

    def test_truncated_video_is_refused(self, auth_client, assert_storage_consistent):
        data = clip("h264_aac.mp4")
        assert _refused(auth_client, data[:-300], "cut.mp4")["code"] == "truncated"
        assert not Image.objects.exists()
        assert_storage_consistent()


class TestVideoPrivacy:
    def test_another_account_gets_404_on_the_video(self, upload, other_client):
        body = upload(clip("h264.mp4"), name="clip.mp4")
        for rendition in ("video", "motion", "original"):
            response = other_client.get(reverse(f"image-{rendition}", kwargs={"pk": body["id"]}))
            assert response.status_code == HTTPStatus.NOT_FOUND, rendition

    def test_a_signed_url_opens_only_its_own_rendition(self, upload):
        body = upload(clip("h264.mp4"), name="clip.mp4")
        signature = urlsplit(body["urls"]["thumbnail"]).query
        moved = f"{reverse('image-video', kwargs={'pk': body['id']})}?{signature}"
        assert APIClient().get(moved).status_code in (
            HTTPStatus.NOT_FOUND,
            HTTPStatus.UNAUTHORIZED,
        )

    def test_a_share_link_carries_the_video_until_trashed(self, auth_client, upload):
        body = upload(clip("h264_aac.mp4"), name="clip.mp4")
        share = auth_client.post(
            reverse("share-list"), {"image_ids": [body["id"]]}, format="json"
        ).json()
        visitor = APIClient()
        item = visitor.get(_path(share["api_url"])).json()["results"][0]
        assert "video" in item["urls"]
        playback = visitor.get(_path(item["urls"]["video"]))
        assert playback.status_code == HTTPStatus.OK
        assert playback["Content-Type"] == "video/mp4"
        assert _bytes(playback)

        auth_client.delete(reverse("image-detail", kwargs={"pk": body["id"]}))
        assert visitor.get(_path(item["urls"]["video"])).status_code == HTTPStatus.NOT_FOUND
        signed = APIClient().get(_path(body["urls"]["video"]))
        assert signed.status_code == HTTPStatus.NOT_FOUND


class TestVideoPrivacyMatrix:
    """The video stream by every kind of caller the rules name, and after each state change:
    what is not allowed answers exactly as something missing does."""

    @staticmethod
    def _missing(client, rendition: str) -> tuple[int, dict]:
        response = client.get(
            reverse(f"image-{rendition}", kwargs={"pk": "00000000-0000-4000-8000-000000000000"})
        )
        return response.status_code, response.json()

    def test_each_caller_gets_what_the_rules_name(self, auth_client, other_client, upload):
        body = upload(clip("h264_aac.mp4"), name="clip.mp4")
        url = reverse("image-video", kwargs={"pk": body["id"]})
        # The owner, with a token, whole and in ranges.
        assert auth_client.get(url).status_code == HTTPStatus.OK
        ranged = auth_client.get(url, HTTP_RANGE="bytes=0-99")
        assert ranged.status_code == HTTPStatus.PARTIAL_CONTENT
        assert len(_bytes(ranged)) == 100
        # The owner's signed URL, without a token (an <video src>), ranges too.
        signed = APIClient().get(_path(body["urls"]["video"]), HTTP_RANGE="bytes=-10")
        assert signed.status_code == HTTPStatus.PARTIAL_CONTENT and len(_bytes(signed)) == 10
        # Another account: the 404 a missing image gets, byte for byte the same body.
        other = other_client.get(url)
        assert (other.status_code, other.json()) == self._missing(other_client, "video")
        assert other_client.get(url, HTTP_RANGE="bytes=0-9").status_code == HTTPStatus.NOT_FOUND
        # Nobody: a 401, as for any file endpoint.
        assert APIClient().get(url).status_code == HTTPStatus.UNAUTHORIZED

    def test_a_link_carries_the_video_in_ranges_until_it_is_revoked(self, auth_client, upload):
        body = upload(clip("h264_aac.mp4"), name="clip.mp4")
        album = auth_client.post(reverse("album-list"), {"title": "Clips"}, format="json").json()
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [body["id"]]},
            format="json",
        )
        share = auth_client.post(
            reverse("share-list"), {"album": album["id"]}, format="json"
        ).json()
        visitor = APIClient()
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        assert item["kind"] == "video" and item["duration"] > 0
        video = _path(item["urls"]["video"])
        ranged = visitor.get(video, HTTP_RANGE="bytes=0-15")
        assert ranged.status_code == HTTPStatus.PARTIAL_CONTENT
        assert _bytes(ranged)[4:8] == b"ftyp"
        # Out of the album: the link no longer reaches it.
        auth_client.delete(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [body["id"]]},
            format="json",
        )
        assert visitor.get(video).status_code == HTTPStatus.NOT_FOUND
        # Back in, then the link deleted: gone again, at once.
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [body["id"]]},
            format="json",
        )
        assert visitor.get(video).status_code == HTTPStatus.OK
        auth_client.delete(reverse("share-detail", kwargs={"pk": share["id"]}))
        assert visitor.get(video).status_code == HTTPStatus.NOT_FOUND

    @pytest.mark.django_db(transaction=True)  # the files go once the purge commits
    def test_trashing_and_purging_end_every_url_and_leave_no_file(
        self, auth_client, upload, assert_storage_consistent
    ):
        body = upload(clip("h264_aac.mp4"), name="clip.mp4")
        auth_client.delete(reverse("image-detail", kwargs={"pk": body["id"]}))
        # In the trash: nothing is served, its files are kept for a restore.
        for name in ("video", "thumbnail"):
            assert APIClient().get(_path(body["urls"][name])).status_code == HTTPStatus.NOT_FOUND
        assert_storage_consistent()
        # Emptied: every file goes, and every URL stays gone.
        assert auth_client.post(reverse("trash-empty")).status_code == HTTPStatus.OK
        for name in ("video", "thumbnail", "preview", "processed"):
            assert APIClient().get(_path(body["urls"][name])).status_code == HTTPStatus.NOT_FOUND
        assert_storage_consistent()
