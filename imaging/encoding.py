"""Encoding a rendition's pixels in each format a browser may ask for: AVIF, WebP and JPEG/PNG.

Each rendition is stored in more than one format, so delivery can answer each request's
``Accept`` with the smallest file the client reads (``images.delivery``): AVIF, else WebP, else
the fallback every client reads (JPEG, or PNG where there is transparency; AVIF and WebP keep
alpha too). The settings were chosen by measurement (``bench/formats_bench.py``,
``docs/media.md``) on the thumbnails of six grainy 12 MP photos in six shapes,
against the JPEG at quality 85 that was the only format before, with the structural
similarity (SSIM) of each decoded file to the source downscaled from full resolution to the
same size (JPEG: 1.00× the bytes, SSIM 0.9791):

- AVIF q78, libaom's default tuning, speed 6: 0.42×, SSIM 0.9775: smaller but softer (the
  default tuning spends bits on PSNR and smooths grain away); q84: 0.58×, 0.9798.
- AVIF q80, ``tune=ssim``, speed 5: 0.40×, SSIM 0.9790, a shade softer on a panorama.
- **AVIF q82, ``tune=ssim``, speed 5: 0.48×, SSIM 0.9801**: as sharp, under half the bytes.
  Speed 5 costs about 0.35 s per 640 × 480 thumbnail (speed 6: 0.07 s, but it needs q84 and
  0.58× for the same sharpness); the thumbnail is the file a gallery fetches by the hundred,
  so it gets the slow, careful encode.
- WebP q80 (method 4): about 0.48×, SSIM 0.974.

A bigger picture costs more per encode and is fetched less. The preview (1,440 px, one per
picture page) is AVIF at speed 8, q70 (0.06 s, about 0.25× the JPEG). The processed rendition
(up to 4,096 px, for zoom and download only) is WebP and JPEG, no AVIF: on a grainy 12 MP
photo AVIF at speed 10 gave 0.65× the JPEG's bytes, WebP 0.68×, so the AVIF would have added
0.4–3 s of render and another 1.5 MB to the owner's quota for 5 % fewer bytes on a file that
only a zoom loads; an AVIF-capable browser reads WebP too. (Where one picture is all three
sizes, as a small upload is, it has every format: the AVIF costs nothing more then.) WebP is
encoded at method 2 above 3 MP (0.4 s rather than 1 s for 12 MP, files 1 % larger). Nothing
here knows Django.
"""

import io
from dataclasses import dataclass

from PIL import Image, features

# The formats a rendition is stored in besides its fallback (JPEG or PNG), best first.
VARIANT_FORMATS = ("AVIF", "WEBP")
# Above this many pixels WebP is encoded with a quicker method (a 12 MP processed rendition).
WEBP_FAST_ABOVE_PIXELS = 3_000_000
# The sizes of a render, smallest first, and the formats each is stored in besides its
# fallback (see above: no AVIF for the processed rendition).
SIZES = ("thumbnail", "preview", "processed")
SIZE_FORMATS = {
    "thumbnail": ("AVIF", "WEBP"),
    "preview": ("AVIF", "WEBP"),
    "processed": ("WEBP",),
}


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


# Chosen for each size: see the module docstring.
AVIF_THUMBNAIL = AvifSettings(quality=82, speed=5)
AVIF_PREVIEW = AvifSettings(quality=70, speed=8)
AVIF_SETTINGS = {"thumbnail": AVIF_THUMBNAIL, "preview": AVIF_PREVIEW}
WEBP_QUALITY = 80
JPEG_QUALITY = 85


def avif_available() -> bool:
    """Whether this Pillow can write AVIF (its wheels can; a source build may not)."""
    return bool(features.check("avif"))


def _aom_available() -> bool:
    try:
        from PIL import _avif
    except ImportError:
        return False
    return bool(_avif.encoder_codec_available("aom"))


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


def encode_avif(image: Image.Image, chosen: AvifSettings) -> Encoded:
    """AVIF (8-bit, 4:2:0, alpha kept)."""
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
    method = 4 if image.width * image.height <= WEBP_FAST_ABOVE_PIXELS else 2
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=method)
    return Encoded(data=buffer.getvalue(), format="WEBP")


def encode_variants(
    image: Image.Image, sizes: tuple[str, ...], *, avif_speed: int | None = None
) -> dict[str, Encoded]:
    """The picture in each format that any of ``sizes`` (names from ``SIZES``: the sizes this
    one picture is) is stored in besides its fallback, keyed by format; with the settings of
    the smallest of them. AVIF is left out where this Pillow cannot write it (delivery then
    answers with WebP). ``avif_speed`` raises libaom's speed to at least this (a deployment
    that would rather render faster than save bytes; the test suite, as Django's own tests
    pick a fast password hasher)."""
    formats = {name for size in sizes for name in SIZE_FORMATS[size]}
    encoded: dict[str, Encoded] = {}
    if "AVIF" in formats and avif_available():
        smallest = min((size for size in sizes if size in AVIF_SETTINGS), key=SIZES.index)
        chosen = AVIF_SETTINGS[smallest]
        if avif_speed is not None and avif_speed > chosen.speed:
            chosen = AvifSettings(
                quality=chosen.quality, speed=avif_speed, tune_ssim=chosen.tune_ssim
            )
        encoded["AVIF"] = encode_avif(image, chosen)
    if "WEBP" in formats:
        encoded["WEBP"] = encode_webp(image)
    return encoded


def _rgb_mode(image: Image.Image) -> str:
    return "RGBA" if image.mode in ("LA", "PA", "La") or "transparency" in image.info else "RGB"


__all__ = [
    "AVIF_PREVIEW",
    "AVIF_SETTINGS",
    "AVIF_THUMBNAIL",
    "SIZES",
    "SIZE_FORMATS",
    "VARIANT_FORMATS",
    "AvifSettings",
    "Encoded",
    "avif_available",
    "encode_avif",
    "encode_fallback",
    "encode_variants",
    "encode_webp",
]
