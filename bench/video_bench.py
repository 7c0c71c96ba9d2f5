"""Video transcode speed: ``imaging.video_playback`` against a bare PyAV encode loop.

The issue's figure is "our transcode / the ``ffmpeg`` CLI on the same clip and settings (the
same FFmpeg through PyAV)". There is no ``ffmpeg`` command here, and a distribution's would be
another FFmpeg build with other encoders, so the reference is the least Python that drives
the very same FFmpeg libraries: demux, decode, scale, encode with libx264 and AAC at the
same settings (crf, preset, maxrate/bufsize, profile, size), mux to an MP4 with faststart;
what ``ffmpeg -i in -c:v libx264 -crf 23 -preset veryfast -maxrate 8M -bufsize 16M
-vf scale=... -c:a aac -b:a 128k -movflags +faststart out.mp4`` does. What the app adds on
top while it transcodes (the frame checks, the length bound, the metadata it drops) is what
the figure measures; the probe before it (limits, one frame) is the render job's, not timed.
The figure is the bare loop's time over ours: its speed relative to the reference (target
≥ 0.9).

The clip: HEVC (libx265) with AAC sound in a MOV, as a phone writes it, moving shapes over a
gradient; 1280×720 at 30 fps for 4 s (``--smoke``: 64×48, 10 fps, 1 s).

Run: ``python -m bench.video_bench [--smoke]``.
"""

import array
import math
import os
from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.video.frame import VideoFrame
from PIL import Image, ImageDraw

from bench.common import (
    Figure,
    arguments,
    figures_table,
    figures_write,
    interleave,
    machine_line,
    workdir,
)
from bench.common import timed as timed_run
from imaging import video, video_playback

TARGET = 0.9


def clip_make(path: Path, *, size: tuple[int, int], fps: int, seconds: float) -> None:
    """A phone-like clip: HEVC and AAC in a MOV, something moving in every frame."""
    width, height = size
    frames = round(fps * seconds)
    background = Image.linear_gradient("L").resize(size).convert("RGB")
    with av.open(str(path), "w", format="mov") as out:
        stream = out.add_stream("libx265", rate=fps, options={"x265-params": "log-level=none"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("aac", rate=48000, layout="stereo")
        for index in range(frames):
            picture = background.copy()
            draw = ImageDraw.Draw(picture)
            x = (index * width // max(frames, 1)) % width
            radius = max(2, height // 6)
            draw.ellipse(
                (x, height // 3, x + radius * 2, height // 3 + radius * 2), fill=(220, 60, 40)
            )
            draw.rectangle((width - x - radius, 0, width - x, height // 4), fill=(40, 160, 220))
            frame = VideoFrame.from_image(picture)
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        context = sound.codec_context
        samples = context.frame_size or 1024
        for start in range(0, round(48000 * seconds), samples):
            chunk = AudioFrame(format=context.format.name, layout="stereo", samples=samples)
            tone = array.array(
                "f", (0.2 * math.sin((start + i) / 20) for i in range(samples))
            ).tobytes()
            for plane in chunk.planes:
                plane.update(tone[: plane.buffer_size])
            chunk.sample_rate, chunk.pts = 48000, start
            out.mux(sound.encode(chunk))
        out.mux(sound.encode(None))


def bare_transcode(
    source: Path, target: Path, *, size: tuple[int, int], settings: video_playback.PlaybackSettings
) -> None:
    """The reference: FFmpeg's own work through PyAV, nothing else."""
    with (
        av.open(str(source)) as media,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        vin = media.streams.video[0]
        vin.thread_type = "AUTO"
        ain = media.streams.audio[0]
        vout = out.add_stream(
            "libx264",
            rate=Fraction(vin.average_rate or 30).limit_denominator(1001),
            options={
                "crf": str(settings.crf),
                "preset": settings.preset,
                "maxrate": str(settings.max_bitrate),
                "bufsize": str(settings.buffer_bits),
                "profile": "high",
            },
        )
        vout.width, vout.height, vout.pix_fmt = size[0], size[1], "yuv420p"
        vout.codec_context.time_base = vin.time_base
        aout = out.add_stream("aac", rate=48000, layout="stereo")
        aout.bit_rate = settings.audio_bitrate
        resampler = AudioResampler(format="fltp", layout="stereo", rate=48000, frame_size=1024)
        for packet in media.demux(vin, ain):
            for frame in packet.decode():
                if isinstance(frame, VideoFrame):
                    scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p")
                    scaled.pts, scaled.time_base = frame.pts, vin.time_base
                    out.mux(vout.encode(scaled))
                elif isinstance(frame, AudioFrame):
                    frame.pts = None
                    for chunk in resampler.resample(frame):
                        out.mux(aout.encode(chunk))
        out.mux(vout.encode(None))
        for chunk in resampler.resample(None):
            out.mux(aout.encode(chunk))
        out.mux(aout.encode(None))


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    size, fps, seconds = ((64, 48), 10, 1.0) if args.smoke else ((1280, 720), 30, 4.0)
    runs = 2 if args.smoke else 5
    settings = video_playback.DEFAULT_PLAYBACK
    with workdir(args.workdir) as work:
        source = work / "inputs" / f"video-{size[0]}x{size[1]}-{fps}fps.mov"
        source.parent.mkdir(parents=True, exist_ok=True)
        if not source.exists():
            clip_make(source, size=size, fps=fps, seconds=seconds)
        print(machine_line())
        print(f"input: {source.name} ({source.stat().st_size:,} B), HEVC + AAC, {seconds:g} s")
        ours_out, bare_out = work / "ours.mp4", work / "bare.mp4"

        # Probed once, as the render job does before it makes the poster and the playback.
        info = video.video_probe(str(source), container="MOV")

        def ours() -> None:
            result = video_playback.video_playback(
                str(source), str(ours_out), info=info, settings=settings
            )
            assert not result.remuxed

        def bare() -> None:
            bare_transcode(source, bare_out, size=size, settings=settings)

        # A = the bare loop, B = ours: the ratio is our speed relative to the reference.
        comparison = interleave(timed_run(bare), timed_run(ours), runs=runs)
        figures = [
            Figure(
                name="video transcode speed / bare PyAV loop (same FFmpeg, same settings), "
                f"{size[0]}×{size[1]} HEVC→H.264",
                value=comparison.ratio,
                target=f"≥ {TARGET:g}",
                met=None if args.smoke else comparison.ratio >= TARGET,
                detail=comparison.detail()
                + f"; outputs {os.path.getsize(ours_out):,} B vs {os.path.getsize(bare_out):,} B",
            )
        ]
        print(figures_table(figures, "video: transcode speed"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
