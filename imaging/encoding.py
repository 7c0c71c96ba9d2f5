"""Encoding a rendition's pixels in each format a browser may ask for: AVIF, WebP and JPEG/PNG.

Every rendition is stored three times, so delivery can answer each request's ``Accept`` with
the smallest file the client reads (``images.delivery``): AVIF, else WebP, else the fallback
every client reads (JPEG, or PNG where there is transparency; AVIF and WebP keep alpha too).
The settings were chosen by measurement (``bench/formats_bench.py``, ``docs/issue21-formats.md``)
on a 640 × 480 thumbnail of a grainy 12 MP photo, against the JPEG at quality 85 that was the
only format before, with the structural similarity (SSIM) of each decoded file to the source
downscaled from full resolution:

- JPEG q85: 1.00× the bytes, SSIM 0.984, 0.02 s.
- AVIF q60 (speed 6): 0.42×, SSIM 0.981: smaller but softer; libaom's default tuning spends
  bits on PSNR, smoothing grain away.
- AVIF q78, ``tune=ssim``, speed 5: 0.44×, SSIM 0.985, 0.36 s: as sharp, under half the bytes.
  Speed 6 is five times faster but 0.49× at SSIM 0.983; the thumbnail is the file a gallery
  fetches by the hundred, so it gets the slow, careful encode.
- WebP q80 (method 4): 0.48×, SSIM 0.974.

A bigger picture costs more per encode and is fetched less: the preview (1,440 px, one per
picture page) at speed 8 (0.06 s, 0.2–0.3× the JPEG), the processed rendition (up to 4,096 px,
only for zoom and download) at speed 10 (0.4 s for 12 MP, 0.2–0.5×), WebP at method 2 above
the preview's size (0.4 s rather than 1 s for 12 MP, files 1 % larger). Nothing here knows
Django.
"""

import io
from dataclasses import dataclass

from PIL import Image, features

# The formats a rendition is stored in besides its fallback (JPEG or PNG), best first.
VARIANT_FORMATS = ("AVIF", "WEBP")
# Up to this many pixels a picture is thumbnail-sized (a 640 × 480 thumbnail is 0.31 MP) and
# gets the slow, small encode; up to the second, preview-sized (1,440 × 1,080 is 1.6 MP; a
# panorama's 3,840 × 480 thumbnail is 1.8 MP).
THUMBNAIL_MAX_PIXELS = 500_000
PREVIEW_MAX_PIXELS = 3_000_000


@dataclass(frozen=True)
class Encoded:
    """A picture's bytes in one format (a name from ``imaging.media``)."""

    data: bytes
    format: str


@dataclass(frozen=True)
class AvifSettings:
    """libavif's quality (0–100), speed (0 slowest, 10 fastest) and libaom's tuning."""

    quality: int
    speed: int
    tune_ssim: bool = True


# Chosen by size of the picture's long edge: see the module docstring.
AVIF_THUMBNAIL = AvifSettings(quality=78, speed=5)
AVIF_PREVIEW = AvifSettings(quality=70, speed=8)
AVIF_PROCESSED = AvifSettings(quality=65, speed=10)
WEBP_QUALITY = 80
JPEG_QUALITY = 85


def avif_available() -> bool:
    """Whether this Pillow can write AVIF (its wheels can; a source build may not)."""
    return bool(features.check("avif"))


def _aom_available() -> bool:
    try:
        from PIL import _avif  # type: ignore[attr-defined]
    except ImportError:
        return False
    return bool(_avif.encoder_codec_available("aom"))


def avif_settings(size: tuple[int, int]) -> AvifSettings:
    """The AVIF settings for a picture of ``size``: slower and finer for the small ones."""
    pixels = size[0] * size[1]
    if pixels <= THUMBNAIL_MAX_PIXELS:
        return AVIF_THUMBNAIL
    if pixels <= PREVIEW_MAX_PIXELS:
        return AVIF_PREVIEW
    return AVIF_PROCESSED


def encode_fallback(image: Image.Image) -> Encoded:
    """JPEG for opaque images, PNG where there is transparency; no metadata."""
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA"):
        image_format = "PNG"
        # Level 3: several times faster than the default 6 for slightly larger files.
        image.save(buffer, format=image_format, optimize=False, compress_level=3)
    else:
        image_format = "JPEG"
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, format=image_format, quality=JPEG_QUALITY, optimize=False)
    return Encoded(data=buffer.getvalue(), format=image_format)


def encode_avif(image: Image.Image, settings: AvifSettings | None = None) -> Encoded:
    """AVIF (8-bit, 4:2:0, alpha kept), with the settings for its size unless given."""
    chosen = settings or avif_settings(image.size)
    image = image if image.mode in ("RGB", "RGBA") else image.convert(_rgb_mode(image))
    options: dict[str, object] = {"quality": chosen.quality, "speed": chosen.speed}
    if chosen.tune_ssim and _aom_available():
        options["codec"] = "aom"
        options["advanced"] = [("tune", "ssim")]
    buffer = io.BytesIO()
    image.save(buffer, format="AVIF", **options)
    return Encoded(data=buffer.getvalue(), format="AVIF")


def encode_webp(image: Image.Image) -> Encoded:
    """WebP (lossy, alpha kept); a quicker method for the big pictures."""
    image = image if image.mode in ("RGB", "RGBA") else image.convert(_rgb_mode(image))
    method = 4 if image.width * image.height <= PREVIEW_MAX_PIXELS else 2
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=method)
    return Encoded(data=buffer.getvalue(), format="WEBP")


def encode_variants(image: Image.Image) -> dict[str, Encoded]:
    """The picture in each of ``VARIANT_FORMATS`` this Pillow writes (AVIF left out where it
    cannot: delivery then answers with WebP), keyed by format."""
    encoded = {"WEBP": encode_webp(image)}
    if avif_available():
        encoded["AVIF"] = encode_avif(image)
    return encoded


def _rgb_mode(image: Image.Image) -> str:
    return "RGBA" if image.mode in ("LA", "PA", "La") or "transparency" in image.info else "RGB"


__all__ = [
    "AVIF_PREVIEW",
    "AVIF_PROCESSED",
    "AVIF_THUMBNAIL",
    "VARIANT_FORMATS",
    "AvifSettings",
    "Encoded",
    "avif_available",
    "avif_settings",
    "encode_avif",
    "encode_fallback",
    "encode_variants",
    "encode_webp",
]
