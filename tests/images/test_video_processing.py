"""imaging.video on real clips made with PyAV: sniffing, probing within limits, the poster and
the playback file (remux or transcode, no metadata, faststart)."""

import io
import random
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from imaging import video, video_playback
from imaging.processing import ImageRejected
from tests.factories import image_bytes
from tests.videos import clip, mp4_top_level_boxes, playback_streams


def _probe(name: str, limits: video.VideoLimits = video.DEFAULT_LIMITS) -> video.VideoInfo:
    fp = io.BytesIO(clip(name))
    container = video.video_sniff(fp)
    assert container is not None
    return video.video_probe(fp, container=container, limits=limits)


def _refusal(name: str, limits: video.VideoLimits = video.DEFAULT_LIMITS) -> str:
    with pytest.raises(ImageRejected) as caught:
        _probe(name, limits)
    return caught.value.code


def _playback(name: str, tmp_path: Path) -> tuple[video_playback.PlaybackResult, bytes]:
    source = tmp_path / f"source-{name}"
    source.write_bytes(clip(name))
    target = tmp_path / "playback.mp4"
    info = video.video_probe(str(source), container=video.video_sniff(io.BytesIO(clip(name))) or "")
    result = video_playback.video_playback(str(source), str(target), info=info)
    return result, target.read_bytes()


class TestSniff:
    @pytest.mark.parametrize(
        ("name", "container"),
        [("h264_aac.mp4", "MP4"), ("hevc.mov", "MOV"), ("vp9.webm", "WEBM"), ("av1.webm", "WEBM")],
    )
    def test_container_from_the_bytes(self, name, container):
        assert video.video_sniff(io.BytesIO(clip(name))) == container

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
    def test_photos_are_not_videos(self, fmt):
        assert video.video_sniff(io.BytesIO(image_bytes(fmt))) is None

    def test_a_heif_still_is_not_a_video(self):
        heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64)
        assert video.video_sniff(io.BytesIO(heic)) is None

    def test_matroska_that_is_not_webm_is_refused(self):
        webm = bytearray(clip("vp9.webm"))
        position = webm.index(b"webm")
        webm[position : position + 4] = b"mkvx"
        with pytest.raises(ImageRejected) as caught:
            video.video_sniff(io.BytesIO(bytes(webm)))
        assert caught.value.code == "unsupported_container"


class TestProbe:
    @pytest.mark.parametrize(
        ("name", "codec", "audio"),
        [
            ("h264_aac.mp4", "h264", "aac"),
            ("h264.mp4", "h264", None),
            ("hevc.mov", "hevc", "aac"),
            ("vp9_opus.webm", "vp9", "opus"),
            ("av1.webm", "av1", None),
        ],
    )
    def test_codecs_size_and_duration(self, name, codec, audio):
        info = _probe(name)
        assert (info.video_codec, info.audio_codec) == (codec, audio)
        assert (info.width, info.height) == ((64, 64) if codec == "av1" else (64, 48))
        assert info.duration == pytest.approx(1.0, abs=0.05)
        assert info.fps == pytest.approx(10.0)

    @pytest.mark.parametrize(("name", "rotation"), [("rotated.mp4", 90), ("rotated_hevc.mov", 270)])
    def test_rotation_gives_upright_dimensions(self, name, rotation):
        info = _probe(name)
        assert info.rotation == rotation
        assert (info.coded_width, info.coded_height) == (64, 48)
        assert (info.width, info.height) == (48, 64)

    def test_variable_frame_rate(self):
        info = _probe("vfr.mp4")
        assert info.duration == pytest.approx(1.0, abs=0.05)
        assert 5 < info.fps < 30

    def test_taken_at_from_creation_time_is_utc_with_no_local_offset(self):
        info = _probe("h264_aac.mp4")
        assert (
            info.taken_at is not None and info.taken_at.isoformat() == "2023-05-01T10:00:00+00:00"
        )
        assert info.taken_at_offset_known is False

    def test_taken_at_from_apples_creation_date_keeps_its_offset(self):
        info = _probe("hevc.mov")
        assert (
            info.taken_at is not None and info.taken_at.isoformat() == "2023-05-01T12:34:56+02:00"
        )
        assert info.taken_at_offset_known is True
        assert (info.metadata["camera_make"], info.metadata["camera_model"]) == (
            "Apple",
            "iPhone 15",
        )

    @pytest.mark.parametrize("name", ["h264_aac.mp4", "hevc.mov", "vp9_opus.webm"])
    def test_where_it_was_filmed_from_iso_6709(self, name):
        metadata = _probe(name).metadata
        assert (metadata["latitude"], metadata["longitude"]) == (48.8584, 2.2945)
        assert set(metadata) >= {"camera_make", "lens", "iso", "altitude"}

    def test_no_place_is_none(self):
        metadata = _probe("h264.mp4").metadata
        assert metadata["latitude"] is metadata["longitude"] is metadata["camera_make"] is None

    def test_ten_hours_claimed_is_refused_before_decoding(self):
        assert _refusal("ten_hours.mp4") == "video_too_long"

    def test_forged_headers_claiming_ten_hours_are_not_believed(self):
        # The movie, track and media headers say ten hours; the sample table (what is
        # decoded and played) says one second, and is what FFmpeg and the limit go by.
        data = bytearray(clip("h264.mp4"))
        for box, timescale_at, duration_at in ((b"mvhd", 12, 16), (b"mdhd", 12, 16)):
            start = data.index(box) + 4
            assert data[start] == 0  # version 0: 32-bit times
            timescale = struct.unpack(">I", data[start + timescale_at : start + duration_at])[0]
            data[start + duration_at : start + duration_at + 4] = struct.pack(
                ">I", timescale * 10 * 3600
            )
        info = video.video_probe(io.BytesIO(bytes(data)), container="MP4")
        assert info.duration == pytest.approx(1.0, abs=0.05)

    @pytest.mark.parametrize(
        ("limits", "code"),
        [
            (video.VideoLimits(max_seconds=0.5), "video_too_long"),
            (video.VideoLimits(max_pixels=64 * 47), "video_too_large"),
            (video.VideoLimits(max_edge=63), "video_too_large"),
            (video.VideoLimits(max_fps=9), "video_frame_rate"),
            (video.VideoLimits(max_streams=1), "video_too_many_streams"),
        ],
    )
    def test_each_limit_has_its_code(self, limits, code):
        assert _refusal("h264_aac.mp4", limits) == code

    def test_unsupported_codec(self):
        assert _refusal("mjpeg.mov") == "unsupported_codec"

    def test_truncated_file_is_refused(self):
        data = clip("h264_aac.mp4")  # faststart: the index first, the media after it
        with pytest.raises(ImageRejected) as caught:
            video.video_probe(io.BytesIO(data[: len(data) - 200]), container="MP4")
        assert caught.value.code == "truncated"

    def test_truncated_index_at_the_end_is_refused(self):
        data = clip("h264.mov")  # the index last: cut, it is gone
        with pytest.raises(ImageRejected) as caught:
            video.video_probe(io.BytesIO(data[: len(data) // 2]), container="MOV")
        assert caught.value.code in ("truncated", "unreadable_video")

    def test_truncated_webm_is_refused(self):
        data = clip("vp9.webm")
        with pytest.raises(ImageRejected) as caught:
            video.video_probe(io.BytesIO(data[: len(data) - 100]), container="WEBM")
        assert caught.value.code == "truncated"

    def test_no_video_stream(self, tmp_path):
        import av

        path = tmp_path / "sound.mp4"
        with av.open(str(path), "w") as out:
            sound = out.add_stream("aac", rate=48000, layout="stereo")
            frame = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts = 48000, 0
            out.mux(sound.encode(frame))
            out.mux(sound.encode(None))
        with pytest.raises(ImageRejected) as caught:
            video.video_probe(str(path), container="MP4")
        assert caught.value.code == "no_video_stream"

    def test_garbage_after_an_ftyp_is_unreadable(self):
        data = b"\0\0\0\x18ftypisom\0\0\0\0isomavc1" + b"\0\0\0\x10junkjunkjunk"
        with pytest.raises(ImageRejected) as caught:
            video.video_probe(io.BytesIO(data), container="MP4")
        assert caught.value.code in ("unreadable_video", "no_video_stream")


class TestPoster:
    def test_poster_is_upright_rgb(self):
        info = _probe("rotated.mp4")
        poster = video.video_poster(io.BytesIO(clip("rotated.mp4")), info=info)
        assert poster.mode == "RGB" and poster.size == (48, 64)
        # The red band on the coded picture's left edge, turned 90° counter-clockwise, runs
        # along the bottom.
        bottom = poster.crop((0, 56, 48, 64))
        top = poster.crop((0, 0, 48, 8))
        assert ImageStat.Stat(bottom).mean[0] > 150 > ImageStat.Stat(top).mean[0]

    def test_poster_skips_a_black_start(self):
        info = _probe("black_start.mp4")
        poster = video.video_poster(io.BytesIO(clip("black_start.mp4")), info=info)
        assert ImageStat.Stat(poster.convert("L")).mean[0] > 40

    @pytest.mark.parametrize("name", ["hevc.mov", "vp9_opus.webm", "av1.webm", "vfr.mp4"])
    def test_poster_of_each_codec(self, name):
        info = _probe(name)
        poster = video.video_poster(io.BytesIO(clip(name)), info=info)
        assert isinstance(poster, Image.Image) and poster.size == (info.width, info.height)


class TestPlayback:
    @pytest.mark.parametrize("name", ["h264_aac.mp4", "h264.mp4", "h264.mov", "vfr.mp4"])
    def test_h264_aac_within_the_caps_is_remuxed(self, name, tmp_path):
        result, data = _playback(name, tmp_path)
        assert result.remuxed
        streams = playback_streams(data)
        assert streams["video"] == "h264"

    @pytest.mark.parametrize(
        ("name", "audio"),
        [
            ("hevc.mov", ["aac"]),
            ("vp9_opus.webm", ["aac"]),
            ("av1.webm", []),
            ("big_fps.mp4", []),
        ],
    )
    def test_other_codecs_are_transcoded_to_h264_aac(self, name, audio, tmp_path):
        result, data = _playback(name, tmp_path)
        assert not result.remuxed
        streams = playback_streams(data)
        assert (streams["video"], streams["audio"]) == ("h264", audio)
        assert streams["format"].startswith("mov,mp4")

    @pytest.mark.parametrize("name", ["h264_aac.mp4", "hevc.mov", "vp9_opus.webm"])
    def test_playback_keeps_no_metadata_and_starts_with_its_index(self, name, tmp_path):
        _, data = _playback(name, tmp_path)
        boxes = mp4_top_level_boxes(data)
        assert boxes.index("moov") < boxes.index("mdat")
        streams = playback_streams(data)
        tags = {
            **streams["container_tags"],
            **{k: v for tags in streams["stream_tags"] for k, v in tags.items()},
        }
        assert not {"title", "location", "comment", "creation_time", "encoder"} & set(tags)
        for secret in (b"secret title", b"+48.8584", b"private", b"iPhone", b"Lavf"):
            assert secret not in data

    @pytest.mark.parametrize("name", ["rotated.mp4", "rotated_hevc.mov"])
    def test_rotation_is_kept_as_the_display_matrix(self, name, tmp_path):
        info = _probe(name)
        _, data = _playback(name, tmp_path)
        assert playback_streams(data)["rotation"] % 360 == info.rotation

    def test_large_video_is_scaled_into_1080p(self, tmp_path):
        info = video.VideoInfo(
            format="MP4",
            width=3840,
            height=2160,
            coded_width=3840,
            coded_height=2160,
            rotation=0,
            duration=1,
            fps=30,
            video_codec="h264",
            pixel_format="yuv420p",
            audio_codec=None,
            bit_rate=1000,
            stream_count=1,
        )
        assert video_playback.playback_needs_transcode(info)
        portrait = video.VideoInfo(**{**info.__dict__, "coded_width": 1080, "coded_height": 1920})
        assert not video_playback.playback_needs_transcode(portrait)
        assert video_playback._fit(info, video_playback.DEFAULT_PLAYBACK) == (1920, 1080)

    def test_high_bitrate_h264_is_transcoded(self):
        info = _probe("h264.mp4")
        fat = video.VideoInfo(**{**info.__dict__, "bit_rate": 50_000_000})
        assert not video_playback.playback_needs_transcode(info)
        assert video_playback.playback_needs_transcode(fat)

    def test_a_stream_longer_than_its_limit_is_stopped(self, tmp_path):
        source = tmp_path / "vfr.mp4"
        source.write_bytes(clip("black_start.mp4"))  # 2 s
        info = video.video_probe(str(source), container="MP4")
        with pytest.raises(ImageRejected) as caught:
            video_playback.video_playback(
                str(source),
                str(tmp_path / "out.mp4"),
                info=info,
                settings=video_playback.PlaybackSettings(max_bitrate=1),  # forces a transcode
                max_seconds=0.2,
            )
        assert caught.value.code == "video_too_long"


class TestHostileBytes:
    def test_damaged_clips_are_refused_or_rendered_never_an_unexpected_error(self, tmp_path):
        """Bytes changed and files cut at random: every outcome is a render or an
        ``ImageRejected``, through the probe, the poster and the playback file. (A longer
        walk of this found the poster's seek back between its passes refused by FFmpeg on a
        damaged file, a 500; each pass now opens the file afresh.)"""
        rng = random.Random(21)
        names = ["h264_aac.mp4", "hevc.mov", "vp9_opus.webm", "av1.webm", "rotated.mp4"]
        for round_ in range(60):
            data = bytearray(clip(names[round_ % len(names)]))
            for _ in range(rng.choice([1, 4, 32])):
                data[rng.randrange(len(data))] = rng.randrange(256)
            if rng.random() < 0.2:
                data = data[: rng.randrange(len(data))]
            source = tmp_path / f"damaged-{round_}"
            source.write_bytes(bytes(data))
            try:
                container = video.video_sniff(io.BytesIO(bytes(data)))
                if container is None:
                    continue
                info = video.video_probe(str(source), container=container)
                video.video_poster(str(source), info=info)
                video_playback.video_playback(
                    str(source), str(tmp_path / f"out-{round_}.mp4"), info=info
                )
            except ImageRejected:
                continue
