"""One walker per container format (JPEG segments, PNG chunks, GIF blocks, WebP RIFF chunks,
HEIF/AVIF ISO media boxes), one module each.

Upload validation (``imaging.processing``: where the image ends, how many scans a JPEG has)
and metadata stripping (``imaging.strip``) walk a file the same way, here, so what one reads
as the image the other reads identically. Plain Python: no Django, no Pillow.

The walks are also where a file's shape is bounded. A container can hold any number of
pieces, and every piece costs something to walk, to strip and (for a JPEG's scans) to
decode: 300,000 empty private PNG chunks cost seconds in Pillow's header parsing alone, and a
progressive JPEG that repeats its last refinement scan 2,000 times costs the decoder 2,000
passes over every block. Each limit (in its format's module, with its reasons) is far above
what cameras, phones and editors write, and is checked as the walk counts, so a file over it
is refused before any decoder sees it, after walking no more than the limit's worth of
pieces.
"""

from imaging.containers.errors import ContainerError, ContainerTooComplex
from imaging.containers.gif import (
    GIF_EXTENSION,
    GIF_IMAGE,
    GIF_TRAILER,
    MAX_GIF_BLOCKS,
    MAX_GIF_SUB_BLOCKS,
    GifBlock,
    gif_blocks,
    gif_end,
    gif_header_end,
)
from imaging.containers.isobmff import (
    HEIF_METADATA_TYPES,
    HEIF_PICTURE_TYPES,
    MAX_HEIF_EXTENTS,
    MAX_HEIF_GRID_TILES,
    MAX_HEIF_ITEMS,
    MAX_ISOBMFF_BOXES,
    MAX_ISOBMFF_DEPTH,
    HeifItem,
    HeifLayout,
    IsoBox,
    heif_end,
    heif_format,
    heif_layout,
    isobmff_is_image,
)
from imaging.containers.jpeg import (
    JPEG_EOI,
    JPEG_SOS,
    MAX_JPEG_SCAN_PIXELS,
    MAX_JPEG_SCANS,
    MAX_JPEG_SEGMENTS,
    JpegSegment,
    jpeg_end,
    jpeg_segments,
    jpeg_walk,
)
from imaging.containers.png import (
    MAX_PNG_CHUNKS,
    MAX_PNG_CHUNKS_OTHER,
    PNG_SIGNATURE,
    PngChunk,
    png_chunks,
    png_end,
)
from imaging.containers.webp import (
    MAX_WEBP_CHUNKS,
    WEBP_ANMF,
    WEBP_ANMF_HEADER_LENGTH,
    RiffChunk,
    webp_chunks,
    webp_end,
    webp_riff_end,
)

__all__ = [
    "GIF_EXTENSION",
    "GIF_IMAGE",
    "GIF_TRAILER",
    "HEIF_METADATA_TYPES",
    "HEIF_PICTURE_TYPES",
    "JPEG_EOI",
    "JPEG_SOS",
    "MAX_GIF_BLOCKS",
    "MAX_GIF_SUB_BLOCKS",
    "MAX_HEIF_EXTENTS",
    "MAX_HEIF_GRID_TILES",
    "MAX_HEIF_ITEMS",
    "MAX_ISOBMFF_BOXES",
    "MAX_ISOBMFF_DEPTH",
    "MAX_JPEG_SCANS",
    "MAX_JPEG_SCAN_PIXELS",
    "MAX_JPEG_SEGMENTS",
    "MAX_PNG_CHUNKS",
    "MAX_PNG_CHUNKS_OTHER",
    "MAX_WEBP_CHUNKS",
    "PNG_SIGNATURE",
    "WEBP_ANMF",
    "WEBP_ANMF_HEADER_LENGTH",
    "ContainerError",
    "ContainerTooComplex",
    "GifBlock",
    "HeifItem",
    "HeifLayout",
    "IsoBox",
    "JpegSegment",
    "PngChunk",
    "RiffChunk",
    "container_format",
    "gif_blocks",
    "gif_header_end",
    "heif_layout",
    "isobmff_is_image",
    "jpeg_segments",
    "jpeg_walk",
    "payload_end",
    "png_chunks",
    "webp_chunks",
    "webp_riff_end",
]


def container_format(data: bytes) -> str | None:
    """The accepted container the bytes start like (``JPEG``, ``PNG``, ``GIF``, ``WEBP``), or
    for a HEIF-family file the format its primary picture is coded in (``HEIF`` for HEVC,
    ``AVIF`` for AV1; ``HEIF`` where its boxes do not walk, so that ``payload_end`` says
    why)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if isobmff_is_image(data):
        return heif_format(data)
    return None


def payload_end(data: bytes, image_format: str) -> int:
    """Where the image in ``data`` ends, walking every piece of it within the limits.

    For a multi-picture JPEG, past the last picture its index lists that follows on directly.
    Raises ``ContainerTooComplex`` over a limit, ``ContainerError`` if the bytes cannot be
    walked to the end, ``KeyError`` for a format that is not one of the six.
    """
    return _PAYLOAD_WALKERS[image_format](data)


_PAYLOAD_WALKERS = {
    "PNG": png_end,
    "JPEG": jpeg_end,
    "GIF": gif_end,
    "WEBP": webp_end,
    "HEIF": heif_end,
    "AVIF": heif_end,
}
