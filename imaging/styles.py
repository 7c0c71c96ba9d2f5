"""The registry of artistic styles: each a pure function from one Pillow image to another.

Styles know nothing of Django or HTTP, so they can be benchmarked and fuzzed alone. Every
function takes an ``RGB`` or ``RGBA`` image and returns one of the same size; ``_keep_alpha``
lets a style work on colour alone while transparency passes through untouched. Parameters
that depend on scale (blur radius, line width) are relative to the image's size, so a
thumbnail and the full rendition look alike.
"""

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageEnhance, ImageFilter, ImageOps

StyleFunction = Callable[[Image.Image], Image.Image]


@dataclass(frozen=True)
class Style:
    """A named look: what a person sees (``label``, ``description``) and how it is made."""

    name: str
    label: str
    description: str
    apply: StyleFunction


def _keep_alpha(function: StyleFunction) -> StyleFunction:
    """Applies ``function`` to the colour channels and puts the alpha channel back."""

    def wrapper(image: Image.Image) -> Image.Image:
        if image.mode == "RGBA":
            alpha = image.getchannel("A")
            styled = function(image.convert("RGB"))
            if styled.mode == "L":
                return Image.merge("LA", (styled, alpha))
            styled = styled.convert("RGB")
            styled.putalpha(alpha)
            return styled
        return function(image)

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


def _scale(image: Image.Image, fraction: float, minimum: float = 1.0) -> float:
    """A length proportional to the image's long edge, for size-independent looks."""
    return max(minimum, max(image.size) * fraction)


# Neighbourhood looks (outlines, relief) are drawn on a copy whose long edge is about this,
# then enlarged: their strokes are then a fixed share of the picture, thick enough to survive
# the 320 px thumbnail, and the 3×3 filters run on a fraction of the pixels.
_DRAWING_EDGE = 640


def _drawing_factor(image: Image.Image) -> int:
    """The integer reduction that brings ``image`` down to about ``_DRAWING_EDGE``."""
    return max(1, round(max(image.size) / _DRAWING_EDGE))


def _enlarged(small: Image.Image, size: tuple[int, int]) -> Image.Image:
    return small if small.size == size else small.resize(size, Image.Resampling.BILINEAR)


def _none(image: Image.Image) -> Image.Image:
    return image


@_keep_alpha
def _grayscale(image: Image.Image) -> Image.Image:
    return image.convert("L")


# Grey (ITU-R 601 luma), then per channel a gain and an offset: one colour matrix.
_LUMA = (0.299, 0.587, 0.114)
SEPIA_MATRIX = (
    *(c * 1.07 for c in _LUMA),
    20.0,
    *(c * 0.95 for c in _LUMA),
    8.0,
    *(c * 0.72 for c in _LUMA),
    0.0,
)


@_keep_alpha
def _sepia(image: Image.Image) -> Image.Image:
    # One pass into one new image: a grey copy, a merge and a lookup table would hold three
    # full-size images at once, the largest part of an upload's peak memory.
    return image.convert("RGB", SEPIA_MATRIX)


@_keep_alpha
def _pencil_sketch(image: Image.Image) -> Image.Image:
    # Lines are where the image differs from its blurred self; dark lines on white paper.
    gray = image.convert("L")
    blurred = gray.filter(ImageFilter.GaussianBlur(_scale(image, 0.002)))
    edges = ImageChops.difference(gray, blurred)
    lines = ImageOps.autocontrast(edges, cutoff=1)
    return ImageOps.invert(lines).point(lambda v: 255 if v > 235 else int(v * 0.9))


@_keep_alpha
def _cartoon(image: Image.Image) -> Image.Image:
    # Flat, vivid colour areas with bold dark outlines, both drawn at drawing size: the
    # colours smoothed and cut to a few levels, the outlines where the smoothed grey differs
    # from its 3×3 mean (FIND_EDGES up to a factor, both ways), thickened to stay visible
    # in a thumbnail.
    factor = _drawing_factor(image)
    small = image.reduce(factor) if factor > 1 else image
    smooth = small.filter(ImageFilter.BoxBlur(2))
    flat = ImageOps.posterize(ImageEnhance.Color(smooth).enhance(1.5), 3)
    gray = smooth.convert("L")
    mean = gray.filter(ImageFilter.BoxBlur(1))
    edges = ImageChops.lighter(
        ImageChops.subtract(gray, mean, scale=1 / 9), ImageChops.subtract(mean, gray, scale=1 / 9)
    )
    ink = edges.point(lambda v: 0 if v > 15 else 255).filter(ImageFilter.MinFilter(3))
    drawn = Image.composite(flat, Image.new("RGB", small.size), ink)
    return _enlarged(drawn, image.size)


# Warm and faded: blacks lifted to a brown, whites kept just below white, blue held back.
_VINTAGE_LUT = (
    [round(52 + v * 0.78) for v in range(256)]
    + [round(40 + v * 0.74) for v in range(256)]
    + [round(30 + v * 0.60) for v in range(256)]
)
_VINTAGE_CORNERS = (44, 30, 22)


@_keep_alpha
def _vintage(image: Image.Image) -> Image.Image:
    # Faded, warm, low-contrast colour, the corners fading into a dark brown.
    faded = ImageEnhance.Color(image).enhance(0.6).point(_VINTAGE_LUT)
    # radial_gradient is 0 at the centre and 255 from the middle of each edge outwards.
    vignette = Image.radial_gradient("L").point(lambda v: 255 - v * 3 // 10)
    corners = Image.new("RGB", image.size, _VINTAGE_CORNERS)
    return Image.composite(faded, corners, vignette.resize(image.size, Image.Resampling.BILINEAR))


@_keep_alpha
def _blur(image: Image.Image) -> Image.Image:
    # A blur this wide keeps nothing a smaller copy cannot hold: blur that, enlarge it.
    radius = _scale(image, 0.01, 2.0)
    factor = max(1, min(8, int(radius // 2)))
    if factor == 1:
        return image.filter(ImageFilter.GaussianBlur(radius))
    small = image.reduce(factor).filter(ImageFilter.GaussianBlur(radius / factor))
    return small.resize(image.size, Image.Resampling.BILINEAR)


@_keep_alpha
def _sharpen(image: Image.Image) -> Image.Image:
    # Unsharp masking, image + 1.5 × (image − blurred), with the blurred copy a reduce
    # enlarged bilinearly: a blur of about 1/120 of the long edge (a few pixels of the
    # thumbnail), so that the crisper edges still show when the picture is seen small.
    factor = max(2, round(max(image.size) / 120))
    blurred = image.reduce(factor).resize(image.size, Image.Resampling.BILINEAR)
    return Image.blend(blurred, image, 2.5)


@_keep_alpha
def _emboss(image: Image.Image) -> Image.Image:
    # The picture's colours raised in relief: a relief of the grey, drawn at drawing size
    # and strengthened, laid over the colours (hard light keeps them where it is flat).
    factor = _drawing_factor(image)
    gray = (image.reduce(factor) if factor > 1 else image).convert("L")
    bevelled = gray.filter(ImageFilter.GaussianBlur(1.5)).filter(ImageFilter.EMBOSS)
    relief = bevelled.point(lambda v: max(0, min(255, 128 + (v - 128) * 6)))
    relief = _enlarged(relief, image.size).convert("RGB")
    return ImageChops.hard_light(ImageEnhance.Color(image).enhance(0.6), relief)


@_keep_alpha
def _contour(image: Image.Image) -> Image.Image:
    # Dark lines on white where the tone crosses one of six levels, like the contour lines
    # of a map: the grey smoothed and cut into levels at drawing size, the level changes
    # traced and thickened.
    factor = _drawing_factor(image)
    gray = (image.reduce(factor) if factor > 1 else image).convert("L")
    levels = gray.filter(ImageFilter.GaussianBlur(3)).point(lambda v: v * 6 // 256 * 51)
    lines = levels.filter(ImageFilter.FIND_EDGES).point(lambda v: 0 if v > 0 else 255)
    return _enlarged(lines.filter(ImageFilter.MinFilter(3)), image.size)


@_keep_alpha
def _posterize(image: Image.Image) -> Image.Image:
    return ImageOps.posterize(image, 2)


@_keep_alpha
def _invert(image: Image.Image) -> Image.Image:
    return ImageOps.invert(image)


@_keep_alpha
def _solarize(image: Image.Image) -> Image.Image:
    return ImageOps.solarize(image, threshold=128)


STYLES: dict[str, Style] = {
    style.name: style
    for style in (
        Style("none", "Original", "Keeps the original look.", _none),
        Style("grayscale", "Grayscale", "Shades of grey, no colour.", _grayscale),
        Style("sepia", "Sepia", "Warm brown tones of an old photograph.", _sepia),
        Style(
            "pencil_sketch", "Pencil sketch", "Dark pencil lines on white paper.", _pencil_sketch
        ),
        Style("cartoon", "Cartoon", "Flat colour areas with bold dark outlines.", _cartoon),
        Style(
            "vintage",
            "Vintage",
            "Faded warm colours with darkened corners.",
            _vintage,
        ),
        Style("blur", "Soft blur", "A soft, out-of-focus look.", _blur),
        Style("sharpen", "Sharpen", "Crisper edges and fine detail.", _sharpen),
        Style(
            "emboss",
            "Emboss",
            "The picture's colours raised in relief, as if pressed into metal.",
            _emboss,
        ),
        Style(
            "contour",
            "Contour",
            "Dark contour lines on white, like a map's, where the tones change.",
            _contour,
        ),
        Style("posterize", "Posterize", "A few bold flat colours, like a poster.", _posterize),
        Style("invert", "Invert", "A photographic negative.", _invert),
        Style("solarize", "Solarize", "Bright tones flipped, a darkroom effect.", _solarize),
    )
}

DEFAULT_STYLE = "none"

# (value, label) pairs for model and serializer choices, in registry order.
STYLE_CHOICES: list[tuple[str, str]] = [(style.name, style.label) for style in STYLES.values()]


def style_apply(image: Image.Image, name: str) -> Image.Image:
    """Renders ``image`` in the named style; raises ``KeyError`` for an unknown name."""
    return STYLES[name].apply(image)
