"""images/processing.py alone: mutated bytes only ever raise ImageRejected, quickly and small."""

import io
import resource
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from images import processing
from images.processing import ImageRejected
from tests.factories import image_bytes

SEEDS = {
    "JPEG": image_bytes("JPEG", size=(48, 32), noisy=True),
    "PNG": image_bytes("PNG", size=(48, 32), mode="RGBA"),
    "GIF": image_bytes("GIF", size=(48, 32)),
    "WEBP": image_bytes("WEBP", size=(48, 32)),
}
MAX_PIXELS = 4_000_000


@st.composite
def mutated_images(draw) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "overwrite"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "truncate":
            del data[pos:]
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        else:
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[pos : pos + len(chunk)] = chunk
    return bytes(data)


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
        started = time.perf_counter()
        try:
            _full_pipeline(data)
        except ImageRejected as exc:
            assert exc.code in {"unsupported_format", "corrupt", "too_many_pixels", "empty"}
        assert time.perf_counter() - started < 2.0
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
