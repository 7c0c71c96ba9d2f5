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
