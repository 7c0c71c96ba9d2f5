"""An original's bytes with their metadata removed and every pixel untouched, free of Django.

A share link that hides metadata still serves the original at full quality: the container
is walked and rebuilt from the parts a picture needs, copied byte for byte (a JPEG's tables
and entropy-coded scans, a PNG's image chunks, a WebP's bitstreams, a GIF's frames), while
EXIF, XMP, IPTC, comments, text and timestamps are left out. What is kept is a list of
what is known to be safe; anything unknown is dropped, or refused where dropping it could
break the picture. Bytes after the image's end (a polyglot's trailer, the further pictures
of a multi-picture JPEG) are never copied.

EXIF also says which way up a photo is. Where the original is not upright as stored
(orientation 2 to 8), the copy carries a minimal EXIF block holding the orientation alone,
so it displays the way Atelier's own renditions show it.

A HEIF or AVIF file is not rebuilt but blanked in place: its items' bytes are located by
file offsets, so removing one would move every other. Each item that is not a picture (EXIF,
XMP, any MIME or URI item, any type unknown here) has its bytes overwritten with zeros and
its type in the item table renamed to one no reader knows (``_HEIF_BLANKED_TYPE``), keeping
every box's size; the picture's items, their properties and its rotation (``irot``,
``imir``) are untouched, so it decodes exactly as before, and bytes after the image's end
are not copied.
"""

import struct
import zlib

from imaging import containers
from imaging.exif import exif_load
from imaging.processing import FORMAT_ALIASES

_ORIENTATION = 0x0112


class MetadataStripError(Exception):
    """The bytes cannot be walked safely, so there is no metadata-free copy of them.

    Never answered by serving the bytes as they are: the caller refuses to serve instead.
    """


def metadata_strip(*, data: bytes, image_format: str) -> bytes:
    """``data`` without metadata, in the same format, its pixels byte-identical.

    ``image_format`` is one of ``imaging.processing.ACCEPTED_FORMATS`` (``MPO`` is taken as
    the JPEG it is, and only its first picture is kept). Raises ``MetadataStripError`` if
    the format is not one of them or the bytes cannot be walked to the image's end.
    """
    name = FORMAT_ALIASES.get(image_format, image_format)
    strip = _STRIPPERS.get(name)
    if strip is None:
        raise MetadataStripError(f"Metadata cannot be removed from a {image_format!r} file.")
    try:
        return strip(data)
    except IndexError as exc:
        raise MetadataStripError(
            f"The {name} file ends inside a block, so its metadata cannot be removed."
        ) from exc
    except ValueError as exc:
        raise MetadataStripError(
            f"The {name} file cannot be walked to its end, so its metadata cannot be removed: "
            f"{exc}."
        ) from exc


def _orientation(data: bytes) -> int:
    """The EXIF orientation Atelier's renditions follow (Pillow's reading), 1 if none or odd.

    Asked only once the walk has succeeded: Pillow's own header parsing is much slower on
    hostile bytes (a run of fill bytes) than the walk that refuses them.
    """
    orientation = exif_load(data=data).get(_ORIENTATION, 1)
    return orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1


def _orientation_tiff(orientation: int) -> bytes:
    """A big-endian TIFF structure with one IFD holding one tag: Orientation."""
    header = b"MM\x00\x2a" + struct.pack(">I", 8)
    entry = struct.pack(">HHIH2x", _ORIENTATION, 3, 1, orientation)  # SHORT, left-justified
    return header + struct.pack(">H", 1) + entry + struct.pack(">I", 0)


# JPEG: markers between SOI and EOI. Frames (SOF0-15 but DHT, JPG and DAC), tables and
# restart intervals are what a decoder needs; of the application segments, only the
# JFIF header, ICC profile chunks and Adobe's colour-transform flag affect the picture.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_TABLES = frozenset({0xC4, 0xCC, 0xDB, 0xDC, 0xDD})  # DHT, DAC, DQT, DNL, DRI
_JPEG_SOS = 0xDA
_JPEG_EOI = 0xD9
_JPEG_APP0 = 0xE0
_JPEG_APP1 = 0xE1
_JPEG_APP2 = 0xE2
_JPEG_APP14 = 0xEE
_JPEG_COM = 0xFE
_JFIF = b"JFIF\x00"
# JFIF's fixed fields: identifier, version, units, densities, then the thumbnail's size.
_JFIF_HEADER_LENGTH = 12
_ICC_PROFILE = b"ICC_PROFILE\x00"
_ADOBE = b"Adobe"
# "Adobe", version, two flag words and the colour transform.
_ADOBE_LENGTH = 12
_EXIF_HEADER = b"Exif\x00\x00"


def _jpeg_strip(data: bytes) -> bytes:
    """The first picture's segments a decoder needs, scans as they are, up to its EOI."""
    out = [b"\xff\xd8"]
    exif_at = 1  # EXIF goes right after SOI, or after a JFIF header that comes first
    frames = scans = 0
    for segment in containers.jpeg_segments(data):
        marker = segment.marker
        if marker == _JPEG_EOI:
            break
        payload = data[segment.payload]
        if marker in _JPEG_SOF or marker in _JPEG_TABLES or marker == _JPEG_SOS:
            # A kept segment must be what its marker says: a length that swallowed the
            # next segment (metadata, say) would not add up.
            _jpeg_check(marker, payload)
        if marker == _JPEG_SOS:
            if not frames:
                raise ValueError("a scan before any frame header")
            # The scan header and its entropy-coded data, byte for byte.
            out.append(bytes((0xFF, marker)) + data[segment.start : segment.end])
            scans += 1
        elif marker in _JPEG_SOF or marker in _JPEG_TABLES:
            frames += marker in _JPEG_SOF
            out.append(bytes((0xFF, marker)) + data[segment.start : segment.end])
        elif marker == _JPEG_APP0 and payload.startswith(_JFIF):
            if len(payload) >= _JFIF_HEADER_LENGTH + 2:
                if len(out) == 1:
                    exif_at = 2
                # Without its thumbnail: a JFIF thumbnail can show what a crop removed.
                out.append(_jpeg_segment(marker, payload[:_JFIF_HEADER_LENGTH] + b"\x00\x00"))
        elif marker == _JPEG_APP2 and payload.startswith(_ICC_PROFILE):
            out.append(bytes((0xFF, marker)) + data[segment.start : segment.end])
        elif marker == _JPEG_APP14 and payload.startswith(_ADOBE):
            if len(payload) < _ADOBE_LENGTH:
                raise ValueError("a short Adobe segment")
            out.append(_jpeg_segment(marker, payload[:_ADOBE_LENGTH]))
        elif not (0xE0 <= marker <= 0xEF or marker == _JPEG_COM):
            # Hierarchical, arithmetic-extension or JPEG-LS markers: not a JPEG Pillow
            # decodes, and nothing here can vouch for what they carry.
            raise ValueError(f"an unexpected marker {marker:#04x}")
    if not frames or not scans:
        raise ValueError("no frame or no scan before EOI")
    orientation = _orientation(data)
    if orientation != 1:
        out.insert(
            exif_at, _jpeg_segment(_JPEG_APP1, _EXIF_HEADER + _orientation_tiff(orientation))
        )
    out.append(b"\xff\xd9")
    return b"".join(out)


def _jpeg_check(marker: int, payload: bytes) -> None:
    """Raises ``ValueError`` unless a frame, scan or table segment's fields add up to it."""
    size = len(payload)
    if marker == 0xDB:  # DQT: tables of 64 one- or two-byte values
        pos = 0
        while pos < size:
            precision = payload[pos] >> 4
            if precision > 1:
                raise ValueError("a quantization table of unknown precision")
            pos += 1 + 64 * (precision + 1)
        valid = pos == size
    elif marker == 0xC4:  # DHT: class and id, 16 code counts, then that many symbols
        pos = 0
        while pos < size:
            pos += 17 + sum(payload[pos + 1 : pos + 17])
        valid = pos == size and size > 0
    elif marker == 0xDA:  # SOS: component count, two bytes each, three more
        valid = size > 0 and 1 <= payload[0] <= 4 and size == 4 + 2 * payload[0]
    elif marker in (0xDC, 0xDD):  # DNL, DRI: one number
        valid = size == 2
    elif marker == 0xCC:  # DAC: two bytes a table
        valid = size > 0 and size % 2 == 0
    else:  # SOF: precision, height, width, component count, three bytes each
        valid = size >= 6 and payload[5] >= 1 and size == 6 + 3 * payload[5]
    if not valid:
        raise ValueError(f"a {marker:#04x} segment whose fields do not add up to its length")


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


# PNG: the critical chunks, and the ancillary ones that change how the pixels look (colour,
# transparency, physical size) or move (APNG). Text, time, EXIF and any private chunk go.
_PNG_SIGNATURE = containers.PNG_SIGNATURE
_PNG_KEPT_CHUNKS = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"tRNS",
        b"cHRM",
        b"gAMA",
        b"iCCP",
        b"sBIT",
        b"sRGB",
        b"cICP",
        b"mDCV",
        b"cLLI",
        b"bKGD",
        b"hIST",
        b"pHYs",
        b"acTL",
        b"fcTL",
        b"fdAT",
    }
)
_PNG_MAX_CHUNK_LENGTH = 2**31 - 1


def _png_strip(data: bytes) -> bytes:
    """The kept chunks as they are, up to IEND; an eXIf with the orientation after IHDR.

    Every chunk's CRC is checked before anything is kept.
    """
    out = [_PNG_SIGNATURE]
    for chunk in containers.png_chunks(data):
        kind, pos, end = chunk
        if end - pos - 12 > _PNG_MAX_CHUNK_LENGTH:
            raise ValueError(f"the chunk at byte {pos} is longer than a chunk may be")
        if not kind.isalpha():
            raise ValueError(f"the chunk at byte {pos} has no valid type")
        # Pillow refuses a wrong CRC too; checking every chunk's means a length that is
        # off (and so would carry the next chunk along inside a kept one) is caught.
        if zlib.crc32(data[pos + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            raise ValueError(f"the {kind.decode()} chunk at byte {pos} has a wrong CRC")
        if pos == len(_PNG_SIGNATURE) and kind != b"IHDR":
            raise ValueError("the first chunk is not IHDR")
        if kind in _PNG_KEPT_CHUNKS:
            out.append(data[pos:end])
        elif kind[0:1].isupper():
            raise ValueError(f"an unknown critical chunk {kind!r}")
    orientation = _orientation(data)
    if orientation != 1:
        out.insert(2, _png_chunk(b"eXIf", _orientation_tiff(orientation)))  # after IHDR
    return b"".join(out)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


# WebP: a RIFF container. VP8X's flags announce EXIF (0x08) and XMP (0x04) chunks.
_WEBP_KEPT_CHUNKS = frozenset({b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"})
_WEBP_FRAME_CHUNKS = frozenset({b"ALPH", b"VP8 ", b"VP8L"})
_WEBP_IMAGE_CHUNKS = frozenset({b"VP8X", b"VP8 ", b"VP8L"})
_VP8X_EXIF = 0x08
_VP8X_XMP = 0x04
_VP8X_LENGTH = 10
_ANIM_LENGTH = 6
_VP8_START_CODE = b"\x9d\x01\x2a"
_VP8L_SIGNATURE = b"\x2f"


def _webp_strip(data: bytes) -> bytes:
    """The kept chunks as they are (frames' own unknown chunks dropped), flags and size fixed."""
    chunks: list[tuple[bytes, bytes]] = []
    for chunk in containers.webp_chunks(data):
        fourcc, payload = chunk.fourcc, data[chunk.start : chunk.end]
        if not chunks and fourcc not in _WEBP_IMAGE_CHUNKS:
            raise ValueError(f"the first chunk is {fourcc!r}, not an image")
        _webp_check(fourcc, payload)
        if fourcc == b"VP8X":
            payload = bytes((payload[0] & ~(_VP8X_EXIF | _VP8X_XMP),)) + payload[1:]
        elif fourcc == containers.WEBP_ANMF:
            payload = _anmf_strip(data, chunk)
        if fourcc in _WEBP_KEPT_CHUNKS:
            chunks.append((fourcc, payload))
    if not chunks:
        raise ValueError("no image chunk")
    orientation = _orientation(data)
    if orientation != 1:
        kind, header = chunks[0]
        if kind != b"VP8X":
            # Only an extended WebP can hold EXIF, and where it came from there was none.
            raise ValueError("an orientation without a VP8X header")
        chunks[0] = (kind, bytes((header[0] | _VP8X_EXIF,)) + header[1:])
        chunks.append((b"EXIF", _orientation_tiff(orientation)))
    body = b"WEBP" + b"".join(_riff_chunk(fourcc, payload) for fourcc, payload in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _webp_check(fourcc: bytes, payload: bytes) -> None:
    """Raises ``ValueError`` unless a header or bitstream chunk has its kind's size or start.

    A walk thrown off by a wrong size lands on bytes that are not a chunk of the kind
    their FourCC claims, and is refused here rather than copied.
    """
    if fourcc == b"VP8X" and len(payload) != _VP8X_LENGTH:
        raise ValueError("a VP8X chunk of the wrong size")
    if fourcc == b"ANIM" and len(payload) != _ANIM_LENGTH:
        raise ValueError("an ANIM chunk of the wrong size")
    if fourcc == b"VP8 " and payload[3:6] != _VP8_START_CODE:
        raise ValueError("a VP8 chunk that is not a key frame")
    if fourcc == b"VP8L" and payload[:1] != _VP8L_SIGNATURE:
        raise ValueError("a VP8L chunk without its signature")


def _anmf_strip(data: bytes, frame: containers.RiffChunk) -> bytes:
    """An animation frame with only the chunks a frame is made of (as it is if that is all)."""
    payload = data[frame.start : frame.end]
    inner = [(chunk.fourcc, data[chunk.start : chunk.end]) for chunk in frame.frame]
    for fourcc, body in inner:
        _webp_check(fourcc, body)
    if all(fourcc in _WEBP_FRAME_CHUNKS for fourcc, _ in inner):
        return payload
    header = payload[: containers.WEBP_ANMF_HEADER_LENGTH]
    return header + b"".join(
        _riff_chunk(fourcc, body) for fourcc, body in inner if fourcc in _WEBP_FRAME_CHUNKS
    )


def _riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    padding = b"\x00" if len(payload) & 1 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + padding


# GIF: extensions that animate a picture or colour it; comments, plain text and other
# applications' blocks (XMP, Photoshop's, IPTC) are dropped. Plain text is part of the
# picture by the standard, but no browser or Pillow draws it (they skip the block, and a
# graphic control before it then applies to the next image, as it still does once the text
# is gone), so dropping it changes no pixel anyone sees, and it can carry any words.
_GIF_GRAPHIC_CONTROL = 0xF9
_GIF_APPLICATION = 0xFF
_GIF_LOOP_APPLICATIONS = frozenset({b"NETSCAPE2.0", b"ANIMEXTS1.0"})
_GIF_ICC_APPLICATION = b"ICCRGBG1012"
_GIF_APPLICATION_ID_LENGTH = 11
_GIF_GRAPHIC_CONTROL_LENGTH = 8
_GIF_LOOP_LENGTH = 19


def _gif_strip(data: bytes) -> bytes:
    """The header, frames and kept extensions, byte for byte, up to the trailer.

    A GIF has no EXIF, so no orientation to keep.
    """
    out = [data[: containers.gif_header_end(data)]]
    for block in containers.gif_blocks(data):
        if block.kind == containers.GIF_TRAILER:
            out.append(b";")
        elif block.kind == containers.GIF_IMAGE or _gif_extension_kept(
            data[block.start : block.end]
        ):
            out.append(data[block.start : block.end])
    return b"".join(out)


def _gif_extension_kept(block: bytes) -> bool:
    """Whether an extension (introducer to terminator) is one a picture needs, intact.

    The kept ones have a fixed shape, so a sub-block length that swallowed the next block
    (a comment, say) does not pass for one.
    """
    label = block[1]
    if label == _GIF_GRAPHIC_CONTROL:
        if len(block) != _GIF_GRAPHIC_CONTROL_LENGTH or block[2] != 4:
            raise ValueError("a malformed graphic control extension")
        return True
    if label != _GIF_APPLICATION or block[2] != _GIF_APPLICATION_ID_LENGTH:
        return False
    application = block[3:14]
    if application in _GIF_LOOP_APPLICATIONS:
        # Sub-block 1 is the loop count: 03 01 <count> <count>, then the terminator.
        return len(block) == _GIF_LOOP_LENGTH and block[14:16] == b"\x03\x01"
    return application == _GIF_ICC_APPLICATION


# What a blanked metadata item's type becomes: no specification defines it, so every reader
# skips the item as one it does not know, rather than parse its zeros as EXIF or XMP.
_HEIF_BLANKED_TYPE = b"zero"


def _heif_strip(data: bytes) -> bytes:
    """The file up to its end, with every metadata item's bytes zeroed and its type renamed.

    Refused where a metadata item's bytes are also a picture item's (blanking them would
    change the picture) or are built from other items.
    """
    layout = containers.heif_layout(data)
    out = bytearray(data[: layout.end])
    kept = [
        extent
        for item in layout.items
        if item.type in containers.HEIF_PICTURE_TYPES
        for extent in item.extents
    ]
    for item in layout.metadata_items:
        for start, stop in item.extents:
            if any(start < kept_stop and kept_start < stop for kept_start, kept_stop in kept):
                raise ValueError(f"metadata item {item.id} shares bytes with the picture")
            out[start:stop] = bytes(stop - start)
        out[item.type_offset : item.type_offset + 4] = _HEIF_BLANKED_TYPE
    return bytes(out)


_STRIPPERS = {
    "JPEG": _jpeg_strip,
    "PNG": _png_strip,
    "WEBP": _webp_strip,
    "GIF": _gif_strip,
    "HEIF": _heif_strip,
    "AVIF": _heif_strip,
}
