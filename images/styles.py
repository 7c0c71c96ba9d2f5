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
    # Point operations touch each pixel alone; neighbourhood ones read around it (costlier).
    neighbourhood: bool = False


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


def _none(image: Image.Image) -> Image.Image:
    return image


@_keep_alpha
def _grayscale(image: Image.Image) -> Image.Image:
    return image.convert("L")


# Grey (ITU-R 601 luma), then per channel a gain and an offset: one colour matrix.
_LUMA = (0.299, 0.587, 0.114)
_SEPIA_MATRIX = (
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
    return image.convert("RGB", _SEPIA_MATRIX)


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
    # Flat colour areas with dark outlines. The flat colours are made at half size (the
    # reduce is the smoothing) and enlarged; the edges are what FIND_EDGES computes,
    # 9 × (grey − its 3×3 mean), from a cheaper box blur. Measured in bench/RESULTS.md.
    flat = ImageOps.posterize(image.reduce(2), 3).resize(image.size, Image.Resampling.NEAREST)
    gray = image.convert("L")
    edges = ImageChops.subtract(gray, gray.filter(ImageFilter.BoxBlur(1)), scale=1 / 9)
    outline = edges.point(lambda v: 0 if v > 40 else 255)
    black = Image.new("RGB", image.size)
    return Image.composite(flat, black, outline)


_VINTAGE_LUT = (
    [int(40 + v * 0.78) for v in range(256)]
    + [int(30 + v * 0.72) for v in range(256)]
    + [int(20 + v * 0.55) for v in range(256)]
)


@_keep_alpha
def _vintage(image: Image.Image) -> Image.Image:
    # Faded, warm, low-contrast colour with darker corners.
    faded = ImageEnhance.Color(image).enhance(0.55).point(_VINTAGE_LUT)
    vignette = Image.radial_gradient("L").resize(image.size).point(lambda v: 255 - v // 2)
    black = Image.new("RGB", image.size)
    return Image.composite(faded, black, vignette)


@_keep_alpha
def _blur(image: Image.Image) -> Image.Image:
    # A blur this wide keeps nothing a smaller copy cannot hold: blur that, enlarge it.
    radius = _scale(image, 0.004, 2.0)
    factor = max(1, min(4, int(radius // 2)))
    if factor == 1:
        return image.filter(ImageFilter.GaussianBlur(radius))
    small = image.reduce(factor).filter(ImageFilter.GaussianBlur(radius / factor))
    return small.resize(image.size, Image.Resampling.BILINEAR)


@_keep_alpha
def _sharpen(image: Image.Image) -> Image.Image:
    # Unsharp masking, image + 1.6 × (image − blurred): a 4× reduce enlarged bilinearly is
    # about a 2 px Gaussian blur, at a fraction of UnsharpMask's cost.
    blurred = image.reduce(4).resize(image.size, Image.Resampling.BILINEAR)
    return Image.blend(blurred, image, 2.6)


@_keep_alpha
def _emboss(image: Image.Image) -> Image.Image:
    return image.convert("L").filter(ImageFilter.EMBOSS)


@_keep_alpha
def _contour(image: Image.Image) -> Image.Image:
    return image.convert("L").filter(ImageFilter.CONTOUR)


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
            "pencil_sketch",
            "Pencil sketch",
            "Dark pencil lines on white paper.",
            _pencil_sketch,
            neighbourhood=True,
        ),
        Style(
            "cartoon",
            "Cartoon",
            "Flat colour areas with bold dark outlines.",
            _cartoon,
            neighbourhood=True,
        ),
        Style(
            "vintage",
            "Vintage",
            "Faded warm colours with darkened corners.",
            _vintage,
        ),
        Style("blur", "Soft blur", "A soft, out-of-focus look.", _blur, neighbourhood=True),
        Style("sharpen", "Sharpen", "Crisper edges and fine detail.", _sharpen, neighbourhood=True),
        Style("emboss", "Emboss", "A grey relief, as if pressed into metal.", _emboss, True),
        Style("contour", "Contour", "Thin outlines of shapes on white.", _contour, True),
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
