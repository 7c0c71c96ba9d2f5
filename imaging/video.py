"""Videos with PyAV, free of Django and HTTP: sniff, probe within limits, poster, playback.

A phone's clips arrive as MP4 or MOV (H.264 or HEVC) and WebM (VP9 or AV1). The container is
named from its first bytes (``video_sniff``: an ``ftyp`` box or an EBML header), never from
a file name. ``video_probe`` then reads what the container says (streams, codecs, size,
frame rate, duration) and refuses anything over the limits before a single frame is decoded;
only then is one frame decoded, which proves the stream decodes and carries the display
rotation. The poster (``video_poster``) is a representative frame, not a black fade-in, for
the stills every image has; the playback file (``video_playback``) is what a browser plays:
H.264 and AAC in an MP4 with its index first, at most 1080p and bitrate-capped, with none of
the original's metadata. An original that already is one is remuxed (streams copied), not
encoded again.

Input is always a path or a seekable file object: a video is never read whole into memory.
Every way bad input fails comes out as ``ImageRejected`` (``imaging.processing``).
"""

import io
import os
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

import av
import av.error
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image, ImageStat

from imaging.processing import ImageRejected

__all__ = [
    "DEFAULT_LIMITS",
    "VIDEO_FORMATS",
    "VideoInfo",
    "VideoLimits",
    "video_open",
    "video_poster",
    "video_probe",
    "video_sniff",
    "video_stream_main",
]

VIDEO_FORMATS = ("MP4", "MOV", "WEBM")
# Codecs accepted, by FFmpeg's codec name (not its decoder's: AV1 decodes with libdav1d).
VIDEO_CODECS = frozenset({"h264", "hevc", "vp9", "av1"})
AUDIO_CODECS = frozenset(
    {"aac", "opus", "vorbis", "mp3", "alac", "flac", "pcm_s16le", "pcm_s16be", "pcm_s24le"}
)
# Major brands of HEIF/AVIF still images (and image sequences): an ftyp box that is a photo.
_PHOTO_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2", b"msf1"}
    | {b"avif", b"avis", b"avio"}
)
# QuickTime files from before ftyp boxes begin with one of these.
_QUICKTIME_FIRST_BOXES = frozenset({b"moov", b"mdat", b"wide"})
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
# How much of a probe FFmpeg may read and analyse before it must answer.
_PROBE_OPTIONS = {"probesize": str(8 * 1024 * 1024), "analyzeduration": str(5_000_000)}
# Packets read, at most, looking for the first decodable frame of the video stream.
_FIRST_FRAME_PACKETS = 600


@dataclass(frozen=True)
class VideoLimits:
    """What a video may be at most; each is refused with its own ``code``."""

    max_seconds: float = 600.0
    max_pixels: int = 7680 * 4320
    max_edge: int = 8192
    max_fps: float = 240.0
    max_streams: int = 8


DEFAULT_LIMITS = VideoLimits()


@dataclass(frozen=True)
class VideoInfo:
    """What a probe found: the container's claims, checked against the limits.

    ``width``/``height`` are upright (the display rotation applied); ``coded_width`` and
    ``coded_height`` are the stream's own. ``rotation`` is counter-clockwise degrees, as
    FFmpeg's display matrix says (a phone held upright records -90 or 90).
    """

    format: str
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    duration: float
    fps: float
    video_codec: str
    pixel_format: str
    audio_codec: str | None
    bit_rate: int
    stream_count: int
    taken_at: datetime | None = None
    taken_at_offset_known: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)


Source = str | os.PathLike[str] | BinaryIO


# --- Sniffing ---------------------------------------------------------------------------------


def video_sniff(fp: BinaryIO) -> str | None:
    """``MP4``, ``MOV`` or ``WEBM`` from the first bytes, else None (not a video container).

    A HEIF/AVIF still (an ftyp box too) is not a video. A Matroska file that is not WebM is
    refused (``unsupported_container``): it could hold anything.
    """
    fp.seek(0)
    head = fp.read(4096)
    fp.seek(0)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _PHOTO_BRANDS:
            return None
        return "MOV" if brand == b"qt  " else "MP4"
    if len(head) >= 8 and head[4:8] in _QUICKTIME_FIRST_BOXES:
        return "MOV"
    if head.startswith(_EBML_MAGIC):
        doctype = _ebml_doctype(head)
        if doctype == "webm":
            return "WEBM"
        raise ImageRejected(
            "unsupported_container",
            "Only WebM files of the Matroska family are accepted (this one is "
            f"{doctype or 'unnamed'}).",
        )
    return None


def _ebml_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: its value and its length in bytes."""
    if pos >= len(data):
        raise ValueError("past the end")
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if first == 0 or pos + length > len(data):
        raise ValueError("bad vint")
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, length


def _ebml_doctype(head: bytes) -> str | None:
    """The DocType of the EBML header at the start of ``head``."""
    try:
        _, id_len = _ebml_vint(head, 0, keep_marker=True)
        size, size_len = _ebml_vint(head, id_len, keep_marker=False)
        pos, end = id_len + size_len, min(len(head), id_len + size_len + size)
        while pos < end:
            element, id_len = _ebml_vint(head, pos, keep_marker=True)
            size, size_len = _ebml_vint(head, pos + id_len, keep_marker=False)
            pos += id_len + size_len
            if element == 0x4282:
                return head[pos : pos + size].rstrip(b"\0").decode("ascii", "replace")
            pos += size
    except ValueError:
        return None
    return None


# --- Structure: a file cut short is refused before FFmpeg reads it -----------------------------


def _structure_check(fp: BinaryIO, container: str) -> None:
    """Refuses a file whose top-level boxes (MP4/MOV) or Segment (WebM) end past its end.

    A phone's upload cut short keeps its header and claims its full length; FFmpeg would
    play what is there and stop, so the cut is found here, from the sizes alone.
    """
    fp.seek(0, io.SEEK_END)
    size = fp.tell()
    truncated = (
        _boxes_truncated(fp, size) if container in ("MP4", "MOV") else _segment_truncated(fp, size)
    )
    fp.seek(0)
    if truncated:
        raise ImageRejected("truncated", "The video file is cut short (truncated).")


def _boxes_truncated(fp: BinaryIO, size: int) -> bool:
    pos, boxes = 0, 0
    while pos < size:
        boxes += 1
        if boxes > 10_000:
            raise ImageRejected("unreadable_video", "The video's container is not readable.")
        fp.seek(pos)
        header = fp.read(16)
        if len(header) < 8:
            return True
        box_size = struct.unpack(">I", header[:4])[0]
        if box_size == 1:
            if len(header) < 16:
                return True
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:  # runs to the end of the file
            return False
        if box_size < 8:
            raise ImageRejected("unreadable_video", "The video's container is not readable.")
        if pos + box_size > size:
            return True
        pos += box_size
    return False


def _segment_truncated(fp: BinaryIO, size: int) -> bool:
    fp.seek(0)
    head = fp.read(4096)
    try:
        _, id_len = _ebml_vint(head, 0, keep_marker=True)
        header_size, size_len = _ebml_vint(head, id_len, keep_marker=False)
        pos = id_len + size_len + header_size
        segment_id, id_len = _ebml_vint(head, pos, keep_marker=True)
        segment_size, size_len = _ebml_vint(head, pos + id_len, keep_marker=False)
    except ValueError:
        return True
    if segment_id != 0x18538067:
        raise ImageRejected("unreadable_video", "The video's container is not readable.")
    if segment_size == (1 << (7 * size_len)) - 1:  # "unknown" size: a live recording
        return False
    return pos + id_len + size_len + segment_size > size


# --- Probing ----------------------------------------------------------------------------------


@contextmanager
def video_open(source: Source) -> Iterator[InputContainer]:
    """The container open for reading; FFmpeg's refusals become ``ImageRejected``."""
    if not isinstance(source, (str, os.PathLike)):
        source.seek(0)
    try:
        container = av.open(source, "r", options=_PROBE_OPTIONS)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise ImageRejected("unreadable_video", "The video file is not readable.") from exc
    try:
        yield container
    finally:
        container.close()


def _binary(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True  # closed by the caller
    return source, False


def video_probe(
    source: Source, *, container: str, limits: VideoLimits = DEFAULT_LIMITS
) -> VideoInfo:
    """What the video is, refused with its own ``code`` if over a limit or not playable.

    ``container`` is ``video_sniff``'s answer. The limits are checked against what the
    container says before anything is decoded; then the first frame of the video stream is
    decoded (proving it decodes, and reading its display rotation).
    """
    fp, opened = _binary(source)
    try:
        _structure_check(fp, container)
    finally:
        if opened:
            fp.close()
    with video_open(source) as media:
        streams = list(media.streams)
        if len(streams) > limits.max_streams:
            raise ImageRejected(
                "video_too_many_streams",
                f"The video has {len(streams)} streams; at most {limits.max_streams} are accepted.",
            )
        video = video_stream_main(media)
        codec = _codec_name(video)
        if codec not in VIDEO_CODECS:
            raise ImageRejected(
                "unsupported_codec",
                f"Videos in {codec or 'an unknown codec'} are not accepted "
                "(H.264, HEVC, VP9 or AV1 are).",
            )
        audio_codec = None
        if media.streams.audio:
            audio_codec = _codec_name(media.streams.audio[0])
            if audio_codec not in AUDIO_CODECS:
                raise ImageRejected(
                    "unsupported_codec",
                    f"Sound in {audio_codec or 'an unknown codec'} is not accepted.",
                )
        width, height = video.codec_context.width, video.codec_context.height
        if width <= 0 or height <= 0:
            raise ImageRejected("unreadable_video", "The video's size is not readable.")
        if max(width, height) > limits.max_edge or width * height > limits.max_pixels:
            raise ImageRejected(
                "video_too_large",
                f"The video is {width} × {height} pixels; at most {limits.max_pixels:,} "
                f"pixels and {limits.max_edge} on a side are accepted.",
            )
        fps = float(video.average_rate or video.guessed_rate or 0)
        if fps > limits.max_fps:
            raise ImageRejected(
                "video_frame_rate",
                f"The video runs at {fps:.0f} frames a second; at most {limits.max_fps:.0f} "
                "are accepted.",
            )
        duration = _duration(media)
        if duration is None:
            raise ImageRejected("video_duration_unknown", "The video does not say how long it is.")
        if duration > limits.max_seconds:
            raise ImageRejected(
                "video_too_long",
                f"The video is {duration:,.0f} seconds long; at most "
                f"{limits.max_seconds:,.0f} are accepted.",
            )
        pixel_format = video.codec_context.pix_fmt or ""
        metadata = {key.lower(): value for key, value in media.metadata.items()}
        bit_rate = int(media.bit_rate or 0)
        first = _first_frame(media, video)
    rotation = _rotation(first, video)
    upright = (height, width) if rotation % 180 else (width, height)
    taken_at, offset_known = _taken_at(metadata)
    return VideoInfo(
        format=container,
        width=upright[0],
        height=upright[1],
        coded_width=width,
        coded_height=height,
        rotation=rotation,
        duration=round(duration, 3),
        fps=round(fps, 3),
        video_codec=codec,
        pixel_format=pixel_format,
        audio_codec=audio_codec,
        bit_rate=bit_rate,
        stream_count=len(streams),
        taken_at=taken_at,
        taken_at_offset_known=offset_known,
        metadata=_camera(metadata),
    )


def _codec_name(stream: Any) -> str:
    try:
        return str(stream.codec_context.codec.canonical_name)
    except (AttributeError, av.error.FFmpegError):
        return ""


def video_stream_main(media: InputContainer) -> VideoStream:
    # A cover picture (an MP4's artwork) is a "video" stream of one frame: not the video.
    candidates = [s for s in media.streams.video if not (s.disposition & 0x0400)]
    if not candidates:
        raise ImageRejected("no_video_stream", "The file has no video in it.")
    return candidates[0]


def _duration(media: InputContainer) -> float | None:
    """The longest of what the container and each stream claim, in seconds."""
    claims = []
    if media.duration is not None and media.duration > 0:
        claims.append(media.duration / av.time_base)
    for stream in media.streams:
        if stream.duration is not None and stream.duration > 0 and stream.time_base:
            claims.append(float(stream.duration * stream.time_base))
    return max(claims) if claims else None


def _first_frame(media: InputContainer, video: VideoStream) -> VideoFrame:
    """The video stream's first decodable frame, reading a bounded number of packets."""
    try:
        for count, packet in enumerate(media.demux(video)):
            if count > _FIRST_FRAME_PACKETS:
                break
            for frame in packet.decode():
                if isinstance(frame, VideoFrame):
                    return frame
        for frame in video.decode(None):
            return frame
    except (av.error.FFmpegError, ValueError, EOFError) as exc:
        raise ImageRejected("unreadable_video", "The video stream does not decode.") from exc
    raise ImageRejected("unreadable_video", "The video stream has no frame that decodes.")


def _rotation(frame: VideoFrame, video: VideoStream) -> int:
    """Counter-clockwise degrees to turn the coded picture to show it (a multiple of 90)."""
    degrees = frame.rotation
    if not degrees:
        # Files written before the display matrix moved to side data carry a ``rotate`` tag
        # (clockwise degrees).
        try:
            degrees = -int(float(video.metadata.get("rotate", "0")))
        except ValueError:
            degrees = 0
    return round(degrees / 90.0) * 90 % 360


def _parse_time(text: str) -> tuple[datetime | None, bool]:
    """An ISO 8601 time (``2023-05-01T12:34:56+0200``, ``...Z``); whether its offset is real."""
    text = text.strip()
    if not text:
        return None, False
    candidate = text.replace("Z", "+00:00")
    # Apple writes +0200; Python wants +02:00.
    if len(candidate) > 5 and candidate[-5] in "+-" and candidate[-4:].isdigit():
        candidate = f"{candidate[:-2]}:{candidate[-2:]}"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None, False
    if parsed.year < 1971:  # an unset MP4 time (1904) or epoch: not a date at all
        return None, False
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), False
    return parsed, True


def _taken_at(metadata: dict[str, str]) -> tuple[datetime | None, bool]:
    """When it was filmed: Apple's local creation date with its offset, else ``creation_time``.

    ``creation_time`` is UTC by the MP4 standard (the offset is known: zero), though some
    cameras write local time there; Apple's tag says the wall clock and its offset.
    """
    apple, _ = _parse_time(metadata.get("com.apple.quicktime.creationdate", ""))
    if apple is not None:
        return apple, apple.utcoffset() is not None
    created, _ = _parse_time(metadata.get("creation_time", ""))
    if created is not None:
        return created, False
    return None, False


def _camera(metadata: dict[str, str]) -> dict[str, Any]:
    """A photo's metadata keys (``imaging.exif.PhotoMetadata``), from what a phone's container
    says: the camera (Apple's and Android's tags) and where it was (ISO 6709); the rest None."""

    def text(*keys: str) -> str | None:
        for key in keys:
            value = metadata.get(key, "").strip()
            if value:
                return value[:200]
        return None

    latitude, longitude, altitude = _iso6709(
        text("com.apple.quicktime.location.iso6709", "location", "location-eng") or ""
    )
    return {
        "camera_make": text("com.apple.quicktime.make", "make", "com.android.manufacturer"),
        "camera_model": text("com.apple.quicktime.model", "model", "com.android.model"),
        "lens": None,
        "exposure_time": None,
        "exposure_time_display": None,
        "f_number": None,
        "iso": None,
        "focal_length": None,
        "latitude": latitude,
        "longitude": longitude,
        "altitude": altitude,
    }


# ``+48.8584+002.2945+035.000/``: latitude, longitude, and an altitude in metres if given.
_ISO6709 = re.compile(r"^([+-]\d{1,2}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


def _iso6709(text: str) -> tuple[float | None, float | None, float | None]:
    """A point in ISO 6709's decimal-degrees form; all None where it is not one."""
    match = _ISO6709.match(text.strip())
    if match is None:
        return None, None, None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None, None
    altitude = float(match.group(3)) if match.group(3) else None
    if altitude is not None and not -20_000 <= altitude <= 100_000:
        altitude = None
    return round(latitude, 6), round(longitude, 6), altitude


# --- The poster -------------------------------------------------------------------------------

# A frame whose mean luma is below this (0-255), or whose spread is below _FLAT_SPREAD, is a
# fade-in, a lens cap or a blank title: not the video's face.
_DARK_MEAN = 24.0
_FLAT_SPREAD = 6.0
# How far into the video the poster is looked for, and how many frames are weighed at most.
POSTER_SCAN_SECONDS = 6.0
POSTER_MAX_CANDIDATES = 8


def video_poster(source: Source, *, info: VideoInfo) -> Image.Image:
    """A representative frame, upright, 8-bit RGB: the first of a few spread over the first
    seconds that is neither near-black nor flat (else the most varied of them).

    Only keyframes are decoded first (cheap: they need no others); a video with too few of
    them in its first seconds is then decoded frame by frame, weighing one frame every half
    second. Either way at most ``POSTER_MAX_CANDIDATES`` frames are weighed.
    """
    best: tuple[float, VideoFrame] | None = None
    for keyframes_only in (True, False):
        # Each pass reads from the start of a fresh open: a seek back is not always possible.
        with video_open(source) as media:
            video = video_stream_main(media)
            chosen, best = _poster_scan(media, video, keyframes_only=keyframes_only, best=best)
            if chosen is not None:
                return _upright_image(chosen, info.rotation)
    if best is None:
        raise ImageRejected("unreadable_video", "The video stream has no frame that decodes.")
    return _upright_image(best[1], info.rotation)


def _poster_scan(
    media: InputContainer,
    video: VideoStream,
    *,
    keyframes_only: bool,
    best: tuple[float, VideoFrame] | None,
) -> tuple[VideoFrame | None, tuple[float, VideoFrame] | None]:
    """The first good frame of one pass (or None), and the most varied frame seen so far."""
    context = video.codec_context
    context.skip_frame = "NONKEY" if keyframes_only else "DEFAULT"
    weighed = 0
    next_time = 0.0
    try:
        for packet in media.demux(video):
            for frame in packet.decode():
                if not isinstance(frame, VideoFrame):
                    continue
                moment = float(frame.time or 0.0)
                if moment > POSTER_SCAN_SECONDS or weighed >= POSTER_MAX_CANDIDATES:
                    return None, best
                if not keyframes_only and moment < next_time:
                    continue
                next_time = moment + 0.5
                weighed += 1
                mean, spread = _luma(frame)
                if mean >= _DARK_MEAN and spread >= _FLAT_SPREAD:
                    return frame, best
                if best is None or spread + mean / 8 > best[0]:
                    best = (spread + mean / 8, frame)
    except (av.error.FFmpegError, ValueError, EOFError):
        pass  # a damaged tail: weigh what decoded
    finally:
        context.skip_frame = "DEFAULT"
    return None, best


def _luma(frame: VideoFrame) -> tuple[float, float]:
    """Mean and standard deviation of the frame's brightness, on a small copy."""
    scale = 64 / max(frame.width, frame.height)
    small = frame.reformat(
        width=max(2, round(frame.width * scale)),
        height=max(2, round(frame.height * scale)),
        format="gray",
    )
    stat = ImageStat.Stat(small.to_image())
    return stat.mean[0], stat.stddev[0]


def _upright_image(frame: VideoFrame, rotation: int) -> Image.Image:
    image = frame.to_image()  # 8-bit RGB (swscale converts 10-bit and every YUV layout)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if rotation:
        image = image.rotate(rotation, expand=True)
    return image
