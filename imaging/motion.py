"""Photos that move: the two halves of an iPhone Live Photo, and a motion photo's embedded clip.

An iPhone writes a Live Photo as two files, a still (HEIC or JPEG) and a short MOV, and ties
them with one content identifier: in the still's Apple MakerNote (tag 0x0011 of the IFD that
follows ``Apple iOS\\0``), and in the clip's QuickTime metadata
(``com.apple.quicktime.content.identifier``). Reading both lets the gallery make the pair one
item whichever half arrives first (``images.live``).

A Google or Samsung motion photo is one JPEG with an MP4 appended after the image, declared by
the file itself: Google's XMP (``GCamera:MicroVideoOffset``, counted from the end of the
file, or a ``Container:Directory`` whose ``MotionPhoto`` item gives the clip's length) or
Samsung's SEF trailer (a ``MotionPhoto_Data`` record, a directory ``SEFH`` … ``SEFT`` at the
very end). Uploads cut whatever follows an image (a polyglot's payload); a trailer is kept only
when ``motion_photo_video`` finds it declared and consistent: every byte after the image is
accounted for by the declaration, and the clip walks as MP4 boxes from an ``ftyp`` to exactly
where it is declared to end. Anything else (a bad offset, an undeclared byte, MP4 magic with
no declaration) is not a motion photo, and the trailer is cut as before.

Every parser here is bounded (entries, boxes, XMP size, offsets checked inside the block) and
answers ``None`` for bytes it cannot read: hostile input never raises. The XMP is parsed by
``xml.etree`` only after a document type declaration (the only way to declare entities) is
refused. Django-free.
"""

import io
import os
import re
import struct
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import av

from imaging import containers

__all__ = [
    "APPLE_MAKERNOTE_PREFIX",
    "LIVE_PHOTO_VIDEO_KEY",
    "MAX_XMP_BYTES",
    "live_photo_id_from_exif",
    "live_photo_id_from_photo",
    "live_photo_id_from_video",
    "motion_clip_remux",
    "motion_photo_clip_opens",
    "motion_photo_kept_end",
    "motion_photo_video",
]

APPLE_MAKERNOTE_PREFIX = b"Apple iOS\x00"
# The clip's half of the pair, as FFmpeg 8's mov demuxer names the ``mdta`` key (verified
# with PyAV 18: ``container.metadata`` carries the key as written).
LIVE_PHOTO_VIDEO_KEY = "com.apple.quicktime.content.identifier"
# An APP1 segment holds at most 65,533 bytes; extended XMP (more segments) never carries the
# motion photo's declaration.
MAX_XMP_BYTES = 65_536

# EXIF: far above what any camera writes, so a hostile IFD cannot make the walk long.
_MAX_EXIF_BYTES = 4 * 1024 * 1024
_MAX_IFD_ENTRIES = 1_000
_EXIF_IFD_POINTER = 0x8769
_MAKERNOTE = 0x927C
_APPLE_CONTENT_IDENTIFIER = 0x0011
_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
_ASCII, _UNDEFINED, _LONG, _IFD = 2, 7, 4, 13
# A UUID in practice (36 characters); anything that fits ``Image.live_photo_id`` and could
# not be mistaken for a path or markup is accepted, compared upper-cased.
_IDENTIFIER = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")

# Motion photos.
_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_CAMERA_NS = "{http://ns.google.com/photos/1.0/camera/}"
_CONTAINER_NS = "{http://ns.google.com/photos/1.0/container/}"
_ITEM_NS = "{http://ns.google.com/photos/1.0/container/item/}"
_MAX_CONTAINER_ITEMS = 16
_MAX_MP4_BOXES = 1_000
_MP4_BOX_TYPE = re.compile(rb"[\x20-\x7e]{4}")
_SAMSUNG_VIDEO_NAME = b"MotionPhoto_Data"
_SEF_TAIL = b"SEFT"
_SEF_HEAD = b"SEFH"
_MAX_SEF_ENTRIES = 64


# --- Live Photos: the photo's half ----------------------------------------------------------


def live_photo_id_from_photo(data: bytes) -> str | None:
    """The Live Photo content identifier in a photo's Apple MakerNote, or ``None``.

    ``data`` is a JPEG file, a HEIC/HEIF file, or EXIF bytes alone (``Exif\\0\\0`` and a TIFF
    header, as pillow-heif's ``info["exif"]`` gives them; a bare TIFF header; or a HEIF Exif
    item with its 4-byte offset in front). Never raises on hostile bytes.
    """
    try:
        return live_photo_id_from_exif(_exif_of(data))
    except (ValueError, IndexError, struct.error):
        return None


def live_photo_id_from_exif(exif: bytes | None) -> str | None:
    """The content identifier in EXIF bytes (any of the shapes ``live_photo_id_from_photo``
    reads without a file around them), or ``None``."""
    if not exif:
        return None
    try:
        tiff = _tiff_of(exif)
        if tiff is None:
            return None
        makernote = _makernote(tiff)
        return None if makernote is None else _apple_content_identifier(makernote)
    except (ValueError, IndexError, struct.error):
        return None


def _exif_of(data: bytes) -> bytes | None:
    """The EXIF bytes of a JPEG or HEIF file, or ``data`` itself when it is EXIF already."""
    if data.startswith(b"\xff\xd8"):
        for segment in containers.jpeg_segments(data):
            if segment.marker == containers.JPEG_SOS:
                break
            payload = data[segment.payload]
            if segment.marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
                return payload
        return None
    if data[4:8] == b"ftyp":
        return _heif_exif(data)
    return data


def _heif_exif(data: bytes) -> bytes | None:
    """A HEIF file's Exif item, read by libheif from the container (nothing is decoded)."""
    import pillow_heif  # here: only HEIF needs it, and it loads libheif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
        exif = heif.info.get("exif")
    except (RuntimeError, ValueError, OSError, KeyError, TypeError):
        return None
    return exif if isinstance(exif, bytes) else None


def _tiff_of(exif: bytes) -> bytes | None:
    """The TIFF structure inside EXIF bytes of any shape ``live_photo_id_from_photo`` reads."""
    exif = exif[:_MAX_EXIF_BYTES]
    if exif.startswith(b"Exif\x00\x00"):
        exif = exif[6:]
    if exif[:4] in (b"II*\x00", b"MM\x00*"):
        return exif
    if len(exif) >= 8:  # a HEIF Exif item: the TIFF header's offset (4 bytes), then the data
        offset = 4 + int.from_bytes(exif[:4], "big")
        if offset < len(exif) and exif[offset : offset + 4] in (b"II*\x00", b"MM\x00*"):
            return exif[offset:]
        if exif[4:10] == b"Exif\x00\x00" and exif[10:14] in (b"II*\x00", b"MM\x00*"):
            return exif[10:]
    return None


class _Entry(NamedTuple):
    """One IFD entry: its tag, type and count (``number``), and where its value is in the block."""

    tag: int
    type: int
    number: int
    value_at: int


def _ifd_entries(block: bytes, offset: int, order: str, base: int = 0) -> Iterator[_Entry]:
    """The entries of the IFD at ``offset`` in ``block`` (value offsets counted from ``base``).

    Bounded: at most ``_MAX_IFD_ENTRIES``, and every value inside the block, or not given.
    """
    if not 0 <= offset <= len(block) - 2:
        return
    (count,) = struct.unpack_from(order + "H", block, offset)
    for index in range(min(count, _MAX_IFD_ENTRIES)):
        at = offset + 2 + 12 * index
        if at + 12 > len(block):
            return
        tag, kind, number = struct.unpack_from(order + "HHI", block, at)
        size = _TIFF_TYPE_SIZES.get(kind, 0) * number
        if size == 0:
            continue
        if size <= 4:
            value_at = at + 8
        else:
            (pointer,) = struct.unpack_from(order + "I", block, at + 8)
            value_at = base + pointer
        if value_at + size > len(block):
            continue
        yield _Entry(tag, kind, number, value_at)


def _tiff_order(tiff: bytes) -> str:
    return "<" if tiff[:2] == b"II" else ">"


def _makernote(tiff: bytes) -> bytes | None:
    """The MakerNote's bytes: tag 0x927C of the Exif IFD that IFD0 points to."""
    order = _tiff_order(tiff)
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    for entry in _ifd_entries(tiff, ifd0, order):
        if entry.tag == _EXIF_IFD_POINTER and entry.type in (_LONG, _IFD) and entry.number == 1:
            (exif_ifd,) = struct.unpack_from(order + "I", tiff, entry.value_at)
            for inner in _ifd_entries(tiff, exif_ifd, order):
                if inner.tag == _MAKERNOTE and inner.type in (_UNDEFINED, 1):
                    return tiff[inner.value_at : inner.value_at + inner.number]
            return None
    return None


def _apple_content_identifier(makernote: bytes) -> str | None:
    """Tag 0x0011 of Apple's MakerNote: ``Apple iOS\\0``, a version (2 bytes), the byte order
    (``MM``), then an IFD whose value offsets count from the MakerNote's first byte."""
    if not makernote.startswith(APPLE_MAKERNOTE_PREFIX):
        return None
    order = "<" if makernote[12:14] == b"II" else ">"
    for entry in _ifd_entries(makernote, 14, order):
        if entry.tag == _APPLE_CONTENT_IDENTIFIER and entry.type in (_ASCII, _UNDEFINED):
            return _identifier(makernote[entry.value_at : entry.value_at + entry.number])
    return None


def _identifier(raw: bytes | str) -> str | None:
    """The identifier, trimmed and upper-cased, if it looks like one; else ``None``."""
    if isinstance(raw, bytes):
        raw = raw.split(b"\x00", 1)[0].decode("ascii", "replace")
    value = raw.strip()
    return value.upper() if _IDENTIFIER.fullmatch(value) else None


# --- Live Photos: the clip's half -----------------------------------------------------------


def live_photo_id_from_video(source: str | os.PathLike[str] | BinaryIO) -> str | None:
    """The Live Photo content identifier in a clip's QuickTime metadata, or ``None``.

    ``source`` is a path or a binary file (rewound by the caller). Only the container's header
    is read (``av.open`` probes; nothing is decoded); an unreadable file gives ``None``. Call
    it on a clip the video probe has already accepted, within its limits.
    """
    try:
        with av.open(source, mode="r", metadata_errors="replace") as container:
            value = container.metadata.get(LIVE_PHOTO_VIDEO_KEY)
    except (av.FFmpegError, OSError, ValueError, UnicodeError, EOFError):
        return None
    return _identifier(value) if isinstance(value, str) else None


# --- Motion photos --------------------------------------------------------------------------


def motion_photo_video(data: bytes) -> tuple[int, int] | None:
    """The byte range ``(start, end)`` of a motion photo's embedded MP4, or ``None``.

    ``data`` must be a JPEG whose own XMP (Google) or SEF trailer (Samsung) declares a clip
    after the image, and the declaration must account for every byte after the image (see
    the module's docstring): a file with anything else appended is not a motion photo. The
    clip starts with an ``ftyp`` box and its top-level boxes end exactly where declared. It
    is not decoded here: the caller probes ``data[start:end]`` as a video before keeping it.
    """
    try:
        return _motion_photo_video(data)
    except (ValueError, IndexError, struct.error):
        return None


def motion_photo_kept_end(data: bytes, payload_end: int) -> int:
    """Where an upload's original should end: the whole file for a declared, consistent
    motion photo (``motion_photo_video``) whose clip opens as a video (its header only,
    ``motion_photo_clip_opens``); else ``payload_end``, the image's own end, so an undeclared
    trailer is cut as before. What the upload stores and what its checksum covers."""
    if payload_end >= len(data):
        return payload_end
    found = motion_photo_video(data)
    if found is None or found[0] < payload_end:
        return payload_end
    return len(data) if motion_photo_clip_opens(data[found[0] : found[1]]) else payload_end


def motion_photo_clip_opens(clip: bytes) -> bool:
    """Whether FFmpeg opens ``clip`` as an MP4/QuickTime file with a video stream (its
    header is read; nothing is decoded). The render job's video probe, with its limits,
    still decides whether the clip is played."""
    try:
        with av.open(io.BytesIO(clip), mode="r", metadata_errors="replace") as container:
            return "mp4" in container.format.name and bool(container.streams.video)
    except (av.FFmpegError, OSError, ValueError, UnicodeError, EOFError):
        return False


def motion_clip_remux(clip: bytes) -> bytes | None:
    """The clip's first video and audio streams copied (not re-encoded) into a fresh MP4,
    ``moov`` first for the web, without the container's metadata (a location, titles,
    Apple's keys); the rotation travels with the video stream. ``None`` if it cannot be
    read. What a motion part is served as until (or where) no transcode is needed.
    """
    try:
        with (
            tempfile.TemporaryDirectory(prefix="atelier-motion-") as folder,
            av.open(io.BytesIO(clip), mode="r", metadata_errors="replace") as source,
        ):
            if not source.streams.video:
                return None
            copied = list(source.streams.video[:1]) + list(source.streams.audio[:1])
            path = os.path.join(folder, "motion.mp4")
            # A path, not a buffer: ``faststart`` moves the index up front in a second pass.
            with av.open(path, mode="w", format="mp4", options={"movflags": "faststart"}) as out:
                streams = {stream.index: out.add_stream_from_template(stream) for stream in copied}
                for packet in source.demux(copied):
                    if packet.dts is None:  # the demuxer's flush packet
                        continue
                    packet.stream = streams[packet.stream.index]
                    out.mux(packet)
            with open(path, "rb") as handle:
                return handle.read()
    except (av.FFmpegError, OSError, ValueError, UnicodeError, EOFError):
        return None


class _Item(NamedTuple):
    semantic: str
    length: int
    padding: int


class _Declaration(NamedTuple):
    micro_video_offset: int | None
    items: list[_Item]


def _motion_photo_video(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\xff\xd8"):
        return None
    image_end = containers.payload_end(data, "JPEG")
    if image_end >= len(data):
        return None
    declared = _xmp_declaration(_jpeg_xmp(data))
    sef = _samsung_trailer(data, image_end)
    # Where the clip (and any item after it) must end: the file's end, or Samsung's
    # directory, whose entries account for the rest.
    tail_start = sef.directory if sef is not None else len(data)
    candidates: list[tuple[int, int | None]] = []
    if sef is not None and sef.video is not None:
        candidates.append(sef.video)
    if declared is not None:
        if declared.micro_video_offset is not None:
            candidates.append((len(data) - declared.micro_video_offset, None))
        candidates.extend(_container_candidates(declared.items, len(data), tail_start))
    for start, end in candidates:
        found = _checked_clip(data, start, end, image_end=image_end, tail_start=tail_start)
        if found is None:
            continue
        gap = (image_end, found[0])
        if gap[0] == gap[1] or _gap_declared(gap, declared, sef):
            return found
    return None


def _container_candidates(
    items: list[_Item], file_end: int, tail_start: int
) -> Iterator[tuple[int, int | None]]:
    """Where a ``Container:Directory``'s ``MotionPhoto`` item (the last item: the clip ends
    the file) lies, counted back from the end by its ``Item:Length``: up to Samsung's
    directory if there is one (then also with the directory inside the length, as some
    writers count it)."""
    if not items or items[-1].semantic != "MotionPhoto" or items[-1].length <= 0:
        return
    length = items[-1].length
    yield tail_start - length, tail_start
    if tail_start != file_end:
        yield file_end - length, None


def _checked_clip(
    data: bytes, start: int, end: int | None, *, image_end: int, tail_start: int
) -> tuple[int, int] | None:
    """``(start, end)`` if an MP4 starts at ``start``, after the image, and its boxes end
    exactly where the declared tail starts (the file's end, or Samsung's directory), which
    is ``end`` too when the declaration gives one; else ``None``."""
    if not image_end <= start < len(data) or data[start + 4 : start + 8] != b"ftyp":
        return None
    if end is not None and end != tail_start:
        return None
    walked = _mp4_end(data, start, tail_start)
    if walked != tail_start:
        return None
    return start, walked


def _mp4_end(data: bytes, start: int, limit: int) -> int | None:
    """Where the MP4's top-level boxes from ``start`` end, walking no further than ``limit``:
    an ``ftyp`` first, a ``moov`` among them, each box whole; ``None`` if they do not."""
    pos, boxes, seen_moov = start, 0, False
    while pos < limit:
        boxes += 1
        if boxes > _MAX_MP4_BOXES or pos + 8 > limit:
            return None
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if not _MP4_BOX_TYPE.fullmatch(kind) or (pos == start and kind != b"ftyp"):
            return None
        if size == 1:  # a 64-bit size follows the type
            if pos + 16 > limit:
                return None
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
            if size < 16:
                return None
        elif size == 0:  # the box runs to the end of the file: here, of the clip
            size = limit - pos
        elif size < 8:
            return None
        if pos + size > limit:
            return None
        seen_moov = seen_moov or kind == b"moov"
        pos += size
    return pos if seen_moov and pos > start else None


def _jpeg_xmp(data: bytes) -> bytes | None:
    """The first XMP packet of a JPEG (an APP1 segment), before its first scan."""
    for segment in containers.jpeg_segments(data):
        if segment.marker == containers.JPEG_SOS:
            return None
        if segment.marker == 0xE1:
            payload = data[segment.payload]
            if payload.startswith(_XMP_HEADER):
                return payload[len(_XMP_HEADER) :][:MAX_XMP_BYTES]
    return None


def _xmp_declaration(xmp: bytes | None) -> _Declaration | None:
    """What the XMP declares about an embedded clip, or ``None`` if nothing (or unreadable).

    A document type declaration is refused before parsing: it is the only place entities can
    be declared, so no expansion is possible; so is any encoding but an ASCII-compatible one
    (where that check could be dodged). The size is capped (``MAX_XMP_BYTES``).
    """
    if not xmp or len(xmp) > MAX_XMP_BYTES:
        return None
    xmp = xmp.strip(b"\x00 \t\r\n")
    # A NUL inside means UTF-16 or UTF-32, where the declarations below would not be seen.
    if b"\x00" in xmp or b"<!DOCTYPE" in xmp or b"<!ENTITY" in xmp:
        return None
    try:
        root = ElementTree.fromstring(xmp)  # noqa: S314 (no DTD, checked above)
    except ElementTree.ParseError:
        return None
    properties: dict[str, str] = {}
    items: list[_Item] = []
    for element in root.iter():
        properties.update(element.attrib)
        if len(element) == 0 and element.text and element.tag.startswith(_CAMERA_NS):
            properties.setdefault(element.tag, element.text.strip())
        if element.tag == f"{_CONTAINER_NS}Item" and len(items) < _MAX_CONTAINER_ITEMS:
            items.append(
                _Item(
                    semantic=element.get(f"{_ITEM_NS}Semantic", ""),
                    length=_non_negative(element.get(f"{_ITEM_NS}Length")) or 0,
                    padding=_non_negative(element.get(f"{_ITEM_NS}Padding")) or 0,
                )
            )
    offset = None
    if properties.get(f"{_CAMERA_NS}MicroVideo", "").strip() == "1":
        offset = _non_negative(properties.get(f"{_CAMERA_NS}MicroVideoOffset"))
    if offset is None and not any(item.semantic == "MotionPhoto" for item in items):
        return None
    return _Declaration(micro_video_offset=offset, items=items)


def _non_negative(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    # A length in a file of at most an upload's size: 18 digits is far past any.
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


class _Sef(NamedTuple):
    """Samsung's trailer: where its directory starts, and the clip it names, if any."""

    directory: int
    video: tuple[int, int] | None


def _samsung_trailer(data: bytes, image_end: int) -> _Sef | None:
    """Samsung's SEF trailer at the very end of the file, if it is whole and its records
    tile the bytes from the image's end to the directory exactly; else ``None``.

    Layout: records (2 zero bytes, a 2-byte type, a 4-byte name length, the name, the data),
    then ``SEFH``, a version, a count, and per record its type (4 bytes), its distance back
    from ``SEFH`` and its length (4 bytes each, little-endian), then the directory's size and
    ``SEFT``.
    """
    if len(data) < image_end + 24 or data[-4:] != _SEF_TAIL:
        return None
    size = int.from_bytes(data[-8:-4], "little")
    directory = len(data) - 8 - size
    if directory < image_end or data[directory : directory + 4] != _SEF_HEAD:
        return None
    count = int.from_bytes(data[directory + 8 : directory + 12], "little")
    if count == 0 or count > _MAX_SEF_ENTRIES or directory + 12 + 12 * count > len(data) - 8:
        return None
    records = []
    for index in range(count):
        at = directory + 12 + 12 * index
        back = int.from_bytes(data[at + 4 : at + 8], "little")
        length = int.from_bytes(data[at + 8 : at + 12], "little")
        start = directory - back
        if start < image_end or length < 8 or start + length > directory:
            return None
        records.append((start, start + length))
    records.sort()
    # Every byte between the image and the directory belongs to exactly one record.
    position = image_end
    for start, end in records:
        if start != position:
            return None
        position = end
    if position != directory:
        return None
    video = None
    for start, end in records:
        name_length = int.from_bytes(data[start + 4 : start + 8], "little")
        name_end = start + 8 + name_length
        if data[start + 8 : name_end] == _SAMSUNG_VIDEO_NAME and name_end < end:
            video = (name_end, end)
    return _Sef(directory=directory, video=video)


def _gap_declared(gap: tuple[int, int], declared: _Declaration | None, sef: _Sef | None) -> bool:
    """Whether the bytes between the image and the clip are declared: the primary item's
    ``Item:Padding``, or Samsung's records (which tile them, ``_samsung_trailer``)."""
    if sef is not None and sef.video is not None and sef.video[0] == gap[1]:
        return True
    if declared is not None and declared.items:
        primary = declared.items[0]
        return primary.semantic == "Primary" and primary.padding == gap[1] - gap[0]
    return False
