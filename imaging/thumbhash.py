"""ThumbHash: a picture's colours and shape in about 25 bytes, painted while its bytes load.

A port of Evan Wallace's reference encoder and decoder (https://github.com/evanw/thumbhash,
MIT licence, Copyright (c) 2023 Evan Wallace), bit for bit the same format, so any ThumbHash
decoder (a browser's, an app's) reads what this writes. The picture is turned into
luminance, two colour differences and alpha, and each keeps only its lowest DCT frequencies
(up to 7 across for luminance), quantized to 4 bits. Here rather than a package: the whole
algorithm is a page, and the one maintained Python port pulls in NumPy. The DCT sums are
done one axis at a time (the same numbers, a fraction of the multiplications), on at most
32 × 32 pixels (``ENCODE_EDGE``), so a render pays a few milliseconds of pure Python for it.
"""

import base64
import math

from PIL import Image

# The reference refuses larger inputs: no more detail survives seven frequencies.
MAX_INPUT_EDGE = 100
# What a larger picture is box-averaged to first. Seven frequencies across need fourteen
# samples; 32 keep a margin over that and cost a tenth of the reference's 100 (about 4 ms
# rather than 80 ms of pure Python per render), for a hash that decodes to the same blur.
ENCODE_EDGE = 32
# The size the reference decodes to; callers may ask for a smaller one (it is a blur).
DECODED_EDGE = 32

__all__ = [
    "DECODED_EDGE",
    "ENCODE_EDGE",
    "MAX_INPUT_EDGE",
    "thumbhash_decode",
    "thumbhash_encode",
    "thumbhash_from_text",
    "thumbhash_to_text",
]


def _round(value: float) -> int:
    """JavaScript's ``Math.round`` (halves up), as the reference rounds."""
    return math.floor(value + 0.5)


def thumbhash_encode(image: Image.Image) -> bytes:
    """The ThumbHash of ``image`` (any mode; downscaled to fit ``ENCODE_EDGE`` square first)."""
    picture = image.copy()
    picture.thumbnail((ENCODE_EDGE, ENCODE_EDGE), Image.Resampling.BOX)  # only ever shrinks
    picture = picture.convert("RGBA")
    w, h = picture.size
    pixels = picture.tobytes()
    count = w * h
    avg_r = avg_g = avg_b = avg_a = 0.0
    for j in range(0, count * 4, 4):
        alpha = pixels[j + 3] / 255
        avg_r += alpha / 255 * pixels[j]
        avg_g += alpha / 255 * pixels[j + 1]
        avg_b += alpha / 255 * pixels[j + 2]
        avg_a += alpha
    if avg_a:
        avg_r /= avg_a
        avg_g /= avg_a
        avg_b /= avg_a
    has_alpha = avg_a < count
    l_limit = 5 if has_alpha else 7  # fewer luminance bits where alpha needs some
    lx = max(1, _round(l_limit * w / max(w, h)))
    ly = max(1, _round(l_limit * h / max(w, h)))
    lum: list[float] = []
    p: list[float] = []
    q: list[float] = []
    a: list[float] = []
    for j in range(0, count * 4, 4):
        alpha = pixels[j + 3] / 255
        r = avg_r * (1 - alpha) + alpha / 255 * pixels[j]
        g = avg_g * (1 - alpha) + alpha / 255 * pixels[j + 1]
        b = avg_b * (1 - alpha) + alpha / 255 * pixels[j + 2]
        lum.append((r + g + b) / 3)
        p.append((r + g) / 2 - b)
        q.append(r - g)
        a.append(alpha)

    def encode_channel(channel: list[float], nx: int, ny: int) -> tuple[float, list[float], float]:
        # Row sums per horizontal frequency first: rows[cx][y] = sum_x channel * cos_x.
        rows = []
        for cx in range(nx):
            fx = [math.cos(math.pi / w * cx * (x + 0.5)) for x in range(w)]
            rows.append([sum(channel[y * w + x] * fx[x] for x in range(w)) for y in range(h)])
        dc, ac, scale = 0.0, [], 0.0
        for cy in range(ny):
            fy = [math.cos(math.pi / h * cy * (y + 0.5)) for y in range(h)]
            cx = 0
            while cx * ny < nx * (ny - cy):
                f = sum(rows[cx][y] * fy[y] for y in range(h)) / count
                if cx or cy:
                    ac.append(f)
                    scale = max(scale, abs(f))
                else:
                    dc = f
                cx += 1
        if scale:
            ac = [0.5 + 0.5 / scale * f for f in ac]
        return dc, ac, scale

    l_dc, l_ac, l_scale = encode_channel(lum, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = encode_channel(p, 3, 3)
    q_dc, q_ac, q_scale = encode_channel(q, 3, 3)
    landscape = w > h
    header24 = (
        _round(63 * l_dc)
        | (_round(31.5 + 31.5 * p_dc) << 6)
        | (_round(31.5 + 31.5 * q_dc) << 12)
        | (_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if landscape else lx)
        | (_round(63 * p_scale) << 3)
        | (_round(63 * q_scale) << 9)
        | (int(landscape) << 15)
    )
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    channels = [l_ac, p_ac, q_ac]
    if has_alpha:
        a_dc, a_ac, a_scale = encode_channel(a, 5, 5)
        out.append(_round(15 * a_dc) | (_round(15 * a_scale) << 4))
        channels.append(a_ac)
    nibbles = [_round(15 * f) for ac in channels for f in ac]
    for index in range(0, len(nibbles), 2):
        high = nibbles[index + 1] if index + 1 < len(nibbles) else 0
        out.append(nibbles[index] | (high << 4))
    return bytes(out)


def _aspect_ratio(hash_: bytes) -> float:
    has_alpha = hash_[2] & 0x80
    landscape = hash_[4] & 0x80
    lx = (5 if has_alpha else 7) if landscape else hash_[3] & 7
    ly = hash_[3] & 7 if landscape else (5 if has_alpha else 7)
    return lx / ly


def thumbhash_decode(hash_: bytes, *, edge: int = DECODED_EDGE) -> Image.Image:
    """The RGBA picture a ThumbHash stands for, its long edge ``edge`` (the reference: 32).

    Raises ``ValueError`` for bytes too short to be a ThumbHash.
    """
    if len(hash_) < 5:
        raise ValueError("A ThumbHash has at least 5 bytes.")
    header24 = hash_[0] | (hash_[1] << 8) | (hash_[2] << 16)
    header16 = hash_[3] | (hash_[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    has_alpha = bool(header24 >> 23)
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    landscape = bool(header16 >> 15)
    lx = max(3, (5 if has_alpha else 7) if landscape else header16 & 7)
    ly = max(3, header16 & 7 if landscape else (5 if has_alpha else 7))
    a_dc = (hash_[5] & 15) / 15 if has_alpha and len(hash_) > 5 else 1.0
    a_scale = (hash_[5] >> 4) / 15 if has_alpha and len(hash_) > 5 else 0.0
    ac_start = 6 if has_alpha else 5
    index = 0

    def decode_channel(nx: int, ny: int, scale: float) -> list[list[float]]:
        # Per row cy, the factors for cx = 0..; (0, 0) is the DC term, kept apart.
        nonlocal index
        rows: list[list[float]] = []
        for cy in range(ny):
            row = [0.0] if cy == 0 else []
            cx = 1 if cy == 0 else 0
            while cx * ny < nx * (ny - cy):
                position = ac_start + (index >> 1)
                byte = hash_[position] if position < len(hash_) else 0
                nibble = (byte >> ((index & 1) << 2)) & 15
                row.append((nibble / 7.5 - 1) * scale)
                index += 1
                cx += 1
            rows.append(row)
        return rows

    l_ac = decode_channel(lx, ly, l_scale)
    # Saturation boosted by 1.25 to make up for the quantization, as the reference does.
    p_ac = decode_channel(3, 3, p_scale * 1.25)
    q_ac = decode_channel(3, 3, q_scale * 1.25)
    a_ac = decode_channel(5, 5, a_scale) if has_alpha else []
    ratio = _aspect_ratio(hash_)
    w = _round(edge if ratio > 1 else edge * ratio)
    h = _round(edge / ratio if ratio > 1 else edge)
    w, h = max(1, w), max(1, h)
    nx = max(lx, 5 if has_alpha else 3)
    ny = max(ly, 5 if has_alpha else 3)
    fx = [[math.cos(math.pi / w * (x + 0.5) * cx) for cx in range(nx)] for x in range(w)]
    fy = [[math.cos(math.pi / h * (y + 0.5) * cy) for cy in range(ny)] for y in range(h)]

    def column_sums(rows: list[list[float]]) -> list[list[float]]:
        # sums[x][cy] = sum_cx factor * cos_x; the pixel is then a sum over cy alone.
        return [[sum(f * fx[x][cx] for cx, f in enumerate(row)) for row in rows] for x in range(w)]

    l_cols, p_cols, q_cols = column_sums(l_ac), column_sums(p_ac), column_sums(q_ac)
    a_cols = column_sums(a_ac) if has_alpha else []
    out = bytearray()
    for y in range(h):
        fy2 = [2 * f for f in fy[y]]
        for x in range(w):
            lum = l_dc + sum(s * fy2[cy] for cy, s in enumerate(l_cols[x]))
            p = p_dc + sum(s * fy2[cy] for cy, s in enumerate(p_cols[x]))
            q = q_dc + sum(s * fy2[cy] for cy, s in enumerate(q_cols[x]))
            alpha = a_dc + sum(s * fy2[cy] for cy, s in enumerate(a_cols[x])) if has_alpha else 1
            b = lum - 2 / 3 * p
            r = (3 * lum - b + q) / 2
            g = r - q
            out += bytes(int(max(0.0, 255 * min(1.0, v))) for v in (r, g, b, alpha))
    return Image.frombytes("RGBA", (w, h), bytes(out))


def thumbhash_to_text(hash_: bytes) -> str:
    """The form stored and sent in the API: standard base64 (what the reference's demo shows)."""
    return base64.b64encode(hash_).decode("ascii")


def thumbhash_from_text(text: str) -> bytes:
    """The bytes of a stored ThumbHash; ``ValueError`` if ``text`` is not base64."""
    return base64.b64decode(text.encode("ascii"), validate=True)
