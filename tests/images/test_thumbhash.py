"""The ThumbHash encoder and decoder (``imaging.thumbhash``), against the reference's format.

The vector is worked out by hand from the reference's bit layout (evanw/thumbhash): a black
picture has no varying factors (every sum is exactly zero), so its hash is the header alone
(average luminance and colour, the luminance grid's size) and zero nibbles. (Any other flat
colour leaves rounding-sized factors that the normalization blows up, in the reference too.)
The rest round-trips through the decoder.
"""

import base64

import pytest
from PIL import Image

from imaging.thumbhash import (
    thumbhash_decode,
    thumbhash_encode,
    thumbhash_from_text,
    thumbhash_to_text,
)


@pytest.mark.parametrize(
    ("color", "header"),
    [
        # l_dc 0, p_dc and q_dc 0 (stored 32 of 63), square: a 7 × 7 luminance grid.
        ((0, 0, 0), bytes([0x00, 0x08, 0x02, 0x07, 0x00])),
    ],
)
def test_a_flat_square_is_its_header_and_zero_factors(color, header):
    hash_ = thumbhash_encode(Image.new("RGB", (4, 4), color))
    # 27 luminance factors, 5 and 5 colour factors: 37 nibbles in 19 bytes.
    assert hash_ == header + bytes(19)


def test_the_text_form_is_standard_base64():
    hash_ = thumbhash_encode(Image.new("RGB", (4, 4), (0, 0, 0)))
    assert thumbhash_to_text(hash_) == "AAgCBwAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert thumbhash_from_text(thumbhash_to_text(hash_)) == hash_


def test_a_flat_colour_decodes_to_itself():
    decoded = thumbhash_decode(thumbhash_encode(Image.new("RGB", (40, 30), (200, 80, 40))))
    r, g, b, a = decoded.getpixel((10, 10))
    assert (abs(r - 200), abs(g - 80), abs(b - 40)) <= (8, 8, 8) and a == 255


def test_shape_and_colours_survive_the_round_trip():
    picture = Image.new("RGB", (300, 150), (220, 30, 30))
    picture.paste((30, 30, 220), (150, 0, 300, 150))
    hash_ = thumbhash_encode(picture)

    decoded = thumbhash_decode(hash_)

    assert len(hash_) <= 25
    # The reference keeps the shape approximately: a 7 × 4 grid, 1.75:1.
    assert decoded.size == (32, 18)
    left, right = decoded.getpixel((2, 8)), decoded.getpixel((29, 8))
    assert left[0] > left[2] + 80 and right[2] > right[0] + 80


def test_transparency_survives_the_round_trip():
    picture = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    picture.paste((30, 200, 30, 255), (15, 15, 45, 45))

    decoded = thumbhash_decode(thumbhash_encode(picture))

    assert decoded.getpixel((1, 1))[3] < 80
    assert decoded.getpixel((16, 16))[3] > 200


def test_a_large_picture_is_downscaled_first_and_a_smaller_decode_keeps_the_shape():
    hash_ = thumbhash_encode(Image.new("RGB", (1000, 500), (10, 10, 10)))
    assert thumbhash_decode(hash_, edge=16).size == (16, 9)


def test_bytes_too_short_are_refused():
    with pytest.raises(ValueError, match="at least 5 bytes"):
        thumbhash_decode(base64.b64decode("AAgC"))
