"""Styles and thumbnails against the codec: what ``imaging.processing`` adds to decode + encode.

Two figures, no Django involved:

* for every style in ``imaging.styles.STYLES``, the bare style pipeline (``image_decode`` →
  ``style_apply`` → encode, as an upload renders its processed image) over bare decode →
  encode of the same image; a point operation may add half, anything else may triple it;
* ``thumbnail_from_file`` of the 12 MP JPEG over a full decode of it (the thumbnail should
  decode at a reduced DCT scale, so it costs a fraction of that).

Run: ``python -m bench.processing_bench [--smoke]``.
"""

import io
from collections.abc import Callable

from PIL import Image

from bench.common import (
    Comparison,
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
from bench.inputs import FULL, SMOKE, file_digest, inputs_ensure
from imaging import processing
from imaging.styles import STYLES, style_apply

MAX_PIXELS = 50_000_000
MAX_EDGE = 4096
THUMBNAIL_EDGE = 480  # the app's default thumbnail short edge
POINT_OPERATIONS = frozenset({"grayscale", "sepia", "invert", "posterize", "solarize"})
POINT_LIMIT = 1.5
OTHER_LIMIT = 3.0
THUMBNAIL_LIMIT = 0.35


def decode(data: bytes) -> Image.Image:
    """The upload path's decode: upright, RGB or RGBA, capped like a processed rendition."""
    return processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS, max_edge=MAX_EDGE).image


def encode(image: Image.Image) -> bytes:
    # The app's own encoder, so quality and format follow whatever the app renders with.
    return processing._encode(image).data


def style_pipeline(data: bytes, style: str) -> Callable[[], object]:
    return lambda: encode(style_apply(decode(data), style))


def codec_pipeline(data: bytes) -> Callable[[], object]:
    return lambda: encode(decode(data))


def style_figures(data: bytes, label: str, runs: int, smoke: bool) -> list[Figure]:
    figures = []
    for name in STYLES:
        comparison = interleave(
            timed(style_pipeline(data, name)), timed(codec_pipeline(data)), runs=runs
        )
        limit = POINT_LIMIT if name in POINT_OPERATIONS else OTHER_LIMIT
        figures.append(style_figure(name, label, comparison, limit, smoke))
    return figures


def style_figure(
    name: str, label: str, comparison: Comparison, limit: float, smoke: bool
) -> Figure:
    kind = "point op" if limit == POINT_LIMIT else "other"
    return Figure(
        name=f"style {name} ({kind}) / decode+encode, {label}",
        value=comparison.ratio,
        target=f"≤ {limit:g}",
        met=None if smoke else at_most(comparison.ratio, limit),
        detail=comparison.detail(),
    )


def full_decode(data: bytes) -> Callable[[], object]:
    def work() -> None:
        with Image.open(io.BytesIO(data)) as image:
            image.load()

    return work


def draft_decode(data: bytes, edge: int) -> Callable[[], object]:
    """Only what ``thumbnail_from_file`` cannot avoid: a JPEG decode at the smallest scale."""

    def work() -> None:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (edge, edge))
            image.load()

    return work


def reencoded(data: bytes, quality: int) -> bytes:
    """The same photo re-encoded at ``quality``: fewer bits per pixel to entropy-decode."""
    with Image.open(io.BytesIO(data)) as image:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, exif=image.info.get("exif", b""))
        return buffer.getvalue()


def thumbnail_figures(data: bytes, label: str, runs: int, smoke: bool) -> list[Figure]:
    """The target figure, and two that explain it: the draft-decode floor, and a lighter file."""
    comparison = interleave(timed(thumbnail(data)), timed(full_decode(data)), runs=runs)
    figures = [
        Figure(
            name=f"thumbnail_from_file / full decode, {label}",
            value=comparison.ratio,
            target=f"≤ {THUMBNAIL_LIMIT:g}",
            met=None if smoke else at_most(comparison.ratio, THUMBNAIL_LIMIT),
            detail=comparison.detail(),
        )
    ]
    floor = interleave(
        timed(draft_decode(data, THUMBNAIL_EDGE)), timed(full_decode(data)), runs=runs
    )
    figures.append(
        Figure(
            name=f"floor: JPEG draft decode alone (1/8 scale) / full decode, {label}",
            value=floor.ratio,
            target="info",
            met=None,
            detail=f"{floor.detail()}; Huffman decoding of every coefficient remains",
        )
    )
    lighter = reencoded(data, 75)
    bits = len(lighter) * 8 / _pixels(data)
    light = interleave(timed(thumbnail(lighter)), timed(full_decode(lighter)), runs=runs)
    figures.append(
        Figure(
            name=f"thumbnail_from_file / full decode, same photo at JPEG quality 75 "
            f"({bits:.1f} bit/px)",
            value=light.ratio,
            target="info",
            met=None,
            detail=light.detail(),
        )
    )
    return figures


def _pixels(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as image:
        return image.width * image.height


def thumbnail(data: bytes) -> Callable[[], object]:
    return lambda: processing.thumbnail_from_file(
        io.BytesIO(data), edge=THUMBNAIL_EDGE, max_pixels=MAX_PIXELS
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    sizes = SMOKE if args.smoke else FULL
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        photo = inputs.photo_jpeg.read_bytes()
        alpha = inputs.alpha_png.read_bytes()
        print(machine_line())
        print(
            f"inputs: {inputs.photo_jpeg.name} ({len(photo):,} B, sha256 "
            f"{file_digest(inputs.photo_jpeg)}), {inputs.alpha_png.name} ({len(alpha):,} B, "
            f"sha256 {file_digest(inputs.alpha_png)})"
        )
        megapixels = sizes.photo[0] * sizes.photo[1] / 1e6
        photo_label = f"{megapixels:.0f} MP JPEG" if megapixels >= 1 else "small JPEG"
        alpha_label = f"{sizes.alpha[0]}×{sizes.alpha[1]} PNG with alpha"
        runs = 3 if args.smoke else 7
        figures = style_figures(photo, photo_label, runs, args.smoke)
        figures += style_figures(alpha, alpha_label, 3, args.smoke)
        bits = len(photo) * 8 / _pixels(photo)
        figures += thumbnail_figures(
            photo, f"{photo_label} ({bits:.1f} bit/px)", 5 if args.smoke else 15, args.smoke
        )
        print(figures_table(figures, "processing: styles and thumbnails"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
