"""imaging/processing.py alone: mutated bytes only ever raise ImageRejected, quickly and small."""

import gc
import io
import resource
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from imaging import processing
from imaging.processing import ImageRejected
from tests.factories import image_bytes
from tests.strategies import mutated

SEEDS = {
    "JPEG": image_bytes("JPEG", size=(48, 32), noisy=True),
    "PNG": image_bytes("PNG", size=(48, 32), mode="RGBA"),
    "GIF": image_bytes("GIF", size=(48, 32)),
    "WEBP": image_bytes("WEBP", size=(48, 32)),
}
MAX_PIXELS = 4_000_000


@st.composite
def mutated_images(draw) -> bytes:
    return draw(mutated(SEEDS[draw(st.sampled_from(sorted(SEEDS)))]))


def _full_pipeline(data: bytes) -> None:
    decoded = processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS, max_edge=256)
    processing.image_payload_end(data, decoded.format)
    processing.renditions_render(decoded, style="cartoon", max_edge=256, thumbnail_edge=32)


class TestFuzzedInput:
    @settings(
        max_examples=300,
        deadline=2000,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(mutated_images())
    def test_mutated_bytes_raise_only_image_rejected_within_bounds(self, data):
        started = time.thread_time()
        try:
            _full_pipeline(data)
        except ImageRejected as exc:
            assert exc.code in {
                "unsupported_format",
                "corrupt",
                "too_many_pixels",
                "too_large_edge",
                "empty",
            }
        assert time.thread_time() - started < 2.0
        # Peak resident memory of the whole run stays bounded (pixel limit 4 MP).
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_500_000  # KiB

    @settings(max_examples=150, deadline=2000, derandomize=True)
    @given(st.binary(max_size=512))
    def test_random_bytes_raise_only_image_rejected(self, data):
        with pytest.raises(ImageRejected):
            _full_pipeline(data)


class TestDecode:
    def test_jpeg_draft_decodes_at_reduced_scale(self):
        data = image_bytes("JPEG", size=(2000, 1000))
        decoded = processing.image_decode(io.BytesIO(data), max_pixels=10**8, max_edge=200)
        assert (decoded.width, decoded.height) == (2000, 1000)
        assert max(decoded.image.size) < 2000

    @pytest.mark.parametrize(
        ("size", "max_edge", "expected"),
        [
            ((7071, 7071), 4096, (3536, 3536)),  # halved: 3536 ≥ 0.75 × 4096
            ((6000, 4000), 4096, (6000, 4000)),  # halved would be 3000 < 3072: full size
            ((8000, 6000), 4096, (4000, 3000)),
            ((30000, 1000), 4096, (3750, 125)),
            ((4000, 3000), 4096, (4000, 3000)),
        ],
    )
    def test_jpeg_is_decoded_at_the_scale_its_rendition_needs(self, size, max_edge, expected):
        got = processing.decoded_size(
            size, image_format="JPEG", max_edge=max_edge, min_share=processing.DRAFT_MIN_SHARE
        )
        assert got == expected

    def test_png_is_never_drafted(self):
        assert processing.decoded_size((9000, 10), image_format="PNG", max_edge=100) == (9000, 10)

    def test_draft_applies_between_one_and_two_times_the_edge(self):
        data = image_bytes("JPEG", size=(1000, 800))
        decoded = processing.image_decode(io.BytesIO(data), max_pixels=10**8, max_edge=600)
        assert decoded.image.size == (500, 400)
        assert (decoded.width, decoded.height) == (1000, 800)

    @pytest.mark.parametrize("size", [(30_001, 1), (1, 30_001)])
    def test_edge_over_the_limit_is_refused_from_the_header(self, size):
        data = image_bytes("PNG", size=size)
        with pytest.raises(ImageRejected) as raised:
            processing.image_decode(io.BytesIO(data), max_pixels=10**8)
        assert raised.value.code == "too_large_edge"
        assert "30,000" in raised.value.message

    def test_edge_limit_is_a_parameter(self):
        data = image_bytes("PNG", size=(200, 10))
        with pytest.raises(ImageRejected, match="100 pixels"):
            processing.image_decode(io.BytesIO(data), max_pixels=10**8, max_edge_px=100)

    @pytest.mark.parametrize("keep", [0.1, 0.3, 0.6, 0.9])
    def test_baseline_scan_cut_short_is_truncated(self, keep):
        data = image_bytes("JPEG", size=(200, 160), noisy=True)
        sos = data.index(b"\xff\xda")
        start = sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")
        cut = data[: start + int((len(data) - 2 - start) * keep)] + b"\xff\xd9"
        with pytest.raises(ImageRejected) as raised:
            processing.image_decode(io.BytesIO(cut), max_pixels=10**6, max_edge=100)
        assert raised.value.code == "corrupt"

    def test_orientation_six_reports_the_upright_size(self):
        exif = PILImage.Exif()
        exif[0x0112] = 6
        data = image_bytes("JPEG", size=(2000, 1000), exif=exif)
        decoded = processing.image_decode(io.BytesIO(data), max_pixels=10**8, max_edge=200)
        assert (decoded.width, decoded.height) == (1000, 2000)
        assert decoded.image.width < decoded.image.height


def _progressive_with_last_scan_repeated(times: int) -> bytes:
    """A greyscale progressive JPEG (2048² pixels) whose last refinement scan comes ``times``
    more times: 16 bytes a repeat, and a pass of the decoder over every block."""
    buffer = io.BytesIO()
    PILImage.linear_gradient("L").resize((2048, 2048)).save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    return data[:-2] + data[data.rindex(b"\xff\xda") : -2] * times + data[-2:]


class TestContainerLimits:
    """An original stored before the limits existed is refused by its render, not decoded."""

    def test_progressive_jpeg_of_2000_scans_is_refused_before_decoding(self):
        data = _progressive_with_last_scan_repeated(2000)
        gc.collect()  # a collection of the whole heap is not the parser's time
        started = time.thread_time()
        with pytest.raises(ImageRejected) as raised:
            processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS, max_edge=4096)
        assert raised.value.code == "too_many_scans"
        assert time.thread_time() - started < 0.5  # decoding it took 27 s

    def test_png_of_300000_private_chunks_is_refused_before_decoding(self):
        data = image_bytes("PNG", size=(48, 32))
        idat = data.index(b"IDAT") - 4
        bomb = data[:idat] + b"\x00\x00\x00\x00prVt\xa6\x87\x8c\x49" * 300_000 + data[idat:]
        gc.collect()  # a collection of the whole heap is not the parser's time
        started = time.thread_time()
        with pytest.raises(ImageRejected) as raised:
            processing.image_decode(io.BytesIO(bomb), max_pixels=MAX_PIXELS)
        assert raised.value.code == "too_many_blocks"
        assert time.thread_time() - started < 0.5

    def test_header_check_refuses_before_pillow_parses(self):
        data = image_bytes("JPEG", size=(48, 32))
        bomb = data[:2] + b"\xff\xe5\x00\x02" * 1_000_000 + data[2:]
        gc.collect()  # a collection of the whole heap is not the parser's time
        started = time.thread_time()
        with pytest.raises(ImageRejected) as raised:
            processing.image_header(io.BytesIO(bomb), max_pixels=MAX_PIXELS)
        assert raised.value.code == "too_many_blocks"
        assert time.thread_time() - started < 0.5  # Pillow's own header parse took 2.8 s

    def test_format_check_refuses_before_pillow_parses(self):
        # What the importer asks first, before the checksum.
        data = image_bytes("PNG", size=(48, 32))
        idat = data.index(b"IDAT") - 4
        bomb = data[:idat] + b"\x00\x00\x00\x00prVt\xa6\x87\x8c\x49" * 300_000 + data[idat:]
        gc.collect()  # a collection of the whole heap is not the parser's time
        started = time.thread_time()
        with pytest.raises(ImageRejected) as raised:
            processing.image_format(bomb)
        assert raised.value.code == "too_many_blocks"
        assert time.thread_time() - started < 0.5  # Pillow's own header parse took 2 s

    def test_a_normal_progressive_jpeg_decodes(self):
        data = image_bytes("JPEG", size=(640, 480), noisy=True, progressive=True)
        decoded = processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS)
        assert decoded.image.size == (640, 480)


class TestPayloadEnd:
    def _mpo(self, count: int = 2) -> bytes:
        pictures = [PILImage.new("RGB", (20, 10), (i * 60, 0, 0)) for i in range(count)]
        buffer = io.BytesIO()
        pictures[0].save(buffer, "MPO", save_all=True, append_images=pictures[1:])
        return buffer.getvalue()

    @pytest.mark.parametrize("count", [2, 3])
    def test_mpo_ends_after_its_last_picture(self, count):
        data = self._mpo(count)
        assert processing.image_format(data) == "JPEG"
        assert processing.image_payload_end(data, "JPEG") == len(data)
        assert processing.image_payload_end(data + b"<html>", "JPEG") == len(data)

    def test_mpo_bytes_between_pictures_are_never_kept(self):
        data = self._mpo()
        first_end = data.index(b"\xff\xd9") + 2
        # The index still points at the second picture, now behind a stowaway.
        spliced = data[:first_end] + b"<html>" + data[first_end:]
        assert processing.image_payload_end(spliced, "JPEG") == first_end

    def test_checksum_ignores_a_trailer(self):
        data = image_bytes("PNG")
        assert processing.image_checksum(data + b"PK\x03\x04", "PNG") == (
            processing.image_checksum(data, "PNG")
        )

    def test_thumbnail_from_file_fits_the_edge(self):
        data = image_bytes("JPEG", size=(1200, 800))
        rendition = processing.thumbnail_from_file(io.BytesIO(data), edge=120, max_pixels=10**8)
        thumb = PILImage.open(io.BytesIO(rendition.data))
        assert thumb.size == (120, 80)

    def test_palette_with_transparency_keeps_alpha(self):
        image = PILImage.new("P", (10, 10), 0)
        buffer = io.BytesIO()
        image.save(buffer, "GIF", transparency=0)
        decoded = processing.image_decode(io.BytesIO(buffer.getvalue()), max_pixels=100)
        assert decoded.has_alpha

    @pytest.mark.parametrize("mode", ["I;16", "I", "F", "1", "L", "LA", "CMYK", "P"])
    def test_unusual_modes_decode_or_are_rejected_cleanly(self, mode):
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        if mode in ("I", "F"):
            fmt = "TIFF"
        buffer = io.BytesIO()
        PILImage.new(mode, (16, 16)).save(buffer, fmt)
        try:
            decoded = processing.image_decode(io.BytesIO(buffer.getvalue()), max_pixels=1000)
        except ImageRejected as exc:
            assert fmt == "TIFF" and exc.code == "unsupported_format"
        else:
            assert decoded.image.mode in ("RGB", "RGBA")
