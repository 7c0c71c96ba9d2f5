"""Deterministic benchmark inputs, drawn with Pillow from a seed: never downloaded.

``photo_jpeg`` is a photo-like JPEG (sky and ground gradients, soft shapes, cloudy mid-scale
texture and fine grain, so the codec has real work to do) carrying an EXIF orientation tag
that turns it upright on decode. ``alpha_png`` is an RGBA PNG with a soft transparent edge
and cut-out holes. The same seed and size always give the same pixels.
"""

import hashlib
import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SEED = 20240601
# EXIF Orientation 6: the camera was turned; the picture must be rotated 90° clockwise.
ORIENTATION_TAG = 0x0112
ORIENTATION_ROTATE_90 = 6


@dataclass(frozen=True)
class InputSizes:
    """Pixel sizes of the generated inputs (width, height as stored in the file)."""

    photo: tuple[int, int]
    alpha: tuple[int, int]
    medium: tuple[int, int]


FULL = InputSizes(photo=(4000, 3000), alpha=(1000, 1000), medium=(1600, 1200))
SMOKE = InputSizes(photo=(400, 300), alpha=(100, 100), medium=(320, 240))


@dataclass(frozen=True)
class Inputs:
    """Paths of the generated files, and their sizes."""

    photo_jpeg: Path
    alpha_png: Path
    medium_jpeg: Path
    sizes: InputSizes


def _noise(rng: random.Random, size: tuple[int, int], mode: str = "L") -> Image.Image:
    bands = Image.getmodebands(mode)
    return Image.frombytes(mode, size, rng.randbytes(size[0] * size[1] * bands))


def photo(size: tuple[int, int], seed: int = SEED) -> Image.Image:
    """A photo-like RGB picture: gradients, soft shapes, cloudy texture and fine grain."""
    rng = random.Random(seed)
    width, height = size
    # Sky to ground: a vertical gradient per channel, with different curves for each.
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    sky = Image.merge(
        "RGB",
        (
            ramp.point(lambda v: 70 + v * 140 // 255),
            ramp.point(lambda v: 110 + v * 90 // 255),
            ramp.point(lambda v: 200 - v * 150 // 255),
        ),
    )
    # Shapes: hills, buildings and round things, in seeded colours, then softened.
    shapes = Image.new("RGB", size)
    mask = Image.new("L", size)
    draw, mask_draw = ImageDraw.Draw(shapes), ImageDraw.Draw(mask)
    for _ in range(90):
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        x0, y0 = rng.randrange(width), rng.randrange(height // 4, height)
        x1 = x0 + rng.randrange(width // 40 + 1, width // 4 + 2)
        y1 = y0 + rng.randrange(height // 40 + 1, height // 3 + 2)
        kind = rng.randrange(3)
        if kind == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
            mask_draw.ellipse((x0, y0, x1, y1), fill=rng.randrange(150, 256))
        elif kind == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
            mask_draw.rectangle((x0, y0, x1, y1), fill=rng.randrange(150, 256))
        else:
            points = [(rng.randrange(x0, x1), rng.randrange(y0, y1)) for _ in range(5)]
            draw.polygon(points, fill=colour)
            mask_draw.polygon(points, fill=rng.randrange(150, 256))
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, width / 1500)))
    picture = Image.composite(shapes, sky, mask)
    # Cloudy texture in two octaves: coarse colour noise scaled up smoothly.
    for cell, weight in ((width // 6, 0.25), (width // 48, 0.15)):
        coarse = _noise(rng, (max(2, width // max(1, cell)), max(2, height // max(1, cell))), "RGB")
        clouds = coarse.resize(size, Image.Resampling.BICUBIC)
        picture = Image.blend(picture, clouds, weight)
    # Fine luminance grain, ±10 levels: what makes a real photo expensive to compress.
    grain = _noise(rng, size).point(lambda v: v * 20 // 255)
    grain_rgb = Image.merge("RGB", (grain, grain, grain))
    return ImageChops.add(picture, grain_rgb, scale=1.0, offset=-10)


def photo_jpeg_bytes(size: tuple[int, int], seed: int = SEED) -> bytes:
    """``photo`` stored sideways as a JPEG whose EXIF orientation makes it upright again."""
    upright = photo((size[1], size[0]), seed)
    # Store it rotated the way a turned camera does; Orientation 6 undoes that on display.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = ORIENTATION_ROTATE_90
    exif[0x010F] = "Atelier bench"  # Make
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def alpha_png_bytes(size: tuple[int, int], seed: int = SEED + 1) -> bytes:
    """A photo-like RGBA PNG: a soft round fade to transparent, with transparent holes."""
    rng = random.Random(seed)
    rgba = photo(size, seed).convert("RGBA")
    alpha = Image.radial_gradient("L").resize(size).point(lambda v: 255 if v < 128 else 255 - v)
    holes = ImageDraw.Draw(alpha)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(2, max(3, size[0] // 12))
        holes.ellipse((x - r, y - r, x + r, y + r), fill=0)
    rgba.putalpha(alpha)
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def inputs_ensure(directory: Path, sizes: InputSizes) -> Inputs:
    """Writes the inputs into ``directory`` unless they are there already; returns paths."""
    directory.mkdir(parents=True, exist_ok=True)
    photo_path = directory / f"photo-{sizes.photo[0]}x{sizes.photo[1]}.jpg"
    alpha_path = directory / f"alpha-{sizes.alpha[0]}x{sizes.alpha[1]}.png"
    medium_path = directory / f"photo-{sizes.medium[0]}x{sizes.medium[1]}.jpg"
    if not photo_path.exists():
        photo_path.write_bytes(photo_jpeg_bytes(sizes.photo))
    if not alpha_path.exists():
        alpha_path.write_bytes(alpha_png_bytes(sizes.alpha))
    if not medium_path.exists():
        medium_path.write_bytes(photo_jpeg_bytes(sizes.medium, seed=SEED + 2))
    return Inputs(photo_jpeg=photo_path, alpha_png=alpha_path, medium_jpeg=medium_path, sizes=sizes)


def file_digest(path: Path) -> str:
    """The first 12 hex digits of a file's SHA-256, to show inputs are the same run to run."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
