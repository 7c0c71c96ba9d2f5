"""HEIC/HEIF and AVIF photos through the API: accepted from their bytes, rendered upright in
sRGB, their EXIF read, their originals kept and served byte for byte under their own type,
stripped for a link that hides metadata, and refused from the header when too large."""

import io
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from PIL import Image as PILImage
from rest_framework.test import APIClient

from imaging import exif, processing
from tests.celery_broker import renders_settle
from tests.conftest import ON_S3_STACK, field_errors
from tests.factories import upload_request
from tests.heif_files import P3_SAMPLE_AS_SRGB, RED, heif_bytes

pytestmark = pytest.mark.django_db

# Every kind of file the tests make: the encoder, bit depth, chroma and tiling vary.
KINDS = {
    "heic-x265-8bit-420": {"fmt": "HEIF"},
    "heic-x265-10bit": {"fmt": "HEIF", "ten_bit": True},
    "heic-x265-444": {"fmt": "HEIF", "chroma": 444},
    "heic-x265-grid": {"fmt": "HEIF", "tile_size": 32},
    "avif-aom": {"fmt": "AVIF"},
}
MEDIA = {"HEIF": ("image/heic", ".heic"), "AVIF": ("image/avif", ".avif")}


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _settled(client: APIClient, image: dict) -> dict:
    """The image once its render has run (on the S3 stack, once the worker has done it)."""
    if ON_S3_STACK:
        renders_settle()
    return client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()


def _upright(data: bytes) -> PILImage.Image:
    return processing.image_decode(io.BytesIO(data), max_pixels=10_000).image


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _rendition(client: APIClient, image_id: str, name: str = "processed") -> PILImage.Image:
    response = client.get(reverse(f"image-{name}", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK
    return PILImage.open(io.BytesIO(_content(response))).convert("RGB")


def _close(pixel: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def _corner_of_red(image: PILImage.Image) -> str:
    """Which corner the red block is in: ``top-left``, ``top-right``, ...."""
    w, h = image.size
    corners = {
        "top-left": (1, 1),
        "top-right": (w - 2, 1),
        "bottom-left": (1, h - 2),
        "bottom-right": (w - 2, h - 2),
    }
    red = [name for name, xy in corners.items() if _close(image.getpixel(xy), RED, 40)]
    assert len(red) == 1, red
    return red[0]


class TestUpload:
    @pytest.mark.parametrize("kind", list(KINDS))
    def test_accepted_rendered_and_original_served_byte_for_byte(
        self, auth_client, upload, assert_storage_consistent, kind
    ):
        options = KINDS[kind]
        data = heif_bytes(**options)
        # The name says JPEG: the bytes decide.
        image = upload(data, name="IMG_0001.jpg")
        assert image["status"] == "ready"
        assert image["format"] == options["fmt"]
        assert (image["width"], image["height"]) == (64, 48)
        assert image["size"] == len(data)
        processed = _rendition(auth_client, image["id"])
        assert processed.size == (64, 48)
        assert _corner_of_red(processed) == "top-left"
        assert _rendition(auth_client, image["id"], "thumbnail").size[1] <= 48
        response = auth_client.get(reverse("image-original", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.OK
        assert _content(response) == data
        media_type, extension = MEDIA[options["fmt"]]
        assert response["Content-Type"] == media_type
        assert extension in response["Content-Disposition"]
        assert_storage_consistent()

    def test_a_trailer_after_the_image_is_cut_off(self, auth_client, upload):
        data = heif_bytes()
        image = upload(data + b"PK\x03\x04 a zip that rides along", name="x.heic")
        original = auth_client.get(reverse("image-original", kwargs={"pk": image["id"]}))
        assert _content(original) == data


class TestOrientation:
    @pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
    @pytest.mark.parametrize(
        ("orientation", "corner"),
        [(6, "top-right"), (3, "bottom-right"), (8, "bottom-left"), (5, "top-left")],
    )
    def test_the_boxes_rotation_is_applied_once(
        self, auth_client, upload, fmt, orientation, corner
    ):
        image = upload(heif_bytes(fmt, orientation=orientation))
        turned = orientation in (5, 6, 7, 8)
        assert (image["width"], image["height"]) == ((48, 64) if turned else (64, 48))
        processed = _rendition(auth_client, image["id"])
        assert processed.size == (image["width"], image["height"])
        assert _corner_of_red(processed) == corner

    def test_ten_bit_grid_rotated(self, auth_client, upload):
        image = upload(heif_bytes(ten_bit=True, orientation=6))
        assert (image["width"], image["height"]) == (48, 64)
        assert _corner_of_red(_rendition(auth_client, image["id"])) == "top-right"
        grid = upload(heif_bytes(tile_size=32, orientation=6))
        assert _corner_of_red(_rendition(auth_client, grid["id"])) == "top-right"

    def test_an_exif_orientation_without_rotation_boxes_is_not_applied(self, auth_client, upload):
        # HEIF's transforms are its boxes; EXIF's orientation is informative (libheif and
        # browsers show this file unrotated), so applying it would turn the photo twice.
        image = upload(heif_bytes(exif_orientation_only=6))
        assert (image["width"], image["height"]) == (64, 48)
        assert _corner_of_red(_rendition(auth_client, image["id"])) == "top-left"


class TestColour:
    @pytest.mark.parametrize(
        ("fmt", "colour"), [("HEIF", "icc-p3"), ("HEIF", "nclx-p3"), ("AVIF", "icc-p3")]
    )
    def test_display_p3_becomes_srgb(self, auth_client, upload, fmt, colour):
        image = upload(heif_bytes(fmt, colour=colour, quality=90))
        pixel = _rendition(auth_client, image["id"]).getpixel((40, 30))
        assert _close(pixel, P3_SAMPLE_AS_SRGB, 6), pixel


class TestExif:
    @pytest.mark.parametrize("kind", ["heic-x265-8bit-420", "heic-x265-grid", "avif-aom"])
    def test_taken_at_and_metadata_from_exif(self, auth_client, upload, kind):
        image = upload(heif_bytes(**KINDS[kind]))
        body = auth_client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()
        assert body["taken_at"] == "2024-05-06T05:08:09Z"
        assert body["metadata"]["camera_make"] == "Apple"
        assert body["metadata"]["camera_model"] == "iPhone 15 Pro"
        assert body["metadata"]["latitude"] == pytest.approx(48.858, abs=0.001)


class TestShares:
    @pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
    def test_a_link_without_metadata_serves_the_original_stripped(
        self, auth_client, upload, assert_storage_consistent, fmt
    ):
        data = heif_bytes(fmt, orientation=6, xmp=b"<x:xmpmeta>secret place</x:xmpmeta>")
        image = upload(data)
        share = auth_client.post(
            reverse("share-list"),
            {"image_ids": [image["id"]], "allow_original": True},
            format="json",
        ).json()
        visitor = APIClient()
        item = visitor.get(_path(share["api_url"])).json()["results"][0]
        response = visitor.get(_path(item["urls"]["original"]))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == MEDIA[fmt][0]
        served = _content(response)
        assert b"Apple" not in served and b"secret place" not in served
        read = exif.exif_read(data=served)
        assert read.taken_at is None
        assert set(read.metadata.values()) == {None}
        # The same picture, still the right way up.
        original, stripped = _upright(data), _upright(served)
        assert stripped.size == original.size == (48, 64)
        assert stripped.tobytes() == original.tobytes()
        assert_storage_consistent()


class TestRefused:
    @pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
    def test_too_many_pixels_from_the_header(self, auth_client, settings, fmt):
        settings.ATELIER = {**settings.ATELIER, "MAX_PIXELS": 64 * 48 - 1}
        response = upload_request(auth_client, heif_bytes(fmt), name="x.heic")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        body = response.json()
        assert body["code"] == "too_many_pixels" and field_errors(body)["file"]

    def test_a_grid_counts_its_whole_picture_not_a_tile(self, auth_client, settings):
        # Each 32×32 tile is within the limit; the 64×48 picture they make is not.
        settings.ATELIER = {**settings.ATELIER, "MAX_PIXELS": 2000}
        response = upload_request(auth_client, heif_bytes(tile_size=32))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"] == "too_many_pixels"

    @pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
    def test_too_long_an_edge_from_the_header(self, auth_client, settings, fmt):
        settings.ATELIER = {**settings.ATELIER, "MAX_EDGE": 63}
        response = upload_request(auth_client, heif_bytes(fmt))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"] == "too_large_edge"

    @pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
    @pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
    def test_truncated_is_refused_as_json(self, auth_client, assert_storage_consistent, fmt, cut):
        data = heif_bytes(fmt)
        response = upload_request(auth_client, data[: int(len(data) * cut)])
        assert response.status_code == HTTPStatus.BAD_REQUEST
        body = response.json()
        assert body["code"] == "corrupt", body
        assert field_errors(body)["file"]
        assert_storage_consistent()

    @pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
    def test_corrupt_picture_bytes_fail_cleanly(
        self, auth_client, assert_storage_consistent, django_capture_on_commit_callbacks, fmt
    ):
        data = bytearray(heif_bytes(fmt, size=(128, 96), quality=90))
        # The boxes walk; the coded picture at the end of mdat is garbage.
        data[-120:-20] = bytes(range(100))
        with django_capture_on_commit_callbacks(execute=True):  # a failed render's files go
            response = upload_request(auth_client, bytes(data))
        assert response.status_code == HTTPStatus.CREATED, response.content
        body = _settled(auth_client, response.json())
        if fmt == "AVIF":
            # dav1d refuses the damaged frame: the render fails, keeping nothing.
            assert body["status"] == "failed", body
            assert body["error"]["code"] == "corrupt"
        else:
            # libde265 conceals errors in a damaged slice, as a phone's viewer shows it.
            assert body["status"] in ("ready", "failed"), body
        assert_storage_consistent()

    def test_an_image_sequence_is_refused(self, auth_client):
        data = heif_bytes()
        # A moov box (an image sequence's track) after the still: decoders would show it.
        moov = (16).to_bytes(4, "big") + b"moov" + bytes(8)
        response = upload_request(auth_client, data + moov)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"] == "corrupt"
