"""GIF: the blocks after the header (extensions, images, each a chain of sub-blocks),
through the trailer; their counts bounded (reasons below)."""

from collections import deque
from collections.abc import Iterator
from typing import NamedTuple

from imaging.containers.errors import ContainerError, too_many

# A GIF's blocks (extensions and image descriptors): two a frame (its graphic control and
# its image). Animations run to hundreds of frames, long ones to a few thousand.
MAX_GIF_BLOCKS = 50_000
# The data in a GIF's blocks comes in sub-blocks of up to 255 bytes, which encoders fill:
# 25 MB of frames is about 100,000 of them (metadata written raw, as Adobe writes XMP, reads
# as a few hundred short ones). 1-byte sub-blocks would make 25 MB a walk of 12 million.
MAX_GIF_SUB_BLOCKS = 500_000

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
            raise too_many("too_many_blocks", "GIF blocks", MAX_GIF_BLOCKS)
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
                raise too_many("too_many_blocks", "GIF sub-blocks", MAX_GIF_SUB_BLOCKS)
            length = data[pos]
            pos += 1 + length
            if length == 0:
                break
        yield GifBlock(kind, label, start, pos)


def gif_end(data: bytes) -> int:
    return deque(gif_blocks(data), maxlen=1)[0].end
