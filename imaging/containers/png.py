"""PNG: chunks after the signature, through IEND; their counts bounded (reasons below)."""

from collections import deque
from collections.abc import Iterator
from typing import NamedTuple

from imaging.containers.errors import ContainerError, too_many

# A PNG's chunks that hold no image data (everything but IDAT, fdAT and fcTL): text, colour,
# time, private chunks. Editors write a few dozen; Pillow parses each one before the pixels.
MAX_PNG_CHUNKS_OTHER = 1_000
# A PNG's chunks in all. libpng cuts the image data into 8 KB chunks (a 25 MB PNG: 3,200 of
# them) and an animated PNG adds two per frame; 50,000 leaves room for 500-byte chunks or
# tens of thousands of frames.
MAX_PNG_CHUNKS = 50_000

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IMAGE_DATA_CHUNKS = frozenset({b"IDAT", b"fdAT", b"fcTL"})


class PngChunk(NamedTuple):
    """One chunk: ``data[start:end]`` is its length, type, data and CRC."""

    kind: bytes
    start: int
    end: int


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
            raise too_many("too_many_blocks", "PNG chunks", MAX_PNG_CHUNKS)
        if kind not in _PNG_IMAGE_DATA_CHUNKS:
            others += 1
            if others > MAX_PNG_CHUNKS_OTHER:
                raise too_many(
                    "too_many_blocks", "PNG chunks besides its image data", MAX_PNG_CHUNKS_OTHER
                )
        yield PngChunk(kind, pos, end)
        if kind == b"IEND":
            return
        pos = end


def png_end(data: bytes) -> int:
    return deque(png_chunks(data), maxlen=1)[0].end
