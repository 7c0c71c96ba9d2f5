"""Tiny real video clips made with PyAV for the tests: 64x48 (AV1 64x64), 10 fps, about 1 s.

Each clip is made once per test session (``clip``) and is a few kilobytes; encoding all of
them takes well under a second. The frames are not uniform: a red band on the left of the
coded picture shows where its left edge went after a rotation, and the green channel rises
frame by frame so no two frames are alike.
"""

import contextlib
import functools
import io
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from fractions import Fraction

import av
from PIL import Image

__all__ = ["CLIPS", "clip", "mp4_top_level_boxes", "playback_streams"]

# SVT-AV1 reports its whole configuration on stderr at every encoder start; errors only.
os.environ.setdefault("SVT_LOG", "1")


@contextlib.contextmanager
def scheduling_kept() -> Iterator[None]:
    """Puts the calling thread's scheduling policy back after the block.

    SVT-AV1 (PyAV's only AV1 encoder), started by root, switches the thread that opens it to
    the real-time policy SCHED_FIFO at priority 99. Everything that thread starts afterwards
    inherits it: a test process's Playwright driver and Chromium then spin at real-time
    priority and starve every other process of the CPU, the test's own timeout thread
    included. That is how a CI run stalled at 99 % until its 90 minutes ran out.
    ``tests/conftest.py`` fails any test that leaves the policy changed.
    """
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    try:
        yield
    finally:
        if (os.sched_getscheduler(0), os.sched_getparam(0)) != (policy, param):
            os.sched_setscheduler(0, policy, param)


SIZE = (64, 48)


def _frame(index: int, size: tuple[int, int], *, black: bool = False) -> Image.Image:
    width, height = size
    if black:
        return Image.new("RGB", size, (0, 0, 0))
    picture = Image.new("RGB", size, (40, min(255, 60 + index * 15), 160))
    picture.paste((230, 30, 30), (0, 0, width // 4, height))
    return picture


def _encode(
    *,
    container: str,
    codec: str,
    audio: str | None = None,
    size: tuple[int, int] = SIZE,
    frames: int = 10,
    fps: int = 10,
    rotation: int | None = None,
    times_ms: list[int] | None = None,
    black_frames: int = 0,
    gop: int | None = None,
    metadata: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    pix_fmt: str = "yuv420p",
) -> bytes:
    """One clip's bytes. ``times_ms``: each frame's time (a variable frame rate)."""
    # A file, not a buffer: faststart reopens the output by its name to move the index first.
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"clip.{container}")
        with scheduling_kept():
            _write(
                path,
                container=container,
                codec=codec,
                audio=audio,
                size=size,
                frames=frames,
                fps=fps,
                rotation=rotation,
                times_ms=times_ms,
                black_frames=black_frames,
                gop=gop,
                metadata=metadata,
                options=options,
                pix_fmt=pix_fmt,
            )
        with open(path, "rb") as written:
            return written.read()


def _write(
    path: str,
    *,
    container: str,
    codec: str,
    audio: str | None,
    size: tuple[int, int],
    frames: int,
    fps: int,
    rotation: int | None,
    times_ms: list[int] | None,
    black_frames: int,
    gop: int | None,
    metadata: dict[str, str] | None,
    options: dict[str, str] | None,
    pix_fmt: str,
) -> None:
    with av.open(path, "w", format=container, options=options or {}) as out:
        quiet = {"x265-params": "log-level=none"} if codec == "libx265" else {}
        stream = out.add_stream(codec, rate=fps, options=quiet)
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt
        if gop is not None:
            stream.codec_context.gop_size = gop
        if times_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for key, value in (metadata or {}).items():
            out.metadata[key] = value
        sound = out.add_stream(audio, rate=48000, layout="stereo") if audio else None
        count = len(times_ms) if times_ms is not None else frames
        for index in range(count):
            frame = av.VideoFrame.from_image(_frame(index, size, black=index < black_frames))
            if times_ms is not None:
                frame.pts, frame.time_base = times_ms[index], Fraction(1, 1000)
            else:
                frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if sound is not None:
            context = sound.codec_context
            samples = context.frame_size or 960
            for start in range(0, 48000, samples):
                chunk = av.AudioFrame(format=context.format.name, layout="stereo", samples=samples)
                for plane in chunk.planes:
                    plane.update(bytes(plane.buffer_size))
                chunk.sample_rate, chunk.pts = 48000, start
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))


_TAGS = {"title": "secret title", "location": "+48.8584+002.2945/", "comment": "private"}
_FASTSTART = {"movflags": "+faststart"}

CLIPS: dict[str, Callable[[], bytes]] = {
    "h264_aac.mp4": lambda: _encode(
        container="mp4",
        codec="libx264",
        audio="aac",
        metadata={**_TAGS, "creation_time": "2023-05-01T10:00:00.000000Z"},
        options=_FASTSTART,
    ),
    "h264.mp4": lambda: _encode(container="mp4", codec="libx264", options=_FASTSTART),
    "h264.mov": lambda: _encode(container="mov", codec="libx264", audio="aac"),
    "hevc.mov": lambda: _encode(
        container="mov",
        codec="libx265",
        audio="aac",
        metadata={
            **_TAGS,
            "com.apple.quicktime.creationdate": "2023-05-01T12:34:56+0200",
            "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 15",
        },
        options={"movflags": "+use_metadata_tags"},
    ),
    "hevc.mp4": lambda: _encode(container="mp4", codec="libx265"),
    "vp9_opus.webm": lambda: _encode(
        container="webm", codec="libvpx-vp9", audio="libopus", metadata=_TAGS
    ),
    "vp9.webm": lambda: _encode(container="webm", codec="libvpx-vp9"),
    "av1.webm": lambda: _encode(container="webm", codec="libsvtav1", size=(64, 64)),
    "rotated.mp4": lambda: _encode(container="mp4", codec="libx264", rotation=90),
    "rotated_hevc.mov": lambda: _encode(container="mov", codec="libx265", rotation=-90),
    "vfr.mp4": lambda: _encode(
        container="mp4",
        codec="libx264",
        audio="aac",
        times_ms=[0, 40, 80, 200, 240, 500, 520, 700, 900, 1000],
    ),
    "black_start.mp4": lambda: _encode(
        container="mp4", codec="libx264", frames=20, black_frames=8, gop=4
    ),
    # Two frames ten hours apart: a container that truthfully claims ten hours, for 2 kB.
    "ten_hours.mp4": lambda: _encode(
        container="mp4", codec="libx264", times_ms=[0, 10 * 3600 * 1000]
    ),
    "mjpeg.mov": lambda: _encode(container="mov", codec="mjpeg", pix_fmt="yuvj420p"),
    "big_fps.mp4": lambda: _encode(container="mp4", codec="libx264", fps=120, frames=12),
}


@functools.cache
def clip(name: str) -> bytes:
    """A clip's bytes, made once per session."""
    return CLIPS[name]()


def mp4_top_level_boxes(data: bytes) -> list[str]:
    """The types of an MP4's top-level boxes, in order."""
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        pos += size
    return boxes


def playback_streams(data: bytes) -> dict[str, object]:
    """What a playback file holds: codecs, size, every tag, and the first frame's rotation."""
    with av.open(io.BytesIO(data)) as media:
        video = media.streams.video[0]
        frame = next(media.decode(video))
        return {
            "format": media.format.name,
            "video": video.codec_context.codec.canonical_name,
            "audio": [s.codec_context.codec.canonical_name for s in media.streams.audio],
            "size": (video.codec_context.width, video.codec_context.height),
            "rotation": frame.rotation,
            "container_tags": dict(media.metadata),
            "stream_tags": [dict(s.metadata) for s in media.streams],
            "frames": video.frames,
        }
