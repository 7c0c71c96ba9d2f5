"""Modern formats at the right size: the bytes a gallery screen and a picture's page fetch now,
over what they fetched with JPEG only, at equal or better sharpness.

No Django, no server: the renditions come from the app's own render (``imaging.processing.
renditions_render``, the encoders of ``imaging.encoding``) of deterministic photo-like inputs
(``bench.inputs.photo``: 12 MP in four shapes, ``--smoke``: tiny), and what a browser fetches
is worked out from the same rules the pages give it (``web.present.tile_media``: ``srcset``
with the thumbnail and the preview, ``sizes`` from the tile's shape and the grid's tallest
row, 238 CSS px, 168 on a phone). Figures:

* thumbnail bytes for one gallery screen (1280 × 800 and 375 × 667 CSS px, 2× density, the
  tiles that fill it) in AVIF, over the same tiles' JPEG thumbnails as served before: ≤ 0.5,
  with a mean structural similarity (SSIM, 8 × 8 windows on luma, against the source
  downscaled from full resolution to the same size) no lower than the JPEGs';
* bytes for a picture's page on a 375 px phone: the preview in AVIF over the full processed
  JPEG that page loaded before previews: ≤ 0.15;
* render time with the AVIF and WebP variants over the JPEG-only render (information).

Run: ``python -m bench.formats_bench [--smoke]``.
"""

import io
import statistics
import time
import warnings
from dataclasses import dataclass

from PIL import Image, ImageMath

from bench.common import (
    Figure,
    arguments,
    at_most,
    figures_table,
    figures_write,
    machine_line,
    workdir,
)
from bench.inputs import photo
from imaging import encoding, processing

MAX_EDGE = 4096
# The screens of the figure, in CSS px, and the grid's rows on them (app.css): --row and its
# growth cap (1.4×), the gap between tiles, and the page's side padding.
SCREENS = {"1280 px": (1280, 800, 170, 24), "375 px": (375, 667, 120, 16)}
DENSITY = 2
ROW_GROW = 1.4
GAP = 6
# Shapes of a camera roll: landscape 4:3, portrait 3:4, 16:9, square, 3:2 and a panorama.
FULL_SHAPES = [(4000, 3000), (3000, 4000), (4000, 2250), (3000, 3000), (4200, 2800), (6000, 1500)]
SMOKE_SHAPES = [(400, 300), (300, 400), (320, 180)]
GALLERY_TARGET = 0.5
PAGE_TARGET = 0.15


@dataclass
class Rendered:
    """One input's renditions, the reference pictures for each size, and its render times."""

    source: Image.Image
    renditions: processing.Renditions


def ssim(a: Image.Image, b: Image.Image, block: int = 8) -> float:
    """Mean SSIM over non-overlapping ``block`` windows of the luma of two same-size images."""
    x = a.convert("L").convert("F")
    y = b.convert("L").convert("F")
    mx, my = x.reduce(block), y.reduce(block)
    xx = ImageMath.lambda_eval(lambda e: e["x"] * e["x"], x=x).reduce(block)
    yy = ImageMath.lambda_eval(lambda e: e["y"] * e["y"], y=y).reduce(block)
    xy = ImageMath.lambda_eval(lambda e: e["x"] * e["y"], x=x, y=y).reduce(block)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    index = ImageMath.lambda_eval(
        lambda e: (
            ((2 * e["mx"] * e["my"] + c1) * (2 * (e["xy"] - e["mx"] * e["my"]) + c2))
            / (
                (e["mx"] * e["mx"] + e["my"] * e["my"] + c1)
                * (e["xx"] - e["mx"] * e["mx"] + e["yy"] - e["my"] * e["my"] + c2)
            )
        ),
        mx=mx,
        my=my,
        xx=xx,
        yy=yy,
        xy=xy,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        values = list(index.getdata())
    return sum(values) / len(values)


def decoded(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def render(source: Image.Image, *, variants: bool) -> processing.Renditions:
    """The app's render of ``source`` as the job does it (style ``none``)."""
    decoded_image = processing.DecodedImage(
        image=source, format="JPEG", width=source.width, height=source.height
    )
    return processing.renditions_render(
        decoded_image, style="none", max_edge=MAX_EDGE, variants=variants
    )


def screen_tiles(
    shapes: list[tuple[int, int]], width: int, height: int, row: int, padding: int
) -> list[tuple[int, float]]:
    """The tiles one screen of the justified grid shows: (input index, CSS width), inputs
    repeated in order. Rows are filled as app.css does (each tile ``ratio × row`` wide, the
    row's spare width shared in proportion, up to ``ROW_GROW`` times the row's height)."""
    content = width - 2 * padding
    tiles: list[tuple[int, float]] = []
    used_height, index = 0.0, 0
    while used_height < height:
        ratios: list[tuple[int, float]] = []
        line = 0.0
        while True:
            i = index % len(shapes)
            ratio = shapes[i][0] / shapes[i][1]
            if ratios and line + GAP + ratio * row > content:
                break
            ratios.append((i, ratio))
            line += (GAP if len(ratios) > 1 else 0) + ratio * row
            index += 1
            if line >= content:
                break
        total = sum(r for _, r in ratios)
        row_height = min(row * ROW_GROW, (content - GAP * (len(ratios) - 1)) / total)
        tiles += [(i, min(content, r * row_height)) for i, r in ratios]
        used_height += row_height + GAP
    return tiles


def chosen(rendered: Rendered, css_width: float, density: int) -> str:
    """What ``srcset`` makes the browser fetch for a tile ``css_width`` wide: the thumbnail
    if it is wide enough for the screen's pixels, else the preview (if wider)."""
    renditions = rendered.renditions
    if renditions.thumbnail.width >= css_width * density:
        return "thumbnail"
    return "preview" if renditions.preview.width > renditions.thumbnail.width else "thumbnail"


def reference(rendered: Rendered, size: tuple[int, int]) -> Image.Image:
    return rendered.source.resize(size, Image.Resampling.LANCZOS)


def gallery_figures(rendered: list[Rendered], shapes: list[tuple[int, int]]) -> list[Figure]:
    figures = []
    references: dict[tuple[int, str], Image.Image] = {}
    for label, (width, height, row, padding) in SCREENS.items():
        tiles = screen_tiles(shapes, width, height, row, padding)
        jpeg_bytes = avif_bytes = 0
        jpeg_ssim: list[float] = []
        avif_ssim: list[float] = []
        for index, css_width in tiles:
            item = rendered[index]
            thumbnail = item.renditions.thumbnail
            size_name = chosen(item, css_width, DENSITY)
            avif = item.renditions.variants[f"{size_name}_avif"]
            jpeg_bytes += len(thumbnail.data)
            avif_bytes += len(avif.data)
            # Sharpness as shown: each file decoded and compared at its own size with the
            # source downscaled from full resolution to that size.
            for rendition, scores in ((thumbnail, jpeg_ssim), (avif, avif_ssim)):
                key = (index, f"{rendition.width}x{rendition.height}")
                if key not in references:
                    references[key] = reference(item, (rendition.width, rendition.height))
                scores.append(ssim(decoded(rendition.data), references[key]))
        ratio = avif_bytes / jpeg_bytes
        sharp_jpeg, sharp_avif = statistics.fmean(jpeg_ssim), statistics.fmean(avif_ssim)
        figures.append(
            Figure(
                name=f"thumbnail bytes for one gallery screen ({label}, 2×) in AVIF / "
                "today's JPEG thumbnails",
                value=ratio,
                target=f"≤ {GALLERY_TARGET} at equal or better sharpness",
                met=at_most(ratio, GALLERY_TARGET) and sharp_avif >= sharp_jpeg,
                detail=(
                    f"{len(tiles)} tiles: {avif_bytes / 1000:,.0f} kB AVIF vs "
                    f"{jpeg_bytes / 1000:,.0f} kB JPEG; SSIM {sharp_avif:.4f} vs {sharp_jpeg:.4f}"
                ),
            )
        )
    return figures


def page_figure(rendered: list[Rendered]) -> Figure:
    today = sum(len(item.renditions.processed.data) for item in rendered)
    now = sum(len(item.renditions.variants["preview_avif"].data) for item in rendered)
    ratio = now / today
    return Figure(
        name="bytes for a picture's page on a 375 px phone / today",
        value=ratio,
        target=f"≤ {PAGE_TARGET}",
        met=at_most(ratio, PAGE_TARGET),
        detail=(
            f"preview AVIF {now / len(rendered) / 1000:,.0f} kB vs processed JPEG "
            f"{today / len(rendered) / 1000:,.0f} kB per picture (mean of {len(rendered)})"
        ),
        decimals=3,
    )


def render_time_figure(source: Image.Image, runs: int, label: str) -> Figure:
    """The render with variants over the JPEG-only render, alternating, medians."""
    with_variants: list[float] = []
    jpeg_only: list[float] = []
    render(source, variants=True)  # warm-up
    for _ in range(runs):
        for variants, times in ((True, with_variants), (False, jpeg_only)):
            start = time.perf_counter()
            render(source, variants=variants)
            times.append(time.perf_counter() - start)
    now, before = statistics.median(with_variants), statistics.median(jpeg_only)
    return Figure(
        name=f"render time with AVIF and WebP variants / JPEG only ({label})",
        value=now / before,
        target="information",
        met=None,
        detail=f"{now:.2f} s vs {before:.2f} s (median of {runs})",
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    shapes = SMOKE_SHAPES if args.smoke else FULL_SHAPES
    with workdir(args.workdir):
        print(machine_line())
        print(
            f"AVIF {'available' if encoding.avif_available() else 'NOT available'}; "
            f"AVIF thumbnail {encoding.AVIF_THUMBNAIL}, preview {encoding.AVIF_PREVIEW}; "
            f"formats by size {encoding.SIZE_FORMATS}"
        )
        rendered = []
        for seed, shape in enumerate(shapes, start=1):
            source = photo(shape, seed=seed)
            rendered.append(Rendered(source=source, renditions=render(source, variants=True)))
        figures = gallery_figures(rendered, shapes)
        figures.append(page_figure(rendered))
        megapixels = shapes[0][0] * shapes[0][1] / 1e6
        label = f"{megapixels:.0f} MP" if megapixels >= 1 else "small"
        figures.append(render_time_figure(rendered[0].source, 1 if args.smoke else 3, label))
        print(figures_table(figures, "formats: modern formats at the right size"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
