"""Image decoding, validation and rendering with Pillow, free of Django and HTTP.

The upload path is: ``image_decode`` reads the bytes once (deciding the format from the bytes
alone, with an explicit list of accepted formats, and refusing oversized pixel counts from the
header before any pixel is decoded), then ``renditions_render`` turns the decoded image into
the processed rendition and the thumbnail. Every way bad input can fail comes out as
``ImageRejected``; nothing else escapes for bad bytes.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from images.styles import style_apply

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# What each accepted format is called in a Content-Type and a file name.
MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

# A truncated file is an error, never a half-grey picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageRejected(Exception):
    """The bytes are not an image Atelier accepts; ``code`` says why, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DecodedImage:
    """An accepted image: its pixels (upright, RGB or RGBA) and facts about the original."""

    image: Image.Image
    format: str
    width: int
    height: int

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"


@dataclass(frozen=True)
class Rendition:
    """Encoded bytes of one derived image, ready to store."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def file_sha256(fp: BinaryIO, chunk_size: int = 1024 * 1024) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks; leaves the file at its start."""
    fp.seek(0)
    digest = hashlib.sha256()
    while chunk := fp.read(chunk_size):
        digest.update(chunk)
    fp.seek(0)
    return digest.hexdigest()


def image_probe(fp: BinaryIO, *, max_pixels: int) -> Image.Image:
    """Opens the image lazily and checks format and pixel count from its header alone."""
    fp.seek(0)
    with warnings.catch_warnings():
        # Our own max_pixels decides; Pillow's bomb warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(fp, formats=ACCEPTED_FORMATS)
        except Image.DecompressionBombError as exc:
            raise ImageRejected(
                "too_many_pixels",
                f"The image has too many pixels; the limit is {max_pixels:,}.",
            ) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected(
                "unsupported_format",
                "The file is not a JPEG, PNG, WebP or GIF image.",
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejected("corrupt", "The image has no pixels.")
    if width * height > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The image is {width}×{height} ({width * height:,} pixels); "
            f"the limit is {max_pixels:,} pixels.",
        )
    return image


def image_decode(fp: BinaryIO, *, max_pixels: int, max_edge: int | None = None) -> DecodedImage:
    """Decodes an accepted image once: upright, RGB or RGBA, metadata dropped.

    With ``max_edge``, a JPEG is decoded at a reduced scale (DCT draft) when its long edge is
    well above that, which saves most of the decoding work for big photos.
    """
    image = image_probe(fp, max_pixels=max_pixels)
    source_format = image.format or ""
    width, height = image.size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if max_edge and source_format == "JPEG" and max(width, height) > 2 * max_edge:
                scale = max_edge / max(width, height)
                image.draft("RGB", (int(width * scale) + 1, int(height * scale) + 1))
            # GIF and WebP: the first frame is the picture.
            image.seek(0)
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            pixels = _to_working_mode(image)
            pixels.load()
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", "The image has too many pixels.") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError) as exc:
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc
    except MemoryError as exc:
        raise ImageRejected("too_many_pixels", "The image is too large to process.") from exc
    pixels.info.clear()
    return DecodedImage(image=pixels, format=source_format, width=width, height=height)


def image_payload_end(data: bytes, image_format: str) -> int:
    """Where the image's own bytes end; anything after is a trailer (a zip, HTML, a script).

    Polyglot files hide a second document after a valid image. Atelier stores the original
    only up to this point, so nothing it serves carries a stowaway. Walks the container's
    structure (PNG chunks, JPEG segments and entropy-coded scans, GIF blocks, the RIFF size);
    raises ``ImageRejected`` if the structure cannot be walked to its end.
    """
    try:
        walker = _PAYLOAD_WALKERS[image_format]
        end = walker(data)
    except (KeyError, IndexError, ValueError) as exc:
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc
    if end > len(data):
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.")
    return end


def _png_end(data: bytes) -> int:
    pos = 8
    while True:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if len(kind) < 4:
            raise ValueError("PNG ends before IEND")
        pos += 12 + length
        if kind == b"IEND":
            return pos


def _jpeg_end(data: bytes) -> int:
    if data[:2] != b"\xff\xd8":
        raise ValueError("no SOI")
    pos = 2
    size = len(data)
    while pos < size:
        if data[pos] != 0xFF:
            raise ValueError("expected a marker")
        while data[pos] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            raise ValueError("bad segment length")
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next real marker
            while True:
                pos = data.index(b"\xff", pos)
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    raise ValueError("JPEG ends before EOI")


def _gif_end(data: bytes) -> int:
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
    while True:
        block = data[pos]
        if block == 0x3B:  # trailer
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _gif_skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image descriptor, optional local table, LZW size, sub-blocks
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 0x07) + 1) if local & 0x80 else 0)
            pos = _gif_skip_sub_blocks(data, pos + 1)
        else:
            raise ValueError("unknown GIF block")


def _gif_skip_sub_blocks(data: bytes, pos: int) -> int:
    while True:
        length = data[pos]
        pos += 1 + length
        if length == 0:
            return pos


def _webp_end(data: bytes) -> int:
    return 8 + int.from_bytes(data[4:8], "little")


_PAYLOAD_WALKERS = {"PNG": _png_end, "JPEG": _jpeg_end, "GIF": _gif_end, "WEBP": _webp_end}


def renditions_render(
    decoded: DecodedImage, *, style: str, max_edge: int, thumbnail_edge: int
) -> tuple[Rendition, Rendition]:
    """The processed rendition (styled, long edge capped) and its thumbnail, encoded.

    The style runs after the downscale, so a neighbourhood filter never works on pixels that
    are about to be thrown away, and the thumbnail is derived from the processed pixels
    rather than decoded again.
    """
    capped = _fit(decoded.image, max_edge)
    styled = style_apply(capped, style)
    thumbnail = _fit(styled, thumbnail_edge)
    return _encode(styled), _encode(thumbnail)


def thumbnail_from_file(fp: BinaryIO, *, edge: int, max_pixels: int) -> Rendition:
    """A thumbnail straight from a file, decoding a JPEG at the smallest DCT scale that fits."""
    decoded = image_decode(fp, max_pixels=max_pixels, max_edge=edge)
    return _encode(_fit(decoded.image, edge))


def _to_working_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA where the image has any transparency; palette and CMYK converted."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA" if has_alpha else "RGB")
    target = "RGBA" if has_alpha else "RGB"
    if image.mode != target:
        image = image.convert(target)
    return image


def _fit(image: Image.Image, edge: int) -> Image.Image:
    """A copy whose long edge is at most ``edge``, reduced in integer steps then resampled."""
    if max(image.size) <= edge:
        return image
    scale = edge / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _encode(image: Image.Image) -> Rendition:
    """Encodes with no metadata: JPEG for opaque images, PNG where there is transparency."""
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA"):
        image_format = "PNG"
        # Level 3: several times faster than the default 6 for slightly larger files.
        image.save(buffer, format=image_format, optimize=False, compress_level=3)
    else:
        image_format = "JPEG"
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, format=image_format, quality=85, optimize=False)
    return Rendition(
        data=buffer.getvalue(), format=image_format, width=image.width, height=image.height
    )
