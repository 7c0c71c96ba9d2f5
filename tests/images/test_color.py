"""Colour profiles: renditions are sRGB, converted from the profile the original embeds.

The wide-gamut profile is built here, byte by byte: an ICC v2 matrix/TRC display profile
with Adobe RGB (1998) primaries (D50-adapted, as ICC profiles store them) and gamma 2.2.
The expected sRGB values are computed from the same primaries independently of littleCMS.
"""

import io
import struct
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from PIL import ImageCms

from imaging import processing

D50 = (0.9642, 1.0, 0.8249)
# Adobe RGB (1998) colorants, Bradford-adapted to D50.
WIDE_PRIMARIES = (
    (0.60974, 0.31111, 0.01947),
    (0.20528, 0.62567, 0.06087),
    (0.14919, 0.06322, 0.74457),
)
WIDE_GAMMA = 563 / 256  # 2.19921875, as Adobe RGB stores it (u8Fixed8)
# sRGB colorants, D50-adapted, as littleCMS's built-in sRGB profile has them.
SRGB_PRIMARIES = (
    (0.43607, 0.22249, 0.01392),
    (0.38515, 0.71687, 0.09708),
    (0.14307, 0.06061, 0.71410),
)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in xyz)


def _curve_tag(gamma: float) -> bytes:
    return b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"


def _text_description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\x00"
    return (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)  # no Unicode description
        + struct.pack(">HB", 0, 0)
        + bytes(67)  # no ScriptCode description
    )


def icc_matrix_profile(
    primaries: tuple[tuple[float, float, float], ...], gamma: float, description: str
) -> bytes:
    """An ICC v2 RGB display profile: three colorants, one gamma curve, D50 white."""
    tags = [
        (b"desc", _text_description(description)),
        (b"cprt", b"text\x00\x00\x00\x00No copyright, test data.\x00"),
        (b"wtpt", _xyz_tag(D50)),
        (b"rXYZ", _xyz_tag(primaries[0])),
        (b"gXYZ", _xyz_tag(primaries[1])),
        (b"bXYZ", _xyz_tag(primaries[2])),
        (b"rTRC", _curve_tag(gamma)),
        (b"gTRC", _curve_tag(gamma)),
        (b"bTRC", _curve_tag(gamma)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        padded = data + bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += padded
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"none"
        + bytes((2, 0x10, 0, 0))
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + bytes(4 + 4 + 4 + 4 + 8 + 4)  # platform, flags, manufacturer, model, attributes, intent
        + b"".join(_s15(v) for v in D50)
        + b"none"
        + bytes(44)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


WIDE_PROFILE = icc_matrix_profile(WIDE_PRIMARIES, WIDE_GAMMA, "Wide gamut test RGB")
SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _solve(matrix: tuple[tuple[float, float, float], ...], xyz: list[float]) -> list[float]:
    """Linear RGB for an XYZ colour, by Cramer's rule; ``matrix`` rows are the colorants."""
    columns = [list(c) for c in matrix]

    def det(a: list[list[float]]) -> float:
        (a1, a2, a3), (b1, b2, b3), (c1, c2, c3) = a
        return a1 * (b2 * c3 - b3 * c2) - b1 * (a2 * c3 - a3 * c2) + c1 * (a2 * b3 - a3 * b2)

    whole = det(columns)
    return [det([xyz if i == j else columns[j] for j in range(3)]) / whole for i in range(3)]


def expected_srgb(rgb: tuple[int, int, int]) -> tuple[int, ...]:
    """What ``rgb`` in the wide profile is in sRGB, colorimetrically, clipped to its gamut."""
    linear = [(v / 255) ** WIDE_GAMMA for v in rgb]
    xyz = [sum(linear[c] * WIDE_PRIMARIES[c][k] for c in range(3)) for k in range(3)]
    out = []
    for value in _solve(SRGB_PRIMARIES, xyz):
        value = min(1.0, max(0.0, value))
        encoded = 12.92 * value if value <= 0.0031308 else 1.055 * value ** (1 / 2.4) - 0.055
        out.append(round(encoded * 255))
    return tuple(out)


GREEN = (0, 255, 0)
# Inside Adobe RGB, outside sRGB: red and blue clip to 0, so it comes out a purer green.
SATURATED_GREEN = (40, 200, 40)
SWATCHES = [GREEN, SATURATED_GREEN, (200, 120, 60), (30, 90, 220), (128, 128, 128)]


def _tagged_png(colour: tuple[int, ...], icc: bytes | None, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    options = {"icc_profile": icc} if icc is not None else {}
    PILImage.new(mode, (16, 8), colour).save(buffer, "PNG", **options)
    return buffer.getvalue()


def _decoded_pixel(data: bytes) -> tuple[int, ...]:
    decoded = processing.image_decode(io.BytesIO(data), max_pixels=10**6)
    return decoded.image.getpixel((3, 3))


def _near(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


class TestProfileBuiltHere:
    def test_littlecms_reads_it_as_an_rgb_display_profile(self):
        profile = ImageCms.ImageCmsProfile(io.BytesIO(WIDE_PROFILE))
        assert profile.profile.xcolor_space.strip() == "RGB"
        assert profile.profile.profile_description == "Wide gamut test RGB"

    def test_pure_green_is_outside_srgb_and_clips_to_its_green(self):
        # Adobe RGB's green is greener than sRGB's: red and blue come out negative, clipped.
        linear = _solve(SRGB_PRIMARIES, list(WIDE_PRIMARIES[1]))
        assert linear[0] < -0.3 and linear[2] < -0.03
        assert expected_srgb(GREEN) == (0, 255, 0)


class TestConversionToSrgb:
    @pytest.mark.parametrize("colour", SWATCHES)
    def test_wide_gamut_pixels_are_converted_to_srgb(self, colour):
        got = _decoded_pixel(_tagged_png(colour, WIDE_PROFILE))
        assert _near(got, expected_srgb(colour), 2), (got, expected_srgb(colour))

    def test_pure_green_is_clipped_to_srgb_green(self):
        assert _decoded_pixel(_tagged_png(GREEN, WIDE_PROFILE)) == (0, 255, 0)

    @pytest.mark.parametrize("colour", [SATURATED_GREEN, (200, 120, 60), (30, 90, 220)])
    def test_tagged_colour_differs_from_untagged_by_a_clear_margin(self, colour):
        tagged = _decoded_pixel(_tagged_png(colour, WIDE_PROFILE))
        untagged = _decoded_pixel(_tagged_png(colour, None))
        assert untagged == colour
        assert max(abs(a - b) for a, b in zip(tagged, untagged, strict=True)) >= 20

    @pytest.mark.parametrize("colour", SWATCHES)
    def test_srgb_tagged_pixels_are_unchanged(self, colour):
        assert _decoded_pixel(_tagged_png(colour, SRGB_PROFILE)) == colour

    def test_alpha_survives_the_conversion(self):
        data = _tagged_png((200, 120, 60, 77), WIDE_PROFILE, mode="RGBA")
        pixel = _decoded_pixel(data)
        assert pixel[3] == 77
        assert _near(pixel[:3], expected_srgb((200, 120, 60)), 2)

    def test_jpeg_profile_is_applied_too(self):
        buffer = io.BytesIO()
        PILImage.new("RGB", (32, 32), (200, 120, 60)).save(
            buffer, "JPEG", quality=95, icc_profile=WIDE_PROFILE
        )
        assert _near(_decoded_pixel(buffer.getvalue()), expected_srgb((200, 120, 60)), 3)

    @pytest.mark.parametrize(
        "icc",
        [b"garbage", WIDE_PROFILE[:100], WIDE_PROFILE[:200], b"\x00" * 128, bytes(range(256)) * 2],
        ids=["text", "header-only", "cut-tag-table", "zeros", "noise"],
    )
    def test_unreadable_profile_is_ignored(self, icc):
        assert _decoded_pixel(_tagged_png(GREEN, icc)) == GREEN


class TestUploadWithProfile:
    def _processed(self, client, data: bytes) -> PILImage.Image:
        response = client.post(
            reverse("image-list"),
            {"file": SimpleUploadedFile("wide.png", data), "style": "none"},
            format="multipart",
        )
        assert response.status_code == HTTPStatus.CREATED, response.content
        url = reverse("image-processed", kwargs={"pk": response.json()["id"]})
        return PILImage.open(io.BytesIO(b"".join(client.get(url).streaming_content)))

    def test_processed_rendition_is_converted_to_srgb(self, auth_client):
        processed = self._processed(auth_client, _tagged_png(SATURATED_GREEN, WIDE_PROFILE))
        assert _near(processed.getpixel((8, 4)), expected_srgb(SATURATED_GREEN), 4)
        assert "icc_profile" not in processed.info

    def test_garbage_profile_is_accepted_as_untagged(self, auth_client):
        data = _tagged_png(SATURATED_GREEN, b"not a profile")
        processed = self._processed(auth_client, data)
        assert _near(processed.getpixel((8, 4)), SATURATED_GREEN, 4)
