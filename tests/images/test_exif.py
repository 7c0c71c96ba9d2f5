"""imaging/exif.py alone: each field read, dates and offsets, and hostile values become None."""

import io
import json
import math
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageFile
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational

from imaging.exif import MAX_TEXT_LENGTH, PhotoMetadata, exif_load, exif_metadata, exif_read

EXIF_IFD = ExifTags.IFD.Exif
GPS_IFD = ExifTags.IFD.GPSInfo
METADATA_KEYS = {
    "camera_make",
    "camera_model",
    "lens",
    "exposure_time",
    "exposure_time_display",
    "f_number",
    "iso",
    "focal_length",
    "latitude",
    "longitude",
    "altitude",
}


def camera_exif() -> Image.Exif:
    """The EXIF a phone writes: camera, lens, exposure, a dated shot with offset, GPS."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R5"
    exif[ExifTags.Base.Orientation] = 1
    sub = exif.get_ifd(EXIF_IFD)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:06 07:08:09"
    sub[ExifTags.Base.OffsetTimeOriginal] = "+05:30"
    sub[ExifTags.Base.LensModel] = "RF24-70mm F2.8 L IS USM"
    sub[ExifTags.Base.ExposureTime] = IFDRational(1, 250)
    sub[ExifTags.Base.FNumber] = IFDRational(28, 10)
    sub[ExifTags.Base.ISOSpeedRatings] = 400
    sub[ExifTags.Base.FocalLength] = IFDRational(35, 1)
    gps = exif.get_ifd(GPS_IFD)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(33, 1), IFDRational(51, 1), IFDRational(54, 1))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(151, 1), IFDRational(12, 1), IFDRational(36, 1))
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
    gps[ExifTags.GPS.GPSAltitude] = IFDRational(585, 10)
    return exif


def photo(exif: Image.Exif | None = None, fmt: str = "JPEG", **save_kwargs: object) -> bytes:
    buffer = io.BytesIO()
    if exif is not None:
        save_kwargs["exif"] = exif
    Image.new("RGB", (16, 12), (10, 120, 200)).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def read(exif: Image.Exif) -> PhotoMetadata:
    """What a JPEG carrying ``exif`` reads as, through the bytes as a caller has them."""
    return exif_read(data=photo(exif))


def with_exif_tags(**tags: object) -> Image.Exif:
    """An in-memory EXIF whose Exif sub-IFD holds any Python values, as a hostile parse might."""
    exif = Image.Exif()
    sub = exif.get_ifd(EXIF_IFD)
    for name, value in tags.items():
        sub[ExifTags.Base[name]] = value
    return exif


def with_gps(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    gps = exif.get_ifd(GPS_IFD)
    for name, value in tags.items():
        gps[ExifTags.GPS[name]] = value
    return exif


class TestFields:
    def test_camera_lens_and_exposure_are_read(self):
        metadata = read(camera_exif()).metadata

        assert metadata["camera_make"] == "Canon"
        assert metadata["camera_model"] == "EOS R5"
        assert metadata["lens"] == "RF24-70mm F2.8 L IS USM"
        assert metadata["exposure_time"] == pytest.approx(0.004)
        assert metadata["exposure_time_display"] == "1/250"
        assert metadata["f_number"] == 2.8
        assert metadata["iso"] == 400
        assert metadata["focal_length"] == 35.0

    def test_location_is_signed_decimal_degrees(self):
        metadata = read(camera_exif()).metadata

        assert metadata["latitude"] == pytest.approx(-(33 + 51 / 60 + 54 / 3600))
        assert metadata["longitude"] == pytest.approx(151 + 12 / 60 + 36 / 3600)
        assert metadata["altitude"] == 58.5

    def test_metadata_always_has_every_key_and_is_strict_json(self):
        for result in (read(camera_exif()), read(Image.Exif()), exif_read(data=b"not an image")):
            assert set(result.metadata) == METADATA_KEYS
            json.dumps(result.metadata, allow_nan=False)

    def test_photo_without_exif_reads_as_empty(self):
        result = exif_read(data=photo())

        assert result.taken_at is None
        assert result.taken_at_offset_known is False
        assert set(result.metadata.values()) == {None}

    @pytest.mark.parametrize(
        ("seconds", "display"),
        [
            (IFDRational(1, 8000), "1/8000"),
            (IFDRational(10, 2500), "1/250"),
            (IFDRational(1, 3), "1/3"),
            (IFDRational(4, 10), "0.4"),
            (IFDRational(25, 10), "2.5"),
            (IFDRational(30, 1), "30"),
        ],
    )
    def test_exposure_is_displayed_as_a_camera_shows_it(self, seconds, display):
        metadata = read(with_exif_tags(ExposureTime=seconds)).metadata

        assert metadata["exposure_time_display"] == display

    def test_iso_saturated_at_65535_takes_the_recommended_exposure_index(self):
        exif = with_exif_tags(ISOSpeedRatings=65535, RecommendedExposureIndex=102400)

        assert exif_metadata(exif=exif).metadata["iso"] == 102400

    def test_iso_given_twice_takes_the_first(self):
        exif = with_exif_tags(ISOSpeedRatings=(200, 400))

        assert exif_metadata(exif=exif).metadata["iso"] == 200

    def test_altitude_below_sea_level_is_negative(self):
        exif = with_gps(GPSAltitudeRef=b"\x01", GPSAltitude=IFDRational(4305, 10))

        assert read(exif).metadata["altitude"] == -430.5


class TestTakenAt:
    @pytest.mark.parametrize(
        ("offset", "delta"),
        [("+05:30", timedelta(hours=5, minutes=30)), ("-08:00", timedelta(hours=-8))],
    )
    def test_offset_makes_the_date_aware_in_that_zone(self, offset, delta):
        exif = with_exif_tags(DateTimeOriginal="2024:05:06 07:08:09", OffsetTimeOriginal=offset)

        result = read(exif)

        assert result.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(delta))
        assert result.taken_at.utcoffset() == delta
        assert result.taken_at_offset_known is True

    def test_date_without_offset_is_the_wall_clock_labelled_utc(self):
        result = read(with_exif_tags(DateTimeOriginal="2024:05:06 07:08:09"))

        assert result.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
        assert result.taken_at.tzinfo is UTC
        assert result.taken_at_offset_known is False

    @pytest.mark.parametrize("offset", ["+25:00", "+05:60", "05:30", "   :  ", "Z", "+5:30"])
    def test_impossible_offset_leaves_the_offset_unknown(self, offset):
        exif = with_exif_tags(DateTimeOriginal="2024:05:06 07:08:09", OffsetTimeOriginal=offset)

        result = read(exif)

        assert result.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
        assert result.taken_at_offset_known is False

    def test_subseconds_are_kept(self):
        exif = with_exif_tags(DateTimeOriginal="2024:05:06 07:08:09", SubsecTimeOriginal="042")

        assert read(exif).taken_at == datetime(2024, 5, 6, 7, 8, 9, 42000, tzinfo=UTC)

    def test_digitized_date_is_used_when_there_is_no_original(self):
        exif = with_exif_tags(DateTimeDigitized="2020:01:02 03:04:05", OffsetTimeDigitized="-03:00")

        result = read(exif)

        assert result.taken_at == datetime(2020, 1, 2, 6, 4, 5, tzinfo=UTC)
        assert result.taken_at_offset_known is True

    def test_nonsense_original_falls_back_to_the_digitized_date(self):
        exif = with_exif_tags(
            DateTimeOriginal="0000:00:00 00:00:00", DateTimeDigitized="2020:01:02 03:04:05"
        )

        assert read(exif).taken_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)

    def test_file_modification_date_is_never_taken_for_the_shot(self):
        exif = Image.Exif()
        exif[ExifTags.Base.DateTime] = "2024:05:06 07:08:09"

        assert read(exif).taken_at is None

    def test_date_written_in_ifd0_by_some_software_is_read(self):
        exif = Image.Exif()
        exif[ExifTags.Base.DateTimeOriginal] = "2024:05:06 07:08:09"

        assert read(exif).taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

    @pytest.mark.parametrize(
        "value",
        [
            "0000:00:00 00:00:00",
            "    :  :     :  :  ",
            "",
            "2024:13:01 00:00:00",
            "2024:02:30 00:00:00",
            "2024:01:01 25:00:00",
            "2024:01:01 00:00:61",
            "1000:01:01 00:00:00",
            "2024:05:06",
            "yesterday",
            "2024:05:06 07:08:09 and more",
            "\x00\x00\x00",
        ],
    )
    def test_nonsense_date_is_none(self, value):
        result = read(with_exif_tags(DateTimeOriginal=value))

        assert result.taken_at is None
        assert result.taken_at_offset_known is False

    @pytest.mark.parametrize(
        "value", [20240506, 3.5, IFDRational(1, 0), b"\xff\xfe\x00garbage", (1, 2), None]
    )
    def test_date_of_the_wrong_type_is_none(self, value):
        assert exif_metadata(exif=with_exif_tags(DateTimeOriginal=value)).taken_at is None

    def test_date_with_a_trailing_nul_is_read(self):
        exif = with_exif_tags(DateTimeOriginal=b"2024:05:06 07:08:09\x00")

        assert exif_metadata(exif=exif).taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

    def test_last_representable_moment_in_a_western_offset_is_none(self):
        exif = with_exif_tags(DateTimeOriginal="9999:12:31 23:00:00", OffsetTimeOriginal="-08:00")

        assert read(exif).taken_at is None


class TestHostileValues:
    def test_strings_are_cut_at_nul_stripped_and_bounded(self):
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "  Canon\x00\x00garbage after the terminator"
        exif[ExifTags.Base.Model] = "M" * 60_000  # near the most one JPEG segment holds
        sub = exif.get_ifd(EXIF_IFD)
        sub[ExifTags.Base.LensModel] = "Lens\x01\x1b[31m\x7f name \t"

        metadata = read(exif).metadata

        assert metadata["camera_make"] == "Canon"
        assert metadata["camera_model"] == "M" * MAX_TEXT_LENGTH
        assert metadata["lens"] == "Lens[31m name"

    @pytest.mark.parametrize("value", ["", "   ", "\x00\x00", b"\xff\xfe", 42, (1, 2)])
    def test_empty_or_wrong_type_strings_are_none(self, value):
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = value

        assert exif_metadata(exif=exif).metadata["camera_make"] is None

    @pytest.mark.parametrize("name", ["ExposureTime", "FNumber", "FocalLength"])
    @pytest.mark.parametrize(
        "value",
        [
            IFDRational(1, 0),
            IFDRational(0, 0),
            IFDRational(-1, 250),
            0,
            float("inf"),
            float("nan"),
            10**400,
            "1/250",
            b"\x01",
            (),
            True,
        ],
    )
    def test_impossible_numbers_are_none(self, name, value):
        metadata = exif_metadata(exif=with_exif_tags(**{name: value})).metadata

        assert set(metadata.values()) == {None}
        json.dumps(metadata, allow_nan=False)

    def test_zero_denominator_rationals_survive_the_round_trip_as_none(self):
        exif = with_exif_tags(
            ExposureTime=IFDRational(1, 0), FNumber=IFDRational(0, 0), FocalLength=IFDRational(5, 0)
        )

        metadata = read(exif).metadata

        assert metadata["exposure_time"] is None
        assert metadata["f_number"] is None
        assert metadata["focal_length"] is None

    @pytest.mark.parametrize("value", [-400, 0, 2**40, "400", 400.0, IFDRational(400, 1), True])
    def test_impossible_iso_is_none(self, value):
        assert exif_metadata(exif=with_exif_tags(ISOSpeedRatings=value)).metadata["iso"] is None

    @pytest.mark.parametrize(
        "gps",
        [
            {"GPSLatitude": (52.0, 30.0, 0.0), "GPSLongitude": (13.0, 24.0, 0.0)},  # no refs
            {
                "GPSLatitudeRef": "Q",
                "GPSLatitude": (52.0, 30.0, 0.0),
                "GPSLongitudeRef": "E",
                "GPSLongitude": (13.0, 24.0, 0.0),
            },
            {
                "GPSLatitudeRef": "N",
                "GPSLatitude": (IFDRational(52, 0), 30.0, 0.0),
                "GPSLongitudeRef": "E",
                "GPSLongitude": (13.0, 24.0, 0.0),
            },
            {
                "GPSLatitudeRef": "N",
                "GPSLatitude": (91.0, 0.0, 0.0),
                "GPSLongitudeRef": "E",
                "GPSLongitude": (13.0, 24.0, 0.0),
            },
            {
                "GPSLatitudeRef": "N",
                "GPSLatitude": (52.0, 30.0, 0.0),
                "GPSLongitudeRef": "E",
                "GPSLongitude": (181.0, 0.0, 0.0),
            },
            {
                "GPSLatitudeRef": "N",
                "GPSLatitude": (-52.0, 30.0, 0.0),
                "GPSLongitudeRef": "E",
                "GPSLongitude": (13.0, 24.0, 0.0),
            },
            {
                "GPSLatitudeRef": "N",
                "GPSLatitude": "52.5",
                "GPSLongitudeRef": "E",
                "GPSLongitude": (13.0, 24.0, 0.0),
            },
            {
                "GPSLatitudeRef": "N",
                "GPSLatitude": (52.0, 30.0, 0.0, 1.0),
                "GPSLongitudeRef": "E",
                "GPSLongitude": (13.0, 24.0, 0.0),
            },
            {"GPSLatitudeRef": "N", "GPSLatitude": (52.0, 30.0, 0.0)},  # no longitude
        ],
    )
    def test_malformed_gps_gives_no_location(self, gps):
        metadata = exif_metadata(exif=with_gps(**gps)).metadata

        assert metadata["latitude"] is None
        assert metadata["longitude"] is None

    def test_single_value_decimal_degrees_are_read(self):
        exif = with_gps(
            GPSLatitudeRef=b"n\x00",
            GPSLatitude=(IFDRational(525, 10),),
            GPSLongitudeRef="W",
            GPSLongitude=(IFDRational(134, 10),),
        )

        metadata = exif_metadata(exif=exif).metadata

        assert (metadata["latitude"], metadata["longitude"]) == (52.5, -13.4)

    @pytest.mark.parametrize("ref", [b"\x02", b"", "0", 7])
    def test_altitude_with_an_unknown_reference_is_none(self, ref):
        exif = with_gps(GPSAltitudeRef=ref, GPSAltitude=IFDRational(100, 1))

        assert exif_metadata(exif=exif).metadata["altitude"] is None

    def test_corrupt_exif_block_reads_as_empty(self):
        data = photo(camera_exif())
        start = data.index(b"Exif\x00\x00") + 6
        # The TIFF header's first-IFD offset points far past the block.
        broken = data[: start + 4] + b"\x7f\xff\xff\xff" + data[start + 8 :]

        result = exif_read(data=broken)

        assert result.taken_at is None
        assert set(result.metadata.values()) == {None}

    @pytest.mark.parametrize("data", [b"", b"not an image", b"\xff\xd8\xff\xe1\x00\x10Exif"])
    def test_bytes_that_are_no_image_read_as_empty(self, data):
        result = exif_read(data=data)

        assert result.taken_at is None
        assert set(result.metadata.values()) == {None}


class TestFormats:
    def test_png_exif_chunk_is_read(self):
        assert read_date(photo(camera_exif(), fmt="PNG")) == datetime(
            2024, 5, 6, 1, 38, 9, tzinfo=UTC
        )

    def test_png_exif_chunk_after_the_image_data_is_read_without_decoding(self, monkeypatch):
        data = photo(fmt="PNG")
        exif_body = camera_exif().tobytes()[len(b"Exif\x00\x00") :]
        chunk = _png_chunk(b"eXIf", exif_body)
        iend = data.rindex(b"IEND") - 4
        late = data[:iend] + chunk + data[iend:]
        loads = []
        original_load = ImageFile.ImageFile.load
        monkeypatch.setattr(
            ImageFile.ImageFile, "load", lambda self: loads.append(self) or original_load(self)
        )

        result = exif_read(data=late)

        assert result.metadata["camera_make"] == "Canon"
        assert loads == []

    def test_webp_exif_chunk_is_read(self):
        assert read_date(photo(camera_exif(), fmt="WEBP")) == datetime(
            2024, 5, 6, 1, 38, 9, tzinfo=UTC
        )

    def test_multi_picture_jpeg_is_read_from_its_first_picture(self):
        buffer = io.BytesIO()
        first = Image.new("RGB", (16, 12), (200, 0, 0))
        first.save(
            buffer,
            format="MPO",
            save_all=True,
            append_images=[Image.new("RGB", (16, 12))],
            exif=camera_exif(),
        )

        assert exif_read(data=buffer.getvalue()).metadata["camera_model"] == "EOS R5"

    def test_gif_has_no_exif(self):
        assert exif_read(data=photo(fmt="GIF")).taken_at is None

    def test_png_text_chunks_are_not_mistaken_for_exif(self):
        info = PngInfo()
        info.add_text("DateTimeOriginal", "2024:05:06 07:08:09")

        assert exif_read(data=photo(fmt="PNG", pnginfo=info)).taken_at is None

    def test_exif_load_orientation_matches_what_pillow_reads(self):
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = 6

        assert exif_load(data=photo(exif)).get(ExifTags.Base.Orientation) == 6


def read_date(data: bytes) -> datetime | None:
    taken_at = exif_read(data=data).taken_at
    return None if taken_at is None else taken_at.astimezone(UTC)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc


SEED = photo(camera_exif())


@st.composite
def mutated_photos(draw) -> bytes:
    data = bytearray(SEED)
    exif_start = SEED.index(b"Exif\x00\x00")
    for _ in range(draw(st.integers(1, 8))):
        # Most mutations land in the EXIF block, where this module's parsing lives.
        pos = draw(st.integers(exif_start, exif_start + 400))
        action = draw(st.sampled_from(["flip", "insert", "delete", "overwrite"]))
        if action == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[pos : pos + len(chunk)] = chunk
    return bytes(data)


class TestFuzzedExif:
    @settings(
        max_examples=300,
        deadline=2000,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(mutated_photos())
    def test_mutated_exif_never_raises_and_stays_strict_json(self, data):
        result = exif_read(data=data)

        assert set(result.metadata) == METADATA_KEYS
        json.dumps(result.metadata, allow_nan=False)
        for value in result.metadata.values():
            assert value is None or isinstance(value, str | int | float)
            if isinstance(value, float):
                assert math.isfinite(value)
            if isinstance(value, str):
                assert "\x00" not in value and len(value) <= MAX_TEXT_LENGTH
        if result.taken_at is not None:
            assert result.taken_at.tzinfo is not None
            result.taken_at.astimezone(UTC)
