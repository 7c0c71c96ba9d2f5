"""HEIC and AVIF files made in the tests, cached per session as ``tests.factories.image_bytes``.

HEIC comes from pillow-heif's encoder (libheif with x265: 8- and 10-bit, 4:2:0 and 4:4:4,
single pictures and grids of tiles as iPhones write them), AVIF from Pillow's own (libavif
with aom). The picture is white with a red block in its top-left corner, so which way up a
rendition is can be seen from where the red is.
"""

import functools
import io
from typing import Any

import pillow_heif
from PIL import ExifTags, Image

# Importing imaging.processing registers pillow-heif's opener, and with it its HEIF saver.
from imaging import color, processing  # noqa: F401

RED = (220, 20, 20)
# A mid-tone whose Display P3 and sRGB readings differ clearly: as Display P3 it is
# (215, 93, 97) in sRGB.
P3_SAMPLE = (200, 100, 100)
P3_SAMPLE_AS_SRGB = (215, 93, 97)
# EXIF Orientation = 1, as Pillow writes it (big-endian): tag, SHORT, count 1, value, padding.
_ORIENTATION_1 = b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x01\x00\x00"


def marked_picture(
    size: tuple[int, int], fill: tuple[int, int, int] = (255, 255, 255)
) -> Image.Image:
    """``size``, filled, with a red block over the top-left quarter's top-left corner."""
    image = Image.new("RGB", size, fill)
    image.paste(RED, (0, 0, max(1, size[0] // 4), max(1, size[1] // 4)))
    return image


def camera_exif(orientation: int = 1) -> Image.Exif:
    """A phone's EXIF: camera, when (with its offset) and where."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15 Pro"
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:06 07:08:09"
    sub[ExifTags.Base.OffsetTimeOriginal] = "+02:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    return exif


@functools.lru_cache(maxsize=128)
def heif_bytes(
    fmt: str = "HEIF",
    *,
    size: tuple[int, int] = (64, 48),
    orientation: int = 1,
    exif: bool = True,
    exif_orientation_only: int = 0,
    tile_size: int = 0,
    ten_bit: bool = False,
    chroma: int = 420,
    colour: str = "",
    xmp: bytes = b"",
    quality: int = 60,
) -> bytes:
    """A HEIC (``fmt`` HEIF) or AVIF file of ``marked_picture(size)``.

    ``orientation`` is written as the boxes' rotation (irot/imir: both encoders turn EXIF's
    orientation into them); ``exif_orientation_only`` instead leaves the boxes upright and
    writes that orientation in EXIF alone (which readers of HEIF must not apply).
    ``colour`` is ``"icc-p3"`` (a Display P3 ICC profile) or ``"nclx-p3"`` (P3 code points,
    HEIC only); the picture is then filled with ``P3_SAMPLE``.
    """
    fill = P3_SAMPLE if colour else (255, 255, 255)
    picture = marked_picture(size, fill)
    options: dict[str, Any] = {"quality": quality}
    if exif:
        options["exif"] = camera_exif(orientation).tobytes()
    elif orientation != 1:
        options["exif"] = _orientation_exif(orientation).tobytes()
    if xmp:
        options["xmp"] = xmp
    if colour == "icc-p3":
        options["icc_profile"] = color.nclx_profile(primaries=12, transfer=13)
    elif colour == "nclx-p3":
        options.update(color_primaries=12, transfer_characteristics=13, matrix_coefficients=6)
    if fmt == "HEIF":
        options["chroma"] = chroma
        if tile_size:
            options["tile_size"] = tile_size
    buffer = io.BytesIO()
    if ten_bit:
        wide = b"".join(
            (value * 257).to_bytes(2, "little") for pixel in _pixels(picture) for value in pixel
        )
        heif = pillow_heif.from_bytes(mode="RGB;16", size=size, data=wide)
        heif.save(buffer, **options)
    else:
        picture.save(buffer, format=fmt, **options)
    data = buffer.getvalue()
    if exif_orientation_only:
        assert data.count(_ORIENTATION_1) == 1
        patched = _ORIENTATION_1[:-4] + exif_orientation_only.to_bytes(2, "big") + bytes(2)
        data = data.replace(_ORIENTATION_1, patched)
    return data


def _orientation_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return exif


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    return [image.getpixel((x, y)) for y in range(image.height) for x in range(image.width)]  # type: ignore[misc]
