"""Live Photo identifiers and motion photos' clips, read from real files (``imaging.motion``).

Every file is made here: a JPEG and a HEIC with an Apple MakerNote built byte by byte and
written by Pillow and pillow-heif, a MOV with the QuickTime content identifier written by
PyAV, and Google and Samsung motion photos (a JPEG, its XMP declaration and a tiny MP4 made by
PyAV). Hostile variants (bad offsets, undeclared bytes, MP4 magic with no declaration) must
give ``None``, and no mutation of any of them may raise.
"""

import io
import struct

import av
import pillow_heif
import pytest
from hypothesis import given, settings
from PIL import Image as PILImage

from imaging import motion
from imaging.strip import metadata_strip
from tests.live_factories import (
    LIVE_ID,
    apple_makernote,
    clip,
    container_photo,
    exif_with,
    google_xmp,
    heic,
    jpeg,
    micro_video,
    samsung,
    samsung_trailer,
)
from tests.strategies import mutated

IDENTIFIER = LIVE_ID
APPLE_PREFIX = motion.APPLE_MAKERNOTE_PREFIX


class TestLivePhotoIdFromPhoto:
    def test_reads_the_identifier_from_a_jpeg(self):
        data = jpeg(exif=exif_with(apple_makernote(IDENTIFIER.encode())))
        assert motion.live_photo_id_from_photo(data) == IDENTIFIER

    def test_reads_the_identifier_from_a_heic(self):
        data = heic(exif=exif_with(apple_makernote(IDENTIFIER.encode())))
        assert motion.live_photo_id_from_photo(data) == IDENTIFIER

    def test_reads_the_identifier_from_the_exif_pillow_heif_gives(self):
        data = heic(exif=exif_with(apple_makernote(IDENTIFIER.encode())))
        exif = pillow_heif.open_heif(io.BytesIO(data)).info["exif"]
        assert motion.live_photo_id_from_exif(exif) == IDENTIFIER
        assert motion.live_photo_id_from_photo(exif) == IDENTIFIER

    def test_reads_a_heif_exif_item_with_its_offset_in_front(self):
        tiff = exif_with(apple_makernote(IDENTIFIER.encode()))[6:]
        assert motion.live_photo_id_from_exif(bytes(4) + tiff) == IDENTIFIER

    def test_reads_a_little_endian_makernote_and_upper_cases(self):
        makernote = apple_makernote(IDENTIFIER.lower().encode(), order="<")
        assert motion.live_photo_id_from_photo(jpeg(exif=exif_with(makernote))) == IDENTIFIER

    @pytest.mark.parametrize(
        "exif",
        [
            None,  # no EXIF at all
            exif_with(b"Nikon\x00\x02\x10\x00\x00" + bytes(40)),  # another maker's note
            exif_with(APPLE_PREFIX + b"\x00\x01MM\xff\xff" + bytes(12)),  # 65,535 entries
            exif_with(apple_makernote(IDENTIFIER.encode(), count=4_000_000)),  # past the end
            exif_with(apple_makernote(b"../../etc/passwd")),  # not an identifier
            exif_with(apple_makernote(b"<script>")),
            exif_with(APPLE_PREFIX),  # cut short after the prefix
        ],
        ids=["none", "nikon", "entries", "count", "path", "markup", "short"],
    )
    def test_gives_none_without_a_readable_identifier(self, exif):
        assert motion.live_photo_id_from_photo(jpeg(exif=exif)) is None

    def test_gives_none_for_a_png_or_garbage(self):
        buffer = io.BytesIO()
        PILImage.new("RGB", (8, 8)).save(buffer, format="PNG")
        assert motion.live_photo_id_from_photo(buffer.getvalue()) is None
        assert motion.live_photo_id_from_photo(b"") is None
        assert motion.live_photo_id_from_photo(b"\x00\x00\x00\x18ftypheic" + bytes(64)) is None

    def test_an_exif_ifd_pointing_outside_the_block_gives_none(self):
        tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
        tiff += struct.pack(">HHII", 0x8769, 4, 1, 0xFFFFFFF0) + bytes(4)
        assert motion.live_photo_id_from_exif(b"Exif\x00\x00" + tiff) is None


class TestLivePhotoIdFromVideo:
    def test_reads_the_content_identifier_of_a_mov(self, tmp_path):
        path = tmp_path / "IMG_0001.MOV"
        path.write_bytes(clip("mov", IDENTIFIER))
        assert motion.live_photo_id_from_video(str(path)) == IDENTIFIER
        assert motion.live_photo_id_from_video(io.BytesIO(clip("mov", IDENTIFIER))) == IDENTIFIER

    def test_a_clip_without_the_key_gives_none(self):
        assert motion.live_photo_id_from_video(io.BytesIO(clip("mov"))) is None

    def test_a_file_that_is_no_video_gives_none(self):
        assert motion.live_photo_id_from_video(io.BytesIO(b"not a video at all")) is None
        assert motion.live_photo_id_from_video(io.BytesIO(clip("mov", IDENTIFIER)[:40])) is None


class TestMotionPhotoVideo:
    def test_finds_a_micro_video(self):
        video = clip()
        data = micro_video(video)
        found = motion.motion_photo_video(data)
        assert found == (len(data) - len(video), len(data))
        assert data[found[0] : found[1]] == video
        with av.open(io.BytesIO(data[found[0] : found[1]])) as container:
            assert container.streams.video[0].codec_context.name == "h264"

    def test_finds_a_motion_photo_container_item(self):
        video = clip()
        data = container_photo(video)
        assert motion.motion_photo_video(data) == (len(data) - len(video), len(data))

    def test_finds_a_container_item_after_the_primarys_declared_padding(self):
        video = clip()
        data = container_photo(video, padding=7)
        assert motion.motion_photo_video(data) == (len(data) - len(video), len(data))

    def test_finds_a_samsung_motion_photo_by_its_trailer(self):
        video = clip()
        data = samsung(video)
        start, end = motion.motion_photo_video(data)
        assert data[start:end] == video
        assert data[end:].startswith(b"SEFH") and data.endswith(b"SEFT")

    def test_finds_a_samsung_motion_photo_that_also_declares_google_xmp(self):
        video = clip()
        trailer = samsung_trailer(video)
        offset = len(trailer) - 24  # from the end to the clip, past Samsung's record header
        xmp = google_xmp(f'GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{offset}"')
        data = jpeg(xmp=xmp) + trailer
        start, end = motion.motion_photo_video(data)
        assert data[start:end] == video

    def test_the_kept_end_is_the_whole_file_for_a_motion_photo(self):
        video = clip()
        data = micro_video(video)
        image_end = len(data) - len(video)
        assert motion.motion_photo_kept_end(data, image_end) == len(data)

    def test_the_kept_end_is_the_image_end_for_anything_else(self):
        plain = jpeg()
        data = plain + b"PK\x03\x04 a polyglot's zip"
        assert motion.motion_photo_kept_end(data, len(plain)) == len(plain)

    def test_the_kept_end_is_the_image_end_when_the_clip_is_no_video(self):
        # Boxes that walk as an MP4 (ftyp, moov, mdat) but hold no track FFmpeg can open.
        fake = b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00" + b"\x00\x00\x00\x08moov"
        fake += b"\x00\x00\x00\x10mdat" + bytes(8)
        data = micro_video(fake)
        image_end = len(data) - len(fake)
        assert motion.motion_photo_video(data) == (image_end, len(data))
        assert motion.motion_photo_kept_end(data, image_end) == image_end

    def test_a_remuxed_clip_keeps_its_frames_and_rotation_and_drops_its_tags(self):
        source = clip("mp4", location=True)
        with av.open(io.BytesIO(source)) as container:
            assert "location" in container.metadata  # what the phone wrote

        remuxed = motion.motion_clip_remux(source)

        assert remuxed is not None and b"48.8577" not in remuxed
        assert remuxed.index(b"moov") < remuxed.index(b"mdat")  # playable while it loads
        with av.open(io.BytesIO(remuxed)) as container:
            assert "location" not in container.metadata
            frames = list(container.decode(video=0))
        assert len(frames) == 5 and frames[0].rotation == 90

    def test_a_clip_that_is_no_video_does_not_remux(self):
        assert motion.motion_clip_remux(b"\x00\x00\x00\x08ftyp" + bytes(32)) is None

    def test_a_stripped_copy_carries_no_clip(self):
        data = micro_video(clip())
        stripped = metadata_strip(data=data, image_format="JPEG")
        assert b"ftyp" not in stripped and b"MicroVideo" not in stripped

    @pytest.mark.parametrize(
        "build",
        [
            # An offset one byte off: the clip's first box is not where it says.
            lambda v: micro_video(v, offset=len(v) + 1),
            lambda v: micro_video(v, offset=len(v) - 1),
            # An offset past the start of the file, and one inside the JPEG.
            lambda v: micro_video(v, offset=10**9),
            lambda v: micro_video(v, offset=len(v) + 200),
            # A length that does not match the clip.
            lambda v: container_photo(v, length=len(v) - 8),
            lambda v: container_photo(v, length=len(v) * 50),
            # Padding declared but absent, and present but undeclared.
            lambda v: container_photo(v, padding=4)[: -len(v)] + b"xx" + v,
            lambda v: container_photo(v)[: -len(v)] + b"junk" + v,
            # A declared clip followed by an undeclared trailer (a polyglot's payload).
            lambda v: micro_video(v) + b"<html><script>alert(1)</script>",
            lambda v: samsung(v) + b"PK\x05\x06" + bytes(18),
            # The XMP declares a clip, but what is there is no MP4.
            lambda v: micro_video(b"\x00\x00\x00\x08free" + bytes(len(v) - 8)),
            lambda v: micro_video(v.replace(b"moov", b"mooz")),
            # MP4 magic after the image, with no declaration at all.
            lambda v: jpeg() + v,
            # A Samsung directory whose record points outside the trailer.
            lambda v: samsung(v)[:-12] + struct.pack("<I", 10**6) + samsung(v)[-8:],
        ],
        ids=[
            "offset+1",
            "offset-1",
            "offset-huge",
            "offset-in-jpeg",
            "length-short",
            "length-huge",
            "padding-wrong",
            "gap-undeclared",
            "html-trailer",
            "zip-after-sef",
            "no-mp4",
            "no-moov",
            "undeclared-mp4",
            "sef-bad-record",
        ],
    )
    def test_gives_none_unless_declared_and_consistent(self, build):
        assert motion.motion_photo_video(build(clip())) is None

    def test_xmp_with_a_document_type_is_refused(self):
        video = clip()
        xmp = (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            + google_xmp(f'GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{len(video)}"')
        )
        assert motion.motion_photo_video(jpeg(xmp=xmp) + video) is None

    def test_xmp_in_utf16_is_refused_unparsed(self):
        video = clip()
        declared = google_xmp(f'GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{len(video)}"')
        xmp = b'<?xml version="1.0" encoding="UTF-16"?>'.decode().encode("utf-16")
        xmp += declared.decode().encode("utf-16-le")
        assert motion.motion_photo_video(jpeg(xmp=xmp) + video) is None

    def test_xmp_nested_deep_is_read_without_recursion(self):
        depth = 60_000 // 7  # as deep as one APP1 segment can hold
        video = clip()
        xmp = google_xmp(
            f'GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{len(video)}"',
            "<a>" * depth + "</a>" * depth,
        )
        data = jpeg(xmp=xmp) + video
        assert motion.motion_photo_video(data) == (len(data) - len(video), len(data))

    def test_xmp_in_element_form_is_read(self):
        video = clip()
        body = (
            "<GCamera:MicroVideo>1</GCamera:MicroVideo>"
            f"<GCamera:MicroVideoOffset>{len(video)}</GCamera:MicroVideoOffset>"
        )
        data = jpeg(xmp=google_xmp("", body)) + video
        assert motion.motion_photo_video(data) == (len(data) - len(video), len(data))

    def test_a_file_that_is_not_a_jpeg_gives_none(self):
        assert motion.motion_photo_video(clip()) is None
        assert motion.motion_photo_video(b"") is None


SEEDS = [
    jpeg(exif=exif_with(apple_makernote(IDENTIFIER.encode()))),
    micro_video(clip()),
    container_photo(clip(), padding=3),
    samsung(clip()),
]


@settings(max_examples=300)
@given(data=mutated(SEEDS[0]) | mutated(SEEDS[1]) | mutated(SEEDS[2]) | mutated(SEEDS[3]))
def test_no_mutation_of_a_live_or_motion_photo_raises(data):
    identifier = motion.live_photo_id_from_photo(data)
    assert identifier is None or identifier == IDENTIFIER or len(identifier) <= 64
    found = motion.motion_photo_video(data)
    if found is not None:
        start, end = found
        assert 0 < start < end <= len(data) and data[start + 4 : start + 8] == b"ftyp"
    assert 0 <= motion.motion_photo_kept_end(data, min(len(data), 100)) <= len(data)


EXIF_SEED = exif_with(apple_makernote(IDENTIFIER.encode()))


@settings(max_examples=300)
@given(data=mutated(EXIF_SEED))
def test_no_mutation_of_apple_exif_raises(data):
    identifier = motion.live_photo_id_from_exif(data)
    assert identifier is None or len(identifier) <= 64


@settings(max_examples=40)
@given(data=mutated(heic(exif=EXIF_SEED)) | mutated(clip("mov", IDENTIFIER)))
def test_no_mutation_of_a_heic_or_a_mov_raises(data):
    assert motion.live_photo_id_from_photo(data) in (None, IDENTIFIER)
    assert motion.live_photo_id_from_video(io.BytesIO(data)) in (None, IDENTIFIER)


@settings(max_examples=30)
@given(data=mutated(clip()))
def test_no_mutation_of_a_clip_makes_the_remux_raise(data):
    remuxed = motion.motion_clip_remux(data)
    assert remuxed is None or remuxed[4:8] == b"ftyp"
