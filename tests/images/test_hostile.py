"""Hostile uploads, built here: polyglots, bombs, floods of frames, huge metadata, evil names.

Each answers 4xx with a JSON error or 201 for an image that is truly valid; never a 5xx.
Nothing is written outside the storage root, and nothing served carries the input's trailer.
"""

import gc
import io
import re
import struct
import time
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
    r"(original\.(jpg|png|gif|webp)|(processed|preview|thumbnail)-[0-9a-f]{8}\.(jpg|png|avif|webp))$"
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


def _refused(response, words: str = "") -> str:
    """Refused at the door (400), or accepted and then failed in its render with nothing kept.

    Decoding is the render job's (#12): a file whose header is sound but whose pixels are not
    passes the upload's cheap checks and ends ``failed``, keeping no file and counting
    nothing. Returns the message that says why.
    """
    if response.status_code == HTTPStatus.BAD_REQUEST:
        message = response.json()["file"][0]
    else:
        assert response.status_code == HTTPStatus.CREATED, response.content
        body = response.json()
        assert body["status"] == "failed", body
        assert set(body["urls"]) == {"expires_at"}
        stored = Image.objects.get(pk=body["id"])
        assert stored.storage_keys == [] and stored.stored_bytes == 0
        message = body["error"]["detail"]
    assert words in message, message
    return message


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


def _jpeg_scan_cut(data: bytes, keep: float) -> bytes:
    """The JPEG with its scan cut to ``keep`` of its length and an EOI marker appended."""
    sos = data.index(b"\xff\xda")
    scan_start = sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")
    scan_end = len(data) - 2
    return data[: scan_start + int((scan_end - scan_start) * keep)] + b"\xff\xd9"


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header claims width×height: one MCU of scan data, then EOI."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (10, 200, 30)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _mpo_bytes() -> bytes:
    """A two-picture MPO, as a phone writes for a portrait or an HDR gain map."""
    first = PILImage.open(io.BytesIO(image_bytes("JPEG", size=(60, 40)))).convert("RGB")
    second = PILImage.new("RGB", (30, 20), (0, 0, 255))
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


class TestTruncatedJpeg:
    @pytest.mark.inprocess_render
    def test_scan_cut_short_then_ended_with_eoi_is_rejected(self, auth_client):
        cut = _jpeg_scan_cut(image_bytes("JPEG", size=(320, 240), quality=90), 0.3)
        response = _post(auth_client, cut, name="cut.jpg", content_type="image/jpeg")
        _refused(response, "truncated")

    @pytest.mark.inprocess_render
    def test_scan_cut_short_with_restart_markers_is_rejected(self, auth_client):
        data = image_bytes("JPEG", size=(320, 240), restart_marker_blocks=4)
        response = _post(auth_client, _jpeg_scan_cut(data, 0.5), content_type="image/jpeg")
        _refused(response)

    @pytest.mark.parametrize(
        "options",
        [
            {},
            {"progressive": True},
            {"restart_marker_blocks": 2},
            {"restart_marker_rows": 1},
            {"optimize": True},
            {"subsampling": 0, "quality": 100},
        ],
        ids=["baseline", "progressive", "restart-blocks", "restart-rows", "optimized", "444"],
    )
    def test_complete_jpegs_of_every_kind_are_accepted(self, auth_client, options):
        data = image_bytes("JPEG", size=(321, 239), noisy=True, **options)
        response = _post(auth_client, data, name="ok.jpg", content_type="image/jpeg")
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert response.json()["size"] == len(data)


class TestMultiPictureJpeg:
    def test_mpo_is_accepted_as_jpeg_and_kept_whole(self, auth_client):
        data = _mpo_bytes()
        assert PILImage.open(io.BytesIO(data)).format == "MPO"
        response = _post(auth_client, data, name="portrait.jpg", content_type="image/jpeg")
        assert response.status_code == HTTPStatus.CREATED, response.content
        body = response.json()
        assert (body["format"], body["width"], body["height"]) == ("JPEG", 60, 40)
        assert body["size"] == len(data)
        assert _served(auth_client, body["id"], "original") == data
        processed = PILImage.open(io.BytesIO(_served(auth_client, body["id"], "processed")))
        assert processed.size == (60, 40)

    def test_trailer_after_the_last_picture_is_cut(self, auth_client):
        data = _mpo_bytes()
        response = _post(auth_client, data + HTML_TRAILER, content_type="image/jpeg")
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert _served(auth_client, response.json()["id"], "original") == data


class TestEdges:
    def test_one_by_fifty_million_png_is_refused_from_its_header(self, auth_client, settings):
        response = _post(auth_client, _png_declaring(1, 50_000_000))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "30,000" in response.json()["file"][0]
        assert Image.objects.count() == 0

    def test_edge_at_the_limit_is_accepted(self, auth_client):
        response = _post(auth_client, image_bytes("PNG", size=(30_000, 1)))
        assert response.status_code == HTTPStatus.CREATED, response.content

    @pytest.mark.inprocess_render
    def test_jpeg_claiming_7071_squared_with_no_scan_data_is_rejected(self, auth_client):
        data = _jpeg_declaring(7071, 7071)
        assert len(data) < 1000
        response = _post(auth_client, data, name="claim.jpg", content_type="image/jpeg")
        _refused(response, "truncated")


class TestOrientation:
    def test_width_and_height_describe_the_upright_picture(self, auth_client):
        exif = PILImage.Exif()
        exif[ExifTags.Base.Orientation] = 6
        data = image_bytes("JPEG", size=(40, 30), exif=exif)
        response = _post(auth_client, data, name="sideways.jpg", content_type="image/jpeg")
        assert response.status_code == HTTPStatus.CREATED, response.content
        body = response.json()
        assert (body["width"], body["height"]) == (30, 40)
        for rendition in ("processed", "thumbnail"):
            served = PILImage.open(io.BytesIO(_served(auth_client, body["id"], rendition)))
            assert served.size == (30, 40)


def _progressive_with_last_scan_repeated(times: int, edge: int = 2048) -> bytes:
    """A valid greyscale progressive JPEG (2048² pixels, 21 kB) whose last refinement scan
    comes ``times`` more times: each repeat adds 16 bytes and a pass over every block."""
    buffer = io.BytesIO()
    PILImage.linear_gradient("L").resize((edge, edge)).save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    last_scan = data[data.rindex(b"\xff\xda") : -2]
    return data[:-2] + last_scan * times + data[-2:]


def _frame_claimed(data: bytes, width: int, height: int) -> bytes:
    """``data`` (a progressive JPEG) with its frame header claiming ``width``×``height``."""
    sof = data.index(b"\xff\xc2")
    size = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return data[: sof + 5] + size + data[sof + 9 :]


def _png_with_private_chunks(count: int) -> bytes:
    """A PNG with ``count`` empty private chunks before its image data (12 bytes each)."""
    data = image_bytes("PNG", size=(64, 48))
    idat = data.index(b"IDAT") - 4
    return data[:idat] + _png_chunk(b"prVt", b"") * count + data[idat:]


def _jpeg_with_empty_app_segments(count: int) -> bytes:
    """A JPEG with ``count`` empty APP5 segments after its SOI (4 bytes each)."""
    data = image_bytes("JPEG", size=(64, 48))
    return data[:2] + b"\xff\xe5\x00\x02" * count + data[2:]


def _gif_with_empty_comments(count: int) -> bytes:
    """A GIF with ``count`` empty comment extensions before its frame (3 bytes each)."""
    data = image_bytes("GIF", size=(64, 48))
    flags = data[10]
    header_end = 13 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
    return data[:header_end] + b"\x21\xfe\x00" * count + data[header_end:]


def _gif_in_one_byte_sub_blocks(size: tuple[int, int]) -> bytes:
    """A valid GIF of noise whose LZW data is cut into 1-byte sub-blocks (2 bytes a byte)."""
    data = image_bytes("GIF", size=size, mode="P", noisy=True)
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
    while data[pos] == 0x21:  # extensions before the frame
        pos += 2
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
    local = data[pos + 9]
    pos += 11 + (3 * 2 ** ((local & 0x07) + 1) if local & 0x80 else 0)
    lzw = bytearray()
    end = pos
    while data[end]:
        lzw += data[end + 1 : end + 1 + data[end]]
        end += 1 + data[end]
    chained = bytearray(2 * len(lzw))
    chained[0::2] = b"\x01" * len(lzw)
    chained[1::2] = lzw
    return data[:pos] + bytes(chained) + data[end:]


def _webp_with_unknown_chunks(count: int) -> bytes:
    """An extended WebP with ``count`` empty unknown chunks after its image (8 bytes each)."""
    data = image_bytes("WEBP", size=(64, 48), exif=PILImage.Exif())
    body = data[12:] + b"ABCD\x00\x00\x00\x00" * count
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


class TestContainerBombs:
    """Files whose container holds far more pieces than any encoder writes cost seconds to
    parse, strip or decode; they are refused at the door, before any decoder sees them."""

    def _refused_quickly(self, client, data: bytes, code: str, content_type: str) -> dict:
        gc.collect()  # a collection of the whole heap is not the parser's time
        started = time.thread_time()
        response = _post(client, data, name="bomb", content_type=content_type)
        spent = time.thread_time() - started
        assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
        body = response.json()
        assert body["code"] == code, body
        assert body["detail"] == f"file: {body['file'][0]}"
        assert Image.objects.count() == 0
        # The walk stops at the limit: well under the seconds these files used to cost.
        assert spent < 1.0, spent
        return body

    def test_progressive_jpeg_repeating_its_last_scan_is_refused(
        self, auth_client, assert_storage_consistent
    ):
        data = _progressive_with_last_scan_repeated(2000)
        assert len(data) < 60_000
        body = self._refused_quickly(auth_client, data, "too_many_scans", "image/jpeg")
        assert "100 JPEG scans" in body["file"][0]
        assert_storage_consistent()

    def test_many_scans_of_a_very_large_frame_are_refused_before_decoding(
        self, auth_client, assert_storage_consistent
    ):
        # 31 scans at 49 megapixels: a hundred passes' worth of a 15-megapixel photo, seconds
        # of CPU on every render and restyle if it were decoded.
        small = _progressive_with_last_scan_repeated(25, edge=64)
        assert small.count(b"\xff\xda") == 31
        data = _frame_claimed(small, 7000, 7000)
        body = self._refused_quickly(auth_client, data, "too_many_scans", "image/jpeg")
        assert "at 7000×7000 pixels" in body["file"][0]
        assert_storage_consistent()

    def test_progressive_jpeg_at_the_scan_limit_is_accepted(self, auth_client):
        scans = _progressive_with_last_scan_repeated(0, edge=256).count(b"\xff\xda")
        at_limit = _progressive_with_last_scan_repeated(100 - scans, edge=256)
        assert at_limit.count(b"\xff\xda") == 100
        response = _post(auth_client, at_limit, name="many.jpg", content_type="image/jpeg")
        assert response.status_code == HTTPStatus.CREATED, response.content

    @pytest.mark.parametrize("size", [(64, 48), (1600, 1200)])
    def test_progressive_jpeg_from_pillow_is_accepted(self, auth_client, size):
        data = image_bytes("JPEG", size=size, noisy=True, progressive=True, quality=90)
        response = _post(auth_client, data, name="p.jpg", content_type="image/jpeg")
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert response.json()["size"] == len(data)

    def test_png_of_300000_empty_private_chunks_is_refused(
        self, auth_client, assert_storage_consistent
    ):
        data = _png_with_private_chunks(300_000)
        assert len(data) > 3_600_000
        body = self._refused_quickly(auth_client, data, "too_many_blocks", "image/png")
        assert "PNG chunks" in body["detail"]
        assert_storage_consistent()

    def test_jpeg_of_a_million_empty_app_segments_is_refused(
        self, auth_client, assert_storage_consistent
    ):
        data = _jpeg_with_empty_app_segments(1_000_000)
        body = self._refused_quickly(auth_client, data, "too_many_blocks", "image/jpeg")
        assert "JPEG segments" in body["detail"]
        assert_storage_consistent()

    def test_gif_of_200000_empty_comments_is_refused(self, auth_client, assert_storage_consistent):
        data = _gif_with_empty_comments(200_000)
        body = self._refused_quickly(auth_client, data, "too_many_blocks", "image/gif")
        assert "GIF blocks" in body["detail"]
        assert_storage_consistent()

    def test_gif_cut_into_one_byte_sub_blocks_is_refused(
        self, auth_client, assert_storage_consistent
    ):
        data = _gif_in_one_byte_sub_blocks((1000, 1000))
        assert PILImage.open(io.BytesIO(data)).convert("RGB").size == (1000, 1000)
        self._refused_quickly(auth_client, data, "too_many_blocks", "image/gif")
        assert_storage_consistent()

    def test_webp_of_200000_unknown_chunks_is_refused(self, auth_client, assert_storage_consistent):
        data = _webp_with_unknown_chunks(200_000)
        assert PILImage.open(io.BytesIO(data)).size == (64, 48)
        body = self._refused_quickly(auth_client, data, "too_many_blocks", "image/webp")
        assert "WebP chunks" in body["detail"]
        assert_storage_consistent()

    def test_pieces_below_the_limits_are_accepted(self, auth_client):
        for data, content_type in [
            (_png_with_private_chunks(500), "image/png"),
            (_jpeg_with_empty_app_segments(2_000), "image/jpeg"),
            (_gif_with_empty_comments(2_000), "image/gif"),
            (_webp_with_unknown_chunks(2_000), "image/webp"),
        ]:
            response = _post(auth_client, data, content_type=content_type)
            assert response.status_code == HTTPStatus.CREATED, response.content
