"""The web-playable version of a video: H.264 and AAC in an MP4, written with PyAV.

What a browser plays everywhere: H.264 (8-bit 4:2:0, High profile) and AAC in an MP4 whose
index comes first (``faststart``, so playback starts before the whole file has arrived), at
most 1080p and bitrate-capped (a constant quality, ``crf``, under a ``maxrate`` with its
buffer), with none of the original's metadata (no place, no date, no camera, no encoder
tag). An original that already is one, within the caps, is remuxed (its streams copied:
cheap), still without its metadata and with its index first. The display rotation is kept as
a matrix the browser applies. Free of Django; input from a path or a file object, never read
whole.
"""

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.container import InputContainer
from av.video.frame import VideoFrame

from imaging.processing import ImageRejected
from imaging.video import DEFAULT_LIMITS, Source, VideoInfo, video_open, video_stream_main

__all__ = [
    "DEFAULT_PLAYBACK",
    "PlaybackResult",
    "PlaybackSettings",
    "playback_needs_transcode",
    "video_playback",
]


@dataclass(frozen=True)
class PlaybackSettings:
    """The web-playable version: H.264 (crf, capped rate) and AAC, at most ``long_edge`` by
    ``short_edge``."""

    long_edge: int = 1920
    short_edge: int = 1080
    crf: int = 23
    preset: str = "veryfast"
    max_bitrate: int = 8_000_000
    buffer_bits: int = 16_000_000
    audio_bitrate: int = 128_000
    max_fps: float = 60.0


DEFAULT_PLAYBACK = PlaybackSettings()


@dataclass(frozen=True)
class PlaybackResult:
    """The playback file written: whether its streams were copied, and its coded size."""

    remuxed: bool
    width: int
    height: int


def playback_needs_transcode(
    info: VideoInfo, settings: PlaybackSettings = DEFAULT_PLAYBACK
) -> bool:
    """Whether the original must be encoded again to play in every browser within the caps.

    An MP4/MOV of 8-bit 4:2:0 H.264 and AAC (or no sound), at most ``long_edge`` by
    ``short_edge``, ``max_fps`` and ``max_bitrate`` (plus its sound), is copied instead.
    """
    long_side = max(info.coded_width, info.coded_height)
    short_side = min(info.coded_width, info.coded_height)
    return not (
        info.format in ("MP4", "MOV")
        and info.video_codec == "h264"
        and info.pixel_format in ("yuv420p", "yuvj420p")
        and info.audio_codec in (None, "aac")
        and long_side <= settings.long_edge
        and short_side <= settings.short_edge
        and info.fps <= settings.max_fps
        and 0 < info.bit_rate <= settings.max_bitrate + settings.audio_bitrate * 2
    )


def _fit(info: VideoInfo, settings: PlaybackSettings) -> tuple[int, int]:
    """The coded size scaled to fit the caps (never up), both even (4:2:0 needs it)."""
    width, height = info.coded_width, info.coded_height
    long_cap, short_cap = settings.long_edge, settings.short_edge
    if width < height:
        long_cap, short_cap = short_cap, long_cap  # a portrait coded as such
    scale = min(1.0, long_cap / width, short_cap / height)
    return max(2, math.floor(width * scale / 2) * 2), max(2, math.floor(height * scale / 2) * 2)


def video_playback(
    source: Source,
    destination: str | os.PathLike[str],
    *,
    info: VideoInfo,
    settings: PlaybackSettings = DEFAULT_PLAYBACK,
    max_seconds: float = DEFAULT_LIMITS.max_seconds,
) -> PlaybackResult:
    """Writes the web-playable MP4 to the path ``destination`` (faststart reopens it by its
    name): remuxed if it can be, else encoded.

    No metadata of the original is kept (no place, no date, no camera); the display
    rotation is, as a matrix the browser applies. The moov box goes first (``faststart``) so
    playback starts before the whole file has arrived. A stream longer than the container
    said (``max_seconds`` past) is refused as it is met, so a lying header costs no more
    than the limit.
    """
    remux = not playback_needs_transcode(info, settings)
    with (
        video_open(source) as media,
        av.open(
            destination,
            "w",
            format="mp4",
            options={"movflags": "+faststart", "fflags": "+bitexact"},
        ) as out,
    ):
        try:
            if remux:
                size = _remux(media, out, info=info, max_seconds=max_seconds)
            else:
                size = _transcode(media, out, info=info, settings=settings, max_seconds=max_seconds)
        except (av.error.FFmpegError, EOFError) as exc:
            raise ImageRejected("unreadable_video", "The video stream does not decode.") from exc
    return PlaybackResult(remuxed=remux, width=size[0], height=size[1])


def _too_long(seconds: float, max_seconds: float) -> None:
    if seconds > max_seconds + 1:
        raise ImageRejected(
            "video_too_long",
            f"The video runs longer than it says; at most {max_seconds:,.0f} seconds are accepted.",
        )


def _remux(
    media: InputContainer, out: Any, *, info: VideoInfo, max_seconds: float
) -> tuple[int, int]:
    video = video_stream_main(media)
    audio = media.streams.audio[0] if media.streams.audio else None
    outputs = {video.index: out.add_stream_from_template(video)}
    outputs[video.index].set_display_rotation(info.rotation)
    if audio is not None:
        outputs[audio.index] = out.add_stream_from_template(audio)
    for stream in outputs.values():
        stream.metadata.clear()
    inputs = [video] if audio is None else [video, audio]
    for packet in media.demux(inputs):
        if packet.dts is None:  # the flush packet demux yields at the end of each stream
            continue
        if packet.pts is not None and packet.time_base is not None:
            _too_long(float(packet.pts * packet.time_base), max_seconds)
        packet.stream = outputs[packet.stream.index]
        out.mux(packet)
    return info.coded_width, info.coded_height


def _transcode(
    media: InputContainer,
    out: Any,
    *,
    info: VideoInfo,
    settings: PlaybackSettings,
    max_seconds: float,
) -> tuple[int, int]:
    video = video_stream_main(media)
    video.thread_type = "AUTO"
    audio = media.streams.audio[0] if media.streams.audio else None
    width, height = _fit(info, settings)
    rate = Fraction(video.average_rate or 30).limit_denominator(1001)
    rate = min(rate, Fraction(settings.max_fps).limit_denominator(1001))
    video_out = out.add_stream(
        "libx264",
        rate=rate,
        options={
            "crf": str(settings.crf),
            "preset": settings.preset,
            "maxrate": str(settings.max_bitrate),
            "bufsize": str(settings.buffer_bits),
            "profile": "high",
        },
    )
    video_out.width, video_out.height = width, height
    video_out.pix_fmt = "yuv420p"
    video_out.codec_context.time_base = video.time_base
    video_out.set_display_rotation(info.rotation)
    video_out.metadata.clear()
    audio_out = None
    resampler = None
    if audio is not None:
        audio_out = out.add_stream("aac", rate=48000, layout="stereo")
        audio_out.bit_rate = settings.audio_bitrate
        audio_out.metadata.clear()
        resampler = AudioResampler(format="fltp", layout="stereo", rate=48000, frame_size=1024)
    inputs = [video] if audio is None else [video, audio]
    last_pts: int | None = None
    for packet in media.demux(inputs):
        for frame in packet.decode():
            if isinstance(frame, VideoFrame):
                if frame.pts is None or (last_pts is not None and frame.pts <= last_pts):
                    continue  # a duplicate or undated frame: x264 wants rising times
                _too_long(float(frame.time or 0.0), max_seconds)
                last_pts = frame.pts
                scaled = frame.reformat(width=width, height=height, format="yuv420p")
                scaled.pts, scaled.time_base = frame.pts, video.time_base
                out.mux(video_out.encode(scaled))
            elif isinstance(frame, AudioFrame) and audio_out is not None and resampler is not None:
                frame.pts = None  # the resampler counts samples from zero
                for chunk in resampler.resample(frame):
                    out.mux(audio_out.encode(chunk))
    out.mux(video_out.encode(None))
    if audio_out is not None and resampler is not None:
        for chunk in resampler.resample(None):
            out.mux(audio_out.encode(chunk))
        out.mux(audio_out.encode(None))
    return width, height
