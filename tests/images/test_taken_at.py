"""When a photo was taken, through HTTP: read from the upload's EXIF, filtered, sorted, paged.

Uploads are real JPEG, PNG and WebP files whose EXIF Pillow writes; the answers are read back
from the image's detail and the list. Paging walks ``next`` to the end and ``previous`` back
to the start, and must visit every image exactly once, in the order the API promises: the
ordering field, then the id in the same direction, and images without a date last whichever
way the list runs. The property test makes its rows with the ORM (fast) and walks them over
HTTP all the same.
"""

import io
import os
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags
from PIL import Image as PILImage
from PIL.TiffImagePlugin import IFDRational

from images.models import Image
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

EXIF_IFD = ExifTags.IFD.Exif  # 0x8769
GPS_IFD = ExifTags.IFD.GPSInfo  # 0x8825
DATETIME_ORIGINAL = ExifTags.Base.DateTimeOriginal  # 0x9003
OFFSET_TIME_ORIGINAL = ExifTags.Base.OffsetTimeOriginal  # 0x9011
NO_METADATA = {
    "camera_make": None,
    "camera_model": None,
    "lens": None,
    "exposure_time": None,
    "f_number": None,
    "iso": None,
    "focal_length": None,
    "latitude": None,
    "longitude": None,
    "altitude": None,
}
# Like tests/test_fuzz.py: one fixed walk in the suite and CI, a longer new one on demand.
EXPLORE = os.environ.get("ATELIER_FUZZ_EXPLORE") == "1"
WALKS = settings(
    max_examples=500 if EXPLORE else 40,
    derandomize=not EXPLORE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def photo(
    fmt: str = "JPEG",
    *,
    taken: str | None = None,
    offset: str | None = None,
    camera: bool = False,
    color: tuple[int, int, int] = (200, 80, 40),
) -> bytes:
    """A real ``fmt`` file whose EXIF says when it was taken (and, with ``camera``, by what)."""
    exif = PILImage.Exif()
    sub = exif.get_ifd(EXIF_IFD)
    if taken is not None:
        sub[DATETIME_ORIGINAL] = taken
    if offset is not None:
        sub[OFFSET_TIME_ORIGINAL] = offset
    if camera:
        exif[ExifTags.Base.Make] = "FUJIFILM"
        exif[ExifTags.Base.Model] = "X-T5"
        sub[ExifTags.Base.LensModel] = "XF23mmF1.4 R LM WR"
        sub[ExifTags.Base.ExposureTime] = IFDRational(1, 250)
        sub[ExifTags.Base.FNumber] = IFDRational(28, 10)
        sub[ExifTags.Base.ISOSpeedRatings] = 400
        sub[ExifTags.Base.FocalLength] = IFDRational(23, 1)
        gps = exif.get_ifd(GPS_IFD)
        gps[ExifTags.GPS.GPSLatitudeRef] = "S"
        gps[ExifTags.GPS.GPSLatitude] = (IFDRational(33, 1), IFDRational(51, 1), IFDRational(54, 1))
        gps[ExifTags.GPS.GPSLongitudeRef] = "W"
        gps[ExifTags.GPS.GPSLongitude] = (IFDRational(70, 1), IFDRational(30, 1), IFDRational(0, 1))
        gps[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
        gps[ExifTags.GPS.GPSAltitude] = IFDRational(585, 10)
    buffer = io.BytesIO()
    # As bytes: Pillow's PNG writer drops an ``Exif`` whose IFD0 is empty (only sub-IFDs).
    PILImage.new("RGB", (32, 24), color).save(buffer, format=fmt, exif=exif.tobytes())
    return buffer.getvalue()


def detail(client, image_id: str) -> dict:
    response = client.get(reverse("image-detail", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def listed(client, **params) -> list[str]:
    response = client.get(reverse("image-list"), {"page_size": 100, **params})
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["next"] is None
    return [item["id"] for item in body["results"]]


def walk(client, **params) -> tuple[list[str], list[str]]:
    """Every id of the list, by ``next`` from the first page, then by ``previous`` back.

    Each page is checked on the way: no more than ``page_size`` items, none empty, and the
    first page has no ``previous``.
    """
    size = int(params["page_size"])
    response = client.get(reverse("image-list"), params)
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["previous"] is None
    forwards: list[str] = []
    while True:
        page = [item["id"] for item in body["results"]]
        assert len(page) <= size
        forwards += page
        if body["next"] is None:
            break
        assert len(page) == size, "only the last page may be short"
        response = client.get(body["next"])
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
    backwards = [item["id"] for item in body["results"]]
    while body["previous"] is not None:
        response = client.get(body["previous"])
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        page = [item["id"] for item in body["results"]]
        assert 0 < len(page) <= size
        assert body["next"] is not None, "a page reached backwards leads on"
        backwards = page + backwards
    return forwards, backwards


def expected_order(rows: list[tuple[str, datetime | None]], ordering: str) -> list[str]:
    """The promised order of ``(id, value)`` rows: value then id, both one way; nulls last."""
    descending = ordering.startswith("-")
    dated = sorted(
        ((value, uuid.UUID(pk)) for pk, value in rows if value is not None), reverse=descending
    )
    undated = sorted((uuid.UUID(pk) for pk, value in rows if value is None), reverse=descending)
    return [str(pk) for _, pk in dated] + [str(pk) for pk in undated]


def parsed(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class TestTakenAtFromExif:
    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
    @pytest.mark.parametrize(
        ("offset", "instant"),
        [
            ("+05:30", "2024-05-06T01:38:09Z"),
            ("-07:00", "2024-05-06T14:08:09Z"),
            ("+00:00", "2024-05-06T07:08:09Z"),
        ],
    )
    def test_date_with_its_offset_is_that_instant_in_utc(
        self, auth_client, upload, fmt, offset, instant
    ):
        data = photo(fmt, taken="2024:05:06 07:08:09", offset=offset)
        image = upload(data, name=f"shot.{fmt.lower()}")
        assert image["format"] == fmt
        assert image["taken_at"] == instant
        assert detail(auth_client, image["id"])["taken_at"] == instant

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
    def test_date_without_offset_reads_as_the_cameras_clock(self, auth_client, upload, fmt):
        image = upload(photo(fmt, taken="2024:05:06 07:08:09"), name=f"shot.{fmt.lower()}")
        assert detail(auth_client, image["id"])["taken_at"] == "2024-05-06T07:08:09Z"

    def test_camera_exposure_and_position_are_the_metadata(self, auth_client, upload):
        image = upload(photo(taken="2024:05:06 07:08:09", offset="+02:00", camera=True))
        body = detail(auth_client, image["id"])
        assert body["taken_at"] == "2024-05-06T05:08:09Z"
        assert body["metadata"] == {
            "camera_make": "FUJIFILM",
            "camera_model": "X-T5",
            "lens": "XF23mmF1.4 R LM WR",
            "exposure_time": 0.004,
            "f_number": 2.8,
            "iso": 400,
            "focal_length": 23.0,
            "latitude": -33.865,
            "longitude": -70.5,
            "altitude": 58.5,
        }

    @pytest.mark.parametrize(
        ("offset", "minutes"), [("+05:30", 330), ("-07:00", -420), ("+00:00", 0), (None, None)]
    )
    def test_the_cameras_offset_is_stored_in_minutes_and_null_where_unknown(
        self, upload, offset, minutes
    ):
        image = upload(photo(taken="2024:05:06 07:08:09", offset=offset))
        assert Image.objects.get(pk=image["id"]).taken_at_offset == minutes

    def test_a_photo_without_a_date_has_no_offset(self, upload):
        image = upload(photo(offset="+02:00"))
        assert Image.objects.get(pk=image["id"]).taken_at_offset is None

    @pytest.mark.parametrize("data", [image_bytes("JPEG"), image_bytes("PNG"), photo()])
    def test_photo_that_does_not_say_has_no_date_and_no_metadata(self, auth_client, upload, data):
        body = detail(auth_client, upload(data)["id"])
        assert body["taken_at"] is None
        assert body["metadata"] == NO_METADATA

    def test_restyle_keeps_the_date_taken(self, auth_client, upload):
        image = upload(photo(taken="2021:12:31 23:59:59", offset="-03:00", camera=True))
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        response = auth_client.patch(url, {"style": "sepia"}, format="json")
        assert response.status_code == HTTPStatus.OK, response.content
        body = detail(auth_client, image["id"])
        assert body["style"] == "sepia" and body["status"] == "ready"
        assert body["taken_at"] == "2022-01-01T02:59:59Z"
        assert body["metadata"]["camera_model"] == "X-T5"

    def test_a_link_that_shows_metadata_shows_what_the_owner_sees(
        self, auth_client, upload, api_client
    ):
        image = upload(photo(taken="2024:05:06 07:08:09", offset="+05:30", camera=True))
        share = auth_client.post(
            reverse("share-list"),
            {"image_ids": [image["id"]], "show_metadata": True},
            format="json",
        ).json()
        shown = api_client.get(reverse("shared-detail", kwargs={"token": share["token"]}))
        [item] = shown.json()["results"]
        owner = detail(auth_client, image["id"])
        assert item["taken_at"] == owner["taken_at"] == "2024-05-06T01:38:09Z"
        assert {key: item["metadata"].get(key) for key in NO_METADATA} == owner["metadata"]


@pytest.fixture
def dated(upload) -> dict[str, str]:
    """Five uploads: three dated (two the same instant, written in different offsets), two not."""
    shots = {
        "early": photo(taken="2023:01:01 12:00:00", offset="+01:00", color=(1, 1, 1)),
        "noon_local": photo(taken="2024:05:06 14:00:00", offset="+02:00", color=(2, 2, 2)),
        "noon_utc": photo(taken="2024:05:06 12:00:00", color=(3, 3, 3)),
        "undated": photo(color=(4, 4, 4)),
        "plain": image_bytes("PNG", color=(5, 5, 5)),
    }
    return {name: upload(data)["id"] for name, data in shots.items()}


class TestTakenFilters:
    def test_taken_after_is_inclusive_and_skips_undated(self, auth_client, dated):
        ids = listed(auth_client, taken_after="2024-05-06T14:00:00+02:00")
        assert set(ids) == {dated["noon_local"], dated["noon_utc"]}

    def test_taken_before_is_exclusive_and_skips_undated(self, auth_client, dated):
        assert listed(auth_client, taken_before="2024-05-06T12:00:00Z") == [dated["early"]]
        ids = listed(auth_client, taken_before="2024-05-06T12:00:00.000001Z")
        assert set(ids) == {dated["early"], dated["noon_local"], dated["noon_utc"]}

    def test_a_window_and_an_ordering_together(self, auth_client, dated):
        ids = listed(
            auth_client,
            taken_after="2022-06-01T00:00:00-11:00",
            taken_before="2025-01-01T00:00:00Z",
            ordering="taken_at",
        )
        noon = sorted([dated["noon_local"], dated["noon_utc"]], key=uuid.UUID)
        assert ids == [dated["early"], *noon]

    @pytest.mark.parametrize("name", ["taken_after", "taken_before"])
    @pytest.mark.parametrize("value", ["", "yesterday", "2024-13-01T00:00:00Z"])
    def test_a_date_it_cannot_use_is_a_400_naming_it(self, auth_client, dated, name, value):
        response = auth_client.get(reverse("image-list"), {name: value})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert name in response.json()


class TestTakenOrdering:
    @pytest.mark.parametrize("ordering", ["taken_at", "-taken_at"])
    def test_undated_images_come_last_either_way(self, auth_client, dated, ordering):
        ids = listed(auth_client, ordering=ordering)
        assert set(ids[-2:]) == {dated["undated"], dated["plain"]}
        noon = sorted([dated["noon_local"], dated["noon_utc"]], key=uuid.UUID)
        if ordering == "taken_at":
            assert ids[:3] == [dated["early"], *noon]
        else:
            assert ids[:3] == [*reversed(noon), dated["early"]]

    def test_an_ordering_the_cursor_cannot_keep_is_not_silently_changed(self, auth_client, upload):
        """Two fields: the cursor positions on the first and the id only, so the second
        must be honoured or refused (400), never quietly replaced by the id."""
        ids = [upload(photo(taken="2024:05:06 07:08:09", color=(n, 0, 0)))["id"] for n in (1, 2)]
        # created_at runs against id order, so the two orders differ.
        low, high = sorted(ids, key=uuid.UUID)
        now = datetime.now(UTC)
        Image.objects.filter(pk=low).update(created_at=now)
        Image.objects.filter(pk=high).update(created_at=now - timedelta(hours=1))
        response = auth_client.get(reverse("image-list"), {"ordering": "taken_at,created_at"})
        if response.status_code == HTTPStatus.BAD_REQUEST:
            assert "ordering" in response.json()
            return
        assert response.status_code == HTTPStatus.OK
        assert [item["id"] for item in response.json()["results"]] == [high, low]


class TestPagingByTaken:
    @pytest.fixture
    def gallery(self, upload) -> list[tuple[str, datetime | None]]:
        """Nine uploads: three at one instant, one alone each side of it, four undated."""
        shots = [
            photo(taken="2020:02:02 02:02:02", offset="+00:00", color=(1, 1, 1)),
            photo(taken="2024:05:06 14:00:00", offset="+02:00", color=(2, 2, 2)),
            photo(taken="2024:05:06 12:00:00", color=(3, 3, 3)),
            photo(taken="2024:05:06 07:30:00", offset="-04:30", color=(4, 4, 4)),
            photo(taken="2025:01:01 00:00:00", offset="+14:00", color=(5, 5, 5)),
            photo(color=(6, 6, 6)),
            photo("PNG", color=(7, 7, 7)),
            image_bytes("WEBP", color=(8, 8, 8)),
            image_bytes("JPEG", color=(9, 9, 9)),
        ]
        rows = []
        for data in shots:
            image = upload(data)
            rows.append((image["id"], parsed(image["taken_at"])))
        ties = [value for _, value in rows if value == datetime(2024, 5, 6, 12, tzinfo=UTC)]
        assert len(ties) == 3
        assert sum(value is None for _, value in rows) == 4
        return rows

    @pytest.mark.parametrize("ordering", ["taken_at", "-taken_at"])
    @pytest.mark.parametrize("page_size", [1, 2, 3])
    def test_next_and_previous_visit_every_image_once_in_order(
        self, auth_client, gallery, ordering, page_size
    ):
        forwards, backwards = walk(auth_client, ordering=ordering, page_size=page_size)
        expected = expected_order(gallery, ordering)
        assert forwards == expected
        assert backwards == expected

    def test_next_then_previous_returns_to_the_same_page(self, auth_client, gallery):
        first = auth_client.get(reverse("image-list"), {"ordering": "taken_at", "page_size": 2})
        second = auth_client.get(first.json()["next"])
        third = auth_client.get(second.json()["next"])
        back = auth_client.get(third.json()["previous"])
        assert back.json()["results"] == second.json()["results"]
        again = auth_client.get(back.json()["previous"])
        assert again.json()["results"] == first.json()["results"]
        assert again.json()["previous"] is None


class TestPagingByCreated:
    @pytest.mark.parametrize("ordering", ["created_at", "-created_at"])
    @pytest.mark.parametrize("page_size", [1, 2, 3])
    def test_ties_in_created_at_are_paged_by_id(self, auth_client, upload, ordering, page_size):
        ids = [upload(image_bytes(color=(n, 7, 7)))["id"] for n in range(7)]
        moment = datetime(2024, 5, 6, 12, tzinfo=UTC)
        Image.objects.filter(pk__in=ids[:3]).update(created_at=moment)
        Image.objects.filter(pk__in=ids[3:6]).update(created_at=moment + timedelta(microseconds=1))
        Image.objects.filter(pk=ids[6]).update(created_at=moment - timedelta(days=1))
        rows = list(Image.objects.values_list("id", "created_at"))
        expected = expected_order([(str(pk), value) for pk, value in rows], ordering)

        forwards, backwards = walk(auth_client, ordering=ordering, page_size=page_size)
        assert forwards == expected
        assert backwards == expected


# --- the property: any set of values, any page size, either field, either direction --------

MOMENTS = [
    datetime(2024, 5, 6, 12, tzinfo=UTC),
    datetime(2024, 5, 6, 12, 0, 0, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
]
values = st.one_of(
    st.none(),
    st.sampled_from(MOMENTS),  # ties, and neighbours a microsecond apart
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)


@given(
    taken=st.lists(values, max_size=11),
    page_size=st.integers(1, 4),
    ordering=st.sampled_from(["taken_at", "-taken_at", "created_at", "-created_at"]),
)
@WALKS
def test_pages_concatenate_to_the_sorted_list(auth_client, user, taken, page_size, ordering):
    Image.objects.all().delete()
    images = Image.objects.bulk_create(
        Image(
            owner=user,
            status=Image.Status.READY,
            format="JPEG",
            width=1,
            height=1,
            size=1,
            checksum=f"{n:064x}",
            taken_at=value,
        )
        for n, value in enumerate(taken)
    )
    # created_at gets the same values (the undated share one instant): ties there too.
    for image, value in zip(images, taken, strict=True):
        Image.objects.filter(pk=image.pk).update(created_at=value or MOMENTS[0])
    field = ordering.lstrip("-")
    rows = [(str(pk), value) for pk, value in Image.objects.values_list("id", field)]

    forwards, backwards = walk(auth_client, ordering=ordering, page_size=page_size)

    expected = expected_order(rows, ordering)
    assert forwards == expected
    assert backwards == expected
