"""Colour for renditions: every decoded picture becomes 8-bit RGB(A) in sRGB.

Browsers show untagged pixels as sRGB, and the renditions are served untagged, so a picture
with an embedded ICC profile (Adobe RGB, Display P3, a CMYK press profile) is converted here,
once, and wide grey (16-bit PNG) is scaled rather than clipped. Kept apart from decoding
(``processing``) because it is its own concern: what the pixels mean, not how to read them
within bounded cost.
"""

import io

from PIL import Image, ImageChops, ImageCms


def working_mode(image: Image.Image) -> Image.Image:
    """8-bit RGB, or RGBA where the image has any transparency, in sRGB.

    16-bit grey is scaled to 8 bits (not clipped), palette and grey expanded, transparency
    (alpha, a palette's or a colour key's) kept as alpha, and an embedded ICC profile
    converted to sRGB.
    """
    profile = _icc_profile(image)
    if image.mode in _WIDE_GREY_MODES:
        image = _grey_to_8_bits(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        "transparency" in image.info and image.mode in ("P", "L", "RGB")
    )
    target = "RGBA" if has_alpha else "RGB"
    if image.mode == "CMYK" and profile is not None and _color_space(profile) == "CMYK":
        converted = _srgb_transform(image, profile, "CMYK", "RGB")
        if converted is not None:
            return converted if target == "RGB" else converted.convert(target)
    if image.mode != target:
        image = image.convert(target)
    if profile is not None and _color_space(profile) == "RGB":
        image = _srgb_transform(image, profile, target, target) or image
    return image


# Grey with more than 8 bits a sample: 16-bit PNG (``I;16``) and what Pillow may open it as.
_WIDE_GREY_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")
_SRGB = ImageCms.createProfile("sRGB")


def _grey_to_8_bits(image: Image.Image) -> Image.Image:
    """``L`` (``LA`` with a colour key) from 16-bit grey, 0…65535 mapped onto 0…255."""
    key = image.info.get("transparency")
    wide = image.convert("I")
    grey = wide.point(lambda v: v / 257 + 0.5).convert("L")
    if not isinstance(key, int):
        return grey
    # A PNG colour key names one 16-bit value; that value, and only it, is transparent.
    above = wide.point(lambda v: (v - key) * 255).convert("L")
    below = wide.point(lambda v: (key - v) * 255).convert("L")
    return Image.merge("LA", (grey, ImageChops.lighter(above, below)))


def _icc_profile(image: Image.Image) -> ImageCms.ImageCmsProfile | None:
    """The embedded colour profile, or None if there is none or it is unreadable.

    A broken profile is ignored rather than refused: the pixels are still a picture, and
    untagged pixels are shown as sRGB, which is what a browser does with them too.
    """
    data = image.info.get("icc_profile")
    if not data or not isinstance(data, bytes):
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    if "srgb" in (_profile_description(profile) or "").lower():
        return None  # Already what the renditions are; converting would only cost time.
    return profile


def _profile_description(profile: ImageCms.ImageCmsProfile) -> str | None:
    try:
        return profile.profile.profile_description
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError, AttributeError):
        return None


def _color_space(profile: ImageCms.ImageCmsProfile) -> str:
    try:
        return (profile.profile.xcolor_space or "").strip()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError, AttributeError):
        return ""


def _srgb_transform(
    image: Image.Image, profile: ImageCms.ImageCmsProfile, in_mode: str, out_mode: str
) -> Image.Image | None:
    """``image`` converted from ``profile`` to sRGB, or None if the profile cannot do it."""
    try:
        transform = ImageCms.buildTransform(profile, _SRGB, in_mode, out_mode)
        if in_mode == out_mode:
            ImageCms.applyTransform(image, transform, inPlace=True)
            return image
        return ImageCms.applyTransform(image, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def nclx_profile(
    *, primaries: int, transfer: int, matrix: int = 0, full_range: bool = True
) -> bytes | None:
    """An ICC profile (bytes) for pixels a HEIF/AVIF ``nclx`` box describes, or None where
    they already are sRGB or where the description is one this cannot convert.

    A HEIF or AVIF picture may say what its colours are with code points (ITU-T H.273)
    rather than an ICC profile: Android's wide-gamut photos are Display P3 that way. The
    decoders turn YCbCr into RGB with the matrix, but leave the primaries and the transfer
    curve to the reader, so they are given here as the matrix-shaper profile they stand for
    and ``working_mode`` converts them as it does an embedded one. HDR transfers (PQ, HLG)
    need tone mapping, not a profile: None. ``matrix`` and ``full_range`` are the decoder's.
    """
    del matrix, full_range
    curve = _NCLX_CURVES.get(transfer)
    chromaticities = _NCLX_PRIMARIES.get(primaries)
    if curve is None or chromaticities is None:
        return None
    if chromaticities == _NCLX_PRIMARIES[1] and curve == _SRGB_CURVE:
        return None  # sRGB, as the renditions are
    return _matrix_shaper_icc(chromaticities, curve, f"nclx {primaries}/{transfer}")


# Colour primaries (H.273 table 2): red, green, blue and white as CIE xy.
_D65 = (0.3127, 0.3290)
_NCLX_PRIMARIES: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060), _D65),  # BT.709, sRGB
    2: ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060), _D65),  # unspecified: as sRGB
    5: ((0.640, 0.330), (0.290, 0.600), (0.150, 0.060), _D65),  # BT.601 625 lines
    6: ((0.630, 0.340), (0.310, 0.595), (0.155, 0.070), _D65),  # BT.601 525 lines
    7: ((0.630, 0.340), (0.310, 0.595), (0.155, 0.070), _D65),  # SMPTE 240M
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046), _D65),  # BT.2020
    11: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.314, 0.351)),  # DCI-P3
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), _D65),  # Display P3
}
# Transfer characteristics (H.273 table 3) as ICC parametric curves (type 3: g, a, b, c, d).
# BT.709's family is shown on displays with the sRGB curve, as browsers do.
_SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
_NCLX_CURVES: dict[int, tuple[float, ...]] = {
    1: _SRGB_CURVE,
    2: _SRGB_CURVE,  # unspecified
    4: (2.2, 1.0, 0.0, 0.0, 0.0),
    5: (2.8, 1.0, 0.0, 0.0, 0.0),
    6: _SRGB_CURVE,
    8: (1.0, 1.0, 0.0, 0.0, 0.0),
    13: _SRGB_CURVE,
    14: _SRGB_CURVE,
    15: _SRGB_CURVE,
}
_D50_XYZ = (0.9642, 1.0, 0.8249)


def _matrix_shaper_icc(
    chromaticities: tuple[tuple[float, float], ...], curve: tuple[float, ...], name: str
) -> bytes:
    """A minimal ICC v4 display profile: D50-adapted colorants and one parametric curve."""
    columns = _adapted_columns(chromaticities)
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _mluc(name)),
        (b"cprt", _mluc("No copyright, use freely")),
        (b"wtpt", _xyz(_D50_XYZ)),
        (b"rXYZ", _xyz(columns[0])),
        (b"gXYZ", _xyz(columns[1])),
        (b"bXYZ", _xyz(columns[2])),
    ]
    trc = b"para" + bytes(4) + (3).to_bytes(2, "big") + bytes(2)
    trc += b"".join(_s15f16(value) for value in curve)
    shared_trc = trc
    tags += [(b"rTRC", shared_trc), (b"gTRC", shared_trc), (b"bTRC", shared_trc)]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table = len(tags).to_bytes(4, "big")
    body = b""
    for signature, data in tags:
        padded = data + bytes(-len(data) % 4)
        table += signature + (offset + len(body)).to_bytes(4, "big") + len(data).to_bytes(4, "big")
        body += padded
    size = 128 + table_size + len(body)
    header = (
        size.to_bytes(4, "big")
        + bytes(4)
        + bytes((4, 0x30, 0, 0))
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(24)
        + bytes(4)  # rendering intent: perceptual
        + b"".join(_s15f16(value) for value in _D50_XYZ)
        + bytes(4 + 16 + 28)
    )
    return header + table + body


def _adapted_columns(
    chromaticities: tuple[tuple[float, float], ...],
) -> list[tuple[float, float, float]]:
    """The XYZ of full red, green and blue, Bradford-adapted from the white to D50."""
    (xr, yr), (xg, yg), (xb, yb), (xw, yw) = chromaticities
    primaries = [[x / y, 1.0, (1 - x - y) / y] for x, y in ((xr, yr), (xg, yg), (xb, yb))]
    white = [xw / yw, 1.0, (1 - xw - yw) / yw]
    matrix = [[primaries[c][r] for c in range(3)] for r in range(3)]  # rows X, Y, Z
    scale = _solve(matrix, white)
    columns = [[primaries[c][r] * scale[c] for r in range(3)] for c in range(3)]
    bradford = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
    source = _apply(bradford, white)
    target = _apply(bradford, list(_D50_XYZ))
    inverse = _invert(bradford)
    adapted = []
    for column in columns:
        cone = _apply(bradford, column)
        cone = [cone[i] * target[i] / source[i] for i in range(3)]
        x, y, z = _apply(inverse, cone)
        adapted.append((x, y, z))
    return adapted


def _apply(matrix: list[list[float]], vector: list[float]) -> list[float]:
    return [sum(matrix[r][c] * vector[c] for c in range(3)) for r in range(3)]


def _invert(m: list[list[float]]) -> list[list[float]]:
    a, b, c = m[0]
    d, e, f = m[1]
    g, h, i = m[2]
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return [
        [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
        [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
        [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
    ]


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    return _apply(_invert(matrix), vector)


def _s15f16(value: float) -> bytes:
    return round(value * 65536).to_bytes(4, "big", signed=True)


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15f16(value) for value in values)


def _mluc(text: str) -> bytes:
    encoded = text.encode("utf-16-be")
    return (
        b"mluc"
        + bytes(4)
        + (1).to_bytes(4, "big")
        + (12).to_bytes(4, "big")
        + b"enUS"
        + len(encoded).to_bytes(4, "big")
        + (28).to_bytes(4, "big")
        + encoded
    )
