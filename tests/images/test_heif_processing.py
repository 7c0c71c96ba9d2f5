"""imaging/ alone on HEIC and AVIF: the ISO media box walk and its limits, the format sniffed
from the primary picture, the header's size, orientation applied once, colour brought to
sRGB, EXIF read, and the metadata-free copy."""

import gc
import io
import struct
import time

import pytest
from PIL import Image

from imaging import color, containers, exif, processing, strip
from imaging.containers import ContainerError, ContainerTooComplex
from imaging.processing import ImageRejected
from tests.heif_files import P3_SAMPLE_AS_SRGB, heif_bytes

MAX_PIXELS = 1_000_000


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full_box(kind: bytes, payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    return box(kind, bytes((version,)) + flags.to_bytes(3, "big") + payload)


def synthetic_heif(
    *,
    ispe: tuple[int, int] = (64, 48),
    extent: tuple[int, int] | None = None,
    ipco_children: bytes = b"",
    meta_extra: bytes = b"",
    tail: bytes = b"",
) -> bytes:
    """A HEIF file's boxes around one hvc1 item (its bytes are no real HEVC): enough for the
    walk, which never decodes."""
    ftyp = box(b"ftyp", b"heic" + bytes(4) + b"mif1heic")
    hdlr = full_box(b"hdlr", bytes(4) + b"pict" + bytes(12) + b"\x00")
    pitm = full_box(b"pitm", struct.pack(">H", 1))
    infe = full_box(b"infe", struct.pack(">HH", 1, 0) + b"hvc1" + b"\x00", version=2)
    iinf = full_box(b"iinf", struct.pack(">H", 1) + infe)
    ispe_box = full_box(b"ispe", struct.pack(">II", *ispe))
    ipco = box(b"ipco", ispe_box + ipco_children)
    ipma = full_box(b"ipma", struct.pack(">IHB", 1, 1, 1) + b"\x81")
    iprp = box(b"iprp", ipco + ipma)
    payload = b"\x00" * 32

    def meta_with(offset: int, length: int) -> bytes:
        iloc = full_box(
            b"iloc",
            struct.pack(">BBH", 0x44, 0x00, 1) + struct.pack(">HHHII", 1, 0, 1, offset, length),
        )
        return full_box(b"meta", hdlr + pitm + iinf + iloc + iprp + meta_extra)

    meta = meta_with(0, 0)
    start = len(ftyp) + len(meta) + 8
    offset, length = extent if extent is not None else (start, len(payload))
    meta = meta_with(offset, length)
    return ftyp + meta + box(b"mdat", payload) + tail


class TestWalk:
    @pytest.mark.parametrize(
        ("options", "fmt", "tiles"),
        [
            ({}, "HEIF", 1),
            ({"ten_bit": True}, "HEIF", 1),
            ({"tile_size": 32}, "HEIF", 4),
            ({"fmt": "AVIF"}, "AVIF", 1),
        ],
    )
    def test_real_files_walk_to_their_end(self, options, fmt, tiles):
        data = heif_bytes(**options)
        layout = containers.heif_layout(data)
        assert (layout.format, layout.tiles, layout.end) == (fmt, tiles, len(data))
        assert containers.container_format(data) == fmt
        assert processing.image_format(data) == fmt
        assert [item.type for item in layout.metadata_items] == [b"Exif"]

    def test_a_grid_is_its_output_size_and_its_tiles_cost(self):
        layout = containers.heif_layout(heif_bytes(tile_size=32))
        assert (layout.width, layout.height) == (64, 48)
        # x265 codes nothing smaller than 64×64, so each tile is padded to that.
        assert layout.decoded_pixels == 4 * 64 * 64

    def test_the_format_is_the_primary_pictures_coding_not_the_brand(self):
        data = bytearray(heif_bytes("AVIF"))
        data[8:12] = b"mif1"  # brands say nothing about AV1 now
        assert containers.container_format(bytes(data)) == "AVIF"

    def test_a_trailer_is_not_the_image(self):
        data = heif_bytes()
        polyglot = data + b"<html><script>alert(1)</script></html>"
        assert processing.image_payload_end(polyglot, "HEIF") == len(data)
        assert processing.image_checksum(polyglot, "HEIF") == processing.image_checksum(
            data, "HEIF"
        )

    def test_a_synthetic_file_walks(self):
        layout = containers.heif_layout(synthetic_heif())
        assert (layout.format, layout.width, layout.height) == ("HEIF", 64, 48)

    def test_an_item_past_the_end_of_the_file_is_refused(self):
        with pytest.raises(ContainerError, match="past the end"):
            containers.heif_layout(synthetic_heif(extent=(100, 10_000)))

    def test_an_item_outside_every_mdat_is_refused(self):
        with pytest.raises(ContainerError, match="outside every mdat"):
            containers.heif_layout(synthetic_heif(extent=(0, 16)))

    def test_a_primary_that_is_not_a_picture_is_refused(self):
        data = synthetic_heif().replace(b"hvc1", b"jpeg")
        with pytest.raises(ContainerError, match="primary item of type"):
            containers.heif_layout(data)

    def test_a_picture_without_a_size_is_refused(self):
        data = synthetic_heif().replace(b"ispe", b"ispf")
        with pytest.raises(ContainerError, match="no image size"):
            containers.heif_layout(data)


class TestLimits:
    def test_boxes_up_to_the_limit_then_one_more_is_too_many(self):
        # The real file's own boxes count too; fill up to the limit with empty free boxes.
        data = synthetic_heif()
        own = containers.MAX_ISOBMFF_BOXES - 12
        assert containers.heif_layout(data + box(b"free", b"") * (own - 10)).end == len(data)
        with pytest.raises(ContainerTooComplex) as caught:
            containers.heif_layout(data + box(b"free", b"") * (own + 10))
        assert caught.value.code == "too_many_blocks"

    def test_nesting_is_bounded(self):
        nested = b""
        for _ in range(containers.MAX_ISOBMFF_DEPTH + 2):
            nested = box(b"iprp", nested)
        with pytest.raises(ContainerTooComplex):
            containers.heif_layout(synthetic_heif(meta_extra=box(b"dinf", nested)))
        shallow = b""
        for _ in range(3):
            shallow = box(b"iprp", shallow)
        containers.heif_layout(synthetic_heif(meta_extra=box(b"dinf", shallow)))

    def test_items_over_the_limit_are_refused_from_their_count(self):
        data = bytearray(synthetic_heif())
        at = data.find(b"iinf") + 8
        data[at : at + 2] = struct.pack(">H", containers.MAX_HEIF_ITEMS + 1)
        with pytest.raises(ContainerTooComplex):
            containers.heif_layout(bytes(data))

    def test_a_grid_of_too_many_tiles_is_refused(self):
        data = bytearray(heif_bytes(tile_size=32))
        grid = next(i for i in containers.heif_layout(bytes(data)).items if i.type == b"grid")
        start = grid.extents[0][0]
        data[start + 2 : start + 4] = b"\xff\xff"  # 256 × 256 tiles
        with pytest.raises(ContainerTooComplex):
            containers.heif_layout(bytes(data))

    def test_tiles_larger_than_their_grid_are_counted(self):
        # Four 64×64 tiles that claim to be 20,000×20,000 each: the grid's own 64×48 is
        # within the limit, the decoding is not.
        data = heif_bytes(tile_size=32)
        tile_ispe = full_box(b"ispe", struct.pack(">II", 64, 64))
        huge = full_box(b"ispe", struct.pack(">II", 20_000, 20_000))
        assert tile_ispe in data
        with pytest.raises(ImageRejected) as caught:
            processing.image_header(
                io.BytesIO(data.replace(tile_ispe, huge)), max_pixels=MAX_PIXELS
            )
        assert caught.value.code == "too_many_pixels"

    @pytest.mark.parametrize(
        ("limit", "code"), [("pixels", "too_many_pixels"), ("edge", "too_large_edge")]
    )
    def test_the_header_refuses_before_decoding(self, limit, code):
        # The boxes claim a size; the coded bytes are no picture at all, so anything that
        # decoded would fail otherwise.
        size = (20_000, 20_000) if limit == "pixels" else (40_000, 10)
        data = synthetic_heif(ispe=size)
        kwargs = {"max_pixels": MAX_PIXELS} if limit == "pixels" else {"max_pixels": 10**10}
        with pytest.raises(ImageRejected) as caught:
            processing.image_header(io.BytesIO(data), **kwargs)
        assert caught.value.code == code

    def test_a_file_of_the_upload_limit_in_empty_boxes_is_refused_quickly(self):
        data = synthetic_heif() + box(b"free", b"") * 3_000_000  # 24 MB
        gc.collect()  # a collection of the whole heap is not the parser's time
        started = time.thread_time()
        with pytest.raises(ImageRejected) as caught:
            processing.image_header(io.BytesIO(data), max_pixels=MAX_PIXELS)
        assert caught.value.code == "too_many_blocks"
        assert time.thread_time() - started < 0.5


class TestDecode:
    @pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
    def test_upright_8_bit_rgb(self, fmt):
        decoded = processing.image_decode(
            io.BytesIO(heif_bytes(fmt, orientation=6)), max_pixels=MAX_PIXELS
        )
        assert (decoded.format, decoded.width, decoded.height) == (fmt, 48, 64)
        assert decoded.image.mode == "RGB" and decoded.image.size == (48, 64)

    def test_ten_bit_is_scaled_to_8_bits(self):
        decoded = processing.image_decode(
            io.BytesIO(heif_bytes(ten_bit=True)), max_pixels=MAX_PIXELS
        )
        assert decoded.image.mode == "RGB"
        r, g, b = decoded.image.getpixel((40, 30))
        assert min(r, g, b) > 245  # white stays white, not a quarter of it

    def test_exif_orientation_alone_is_not_applied(self):
        data = heif_bytes(exif_orientation_only=6)
        header = processing.image_header(io.BytesIO(data), max_pixels=MAX_PIXELS)
        decoded = processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS)
        assert (header.width, header.height) == (64, 48) == decoded.image.size

    @pytest.mark.parametrize(
        ("fmt", "colour"), [("HEIF", "nclx-p3"), ("HEIF", "icc-p3"), ("AVIF", "icc-p3")]
    )
    def test_display_p3_is_converted_to_srgb(self, fmt, colour):
        data = heif_bytes(fmt, colour=colour, quality=90)
        pixel = processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS).image.getpixel(
            (40, 30)
        )
        assert all(abs(a - b) <= 4 for a, b in zip(pixel, P3_SAMPLE_AS_SRGB, strict=True)), pixel

    def test_a_heif_the_sniffing_does_not_recognise_never_reaches_a_decoder(self):
        # An ftyp box too short to hold its brands: not walked, so not decoded either,
        # though pillow-heif's own check (the brand after "ftyp") would take it.
        data = bytearray(heif_bytes())
        data[0:4] = (12).to_bytes(4, "big")
        assert containers.container_format(bytes(data)) is None
        with pytest.raises(ImageRejected) as caught:
            processing.image_header(io.BytesIO(bytes(data)), max_pixels=MAX_PIXELS)
        assert caught.value.code == "unsupported_format"
        assert exif.exif_read(data=bytes(data)).taken_at is None

    def test_a_moov_box_is_refused(self):
        data = heif_bytes() + box(b"moov", b"")
        with pytest.raises(ImageRejected):
            processing.image_header(io.BytesIO(data), max_pixels=MAX_PIXELS)


class TestNclx:
    def test_srgb_needs_no_profile(self):
        assert color.nclx_profile(primaries=1, transfer=13) is None
        assert color.nclx_profile(primaries=2, transfer=2) is None

    def test_hdr_transfers_are_left_alone(self):
        assert color.nclx_profile(primaries=9, transfer=16) is None  # PQ
        assert color.nclx_profile(primaries=9, transfer=18) is None  # HLG

    def test_bt2020_greens_are_pulled_into_srgb(self):
        profile = color.nclx_profile(primaries=9, transfer=13)
        assert profile is not None
        image = Image.new("RGB", (2, 2), (128, 128, 128))
        image.info["icc_profile"] = profile
        grey = color.working_mode(image).getpixel((0, 0))
        assert all(abs(v - 128) <= 2 for v in grey)  # the white point is kept


class TestExif:
    @pytest.mark.parametrize("options", [{}, {"tile_size": 32}, {"fmt": "AVIF"}, {"ten_bit": True}])
    def test_taken_at_and_camera(self, options):
        read = exif.exif_read(data=heif_bytes(**options))
        assert (
            read.taken_at is not None and read.taken_at.isoformat() == "2024-05-06T07:08:09+02:00"
        )
        assert read.metadata["camera_model"] == "iPhone 15 Pro"
        assert read.metadata["latitude"] == pytest.approx(48.858, abs=0.001)


class TestStrip:
    @pytest.mark.parametrize(
        "options",
        [{}, {"tile_size": 32}, {"fmt": "AVIF", "orientation": 6}, {"orientation": 8}],
    )
    def test_no_metadata_survives_and_the_picture_is_identical(self, options):
        data = heif_bytes(**options, xmp=b"<x:xmpmeta>Rue de Rivoli</x:xmpmeta>")
        fmt = options.get("fmt", "HEIF")
        stripped = strip.metadata_strip(data=data, image_format=fmt)
        assert len(stripped) == len(data)
        assert b"iPhone" not in stripped and b"Rivoli" not in stripped
        read = exif.exif_read(data=stripped)
        assert read.taken_at is None and set(read.metadata.values()) == {None}
        before = processing.image_decode(io.BytesIO(data), max_pixels=MAX_PIXELS).image
        after = processing.image_decode(io.BytesIO(stripped), max_pixels=MAX_PIXELS).image
        assert after.size == before.size and after.tobytes() == before.tobytes()

    def test_a_trailer_is_not_copied(self):
        data = heif_bytes()
        stripped = strip.metadata_strip(data=data + b"trailer", image_format="HEIF")
        assert len(stripped) == len(data)

    def test_metadata_sharing_the_pictures_bytes_is_refused(self):
        data = bytearray(heif_bytes())
        layout = containers.heif_layout(bytes(data))
        picture = next(i for i in layout.items if i.type == b"hvc1")
        # Point the Exif item's iloc entry (base offset, one extent: offset 0 and a
        # length, as libheif writes it) at the picture's bytes.
        exif_item = layout.metadata_items[0]
        old = _iloc_entry(exif_item.extents[0])
        new = _iloc_entry(picture.extents[0])
        assert bytes(data).count(old) == 1
        with pytest.raises(strip.MetadataStripError):
            strip.metadata_strip(data=bytes(data).replace(old, new), image_format="HEIF")

    def test_unwalkable_bytes_are_refused(self):
        with pytest.raises(strip.MetadataStripError):
            strip.metadata_strip(data=heif_bytes()[:300], image_format="HEIF")


def _iloc_entry(extent: tuple[int, int]) -> bytes:
    start, stop = extent
    return struct.pack(">IHII", start, 1, 0, stop - start)
