"""Hostile uploads, built here: polyglots, bombs, floods of frames, huge metadata, evil names.

Each answers 4xx with a JSON error or 201 for an image that is truly valid; never a 5xx.
Nothing is written outside the storage root, and nothing served carries the input's trailer.
"""

import io
import re
import struct
import zlib
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PILImage

from images.models import Image
from tests.factories import image_bytes

KEY_PATTERN = re.compile(
    r"^[0-9a-f-]{36}/[0-9a-f-]{36}/"
    r"(original\.(jpg|png|gif|webp)|(processed|thumbnail)-[0-9a-f]{8}\.(jpg|png))$"
)
HTML_TRAILER = b"<html><script>alert(document.cookie)</script></html>"


def _zip_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.php", "<?php system($_GET['c']); ?>")
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height, with almost no pixel data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _gif_with_frames(count: int) -> bytes:
    frames = [PILImage.new("P", (8, 8), i % 256) for i in range(count)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=10)
    return buffer.getvalue()


def _jpeg_with_huge_exif() -> bytes:
    exif = PILImage.Exif()
    exif[ExifTags.Base.ImageDescription] = "A" * 60_000
    exif[ExifTags.Base.Make] = "HugeExifCam"
    buffer = io.BytesIO()
    PILImage.new("RGB", (50, 40), (10, 120, 200)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _post(client, data: bytes, name: str = "x.png", content_type: str = "image/png"):
    return client.post(
        reverse("image-list"),
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def _served(client, image_id: str, rendition: str) -> bytes:
    url = reverse(f"image-{rendition}", kwargs={"pk": image_id})
    return b"".join(client.get(url).streaming_content)


class TestPolyglots:
    @pytest.mark.parametrize("trailer", [HTML_TRAILER, _zip_bytes()], ids=["html", "zip"])
    @pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
    def test_trailer_is_never_stored_or_served(
        self, auth_client, media_root, fmt, trailer, assert_storage_consistent
    ):
        clean = image_bytes(fmt, size=(40, 30))
        response = _post(auth_client, clean + trailer)
        assert response.status_code == HTTPStatus.CREATED, response.content
        body = response.json()
        assert body["size"] == len(clean)
        for rendition in ("original", "processed", "thumbnail"):
            served = _served(auth_client, body["id"], rendition)
            assert trailer not in served
            assert b"<html" not in served and b"PK\x03\x04" not in served
        assert _served(auth_client, body["id"], "original") == clean
        for path in media_root.rglob("*"):
            if path.is_file():
                assert trailer not in path.read_bytes()
        assert_storage_consistent()

    def test_html_named_png_is_rejected(self, auth_client):
        response = _post(auth_client, b"<!doctype html><html><body>hi</body></html>")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["file"]


class TestBombs:
    def test_header_declaring_60000_squared_pixels_is_rejected(self, auth_client, media_root):
        response = _post(auth_client, _png_declaring(60_000, 60_000))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "pixels" in response.json()["file"][0]
        assert Image.objects.count() == 0

    def test_image_between_pillows_warning_and_error_thresholds_is_rejected(self, auth_client):
        # ~100 MP: above Pillow's warning (89 MP), below its error (179 MP); our 50 MP decides.
        assert PILImage.MAX_IMAGE_PIXELS < 10_000 * 10_000 < 2 * PILImage.MAX_IMAGE_PIXELS
        response = _post(auth_client, _png_declaring(10_000, 10_000))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "50,000,000" in response.json()["file"][0]

    def test_gif_with_5000_frames_is_accepted_as_its_first_frame(self, auth_client):
        response = _post(auth_client, _gif_with_frames(5000), name="flood.gif")
        assert response.status_code == HTTPStatus.CREATED
        body = response.json()
        assert (body["format"], body["width"], body["height"]) == ("GIF", 8, 8)
        processed = PILImage.open(io.BytesIO(_served(auth_client, body["id"], "processed")))
        assert getattr(processed, "n_frames", 1) == 1

    def test_jpeg_with_huge_exif_block_loses_it(self, auth_client):
        data = _jpeg_with_huge_exif()
        response = _post(auth_client, data, name="exif.jpg", content_type="image/jpeg")
        assert response.status_code == HTTPStatus.CREATED
        for rendition in ("processed", "thumbnail"):
            served = _served(auth_client, response.json()["id"], rendition)
            assert b"HugeExifCam" not in served and len(served) < 20_000

    def test_zero_bytes_is_rejected(self, auth_client):
        response = _post(auth_client, b"")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["file"]


class TestHostileFilenames:
    @pytest.mark.parametrize(
        "name",
        [
            "../../etc/passwd.png",
            "..\\..\\windows\\win.ini.png",
            "a.php%00.png",
            "a.php\x00.png",
            "x" * 1000 + ".png",
            "\u202egnp.exe",
            "\u05e9\u05dc\u05d5\u05dd.png",
            "/absolute/path.png",
        ],
        ids=[
            "dotdot",
            "backslash",
            "pct-nul",
            "nul",
            "1000-chars",
            "rtl-override",
            "hebrew",
            "abs",
        ],
    )
    def test_name_never_reaches_storage(self, auth_client, media_root, tmp_path, name):
        response = _post(auth_client, image_bytes("PNG"), name=name)
        assert response.status_code in (HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST)
        assert response.status_code < 500
        if response.status_code == HTTPStatus.CREATED:
            shown = response.json()["original_filename"]
            assert "/" not in shown and "\\" not in shown and "\x00" not in shown
            assert "\u202e" not in shown and len(shown) <= 255
            disposition = auth_client.get(
                reverse("image-original", kwargs={"pk": response.json()["id"]})
            )["Content-Disposition"]
            assert "\x00" not in disposition and "\n" not in disposition
        else:
            assert response.json()
        stored = [
            p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file()
        ]
        assert all(KEY_PATTERN.match(key) for key in stored), stored
        outside = [p for p in tmp_path.rglob("*") if p.is_file() and media_root not in p.parents]
        assert outside == []
