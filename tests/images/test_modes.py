"""Every mode Pillow opens from the accepted formats renders as the same 8-bit picture.

Each case is a file in one mode (written by Pillow, or by hand where Pillow cannot write
it: 16-bit colour PNGs) and the 8-bit RGB or RGBA picture it means. A 16-bit sample means
its value scaled to 0…255, never clipped. The file must decode to that picture and render
in every style exactly as the 8-bit picture does.
"""

import io
import itertools
import struct
import zlib
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from PIL import ImageChops, ImageStat

from imaging import color, processing
from imaging.styles import STYLES

SIZE = (64, 48)
WIDTH, HEIGHT = SIZE


def _grey_ramp() -> PILImage.Image:
    """Top half a left-to-right ramp 0…255; bottom half dark and light bars (edges)."""
    image = PILImage.new("L", SIZE)
    image.putdata(
        [
            x * 255 // (WIDTH - 1) if y < HEIGHT // 2 else (40 if (x // 8) % 2 else 215)
            for y in range(HEIGHT)
            for x in range(WIDTH)
        ]
    )
    return image


def _colour_ramp() -> PILImage.Image:
    # Red and green rise linearly, blue along a curve: a colour ramp whose luminance rises too.
    grey = _grey_ramp()
    return PILImage.merge("RGB", (grey, grey, grey.point(lambda v: v * v // 255)))


def _alpha() -> PILImage.Image:
    """Opaque left half, transparent right quarter, half-transparent in between."""
    alpha = PILImage.new("L", SIZE, 255)
    alpha.paste(128, (WIDTH // 2, 0, 3 * WIDTH // 4, HEIGHT))
    alpha.paste(0, (3 * WIDTH // 4, 0, WIDTH, HEIGHT))
    return alpha


def _save(image: PILImage.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png16(color_type: int, samples: list[list[int]]) -> bytes:
    """A 16-bit PNG written by hand (Pillow cannot write 48- or 64-bit PNGs)."""
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 16, color_type, 0, 0, 0)
    rows = b"".join(b"\x00" + struct.pack(f">{len(row)}H", *row) for row in samples)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def _rows16(image: PILImage.Image, low_byte: int) -> list[list[int]]:
    """Each 8-bit sample v as the 16-bit sample v·256 + low_byte, row by row."""
    bands = len(image.getbands())
    flat = image.tobytes()
    row_length = WIDTH * bands
    return [
        [v * 256 + low_byte for v in flat[y * row_length : (y + 1) * row_length]]
        for y in range(HEIGHT)
    ]


def _i16(mode: str) -> PILImage.Image:
    image = PILImage.new(mode, SIZE)
    image.putdata([v * 257 for v in _grey_ramp().tobytes()])
    return image


def _rgba(image: PILImage.Image) -> PILImage.Image:
    rgba = image.convert("RGB")
    rgba.putalpha(_alpha())
    return rgba


def _bilevel() -> tuple[bytes, PILImage.Image]:
    picture = _grey_ramp().point(lambda v: 255 if v >= 128 else 0).convert("1")
    return _save(picture), picture.convert("RGB")


def _palette(transparent: bool, fmt: str = "PNG") -> tuple[bytes, PILImage.Image]:
    picture = _colour_ramp().quantize(64)
    options: dict[str, object] = {"transparency": 0} if transparent else {}
    meaning = picture.convert("RGBA" if transparent else "RGB")
    if transparent:
        indices = PILImage.frombytes("L", SIZE, picture.tobytes())
        meaning.putalpha(indices.point(lambda i: 0 if i == 0 else 255))
    return _save(picture, fmt, **options), meaning


def _keyed(image: PILImage.Image, key: int | tuple[int, ...]) -> PILImage.Image:
    """``image`` as RGBA, transparent exactly where its value is ``key`` (a PNG colour key)."""
    keys = (key,) if isinstance(key, int) else key
    # Opaque wherever any band differs from the key's.
    differs = [
        band.point(lambda v, k=k: 0 if v == k else 255)
        for band, k in zip(image.split(), keys, strict=True)
    ]
    alpha = differs[0]
    for band in differs[1:]:
        alpha = ImageChops.lighter(alpha, band)
    keyed = image.convert("RGBA")
    keyed.putalpha(alpha)
    return keyed


def _grey_key16() -> tuple[bytes, PILImage.Image]:
    # The light bars (215) are transparent, named by their 16-bit value.
    return _save(_i16("I;16"), transparency=215 * 257), _keyed(_grey_ramp(), 215)


def _lossy(data: bytes) -> tuple[bytes, PILImage.Image]:
    """A lossy file means what Pillow decodes from it (its own 8-bit pixels, as RGB)."""
    return data, PILImage.open(io.BytesIO(data)).convert("RGB")


CASES: dict[str, Callable[[], tuple[bytes, PILImage.Image]]] = {
    "1": _bilevel,
    "L": lambda: (_save(_grey_ramp()), _grey_ramp().convert("RGB")),
    "LA": lambda: (_save(_rgba(_grey_ramp()).convert("LA")), _rgba(_grey_ramp())),
    "L-key": lambda: (_save(_grey_ramp(), transparency=215), _keyed(_grey_ramp(), 215)),
    "P": lambda: _palette(False),
    "P-transparent": lambda: _palette(True),
    "P-gif": lambda: _palette(False, "GIF"),
    "P-gif-transparent": lambda: _palette(True, "GIF"),
    "I;16": lambda: (_save(_i16("I;16")), _grey_ramp().convert("RGB")),
    "I;16B": lambda: (_save(_i16("I;16B")), _grey_ramp().convert("RGB")),
    "I;16-key": _grey_key16,
    "grey-16-by-hand": lambda: (
        _png16(0, _rows16(_grey_ramp(), 0x80)),
        _grey_ramp().convert("RGB"),
    ),
    "grey-alpha-32": lambda: (
        _png16(4, _rows16(_rgba(_grey_ramp()).convert("LA"), 0x80)),
        _rgba(_grey_ramp()),
    ),
    "RGB": lambda: (_save(_colour_ramp()), _colour_ramp()),
    "RGB-key": lambda: (
        _save(_colour_ramp(), transparency=(0, 255, 0)),
        _keyed(_colour_ramp(), (0, 255, 0)),
    ),
    "RGBA": lambda: (_save(_rgba(_colour_ramp())), _rgba(_colour_ramp())),
    "RGB-48": lambda: (_png16(2, _rows16(_colour_ramp(), 0xC3)), _colour_ramp()),
    "RGBA-64": lambda: (_png16(6, _rows16(_rgba(_colour_ramp()), 0x11)), _rgba(_colour_ramp())),
    "L-jpeg": lambda: _lossy(_save(_grey_ramp(), "JPEG", quality=95)),
    "RGB-jpeg": lambda: _lossy(_save(_colour_ramp(), "JPEG", quality=95)),
    "CMYK-jpeg": lambda: _lossy(_save(_colour_ramp().convert("CMYK"), "JPEG", quality=95)),
    "RGB-webp": lambda: (_save(_colour_ramp(), "WEBP", lossless=True), _colour_ramp()),
    "RGBA-webp": lambda: (
        _save(_rgba(_colour_ramp()), "WEBP", lossless=True, exact=True),
        _rgba(_colour_ramp()),
    ),
}


def _max_difference(a: PILImage.Image, b: PILImage.Image) -> int:
    assert a.mode == b.mode and a.size == b.size, (a.mode, b.mode, a.size, b.size)
    extrema = ImageStat.Stat(ImageChops.difference(a, b)).extrema
    return max(high for _, high in extrema)


def _decode(data: bytes) -> processing.DecodedImage:
    return processing.image_decode(io.BytesIO(data), max_pixels=10**6, max_edge=4096)


def _processed(decoded: processing.DecodedImage, style: str) -> PILImage.Image:
    processed = processing.renditions_render(
        decoded, style=style, max_edge=4096, thumbnail_edge=32
    ).processed
    return PILImage.open(io.BytesIO(processed.data))


@pytest.fixture(params=sorted(CASES))
def case(request) -> tuple[str, bytes, PILImage.Image]:
    data, meaning = CASES[request.param]()
    return request.param, data, meaning


class TestDecodeEveryMode:
    def test_decodes_to_the_8_bit_picture_it_means(self, case):
        name, data, meaning = case
        decoded = _decode(data)
        assert decoded.image.mode == meaning.mode, name
        assert _max_difference(decoded.image, meaning) <= 1, name

    def test_ramp_is_monotone_and_spans_the_range(self, case):
        name, data, _ = case
        if name == "1":
            pytest.skip("a bilevel image has no ramp")
        grey = _decode(data).image.convert("L")
        row = [grey.getpixel((x, 0)) for x in range(WIDTH)]
        rising = row if row[-1] >= row[0] else row[::-1]
        assert all(b >= a - 2 for a, b in itertools.pairwise(rising)), (name, row)
        assert rising[-1] - rising[0] >= 200, (name, row)

    def test_wide_modes_in_memory_scale_to_8_bits(self):
        for mode in ("I", "I;16", "I;16B"):
            decoded = color.working_mode(_i16(mode))
            assert _max_difference(decoded, _grey_ramp().convert("RGB")) <= 1, mode


class TestEveryModeInEveryStyle:
    @pytest.mark.parametrize("style", list(STYLES))
    def test_renders_as_the_8_bit_picture_does(self, case, style):
        name, data, meaning = case
        reference = _decode(_save(meaning))
        rendered = _processed(_decode(data), style)
        expected = _processed(reference, style)
        assert _max_difference(rendered.convert(expected.mode), expected) <= 2, (name, style)
        if style in ("none", "grayscale", "sepia"):
            low, high = ImageStat.Stat(rendered.convert("L")).extrema[0]
            assert high - low >= 150, (name, style, low, high)


class TestUploadEveryMode:
    @pytest.mark.parametrize("style", ["none", "sepia"])
    def test_processed_rendition_matches_the_8_bit_upload(self, auth_client, case, style):
        name, data, meaning = case

        def processed(payload: bytes) -> PILImage.Image:
            response = auth_client.post(
                reverse("image-list"),
                {"file": SimpleUploadedFile("picture", payload), "style": style},
                format="multipart",
            )
            assert response.status_code == HTTPStatus.CREATED, (name, response.content)
            url = reverse("image-processed", kwargs={"pk": response.json()["id"]})
            return PILImage.open(io.BytesIO(b"".join(auth_client.get(url).streaming_content)))

        got, expected = processed(data), processed(_save(meaning))
        assert _max_difference(got.convert(expected.mode), expected) <= 2, (name, style)
