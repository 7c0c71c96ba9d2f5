"""One walker per container format (JPEG segments, PNG chunks, GIF blocks, WebP RIFF chunks).

Upload validation (``images.processing``: where the image ends, how many scans a JPEG has)
and metadata stripping (``images.strip``) walk a file the same way, here, so what one reads
as the image the other reads identically. Plain Python: no Django, no Pillow.

The walks are also where a file's shape is bounded. A container can hold any number of
pieces, and every piece costs something to walk, to strip and (for a JPEG's scans) to
decode: 300,000 empty private PNG chunks cost seconds in Pillow's header parsing alone, and a
progressive JPEG that repeats its last refinement scan 2,000 times costs the decoder 2,000
passes over every block. Each limit below is far above what cameras, phones and editors
write, and is checked as the walk counts, so a file over it is refused before any decoder
sees it, after walking no more than the limit's worth of pieces.
"""

import re
from collections import deque
from collections.abc import Iterator
from typing import NamedTuple

# A JPEG's scans. A baseline JPEG has one scan (or one per component); libjpeg's progressive
# script has 10 for YCbCr, 6 for grey and 18 for CMYK; mozjpeg's optimised scripts and
# jpegrescan stay around 20. Each scan is a pass of the decoder over every block of the
# components it codes, so the count multiplies decoding time: a 250 kB, 50-megapixel JPEG
# of 100 scans decodes in about 5 s of CPU (the same picture in 6 scans in 0.25 s; 2,000
# scans would take some 100 s). 100 is five times the most any encoder writes.
MAX_JPEG_SCANS = 100
# A JPEG's marker segments, over all the pictures of a multi-picture JPEG. A photo has a few
# dozen (tables, frame, scans, EXIF, XMP, an ICC profile); an ICC profile has at most 255
# chunks, and every other application segment holds up to 64 KB, so 25 MB of metadata is
# about 400 segments. Walking or stripping 10,000 costs tens of milliseconds.
MAX_JPEG_SEGMENTS = 10_000
# A PNG's chunks that hold no image data (everything but IDAT, fdAT and fcTL): text, colour,
# time, private chunks. Editors write a few dozen; Pillow parses each one before the pixels.
MAX_PNG_CHUNKS_OTHER = 1_000
# A PNG's chunks in all. libpng cuts the image data into 8 KB chunks (a 25 MB PNG: 3,200 of
# them) and an animated PNG adds two per frame; 50,000 leaves room for 500-byte chunks or
# tens of thousands of frames.
MAX_PNG_CHUNKS = 50_000
# A GIF's blocks (extensions and image descriptors): two a frame (its graphic control and
# its image). Animations run to hundreds of frames, long ones to a few thousand.
MAX_GIF_BLOCKS = 50_000
# The data in a GIF's blocks comes in sub-blocks of up to 255 bytes, which encoders fill:
# 25 MB of frames is about 100,000 of them (metadata written raw, as Adobe writes XMP, reads
# as a few hundred short ones). 1-byte sub-blocks would make 25 MB a walk of 12 million.
MAX_GIF_SUB_BLOCKS = 500_000
# A WebP's RIFF chunks, counting the chunks inside each animation frame: a header, a
# profile, EXIF and XMP, and two or three for every frame (an animation of 10,000 frames).
MAX_WEBP_CHUNKS = 30_000


class ContainerError(ValueError):
    """The bytes cannot be walked as their container: malformed, or cut short."""


class ContainerTooComplex(ContainerError):
    """The container holds more pieces than any real encoder writes (see the limits above).

    ``code`` is ``too_many_scans`` (a JPEG's scans) or ``too_many_blocks`` (segments,
    chunks or blocks); ``message`` says which, and the limit, for a person.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def container_format(data: bytes) -> str | None:
    """The accepted container the bytes start like (``JPEG``, ``PNG``, ``GIF``, ``WEBP``)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def payload_end(data: bytes, image_format: str) -> int:
    """Where the image in ``data`` ends, walking every piece of it within the limits.

    For a multi-picture JPEG, past the last picture its index lists that follows on directly.
    Raises ``ContainerTooComplex`` over a limit, ``ContainerError`` if the bytes cannot be
    walked to the end, ``KeyError`` for a format that is not one of the four.
    """
    return _PAYLOAD_WALKERS[image_format](data)


def _too_many(code: str, what: str, limit: int) -> ContainerTooComplex:
    return ContainerTooComplex(
        code, f"The file has more than {limit:,} {what}; no image needs so many."
    )


# JPEG -------------------------------------------------------------------------------------

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
    ``ContainerTooComplex`` past ``MAX_JPEG_SEGMENTS`` or ``MAX_JPEG_SCANS``.
    """
    if data[pos : pos + 2] != b"\xff\xd8":
        raise ContainerError("no SOI marker")
    budget = budget or _JpegBudget()
    pos += 2
    size = len(data)
    scans = 0
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
            raise _too_many("too_many_blocks", "JPEG segments", MAX_JPEG_SEGMENTS)
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
        if marker == JPEG_SOS:
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise _too_many("too_many_scans", "JPEG scans", MAX_JPEG_SCANS)
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


def _jpeg_end(data: bytes) -> int:
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
            raise
        except (IndexError, ValueError):
            break
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


# PNG --------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IMAGE_DATA_CHUNKS = frozenset({b"IDAT", b"fdAT", b"fcTL"})


class PngChunk(NamedTuple):
    """One chunk: ``data[start:end]`` is its length, type, data and CRC."""

    kind: bytes
    start: int
    end: int

    @property
    def body(self) -> slice:
        """Where the chunk's data is."""
        return slice(self.start + 8, self.end - 4)


def png_chunks(data: bytes) -> Iterator[PngChunk]:
    """The chunks after the signature, through IEND (CRCs are the caller's to check).

    Raises ``ContainerError`` for a chunk that runs past the end of the file, and
    ``ContainerTooComplex`` past ``MAX_PNG_CHUNKS`` or ``MAX_PNG_CHUNKS_OTHER``.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ContainerError("no PNG signature")
    pos = len(PNG_SIGNATURE)
    size = len(data)
    chunks = others = 0
    while True:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length  # length, type, data, CRC
        if len(kind) < 4 or end > size:
            raise ContainerError(f"the chunk at byte {pos} runs past the end of the file")
        chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            raise _too_many("too_many_blocks", "PNG chunks", MAX_PNG_CHUNKS)
        if kind not in _PNG_IMAGE_DATA_CHUNKS:
            others += 1
            if others > MAX_PNG_CHUNKS_OTHER:
                raise _too_many(
                    "too_many_blocks", "PNG chunks besides its image data", MAX_PNG_CHUNKS_OTHER
                )
        yield PngChunk(kind, pos, end)
        if kind == b"IEND":
            return
        pos = end


def _png_end(data: bytes) -> int:
    return deque(png_chunks(data), maxlen=1)[0].end


# GIF --------------------------------------------------------------------------------------

GIF_EXTENSION = 0x21
GIF_IMAGE = 0x2C
GIF_TRAILER = 0x3B


class GifBlock(NamedTuple):
    """One block, ``data[start:end]``: an extension (``kind`` 0x21, ``label`` its type), an
    image (0x2C: descriptor, local colour table, LZW data) or the trailer (0x3B)."""

    kind: int
    label: int
    start: int
    end: int


def gif_header_end(data: bytes) -> int:
    """Where the header, logical screen descriptor and global colour table end."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ContainerError("no GIF header")
    if len(data) < 13:
        raise ContainerError("the file ends inside its header")
    flags = data[10]
    end = 13 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
    if end > len(data):
        raise ContainerError("the colour table runs past the end of the file")
    return end


def gif_blocks(data: bytes) -> Iterator[GifBlock]:
    """The blocks after the header, through the trailer.

    Raises ``ContainerError`` for an unknown block or one that runs past the end of the
    file, and ``ContainerTooComplex`` past ``MAX_GIF_BLOCKS`` or ``MAX_GIF_SUB_BLOCKS``.
    """
    pos = gif_header_end(data)
    size = len(data)
    sub_blocks = 0
    blocks = 0
    while True:
        if pos >= size:
            raise ContainerError("the file ends before the trailer")
        kind = data[pos]
        if kind == GIF_TRAILER:
            yield GifBlock(kind, 0, pos, pos + 1)
            return
        blocks += 1
        if blocks > MAX_GIF_BLOCKS:
            raise _too_many("too_many_blocks", "GIF blocks", MAX_GIF_BLOCKS)
        start = pos
        label = 0
        if kind == GIF_EXTENSION:
            if pos + 2 > size:
                raise ContainerError("the file ends inside an extension")
            label = data[pos + 1]
            pos += 2
        elif kind == GIF_IMAGE:
            if pos + 10 > size:
                raise ContainerError("the file ends inside an image descriptor")
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 0x07) + 1) if local & 0x80 else 0)
            pos += 1  # the LZW minimum code size
        else:
            raise ContainerError(f"an unknown block {kind:#04x} at byte {pos}")
        # The sub-blocks: a length byte, that many bytes, until a zero length.
        while True:
            if pos >= size:
                raise ContainerError("a sub-block runs past the end of the file")
            sub_blocks += 1
            if sub_blocks > MAX_GIF_SUB_BLOCKS:
                raise _too_many("too_many_blocks", "GIF sub-blocks", MAX_GIF_SUB_BLOCKS)
            length = data[pos]
            pos += 1 + length
            if length == 0:
                break
        yield GifBlock(kind, label, start, pos)


def _gif_end(data: bytes) -> int:
    return deque(gif_blocks(data), maxlen=1)[0].end


# WebP -------------------------------------------------------------------------------------

WEBP_ANMF = b"ANMF"
# An animation frame's fixed fields before the chunks it is made of.
WEBP_ANMF_HEADER_LENGTH = 16


class RiffChunk(NamedTuple):
    """One chunk: its FourCC and where its payload is (padding excluded). An animation
    frame (ANMF) has the chunks it is made of in ``frame``."""

    fourcc: bytes
    start: int
    end: int
    frame: tuple["RiffChunk", ...] = ()


class _RiffBudget:
    def __init__(self) -> None:
        self.chunks = MAX_WEBP_CHUNKS


def webp_chunks(data: bytes) -> list[RiffChunk]:
    """The chunks of a WebP's RIFF container, and of each animation frame in it.

    Raises ``ContainerError`` for a chunk that runs past its container (the RIFF size past
    the end of the file), and ``ContainerTooComplex`` past ``MAX_WEBP_CHUNKS``.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ContainerError("no RIFF WEBP header")
    end = webp_riff_end(data)
    if end > len(data):
        raise ContainerError("the RIFF size runs past the end of the file")
    budget = _RiffBudget()
    chunks = []
    for chunk in _riff_chunks(data, 12, end, budget):
        if chunk.fourcc == WEBP_ANMF:
            if chunk.end - chunk.start < WEBP_ANMF_HEADER_LENGTH:
                raise ContainerError("a short ANMF chunk")
            frame = tuple(
                _riff_chunks(data, chunk.start + WEBP_ANMF_HEADER_LENGTH, chunk.end, budget)
            )
            chunk = chunk._replace(frame=frame)
        chunks.append(chunk)
    return chunks


def webp_riff_end(data: bytes) -> int:
    """Where the RIFF container says it ends."""
    return 8 + int.from_bytes(data[4:8], "little")


def _riff_chunks(data: bytes, pos: int, end: int, budget: _RiffBudget) -> Iterator[RiffChunk]:
    """The chunks between ``pos`` and ``end``; an odd payload is followed by a pad byte."""
    while pos < end:
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        payload_end = pos + 8 + length
        if pos + 8 > end or payload_end > end:
            raise ContainerError(f"the chunk at byte {pos} runs past its container")
        budget.chunks -= 1
        if budget.chunks < 0:
            raise _too_many("too_many_blocks", "WebP chunks", MAX_WEBP_CHUNKS)
        yield RiffChunk(data[pos : pos + 4], pos + 8, payload_end)
        pos = payload_end + (length & 1)


def _webp_end(data: bytes) -> int:
    webp_chunks(data)
    return webp_riff_end(data)


_PAYLOAD_WALKERS = {"PNG": _png_end, "JPEG": _jpeg_end, "GIF": _gif_end, "WEBP": _webp_end}
