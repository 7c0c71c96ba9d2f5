"""A photo's EXIF read into plain facts (when it was taken, the camera, where), free of Django.

Nothing here decodes a pixel: the EXIF block comes from the container's header (a JPEG's APP1,
a PNG's eXIf chunk, a WebP's EXIF chunk, a multi-picture JPEG's first picture, a HEIF or
AVIF file's Exif item), and Pillow parses it. EXIF is whatever the uploader's software wrote,
so every value is checked: one that is missing, of the wrong type, out of range or not finite
becomes None, and nothing hostile in the block makes these functions raise.
"""

import io
import math
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from numbers import Real
from typing import Any

from PIL import ExifTags, Image

from imaging import containers
from imaging.processing import ISOBMFF_FORMATS, NON_ISOBMFF_FORMATS

# Camera and lens names are short; anything longer is a stuffed field, cut to this many
# characters so it cannot bloat a row or a response.
MAX_TEXT_LENGTH = 200

_ORIENTATION = ExifTags.Base.Orientation
_MAKE = ExifTags.Base.Make
_MODEL = ExifTags.Base.Model
_DATETIME_ORIGINAL = ExifTags.Base.DateTimeOriginal
_DATETIME_DIGITIZED = ExifTags.Base.DateTimeDigitized
_OFFSET_ORIGINAL = ExifTags.Base.OffsetTimeOriginal
_OFFSET_DIGITIZED = ExifTags.Base.OffsetTimeDigitized
_SUBSEC_ORIGINAL = ExifTags.Base.SubsecTimeOriginal
_SUBSEC_DIGITIZED = ExifTags.Base.SubsecTimeDigitized
_EXPOSURE_TIME = ExifTags.Base.ExposureTime
_F_NUMBER = ExifTags.Base.FNumber
_ISO = ExifTags.Base.ISOSpeedRatings
_RECOMMENDED_EXPOSURE_INDEX = ExifTags.Base.RecommendedExposureIndex
_ISO_SPEED = ExifTags.Base.ISOSpeed
_FOCAL_LENGTH = ExifTags.Base.FocalLength
_LENS_MODEL = ExifTags.Base.LensModel

# EXIF writes dates as "YYYY:MM:DD HH:MM:SS"; some software uses dashes or a "T".
_DATE = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
# Before photography there are no photos; an earlier year is a camera's unset clock
# or a corrupt field, not a date worth sorting by.
_EARLIEST_YEAR = 1826
# Real UTC offsets run from -12:00 to +14:00.
_MAX_OFFSET = timedelta(hours=14)
# PhotographicSensitivity saturates at 65535; the true value is then in one of these.
_ISO_SATURATED = 65535
# Plausibility bounds: values outside them are corrupt, not exotic.
_MAX_ISO = 10_000_000
_MAX_EXPOSURE_S = 1_000_000.0
_MAX_F_NUMBER = 1_000.0
_MAX_FOCAL_LENGTH_MM = 100_000.0
_MAX_ALTITUDE_M = 1_000_000.0
# An exposure whose reciprocal is this close to a whole number is shown as "1/N".
_RECIPROCAL_TOLERANCE = 0.05


@dataclass(frozen=True)
class PhotoMetadata:
    """What a photo's EXIF says: when it was taken and a JSON-serialisable ``metadata`` dict.

    ``taken_at`` is timezone-aware. EXIF dates are the camera's wall clock; where the file
    also records the clock's UTC offset (``OffsetTimeOriginal``), ``taken_at`` carries that
    offset and ``taken_at_offset_known`` is True. Where it does not, the zone is unknown and
    ``taken_at`` is the wall-clock reading labelled UTC (``taken_at_offset_known`` False):
    shown in UTC it reads exactly as the camera's clock did, photos from one camera sort in
    the order they were taken, and Django never has to guess a zone for a naive datetime
    (it would silently apply the server's). The instant is then off by the photographer's
    unknown offset, which is why the flag exists.

    ``metadata`` always has the same keys, each None where the EXIF has no usable value:
    ``camera_make``, ``camera_model``, ``lens`` (strings of at most ``MAX_TEXT_LENGTH``),
    ``exposure_time`` (seconds), ``exposure_time_display`` ("1/250", "2.5"), ``f_number``,
    ``iso`` (int), ``focal_length`` (mm), ``latitude`` and ``longitude`` (decimal degrees,
    negative south and west; both or neither), ``altitude`` (metres, negative below sea level).
    """

    taken_at: datetime | None = None
    taken_at_offset_known: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)


def exif_load(*, data: bytes) -> Image.Exif:
    """The EXIF Pillow sees in an accepted image's bytes (empty if none or unreadable).

    Read from the header without decoding pixels: Pillow's PNG plugin would decode the whole
    image to look for an eXIf chunk stored after the image data, so that chunk is found by
    walking the chunk headers instead. The orientation falls back to XMP's
    ``tiff:Orientation``, as Pillow's (and so ``imaging.processing``'s) does. A HEIF or AVIF
    file is opened as the format its walked boxes say, as ``imaging.processing`` opens it;
    its orientation is then the boxes' (HEIF: 1, already applied by libheif).
    """
    image_format = containers.container_format(data)
    formats = (image_format,) if image_format in ISOBMFF_FORMATS else NON_ISOBMFF_FORMATS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=formats) as image:
                if image.format == "PNG" and "exif" not in image.info:
                    late = _png_late_exif(data)
                    if late is not None:
                        image.info["exif"] = late
                # The base class's getexif reads only what the header gave (see above).
                exif = Image.Image.getexif(image)
            # Force the lazy parse here, where failure is caught, not at the first lookup.
            dict(exif)
            return exif
    except Exception:  # a corrupt block means "no EXIF", never a refused photo
        return Image.Exif()


def exif_read(*, data: bytes) -> PhotoMetadata:
    """When the photo in ``data`` was taken and what took it, from its EXIF; never raises.

    The date is ``DateTimeOriginal`` (when the shutter fired) with ``OffsetTimeOriginal``;
    if that is absent or nonsense, ``DateTimeDigitized`` with ``OffsetTimeDigitized``, which
    cameras set to the same moment (a scanner sets it to the scan). ``DateTime`` in IFD0 is
    never used: it is when software last changed the file. Bytes that are not an image
    Pillow opens give an empty ``PhotoMetadata``.
    """
    return exif_metadata(exif=exif_load(data=data))


def exif_metadata(*, exif: Image.Exif) -> PhotoMetadata:
    """``exif_read`` for an already-parsed ``Image.Exif`` (``image.getexif()``)."""
    base = _ifd(exif, None)
    sub = _ifd(exif, ExifTags.IFD.Exif)
    gps = _ifd(exif, ExifTags.IFD.GPSInfo)
    # Some writers put the Exif-IFD tags in IFD0; the sub-IFD wins where both have one.
    tags = {**base, **sub}

    taken_at, offset_known = _taken_at(tags)
    exposure = _bounded(_number(tags.get(_EXPOSURE_TIME)), _MAX_EXPOSURE_S)
    latitude, longitude = _position(gps)
    metadata = {
        "camera_make": _text(base.get(_MAKE)),
        "camera_model": _text(base.get(_MODEL)),
        "lens": _text(tags.get(_LENS_MODEL)),
        "exposure_time": exposure,
        "exposure_time_display": _exposure_display(exposure),
        "f_number": _rounded(_bounded(_number(tags.get(_F_NUMBER)), _MAX_F_NUMBER), 2),
        "iso": _iso(tags),
        "focal_length": _rounded(
            _bounded(_number(tags.get(_FOCAL_LENGTH)), _MAX_FOCAL_LENGTH_MM), 2
        ),
        "latitude": latitude,
        "longitude": longitude,
        "altitude": _altitude(gps),
    }
    return PhotoMetadata(taken_at=taken_at, taken_at_offset_known=offset_known, metadata=metadata)


def _taken_at(tags: dict[int, Any]) -> tuple[datetime | None, bool]:
    """The original date (else the digitized one), aware, and whether its offset is known."""
    for date_tag, offset_tag, subsec_tag in (
        (_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _SUBSEC_ORIGINAL),
        (_DATETIME_DIGITIZED, _OFFSET_DIGITIZED, _SUBSEC_DIGITIZED),
    ):
        moment = _datetime(tags.get(date_tag), tags.get(subsec_tag))
        if moment is None:
            continue
        zone = _offset(tags.get(offset_tag))
        aware = moment.replace(tzinfo=zone or UTC)
        try:
            aware.astimezone(UTC)  # 9999-12-31 23:00 -08:00 is past the last datetime
        except OverflowError:
            continue
        return aware, zone is not None
    return None, False


def _ifd(exif: Image.Exif, tag: int | None) -> dict[int, Any]:
    """IFD0 (``tag`` None) or a sub-IFD as a plain dict; empty if it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ifd = dict(exif) if tag is None else exif.get_ifd(tag)
            return dict(ifd) if isinstance(ifd, dict) else {}
    except Exception:  # a hostile offset or count: the IFD is as good as absent
        return {}


def _png_late_exif(data: bytes) -> bytes | None:
    """The body of a PNG's first eXIf chunk, wherever it is, from the chunk headers alone."""
    pos = 8
    size = len(data)
    while pos + 8 <= size:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body_end = pos + 8 + length
        if body_end > size:
            return None
        if kind == b"eXIf":
            return data[pos + 8 : body_end]
        if kind == b"IEND":
            return None
        pos = body_end + 4
    return None


def _text(value: object) -> str | None:
    """A printable string up to the first NUL, trimmed and cut to ``MAX_TEXT_LENGTH``."""
    if isinstance(value, bytes):
        try:
            value = value.decode()
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    value = value.split("\x00", 1)[0]
    # Control characters have no place in a camera name and upset some JSON consumers.
    value = "".join(ch for ch in value[: MAX_TEXT_LENGTH * 4] if ch.isprintable())
    value = value.strip()[:MAX_TEXT_LENGTH].strip()
    return value or None


def _number(value: object) -> float | None:
    """A finite float from an int, float or rational (the first of several), else None."""
    if isinstance(value, tuple) and value:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        number = float(value)
    except (ArithmeticError, ValueError, TypeError):  # huge ints, zero denominators
        return None
    return number if math.isfinite(number) else None


def _bounded(value: float | None, limit: float) -> float | None:
    """``value`` if it is positive and at most ``limit``."""
    if value is None or not 0 < value <= limit:
        return None
    return value


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _exposure_display(seconds: float | None) -> str | None:
    """How a camera shows an exposure: "1/250" for a fraction of a second, else "0.4", "2.5"."""
    if seconds is None:
        return None
    reciprocal = 1 / seconds
    if seconds < 1 and abs(reciprocal - round(reciprocal)) < _RECIPROCAL_TOLERANCE:
        return f"1/{round(reciprocal)}"
    return f"{seconds:.1f}".removesuffix(".0") if seconds >= 1 else f"{seconds:.2g}"


def _iso(tags: dict[int, Any]) -> int | None:
    iso = _integer(tags.get(_ISO))
    if iso == _ISO_SATURATED:
        for tag in (_RECOMMENDED_EXPOSURE_INDEX, _ISO_SPEED):
            exact = _integer(tags.get(tag))
            if exact is not None and exact > iso:
                return exact
    return iso


def _integer(value: object) -> int | None:
    """A positive int up to ``_MAX_ISO`` (the first of several), else None."""
    if isinstance(value, tuple) and value:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= _MAX_ISO else None


def _datetime(value: object, subsec: object) -> datetime | None:
    """A naive datetime from an EXIF date string, with its sub-second digits, or None."""
    text = _text(value)
    if text is None:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    if year < _EARLIEST_YEAR:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # month 13, 31 February, 25 o'clock
        return None
    digits = _text(subsec)
    if digits is not None and digits.isascii() and digits.isdigit():
        moment = moment.replace(microsecond=int(digits[:6].ljust(6, "0")))
    return moment


def _offset(value: object) -> timezone | None:
    """The zone of an EXIF offset such as "+05:30", or None for absent or impossible ones."""
    text = _text(value)
    if text is None:
        return None
    match = _OFFSET.fullmatch(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    if int(minutes) >= 60:
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > _MAX_OFFSET:
        return None
    return timezone(-delta if sign == "-" else delta)


def _position(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    """Signed decimal latitude and longitude, or (None, None) unless both are well-formed.

    A coordinate without its hemisphere reference is refused rather than guessed: a
    location on the wrong side of the world is worse than none.
    """
    latitude = _coordinate(gps.get(2), gps.get(1), {"N": 1, "S": -1}, 90.0)
    longitude = _coordinate(gps.get(4), gps.get(3), {"E": 1, "W": -1}, 180.0)
    if latitude is None or longitude is None:
        return None, None
    return latitude, longitude


def _coordinate(value: object, ref: object, signs: dict[str, int], limit: float) -> float | None:
    if not isinstance(value, tuple) or not 1 <= len(value) <= 3:
        return None
    degrees = 0.0
    for i, part in enumerate(value):
        number = _number(part)
        if number is None or number < 0:
            return None
        degrees += number / 60**i  # degrees, minutes, seconds
    sign = signs.get((_text(ref) or "").upper())
    if sign is None or degrees > limit:
        return None
    return round(sign * degrees, 7)


def _altitude(gps: dict[int, Any]) -> float | None:
    altitude = _number(gps.get(6))
    if altitude is None or not 0 <= altitude <= _MAX_ALTITUDE_M:
        return None
    ref = gps.get(5, 0)
    if isinstance(ref, bytes):
        ref = ref[:1] and ref[0]
    if isinstance(ref, tuple) and ref:
        ref = ref[0]
    if ref == 1:
        altitude = -altitude
    elif ref != 0:
        return None
    return round(altitude, 2)
