"""imaging/containers/ alone: each walker reads back what a file is built of, refuses what
no encoder writes at exactly its limit, and raises only ContainerError on mutated bytes."""

import contextlib
import gc
import io
import itertools
import random
import struct
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imaging import containers
from imaging.containers import ContainerError, ContainerTooComplex
from tests.strategies import mutated


def encode(image: Image.Image, fmt: str, **save_kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def noise(size: tuple[int, int] = (48, 32), mode: str = "RGB", seed: int = 1) -> Image.Image:
    raw = random.Random(seed).randbytes(size[0] * size[1] * len(mode))
    return Image.frombytes(mode, size, raw)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)


def webp(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


GIF_HEADER = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0)  # no global colour table
GIF_FRAME = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"

# Real files of every kind the walkers meet.
SEEDS = {
    "JPEG": encode(noise(), "JPEG"),
    "JPEG-progressive": encode(noise(), "JPEG", progressive=True),
    "JPEG-restarts": encode(noise(), "JPEG", restart_marker_blocks=2),
    "MPO": encode(noise(), "MPO", save_all=True, append_images=[noise(seed=2)]),
    "PNG": encode(noise(mode="RGBA"), "PNG"),
    "APNG": encode(noise(), "PNG", save_all=True, append_images=[noise(seed=2)]),
    "GIF": encode(noise().convert("P"), "GIF", save_all=True, append_images=[noise(seed=2)]),
    "WEBP": encode(noise(), "WEBP"),
    "WEBP-animated": encode(noise(), "WEBP", save_all=True, append_images=[noise(seed=2)]),
}
FORMATS = {"JPEG-progressive": "JPEG", "JPEG-restarts": "JPEG", "MPO": "JPEG", "APNG": "PNG"}
FORMATS |= {"WEBP-animated": "WEBP"}


def format_of(name: str) -> str:
    return FORMATS.get(name, name)


class TestRealFiles:
    @pytest.mark.parametrize("name", sorted(SEEDS))
    def test_real_file_walks_to_its_end(self, name):
        data = SEEDS[name]
        assert containers.container_format(data) == format_of(name)
        assert containers.payload_end(data, format_of(name)) == len(data)
        assert containers.payload_end(data + b"<html>", format_of(name)) == len(data)

    def test_progressive_jpeg_counts_its_scans(self):
        assert containers.jpeg_walk(SEEDS["JPEG"])[1] == 1
        # libjpeg's script for colour: 10 scans, a tenth of the limit.
        assert containers.jpeg_walk(SEEDS["JPEG-progressive"])[1] == 10
        grey = encode(noise(mode="L"), "JPEG", progressive=True)
        assert containers.jpeg_walk(grey)[1] == 6

    def test_large_photo_is_far_below_every_limit(self):
        data = encode(noise((1600, 1200)), "JPEG", progressive=True, quality=95)
        segments = list(containers.jpeg_segments(data))
        assert len(segments) < containers.MAX_JPEG_SEGMENTS // 100
        png = encode(noise((1600, 1200)), "PNG")
        assert len(list(containers.png_chunks(png))) < 100


class TestJpegLimits:
    def _with_scans(self, count: int) -> bytes:
        data = SEEDS["JPEG-progressive"]
        last = data[data.rindex(b"\xff\xda") : -2]
        return data[:-2] + last * (count - 10) + data[-2:]

    def test_scans_up_to_the_limit_are_walked(self):
        data = self._with_scans(containers.MAX_JPEG_SCANS)
        assert containers.jpeg_walk(data) == (len(data), containers.MAX_JPEG_SCANS)

    def test_scans_are_bounded_by_the_pixels_they_pass_over(self):
        sof = SEEDS["JPEG-progressive"].index(b"\xff\xc2")

        def claimed(data: bytes, width: int, height: int) -> bytes:
            size = height.to_bytes(2, "big") + width.to_bytes(2, "big")
            return data[: sof + 5] + size + data[sof + 9 :]

        # 30 scans at the 50-megapixel limit are walked; 31 are too many; 100 are fine at
        # 15 megapixels.
        at_budget = claimed(self._with_scans(30), 7071, 7071)
        assert containers.jpeg_walk(at_budget)[1] == 30
        with pytest.raises(ContainerTooComplex) as raised:
            containers.jpeg_walk(claimed(self._with_scans(31), 7071, 7071))
        assert raised.value.code == "too_many_scans"
        assert containers.jpeg_walk(claimed(self._with_scans(100), 5000, 3000))[1] == 100

    def test_one_scan_more_is_too_many(self):
        with pytest.raises(ContainerTooComplex) as raised:
            containers.jpeg_walk(self._with_scans(containers.MAX_JPEG_SCANS + 1))
        assert raised.value.code == "too_many_scans"

    def _with_segments(self, count: int) -> bytes:
        data = SEEDS["JPEG"]
        own = len(list(containers.jpeg_segments(data)))
        return data[:2] + jpeg_segment(0xE5, b"") * (count - own) + data[2:]

    def test_segments_up_to_the_limit_are_walked(self):
        data = self._with_segments(containers.MAX_JPEG_SEGMENTS)
        assert len(list(containers.jpeg_segments(data))) == containers.MAX_JPEG_SEGMENTS

    def test_one_segment_more_is_too_many(self):
        with pytest.raises(ContainerTooComplex) as raised:
            list(containers.jpeg_segments(self._with_segments(containers.MAX_JPEG_SEGMENTS + 1)))
        assert raised.value.code == "too_many_blocks"

    def test_standalone_markers_count(self):
        data = SEEDS["JPEG"]
        flood = data[:2] + b"\xff\x01" * containers.MAX_JPEG_SEGMENTS + data[2:]
        with pytest.raises(ContainerTooComplex):
            containers.payload_end(flood, "JPEG")

    def test_pictures_of_a_multi_picture_jpeg_share_one_budget(self):
        data = SEEDS["MPO"]
        first_end = containers.jpeg_walk(data)[0]
        first, second = data[:first_end], data[first_end:]
        own = len(list(containers.jpeg_segments(first))) + len(
            list(containers.jpeg_segments(second))
        )
        room = containers.MAX_JPEG_SEGMENTS - own

        def grown(count: int) -> bytes:
            # Grown after the second picture's SOI: the index's offsets still hold.
            return first + second[:2] + jpeg_segment(0xE5, b"") * count + second[2:]

        assert containers.payload_end(grown(room), "JPEG") == len(grown(room))
        with pytest.raises(ContainerTooComplex):
            containers.payload_end(grown(room + 1), "JPEG")


class TestPngLimits:
    def _with_chunks(self, kind: bytes, count: int) -> bytes:
        data = SEEDS["PNG"]
        idat = data.index(b"IDAT") - 4
        return data[:idat] + png_chunk(kind, b"") * count + data[idat:]

    def test_chunks_besides_image_data_up_to_their_limit(self):
        own = len(list(containers.png_chunks(SEEDS["PNG"]))) - 1  # its IDAT
        data = self._with_chunks(b"prVt", containers.MAX_PNG_CHUNKS_OTHER - own)
        assert containers.payload_end(data, "PNG") == len(data)
        one_more = self._with_chunks(b"prVt", containers.MAX_PNG_CHUNKS_OTHER - own + 1)
        with pytest.raises(ContainerTooComplex) as raised:
            containers.payload_end(one_more, "PNG")
        assert raised.value.code == "too_many_blocks"

    def test_image_data_chunks_up_to_the_limit(self):
        own = len(list(containers.png_chunks(SEEDS["PNG"])))
        data = self._with_chunks(b"IDAT", containers.MAX_PNG_CHUNKS - own)
        assert containers.payload_end(data, "PNG") == len(data)
        with pytest.raises(ContainerTooComplex):
            containers.payload_end(
                self._with_chunks(b"IDAT", containers.MAX_PNG_CHUNKS - own + 1), "PNG"
            )


class TestGifLimits:
    def test_blocks_up_to_the_limit(self):
        comments = b"\x21\xfe\x00" * (containers.MAX_GIF_BLOCKS - 1)
        data = GIF_HEADER + comments + GIF_FRAME + b";"
        assert containers.payload_end(data, "GIF") == len(data)
        with pytest.raises(ContainerTooComplex):
            containers.payload_end(GIF_HEADER + b"\x21\xfe\x00" + data[13:], "GIF")

    def test_sub_blocks_filled_as_encoders_fill_them_are_walked(self):
        lzw = random.Random(3).randbytes(1_000_000)
        chained = b"".join(
            bytes((len(lzw[i : i + 255]),)) + lzw[i : i + 255] for i in range(0, len(lzw), 255)
        )
        data = GIF_HEADER + GIF_FRAME[:-4] + chained + b"\x00;"
        assert containers.payload_end(data, "GIF") == len(data)

    def test_sub_blocks_up_to_the_limit(self):
        def frame(sub_blocks: int) -> bytes:
            # 1-byte sub-blocks, then the terminator: valid, and the most walk per byte.
            chained = b"\x01\x44" * (sub_blocks - 1)
            return GIF_HEADER + GIF_FRAME[:-4] + chained + b"\x00;"

        at_limit = frame(containers.MAX_GIF_SUB_BLOCKS)
        assert containers.payload_end(at_limit, "GIF") == len(at_limit)
        with pytest.raises(ContainerTooComplex) as raised:
            containers.payload_end(frame(containers.MAX_GIF_SUB_BLOCKS + 1), "GIF")
        assert raised.value.code == "too_many_blocks"


class TestWebpLimits:
    def test_chunks_counted_inside_animation_frames(self):
        chunks = containers.webp_chunks(SEEDS["WEBP-animated"])
        frames = [chunk for chunk in chunks if chunk.fourcc == b"ANMF"]
        assert len(frames) == 2 and all(frame.frame for frame in frames)
        assert {inner.fourcc for frame in frames for inner in frame.frame} <= {
            b"ALPH",
            b"VP8 ",
            b"VP8L",
        }

    def test_chunks_up_to_the_limit(self):
        image = SEEDS["WEBP"][12:]
        data = webp(image + riff_chunk(b"ABCD", b"") * (containers.MAX_WEBP_CHUNKS - 1))
        assert containers.payload_end(data, "WEBP") == len(data)
        one_more = webp(image + riff_chunk(b"ABCD", b"") * containers.MAX_WEBP_CHUNKS)
        with pytest.raises(ContainerTooComplex):
            containers.payload_end(one_more, "WEBP")

    def test_unknown_chunks_inside_frames_count_too(self):
        frame = (
            struct.pack("<6x")
            + b"\x00" * 10
            + riff_chunk(b"ABCD", b"") * containers.MAX_WEBP_CHUNKS
        )
        with pytest.raises(ContainerTooComplex):
            containers.webp_chunks(webp(riff_chunk(b"ANMF", frame)))


class TestSpeed:
    BOMBS = {
        "jpeg": ("JPEG", lambda: b"\xff\xd8" + b"\xff\xe5\x00\x02" * 5_000_000 + b"\xff\xd9"),
        "png": ("PNG", lambda: containers.PNG_SIGNATURE + png_chunk(b"prVt", b"") * 2_000_000),
        "gif-blocks": ("GIF", lambda: GIF_HEADER + b"\x21\xfe\x00" * 8_000_000 + b";"),
        "gif-sub-blocks": (
            "GIF",
            lambda: GIF_HEADER + GIF_FRAME[:-4] + b"\x01\x44" * 12_000_000 + b"\x00;",
        ),
        "webp": ("WEBP", lambda: webp(riff_chunk(b"ABCD", b"") * 3_000_000)),
    }

    @pytest.mark.parametrize("bomb", sorted(BOMBS))
    def test_a_file_of_the_upload_limit_in_empty_pieces_is_refused_quickly(self, bomb):
        image_format, build = self.BOMBS[bomb]
        data = build()
        assert len(data) > 20_000_000
        gc.collect()  # a collection of the whole heap is not the parser's time
        started = time.thread_time()
        with pytest.raises(ContainerTooComplex):
            containers.payload_end(data, image_format)
        assert time.thread_time() - started < 0.5


# Fuzzing: structures built from drawn pieces read back as those pieces, and mutated real
# files only ever raise ContainerError (never IndexError, never a hang).

_bodies = st.binary(max_size=40)


@st.composite
def built_pngs(draw) -> tuple[bytes, list[bytes]]:
    kinds = draw(
        st.lists(
            st.sampled_from([b"tEXt", b"prVt", b"IDAT", b"gAMA", b"fcTL", b"zzzz"]), max_size=20
        )
    )
    chunks = [png_chunk(b"IHDR", draw(_bodies))]
    chunks += [png_chunk(kind, draw(_bodies)) for kind in kinds]
    chunks.append(png_chunk(b"IEND", b""))
    return containers.PNG_SIGNATURE + b"".join(chunks), chunks


@st.composite
def built_jpegs(draw) -> tuple[bytes, list[tuple[int, bytes, bytes]]]:
    """(file, [(marker, payload, entropy-coded data)]): APPn, COM, tables and scans."""
    segments = []
    for _ in range(draw(st.integers(0, 12))):
        marker = draw(st.sampled_from([0xE0, 0xE1, 0xE2, 0xED, 0xFE, 0xDB, 0xC4, 0xDA]))
        payload = draw(_bodies)
        scan = b""
        if marker == 0xDA:
            # Entropy-coded data: any bytes, an 0xFF stuffed with a zero, restart markers.
            stuffed = st.binary(max_size=60).map(lambda raw: raw.replace(b"\xff", b"\xff\x00"))
            scan = draw(stuffed)
            for restart in draw(st.lists(st.integers(0xD0, 0xD7), max_size=3)):
                scan += b"\xff" + bytes((restart,)) + draw(stuffed)
        segments.append((marker, payload, scan))
    data = b"\xff\xd8"
    after_scan = False
    for marker, payload, scan in segments:
        # Fill bytes before a marker (after a scan they would be read as part of its data).
        fill = b"" if after_scan else b"\xff" * draw(st.integers(0, 2))
        data += fill + jpeg_segment(marker, payload) + scan
        after_scan = marker == 0xDA
    return data + b"\xff\xd9", segments


@st.composite
def built_gifs(draw) -> tuple[bytes, list[bytes]]:
    blocks = []
    for _ in range(draw(st.integers(0, 10))):
        chain = b"".join(
            bytes((len(part),)) + part
            for part in draw(st.lists(st.binary(min_size=1, max_size=255), max_size=3))
        )
        kind = draw(st.sampled_from(["comment", "plain", "control", "image"]))
        if kind == "image":
            blocks.append(GIF_FRAME[:-4] + chain + b"\x00")
        else:
            label = {"comment": 0xFE, "plain": 0x01, "control": 0xF9}[kind]
            blocks.append(b"\x21" + bytes((label,)) + chain + b"\x00")
    return GIF_HEADER + b"".join(blocks) + b";", blocks


@st.composite
def built_webps(draw) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    chunks = draw(
        st.lists(
            st.tuples(st.sampled_from([b"VP8X", b"VP8L", b"EXIF", b"XMP ", b"ABCD"]), _bodies),
            min_size=1,
            max_size=10,
        )
    )
    return webp(b"".join(riff_chunk(f, p) for f, p in chunks)), chunks


@st.composite
def mutated_seeds(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    return format_of(name), draw(mutated(SEEDS[name]))


class TestFuzzedWalks:
    @settings(max_examples=150, deadline=2000, derandomize=True)
    @given(built_pngs())
    def test_png_chunks_read_back_as_built(self, case):
        data, chunks = case
        assert [data[c.start : c.end] for c in containers.png_chunks(data)] == chunks

    @settings(max_examples=150, deadline=2000, derandomize=True)
    @given(built_jpegs())
    def test_jpeg_segments_read_back_as_built(self, case):
        data, segments = case
        walked = list(containers.jpeg_segments(data))
        assert walked[-1].marker == 0xD9 and walked[-1].end == len(data)
        assert [
            (s.marker, data[s.payload], data[s.header_end : s.end]) for s in walked[:-1]
        ] == segments

    @settings(max_examples=150, deadline=2000, derandomize=True)
    @given(built_gifs())
    def test_gif_blocks_read_back_as_built(self, case):
        data, blocks = case
        walked = list(containers.gif_blocks(data))
        assert walked[-1].kind == containers.GIF_TRAILER and walked[-1].end == len(data)
        assert [data[b.start : b.end] for b in walked[:-1]] == blocks

    @settings(max_examples=150, deadline=2000, derandomize=True)
    @given(built_webps())
    def test_webp_chunks_read_back_as_built(self, case):
        data, chunks = case
        walked = containers.webp_chunks(data)
        assert [(c.fourcc, data[c.start : c.end]) for c in walked] == chunks

    @settings(
        max_examples=400,
        deadline=2000,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(mutated_seeds())
    def test_mutated_files_walk_in_bounds_or_raise_container_error(self, case):
        image_format, data = case
        try:
            end = containers.payload_end(data, image_format)
        except ContainerError:
            return
        assert 0 < end <= len(data)
        if image_format == "PNG":
            pieces = [(c.start, c.end) for c in containers.png_chunks(data)]
        elif image_format == "GIF":
            pieces = [(b.start, b.end) for b in containers.gif_blocks(data)]
        elif image_format == "JPEG":
            pieces = [(s.start, s.end) for s in containers.jpeg_segments(data)]
        else:
            pieces = [(c.start, c.end) for c in containers.webp_chunks(data)]
        # Pieces follow one another, inside the file, up to the end the walk gave.
        for (_, end_before), (start, end_after) in itertools.pairwise(pieces):
            assert end_before <= start <= end_after <= len(data)
        assert pieces[-1][1] <= end

    @settings(max_examples=150, deadline=2000, derandomize=True)
    @given(st.binary(max_size=300), st.sampled_from(["JPEG", "PNG", "GIF", "WEBP"]))
    def test_random_bytes_raise_only_container_error(self, data, image_format):
        with contextlib.suppress(ContainerError):
            assert containers.payload_end(data, image_format) <= len(data)
