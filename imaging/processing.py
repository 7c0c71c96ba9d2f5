"""Image decoding, validation and rendering with Pillow, free of Django and HTTP.

HEIC/HEIF goes through pillow-heif's Pillow plugin (libheif with libde265), registered once
here, and AVIF through Pillow's own plugin (libavif with dav1d): one decoder per format.
Either is opened only once the ISO media boxes have been walked within their limits
(``imaging.containers.isobmff``), with the format that walk found (the primary picture's
coding) as the only one Pillow may try.

The upload path is: ``image_decode`` reads the bytes once (walking the container within its
limits, ``imaging.containers``, before Pillow parses any of it; deciding the format from the
bytes alone, with an explicit list of accepted formats; refusing oversized pixel counts and
edges from the header before any pixel is decoded), then ``renditions_render`` turns the decoded
image into the processed rendition and the thumbnail. Decoding brings every mode Pillow opens
to 8-bit RGB or RGBA in sRGB (16-bit values scaled, an embedded ICC profile applied). Every
way bad input can fail comes out as ``ImageRejected``; nothing else escapes for bad bytes.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import pillow_heif
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput
from imaging import color, containers, encoding, motion, thumbhash
from imaging.media import EXTENSIONS
from imaging.styles import style_apply

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF", "AVIF")
# HEIF-family formats: ISO media boxes, walked before any decoder sees them; their
# orientation is the boxes' (irot, imir), which the decoders hand over already applied
# (libheif) or as an EXIF orientation (Pillow's AVIF plugin), never EXIF's own.
ISOBMFF_FORMATS = ("HEIF", "AVIF")
# What Pillow may try on bytes whose boxes were not walked: never a HEIF-family decoder, so a
# file that escapes the sniffing (an odd ftyp box) is refused rather than decoded unwalked.
NON_ISOBMFF_FORMATS = tuple(name for name in ACCEPTED_FORMATS if name not in ISOBMFF_FORMATS)
_UNSUPPORTED_MESSAGE = (
    "The file is not an image Atelier accepts (JPEG, PNG, WebP or GIF, and HEIC/HEIF or AVIF "
    "photos)."
)
# A HEIF/AVIF picture's coded pixels (every tile of a grid, padding included) may exceed its
# shown size a little (tiles are padded to whole blocks); more than this many times the pixel
# limit is a file that makes the decoder do work nobody sees.
_MAX_DECODED_PIXEL_SHARE = 2

# A multi-picture JPEG (phones' HDR gain maps, portraits) is a JPEG whose first picture is
# the photo; Pillow names it by its container.
FORMAT_ALIASES = {"MPO": "JPEG"}

# The primary picture only: thumbnails, depth maps and auxiliary pictures are never decoded
# (nor are their tiles listed), and AVIF stays with Pillow's plugin.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

# The longest edge accepted, whatever the pixel count: a 1 × 50,000,000 PNG is within the
# pixel limit but costs a gigabyte to decode and resize.
DEFAULT_MAX_EDGE_PX = 30_000
# A JPEG is decoded at libjpeg's largest power-of-two reduction that keeps its long edge at
# least this share of the processed rendition's edge: for a photo between 1.5 and 2 times
# that edge, a rendition up to a quarter shorter for a quarter of the decoding memory.
DRAFT_MIN_SHARE = 0.75
# Fed to libjpeg in place of the final EOI marker. A complete scan needs only a few bytes
# past its last MCU (the bit reader looks ahead) and then waits for a marker; a scan cut
# short runs out of data before its last rows, which Pillow reports as truncated. Zero bytes
# are never a marker, and 16 of them decode to at most a few MCUs.
_SCAN_PADDING = bytes(16)

# A truncated file is an error, never a half-grey picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageRejected(InvalidInput):
    """The bytes are not an image Atelier accepts; ``code`` says why, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, field="file")


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


def image_probe(
    fp: BinaryIO, *, max_pixels: int, max_edge_px: int = DEFAULT_MAX_EDGE_PX
) -> Image.Image:
    """Opens the image lazily and checks format, pixel count and edges from its header alone.

    A HEIF or AVIF file's boxes are walked first, and its coded pixels (a grid's tiles
    included) checked against the limit, before a decoder parses it.
    """
    fp.seek(0)
    data = fp.read()
    fp.seek(0)
    image_format = containers.container_format(data)
    if image_format in ISOBMFF_FORMATS:
        _heif_check(data, max_pixels=max_pixels, max_edge_px=max_edge_px)
    del data
    image = _open(fp, max_pixels=max_pixels, image_format=image_format)
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejected("corrupt", "The image has no pixels.")
    _size_check(width, height, max_pixels=max_pixels, max_edge_px=max_edge_px)
    return image


def _size_check(width: int, height: int, *, max_pixels: int, max_edge_px: int) -> None:
    """Refuses a picture with an edge longer than ``max_edge_px`` or more than ``max_pixels``."""
    if max(width, height) > max_edge_px:
        raise ImageRejected(
            "too_large_edge",
            f"The image is {width:,}×{height:,} pixels; "
            f"no edge may be longer than {max_edge_px:,} pixels.",
        )
    if width * height > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The image is {width}×{height} ({width * height:,} pixels); "
            f"the limit is {max_pixels:,} pixels.",
        )


@dataclass(frozen=True)
class ImageHeader:
    """What an upload's header says, checked without decoding a pixel: the cheap, certain
    part of validation that a web request can afford (decoding is a render job's)."""

    format: str
    width: int
    height: int


def image_header(
    fp: BinaryIO, *, max_pixels: int, max_edge_px: int = DEFAULT_MAX_EDGE_PX
) -> ImageHeader:
    """The accepted format and upright size from the header; ``ImageRejected`` otherwise.

    The size is the image as shown: an EXIF orientation of 5 to 8 swaps width and height.
    The container is walked first, within its limits (``imaging.containers``), so a file of
    a million segments or a thousand scans is refused before Pillow parses any of it.
    """
    fp.seek(0)
    _container_check(fp.read())
    image = image_probe(fp, max_pixels=max_pixels, max_edge_px=max_edge_px)
    width, height = image.size
    orientation = _orientation(image)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageHeader(format=_format_name(image), width=width, height=height)


def image_format(data: bytes) -> str:
    """The accepted format the bytes are in (``JPEG`` for a multi-picture JPEG), from the header,
    once the container has been walked within its limits."""
    _container_check(data)
    return _format_name(_open(io.BytesIO(data), image_format=containers.container_format(data)))


def _container_check(data: bytes) -> None:
    """Walks the container the bytes start like within its limits (``imaging.containers``),
    so that a file of a million segments or a thousand scans is refused before Pillow parses
    any of it. Bytes of no accepted container are left for Pillow to name."""
    image_format = containers.container_format(data)
    if image_format is not None:
        image_payload_end(data, image_format)


def heif_layout(data: bytes) -> containers.HeifLayout:
    """The walked layout of a HEIF or AVIF file; ``ImageRejected`` if it does not walk."""
    try:
        return containers.heif_layout(data)
    except containers.ContainerTooComplex as exc:
        raise ImageRejected(exc.code, exc.message) from exc
    except containers.ContainerError as exc:
        raise ImageRejected("corrupt", f"The image file is corrupt or truncated: {exc}.") from exc
    except (KeyError, IndexError, ValueError) as exc:
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc


def _heif_check(data: bytes, *, max_pixels: int, max_edge_px: int) -> containers.HeifLayout:
    """Refuses a HEIF/AVIF file whose boxes say it is too large to decode, before any decoder
    runs: the picture's edges and pixels (a grid's output size), and what decoding costs
    (every tile a grid is made of)."""
    layout = heif_layout(data)
    _size_check(layout.width, layout.height, max_pixels=max_pixels, max_edge_px=max_edge_px)
    if layout.decoded_pixels > _MAX_DECODED_PIXEL_SHARE * max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The image's {layout.tiles:,} coded pictures hold "
            f"{layout.decoded_pixels:,} pixels; the limit is {max_pixels:,} pixels.",
        )
    return layout


def image_checksum(data: bytes, image_format: str) -> str:
    """The hex SHA-256 of what an upload stores (``image_original_end``), trailer cut off."""
    end = image_original_end(data, image_format)
    return hashlib.sha256(memoryview(data)[:end]).hexdigest()


def image_original_end(data: bytes, image_format: str) -> int:
    """Where the original an upload keeps ends: the image's own end (``image_payload_end``),
    or the file's end for a motion photo whose clip the file itself declares and which opens
    as a video (``imaging.motion.motion_photo_kept_end``); any other trailer is cut."""
    end = image_payload_end(data, image_format)
    return motion.motion_photo_kept_end(data, end) if image_format == "JPEG" else end


def image_decode(
    fp: BinaryIO,
    *,
    max_pixels: int,
    max_edge: int | None = None,
    max_edge_px: int = DEFAULT_MAX_EDGE_PX,
) -> DecodedImage:
    """Decodes an accepted image once: upright, 8-bit RGB or RGBA in sRGB, metadata dropped.

    ``max_edge_px`` refuses an image with a longer edge from its header. With ``max_edge``
    (the processed rendition's edge), a JPEG is decoded at a reduced scale (DCT draft) where
    that still leaves enough pixels for it (``DRAFT_MIN_SHARE``). A baseline JPEG whose scan
    ends before its last rows is refused as truncated.
    """
    return _decode(
        fp,
        max_pixels=max_pixels,
        max_edge=max_edge,
        max_edge_px=max_edge_px,
        min_share=DRAFT_MIN_SHARE,
    )


def decoded_size(
    size: tuple[int, int], *, image_format: str, max_edge: int | None, min_share: float = 1.0
) -> tuple[int, int]:
    """The size ``image_decode`` decodes an image of ``size`` at (before turning it upright)."""
    reduction = _draft_reduction(size, image_format, max_edge, min_share)
    return (-(-size[0] // reduction), -(-size[1] // reduction))


def _decode(
    fp: BinaryIO, *, max_pixels: int, max_edge: int | None, max_edge_px: int, min_share: float
) -> DecodedImage:
    fp.seek(0)
    data = fp.read()
    source = io.BytesIO(_decodable_bytes(data))
    del data
    image = image_probe(source, max_pixels=max_pixels, max_edge_px=max_edge_px)
    source_format = _format_name(image)
    nclx_icc = None
    if source_format in ISOBMFF_FORMATS:
        nclx_icc = _nclx_icc(heif_layout(source.getvalue()))
    width, height = image.size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reduction = _draft_reduction(image.size, source_format, max_edge, min_share)
            if reduction > 1:
                image.draft(None, (max(1, width // reduction), max(1, height // reduction)))
            # GIF, WebP and MPO: the first frame is the picture.
            image.seek(0)
            image.load()
            if source_format in ISOBMFF_FORMATS:
                # libheif may crop (clap) as it decodes: the size is the decoded picture's.
                width, height = image.size
                if nclx_icc is not None and not image.info.get("icc_profile"):
                    image.info["icc_profile"] = nclx_icc
            orientation = _orientation(image)
            if orientation in _TRANSPOSING_ORIENTATIONS:
                width, height = height, width
            if source_format in ISOBMFF_FORMATS:
                if orientation != 1:
                    image = image.transpose(_TRANSPOSES[orientation])
            else:
                ImageOps.exif_transpose(image, in_place=True)
            pixels = color.working_mode(image)
            pixels.load()
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", "The image has too many pixels.") from exc
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        IndexError,
        TypeError,
        KeyError,
        RuntimeError,
    ) as exc:
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc
    except MemoryError as exc:
        raise ImageRejected("too_many_pixels", "The image is too large to process.") from exc
    pixels.info.clear()
    return DecodedImage(image=pixels, format=source_format, width=width, height=height)


_ORIENTATION = 0x0112
# EXIF orientations that swap width and height (transposed, rotated 90° either way).
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int:
    """Which way up the opened image is to be turned (an EXIF orientation, 1 to 8).

    For JPEG, PNG, WebP and GIF, EXIF's (or XMP's) as Pillow reads it. For HEIF and AVIF
    only the boxes' transforms count (EXIF's orientation is informative there): libheif has
    already applied them (pillow-heif then resets EXIF's to 1), and Pillow's AVIF plugin
    hands them over as the EXIF orientation it writes into ``info["exif"]``, which is read
    here without Pillow's fall-back to XMP.
    """
    try:
        if _format_name(image) == "HEIF":
            return 1
        if _format_name(image) == "AVIF":
            exif = Image.Exif()
            if image.info.get("exif"):
                exif.load(image.info["exif"])
            value = exif.get(_ORIENTATION, 1)
        else:
            value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # an unreadable EXIF block is the decoder's to judge, not the header's
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _nclx_icc(layout: containers.HeifLayout) -> bytes | None:
    """The ICC profile a HEIF/AVIF picture's ``nclx`` colour stands for, if not sRGB."""
    if layout.nclx is None or layout.has_icc:
        return None
    primaries, transfer, matrix, full_range = layout.nclx
    return color.nclx_profile(
        primaries=primaries, transfer=transfer, matrix=matrix, full_range=full_range
    )


def _open(
    fp: BinaryIO, *, max_pixels: int | None = None, image_format: str | None = None
) -> Image.Image:
    """``Image.open`` limited to the accepted formats, every failure an ``ImageRejected``.

    A HEIF-family file (``image_format`` from its walked boxes) is opened only as the format
    its primary picture is coded in: one decoder per format, never a guess among them; any
    other bytes never reach a HEIF-family decoder.
    """
    formats = (image_format,) if image_format in ISOBMFF_FORMATS else NON_ISOBMFF_FORMATS
    with warnings.catch_warnings():
        # Our own max_pixels decides; Pillow's bomb warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(fp, formats=formats)
        except Image.DecompressionBombError as exc:
            limit = f"; the limit is {max_pixels:,}" if max_pixels else ""
            raise ImageRejected(
                "too_many_pixels", f"The image has too many pixels{limit}."
            ) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected("unsupported_format", _UNSUPPORTED_MESSAGE) from exc
        except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as exc:
            raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc
    if _format_name(image) not in ACCEPTED_FORMATS:
        raise ImageRejected("unsupported_format", _UNSUPPORTED_MESSAGE)
    return image


def _format_name(image: Image.Image) -> str:
    name = image.format or ""
    return FORMAT_ALIASES.get(name, name)


def _decodable_bytes(data: bytes) -> bytes:
    """What the decoder is given, once the container has been walked within its limits: for
    a single-scan JPEG, its first picture with the final EOI marker swapped for padding, so
    that a scan cut short (then "ended" with an EOI, which libjpeg only warns about before
    filling the rest with grey) fails as truncated.

    Progressive and other multi-scan JPEGs are given as they are: libjpeg reads all their
    scans before the first row, so the padding cannot tell complete from cut short.
    """
    if containers.container_format(data) != "JPEG":
        _container_check(data)
        return data
    try:
        end, scans = containers.jpeg_walk(data, 0)
    except containers.ContainerTooComplex as exc:
        raise ImageRejected(exc.code, exc.message) from exc
    except (IndexError, ValueError) as exc:
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc
    if scans != 1:
        return data
    return data[: end - 2] + _SCAN_PADDING


def _draft_reduction(
    size: tuple[int, int], image_format: str, max_edge: int | None, min_share: float
) -> int:
    """The power-of-two reduction (1, 2, 4 or 8) a JPEG is decoded at for ``max_edge``."""
    if not max_edge or image_format != "JPEG":
        return 1
    long_edge = max(size)
    for reduction in (8, 4, 2):
        if long_edge // reduction >= max_edge * min_share:
            return reduction
    return 1


def image_payload_end(data: bytes, image_format: str) -> int:
    """Where the image's own bytes end; anything after is a trailer (a zip, HTML, a script).

    Polyglot files hide a second document after a valid image. Atelier stores the original
    only up to this point, so nothing it serves carries a stowaway. Walks the container's
    structure (``imaging.containers``: PNG chunks, JPEG segments and entropy-coded scans, GIF
    blocks, WebP chunks, HEIF/AVIF boxes and items) within its limits; raises
    ``ImageRejected`` if the structure cannot be walked to its end (``corrupt``) or holds
    more pieces than any image needs (``too_many_scans``, ``too_many_blocks``).
    """
    try:
        end = containers.payload_end(data, image_format)
    except containers.ContainerTooComplex as exc:
        raise ImageRejected(exc.code, exc.message) from exc
    except (KeyError, IndexError, ValueError) as exc:
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.") from exc
    if end > len(data):
        raise ImageRejected("corrupt", "The image file is corrupt or truncated.")
    return end


class Renditions(NamedTuple):
    """The encoded renditions of one render: full size, screen size and grid size, each as
    JPEG (PNG with transparency) and in ``variants`` as WebP and (but for the full size, see
    ``imaging.encoding``) AVIF; and the thumbnail's ThumbHash."""

    processed: Rendition
    preview: Rendition
    thumbnail: Rendition
    # Keyed ``<size>_<format>`` (``preview_avif``, ``thumbnail_webp``): the model's
    # ``<key>_key`` fields. A format a size is not stored in is missing (``processed_avif``
    # unless the processed picture is the preview too), as is AVIF where Pillow cannot write it.
    variants: dict[str, Rendition]
    # The thumbnail's ThumbHash (``imaging.thumbhash``), base64: what a tile paints first.
    placeholder: str

    def files(self) -> dict[str, Rendition]:
        """Every file of the render, keyed by the name of the field that stores it, less
        ``_key``: ``processed``, ``preview``, ``thumbnail``, then the variants."""
        return {
            "processed": self.processed,
            "preview": self.preview,
            "thumbnail": self.thumbnail,
            **self.variants,
        }


# The preview's long edge (a picture's page), and the thumbnail's short edge (gallery rows at
# twice the pixel density) and the cap on its long edge (a panorama stays a strip).
DEFAULT_PREVIEW_EDGE = 1440
DEFAULT_THUMBNAIL_EDGE = 480
DEFAULT_THUMBNAIL_MAX_EDGE = 3840


def renditions_render(
    decoded: DecodedImage,
    *,
    style: str,
    max_edge: int,
    preview_edge: int = DEFAULT_PREVIEW_EDGE,
    thumbnail_edge: int = DEFAULT_THUMBNAIL_EDGE,
    thumbnail_max_edge: int = DEFAULT_THUMBNAIL_MAX_EDGE,
    variants: bool = True,
    avif_speed: int | None = None,
) -> Renditions:
    """The processed rendition (styled, long edge capped), its preview and its thumbnail,
    each in every stored format (``imaging.encoding``; only JPEG or PNG without
    ``variants``, as before they existed: the benchmark's baseline), and the thumbnail's
    ThumbHash. ``avif_speed``: at least this libaom speed (``encoding.encode_variants``).

    The style runs after the downscale, so a neighbourhood filter never works on pixels that
    are about to be thrown away. The preview (long edge ``preview_edge``) and the thumbnail
    (short edge ``thumbnail_edge``, long edge at most ``thumbnail_max_edge``) are downscaled
    from the styled pixels, never decoded or styled again, and never upscaled: the thumbnail
    from the preview where the preview is large enough, as it is for all but panoramas.
    """
    capped = _fit(decoded.image, max_edge)
    styled = style_apply(capped, style)
    preview = _fit(styled, preview_edge, reducing_gap=_SMALL_RENDITION_REDUCING_GAP)
    size = _thumbnail_size(styled.size, thumbnail_edge, thumbnail_max_edge)
    source = preview if preview.width >= size[0] and preview.height >= size[1] else styled
    thumbnail = (
        source
        if source.size == size
        else source.resize(
            size, Image.Resampling.LANCZOS, reducing_gap=_SMALL_RENDITION_REDUCING_GAP
        )
    )
    # A picture already within a smaller size is encoded once, for each size it is (in every
    # format any of them is stored in, with the settings of the smallest).
    pictures = {"thumbnail": thumbnail, "preview": preview, "processed": styled}
    encoded: dict[int, dict[str, Rendition]] = {}
    for kind in encoding.SIZES:
        image = pictures[kind]
        if id(image) in encoded:
            continue
        same = tuple(k for k in encoding.SIZES if pictures[k] is image)
        formats = {"": _encode(image)}
        made = encoding.encode_variants(image, same, avif_speed=avif_speed) if variants else {}
        for name, variant in made.items():
            formats[name.lower()] = Rendition(
                data=variant.data, format=variant.format, width=image.width, height=image.height
            )
        encoded[id(image)] = formats
    sizes = {kind: encoded[id(pictures[kind])] for kind in ("processed", "preview", "thumbnail")}
    return Renditions(
        processed=sizes["processed"][""],
        preview=sizes["preview"][""],
        thumbnail=sizes["thumbnail"][""],
        variants={
            f"{kind}_{name}": rendition
            for kind, formats in sizes.items()
            for name, rendition in formats.items()
            if name
        },
        placeholder=thumbhash.thumbhash_to_text(thumbhash.thumbhash_encode(thumbnail)),
    )


# The preview and the thumbnail are first box-averaged by the largest whole factor that keeps
# them at least this much larger, then resampled: a 4096 px rendition to a 1440 px preview
# costs a third of a full Lanczos pass (about 0.2 s rather than 0.65 s on a 12 MP photo), and a
# box average is itself a fair low-pass filter, so the picture stays free of aliasing.
_SMALL_RENDITION_REDUCING_GAP = 1.0


def _thumbnail_size(size: tuple[int, int], short_edge: int, max_edge: int) -> tuple[int, int]:
    """``size`` scaled so its short edge is ``short_edge`` and its long edge at most
    ``max_edge``; unchanged where that would enlarge it."""
    width, height = size
    scale = min(1.0, short_edge / min(width, height), max_edge / max(width, height))
    if scale >= 1.0:
        return size
    return (max(1, round(width * scale)), max(1, round(height * scale)))


def thumbnail_from_file(
    fp: BinaryIO, *, edge: int, max_pixels: int, max_edge_px: int = DEFAULT_MAX_EDGE_PX
) -> Rendition:
    """A thumbnail straight from a file, decoding a JPEG at the smallest DCT scale that fits."""
    decoded = _decode(
        fp, max_pixels=max_pixels, max_edge=edge, max_edge_px=max_edge_px, min_share=1.0
    )
    return _encode(_fit(decoded.image, edge))


def _fit(image: Image.Image, edge: int, *, reducing_gap: float = 2.0) -> Image.Image:
    """A copy whose long edge is at most ``edge``, reduced in integer steps then resampled."""
    if max(image.size) <= edge:
        return image
    scale = edge / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


def _encode(image: Image.Image) -> Rendition:
    """Encodes with no metadata: JPEG for opaque images, PNG where there is transparency
    (the format every client reads; ``imaging.encoding`` makes the others)."""
    fallback = encoding.encode_fallback(image)
    return Rendition(
        data=fallback.data, format=fallback.format, width=image.width, height=image.height
    )
