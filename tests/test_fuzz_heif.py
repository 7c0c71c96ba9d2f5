"""HEIC and AVIF bytes fuzzed through everything that reads an upload: the box walk, the
header, the decoders, EXIF and the stripper. A mutated file (a bit flipped, cut short, bytes
inserted, deleted or overwritten) is refused with ``ImageRejected`` (or, for the stripper,
``MetadataStripError``), never another exception, within bounded time and memory.

The mutations land in the boxes as often as in the coded pictures: ``boxes_mutated`` aims
them at the ``meta`` box (sizes, counts, item ids, offsets), where a walker's bugs are.
How many examples each property walks is the Hypothesis profile's (``ATELIER_HYPOTHESIS``),
ten times its count (the walk refuses most mutations in a millisecond).
"""

import io
import resource
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imaging import exif, processing, strip
from imaging.processing import ImageRejected
from tests.conftest import HYPOTHESIS_EXAMPLES, HYPOTHESIS_PROFILE
from tests.heif_files import heif_bytes
from tests.strategies import mutated

SEEDS = {
    "heic": heif_bytes("HEIF", size=(48, 32), orientation=6, quality=40),
    "heic-grid": heif_bytes("HEIF", size=(64, 64), tile_size=32, quality=30),
    "heic-10bit": heif_bytes("HEIF", size=(48, 32), ten_bit=True, exif=False, quality=40),
    "avif": heif_bytes("AVIF", size=(48, 32), orientation=3, quality=40),
}
MAX_PIXELS = 4_000_000
EXAMPLES = 10 * HYPOTHESIS_EXAMPLES[HYPOTHESIS_PROFILE]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
CODES = {"unsupported_format", "corrupt", "too_many_pixels", "too_large_edge", "too_many_blocks"}


@st.composite
def mutated_files(draw) -> bytes:
    return draw(mutated(SEEDS[draw(st.sampled_from(sorted(SEEDS)))]))


@st.composite
def boxes_mutated(draw) -> bytes:
    """A seed with bytes of its ``ftyp`` and ``meta`` boxes (its first few hundred) changed."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    meta_end = data.find(b"mdat") if b"mdat" in data else len(data)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, max(0, meta_end - 1)))
        data[pos] = draw(st.sampled_from([0, 1, 2, 0x7F, 0x80, 0xFF, data[pos] ^ 0x01]))
    return bytes(data)


def _every_reader(data: bytes) -> None:
    """What an upload goes through, then what a share link and the render read."""
    # CPU time, not the wall clock (a loaded machine is not a slow parser), of the whole
    # process: libheif decodes in threads of its own.
    started = time.process_time()
    try:
        header = processing.image_header(io.BytesIO(data), max_pixels=MAX_PIXELS)
        processing.image_checksum(data, header.format)
        decoded = processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS, max_edge=64)
        assert decoded.image.mode in ("RGB", "RGBA")
        exif.exif_read(data=data)
        try:
            stripped = strip.metadata_strip(data=data, image_format=header.format)
        except strip.MetadataStripError:
            pass
        else:
            assert exif.exif_read(data=stripped).taken_at is None
    except ImageRejected as exc:
        assert exc.code in CODES, exc.code
    assert time.process_time() - started < 2.0
    # Peak resident memory of the whole run stays bounded (pixel limit 4 MP).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_500_000  # KiB


class TestFuzzedHeif:
    @FUZZ
    @given(mutated_files())
    def test_mutated_files_raise_only_image_rejected_within_bounds(self, data):
        _every_reader(data)

    @FUZZ
    @given(boxes_mutated())
    def test_mutated_boxes_raise_only_image_rejected_within_bounds(self, data):
        _every_reader(data)

    @settings(max_examples=EXAMPLES, deadline=None, database=None)
    @given(st.binary(max_size=256))
    def test_random_bytes_after_a_heif_header_are_refused(self, tail):
        data = SEEDS["heic"][:32] + tail
        _every_reader(data)
