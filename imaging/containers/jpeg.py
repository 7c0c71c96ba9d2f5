"""JPEG: marker segments, and the entropy-coded data of each scan, through the EOI; the further
pictures of a multi-picture JPEG (MPO) that follow the first.

The scan and segment counts are bounded here (see the limits' reasons below).
"""

import re
from collections.abc import Iterator
from typing import NamedTuple

from imaging.containers.errors import ContainerError, ContainerTooComplex, too_many

# A JPEG's scans. A baseline JPEG has one scan (or one per component); libjpeg's progressive
# script has 10 for YCbCr, 6 for grey and 18 for CMYK; mozjpeg's optimised scripts and
# jpegrescan stay around 20. Each scan is a pass of the decoder over every block of the
# components it codes, so the count multiplies decoding time: a 250 kB, 50-megapixel JPEG
# of 100 scans decodes in about 5 s of CPU (the same picture in 6 scans in 0.25 s; 2,000
# scans would take some 100 s). 100 is five times the most any encoder writes.
MAX_JPEG_SCANS = 100
# A picture's scans times its frame's pixels: the decoder's passes over pixels, which is what
# its time follows (about a nanosecond per pixel per scan here). A hundred scans of a small
# picture cost little, but a hundred at the 50-megapixel limit cost some 5 s of CPU for every
# render and restyle. 1.5 billion allows 30 scans at 50 megapixels (more than any encoder's
# script), 100 up to 15 megapixels, and bounds any file to about 1.5 s of decoding.
MAX_JPEG_SCAN_PIXELS = 1_500_000_000
# Start-of-frame markers (every coding process): their payload gives the frame's size.
_SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
# A JPEG's marker segments, over all the pictures of a multi-picture JPEG. A photo has a few
# dozen (tables, frame, scans, EXIF, XMP, an ICC profile); an ICC profile has at most 255
# chunks, and every other application segment holds up to 64 KB, so 25 MB of metadata is
# about 400 segments. Walking or stripping 10,000 costs tens of milliseconds.
MAX_JPEG_SEGMENTS = 10_000

JPEG_SOS = 0xDA
JPEG_EOI = 0xD9
# The first marker after entropy-coded data: 0xFF followed by neither a stuffed zero, a
# restart marker (both part of the scan) nor another 0xFF (fill before a marker).
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_FILL = re.compile(rb"\xff+")  # a marker's 0xFF and any fill bytes before it
_MPO_MAX_PICTURES = 64
_MPF_MAX_TAGS = 64


class JpegSegment(NamedTuple):
    """One marker segment: ``data[start:header_end]`` is its length field and payload.

    For a scan (SOS), ``end`` is past its entropy-coded data, where the next marker's 0xFF
    is; for any other segment it is ``header_end``. The EOI that ends the walk comes last,
    with ``start == header_end == end`` just past it.
    """

    marker: int
    start: int
    header_end: int
    end: int

    @property
    def payload(self) -> slice:
        """Where the segment's payload (after its length field) is."""
        return slice(self.start + 2, self.header_end)


class _JpegBudget:
    """The segments a walk may still take, shared by the pictures of one file."""

    def __init__(self) -> None:
        self.segments = MAX_JPEG_SEGMENTS


def jpeg_segments(
    data: bytes, pos: int = 0, *, budget: _JpegBudget | None = None
) -> Iterator[JpegSegment]:
    """The segments of the JPEG whose SOI is at ``pos``, through its EOI.

    Standalone markers (TEM, a stray RST) are counted but not given: they hold nothing.
    Raises ``ContainerError`` where the bytes are not a JPEG's segments, and
    ``ContainerTooComplex`` past ``MAX_JPEG_SEGMENTS``, ``MAX_JPEG_SCANS`` or
    ``MAX_JPEG_SCAN_PIXELS``.
    """
    if data[pos : pos + 2] != b"\xff\xd8":
        raise ContainerError("no SOI marker")
    budget = budget or _JpegBudget()
    pos += 2
    size = len(data)
    scans = 0
    width = height = frame_pixels = scan_pixels = 0
    while True:
        if pos >= size:
            raise ContainerError("the file ends before the EOI marker")
        if data[pos] != 0xFF:
            raise ContainerError(f"no marker at byte {pos}")
        pos = _FILL.match(data, pos).end()  # type: ignore[union-attr]  # checked above
        if pos >= size:
            raise ContainerError("the file ends in fill bytes")
        budget.segments -= 1
        if budget.segments < 0:
            raise too_many("too_many_blocks", "JPEG segments", MAX_JPEG_SEGMENTS)
        marker = data[pos]
        pos += 1
        if marker == JPEG_EOI:
            yield JpegSegment(marker, pos, pos, pos)
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        length = int.from_bytes(data[pos : pos + 2], "big")
        header_end = pos + length
        if length < 2 or header_end > size:
            raise ContainerError(f"segment {marker:#04x} at byte {pos} has a bad length")
        end = header_end
        if marker in _SOF_MARKERS and length >= 7:
            # P (1 byte), then the height and the width (2 bytes each).
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            frame_pixels = height * width
        if marker == JPEG_SOS:
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise too_many("too_many_scans", "JPEG scans", MAX_JPEG_SCANS)
            scan_pixels += frame_pixels
            if scan_pixels > MAX_JPEG_SCAN_PIXELS:
                allowed = MAX_JPEG_SCAN_PIXELS // max(frame_pixels, 1)
                raise ContainerTooComplex(
                    "too_many_scans",
                    f"The file has more than {allowed:,} JPEG scans at {width}×{height} "
                    "pixels; no image of that size needs so many.",
                )
            found = _SCAN_END.search(data, header_end)
            if found is None:
                raise ContainerError("a scan runs to the end of the file")
            end = found.start()
        yield JpegSegment(marker, pos, header_end, end)
        pos = end


def jpeg_walk(data: bytes, pos: int = 0, *, budget: _JpegBudget | None = None) -> tuple[int, int]:
    """Walks the JPEG at ``pos``: where its EOI ends, and how many scans it has."""
    scans = 0
    for segment in jpeg_segments(data, pos, budget=budget):
        scans += segment.marker == JPEG_SOS
    return segment.end, scans


def jpeg_end(data: bytes) -> int:
    """The end of a JPEG, and of the pictures a multi-picture JPEG (MPO) appends to it.

    The pictures an MPO index lists are kept only while each starts exactly where the one
    before it ends and walks as a JPEG: bytes between or after them (a polyglot's payload)
    are never included. The pictures share one segment budget.
    """
    budget = _JpegBudget()
    end, _ = jpeg_walk(data, 0, budget=budget)
    try:
        starts = _mpo_picture_starts(data, end)
    except (IndexError, ValueError):
        return end  # An unreadable index: the first picture is the image.
    for start in starts:
        if start != end:
            break
        try:
            end, _ = jpeg_walk(data, start, budget=budget)
        except ContainerTooComplex:
            raise  # a listed picture over the file's budget: the file is refused
        except (IndexError, ValueError):
            break  # not a picture after all: the image ends before it
    return end


def _mpo_picture_starts(data: bytes, first_end: int) -> list[int]:
    """Where the further pictures an MPO index (APP2 "MPF") lists start, in order.

    The index is in the first picture's APP2 segment: a TIFF structure whose MP Entry tag
    (0xB002) holds 16 bytes per picture, offsets counted from the TIFF header.
    """
    header = data.find(b"\xff\xe2", 2, first_end)
    while header != -1:
        if data[header + 4 : header + 8] == b"MPF\x00":
            break
        header = data.find(b"\xff\xe2", header + 2, first_end)
    else:
        return []
    tiff = header + 8
    order = {b"II": "little", b"MM": "big"}.get(data[tiff : tiff + 2])
    if order is None:
        return []

    def number(pos: int, width: int) -> int:
        if pos + width > first_end:
            raise ValueError("MPF index runs past the picture")
        return int.from_bytes(data[pos : pos + width], order)  # type: ignore[arg-type]

    ifd = tiff + number(tiff + 4, 4)
    for index in range(min(number(ifd, 2), _MPF_MAX_TAGS)):
        entry = ifd + 2 + 12 * index
        if number(entry, 2) != 0xB002:
            continue
        count = number(entry + 4, 4) // 16
        entries = tiff + number(entry + 8, 4)
        starts = [
            tiff + number(entries + 16 * i + 8, 4) for i in range(min(count, _MPO_MAX_PICTURES))
        ]
        # The first picture's offset is 0 by definition: it is the file itself.
        return sorted(start for start in starts if start > tiff)
    return []
