"""Candidate style implementations for the targets the app misses, measured like the app's own.

Nothing here changes the app. Each candidate is a drop-in replacement for one function in
``images/styles.py``; this script times it in the same interleaved harness as
``processing_bench`` (candidate pipeline over bare decode + encode) and reports how close its
output stays to today's look (PSNR against the current style, in dB: above ~40 dB the two are
indistinguishable to the eye; posterised styles flip whole levels on tiny input changes, so for
them the share of identical pixels says more). ``memory_bench --variant NAME`` applies the
same candidates inside a real upload to measure their peak memory.

Run: ``python -m bench.proposals [--smoke]``.
"""

import math
from collections.abc import Callable

from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

from bench.common import (
    Figure,
    arguments,
    at_most,
    figures_table,
    figures_write,
    interleave,
    machine_line,
    timed,
    workdir,
)
from bench.inputs import FULL, SMOKE, inputs_ensure
from bench.processing_bench import OTHER_LIMIT, POINT_LIMIT, POINT_OPERATIONS, decode, encode
from images import styles

# Sepia as one colour matrix: grey (ITU-R 601 luma) scaled and offset per channel, exactly
# the lookup table's lines, computed in one pass into one new image instead of three.
_LUMA = (0.299, 0.587, 0.114)
SEPIA_MATRIX = (
    *(c * 1.07 for c in _LUMA),
    20.0,
    *(c * 0.95 for c in _LUMA),
    8.0,
    *(c * 0.72 for c in _LUMA),
    0.0,
)


def sepia_matrix(image: Image.Image) -> Image.Image:
    """Sepia in one pass: ``convert("RGB", matrix)``; one new image, not grey + merge + LUT."""
    return image.convert("RGB", SEPIA_MATRIX)


def blur_reduced(image: Image.Image) -> Image.Image:
    """The same Gaussian blur computed at a quarter of the size and scaled back up.

    A blur this wide (0.4 % of the long edge) has no detail left that a 4× smaller image
    cannot hold, so the work drops ~16× and the result matches to within rounding.
    """
    radius = styles._scale(image, 0.004, 2.0)
    factor = max(1, min(4, int(radius // 2)))
    if factor == 1:
        return image.filter(ImageFilter.GaussianBlur(radius))
    small = image.reduce(factor).filter(ImageFilter.GaussianBlur(radius / factor))
    return small.resize(image.size, Image.Resampling.BILINEAR)


def sharpen_blend(image: Image.Image) -> Image.Image:
    """Unsharp masking as a blend: image + 1.6 × (image − blurred copy).

    ``Image.blend`` with alpha 2.6 extrapolates away from the blurred copy, which is what
    UnsharpMask(percent=160) does. The blurred copy is a 4× box reduction enlarged again
    bilinearly: together about a Gaussian of σ ≈ 2 px (the 4×4 box has σ ≈ 1.15, the
    bilinear tent σ ≈ 1.6), the radius the app uses, for a fraction of the work.
    """
    blurred = image.reduce(4).resize(image.size, Image.Resampling.BILINEAR)
    return Image.blend(blurred, image, 2.6)


def cartoon_fast(image: Image.Image) -> Image.Image:
    """Cartoon with the flat colours made at half size and edges from a box-blur difference.

    The 2× reduce is the smoothing (instead of SMOOTH_MORE, a 5×5 convolution over RGB) and
    posterising 3 MP instead of 12 MP is a quarter of the work; the flat areas are enlarged
    by repeating pixels, which the outlines hide. FIND_EDGES (8·centre − the 8 neighbours)
    equals 9 × (grey − its 3×3 mean), which ``BoxBlur(1)`` and ``ImageChops.subtract``
    compute faster.
    """
    flat = ImageOps.posterize(image.reduce(2), 3).resize(image.size, Image.Resampling.NEAREST)
    gray = image.convert("L")
    edges = ImageChops.subtract(gray, gray.filter(ImageFilter.BoxBlur(1)), scale=1 / 9)
    outline = edges.point(lambda v: 0 if v > 40 else 255)
    black = Image.new("RGB", image.size)
    return Image.composite(flat, black, outline)


CANDIDATES: dict[str, tuple[str, Callable[[Image.Image], Image.Image]]] = {
    "sepia-matrix": ("sepia", sepia_matrix),
    "blur-reduced": ("blur", blur_reduced),
    "sharpen-blend": ("sharpen", sharpen_blend),
    "cartoon-fast": ("cartoon", cartoon_fast),
}


def candidate_apply(name: str) -> None:
    """Swaps one candidate into ``images.styles.STYLES`` in this process only."""
    style, function = CANDIDATES[name]
    current = styles.STYLES[style]
    styles.STYLES[style] = styles.Style(
        current.name,
        current.label,
        current.description,
        styles._keep_alpha(function),
        current.neighbourhood,
    )


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of ``b`` against ``a``, in dB (99 for identical)."""
    difference = ImageChops.difference(a, b.convert(a.mode))
    squares = ImageStat.Stat(difference).sum2
    mse = sum(squares) / (len(squares) * a.width * a.height)
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def identical_share(a: Image.Image, b: Image.Image) -> float:
    """The share of pixels where ``a`` and ``b`` are exactly equal."""
    difference = ImageChops.difference(a, b.convert(a.mode)).convert("L")
    changed = difference.point(lambda v: 255 if v else 0)
    return 1 - ImageStat.Stat(changed).mean[0] / 255


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    sizes = SMOKE if args.smoke else FULL
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        data = inputs.photo_jpeg.read_bytes()
        print(machine_line())
        decoded = decode(data)
        figures = []
        for name, (style, function) in CANDIDATES.items():
            wrapped = styles._keep_alpha(function)
            current = styles.STYLES[style].apply
            runs = 3 if args.smoke else 7

            def candidate(wrapped: Callable = wrapped) -> object:
                return encode(wrapped(decode(data)))

            def app(current: Callable = current) -> object:
                return encode(current(decode(data)))

            def codec() -> object:
                return encode(decode(data))

            proposed = interleave(timed(candidate), timed(codec), runs=runs)
            today = interleave(timed(app), timed(codec), runs=runs)
            reference, output = current(decoded), wrapped(decoded)
            limit = POINT_LIMIT if style in POINT_OPERATIONS else OTHER_LIMIT
            figures.append(
                Figure(
                    name=f"{name}: style {style} / decode+encode (today {today.ratio:.2f})",
                    value=proposed.ratio,
                    target=f"≤ {limit:g}",
                    met=None if args.smoke else at_most(proposed.ratio, limit),
                    detail=f"{proposed.detail()}; vs today: PSNR "
                    f"{psnr(reference, output):.1f} dB, "
                    f"{identical_share(reference, output):.1%} pixels identical",
                )
            )
        print(figures_table(figures, "proposals: candidate styles (not in the app)"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
