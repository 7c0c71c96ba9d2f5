"""WebP: the chunks of its RIFF container, and of each animation frame; their count
bounded (reason below)."""

from collections.abc import Iterator
from typing import NamedTuple

from imaging.containers.errors import ContainerError, too_many

# A WebP's RIFF chunks, counting the chunks inside each animation frame: a header, a
# profile, EXIF and XMP, and two or three for every frame (an animation of 10,000 frames).
MAX_WEBP_CHUNKS = 30_000

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
            raise too_many("too_many_blocks", "WebP chunks", MAX_WEBP_CHUNKS)
        yield RiffChunk(data[pos : pos + 4], pos + 8, payload_end)
        pos = payload_end + (length & 1)


def webp_end(data: bytes) -> int:
    webp_chunks(data)
    return webp_riff_end(data)
