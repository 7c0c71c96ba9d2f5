"""A render names where a photo was taken from its GPS, and gives a date without an offset the
offset of that place at that moment (daylight saving included)."""

import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PILImage
from PIL.TiffImagePlugin import IFDRational

from images.models import Image

pytestmark = pytest.mark.django_db

NEW_YORK = ("N", (40, 42, 46), "W", (74, 0, 22))  # 40.7128, -74.0061
MID_PACIFIC = ("N", (0, 0, 0), "W", (140, 0, 0))


def located_photo(position, *, taken: str | None, offset: str | None = None) -> bytes:
    """A JPEG taken at ``position`` (hemisphere, d/m/s twice), at ``taken`` by its clock."""
    exif = PILImage.Exif()
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken is not None:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat_ref, lat, lon_ref, lon = position
    gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
    gps[ExifTags.GPS.GPSLatitude] = tuple(IFDRational(part, 1) for part in lat)
    gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
    gps[ExifTags.GPS.GPSLongitude] = tuple(IFDRational(part, 1) for part in lon)
    buffer = io.BytesIO()
    PILImage.new("RGB", (32, 24), (90, 120, 200)).save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def detail(client, image_id: str) -> dict:
    response = client.get(reverse("image-detail", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


@pytest.mark.parametrize(
    ("taken", "instant", "offset"),
    [
        ("2024:07:04 21:30:00", "2024-07-05T01:30:00Z", "-04:00"),
        ("2024:01:04 09:00:00", "2024-01-04T14:00:00Z", "-05:00"),
    ],
    ids=["summer", "winter"],
)
def test_a_date_without_offset_gets_the_offset_of_where_it_was_taken(
    auth_client, upload, taken, instant, offset
):
    image = upload(located_photo(NEW_YORK, taken=taken))
    body = detail(auth_client, image["id"])
    assert body["taken_at"] == instant
    assert body["taken_at_offset"] == offset
    assert body["taken_at_local"] == taken.replace(":", "-", 2).replace(" ", "T") + offset
    row = Image.objects.get(pk=image["id"])
    assert row.taken_at_offset == int(offset[:3]) * 60
    assert (row.latitude, row.longitude) == pytest.approx((40.7128, -74.0061), abs=1e-3)


def test_the_place_is_named_and_listed(auth_client, upload):
    image = upload(located_photo(NEW_YORK, taken="2024:07:04 21:30:00"))
    place = detail(auth_client, image["id"])["place"]
    assert place["country_code"] == "US" and place["region"] == "New York"
    row = Image.objects.get(pk=image["id"])
    assert (row.place_country_code, row.place_region) == ("US", "New York")
    [listed] = auth_client.get(reverse("place-list")).json()["results"]
    assert (listed["city"], listed["count"]) == (place["city"], 1)


def test_an_offset_from_exif_is_kept_whatever_the_position(auth_client, upload):
    image = upload(located_photo(NEW_YORK, taken="2024:07:04 21:30:00", offset="+09:00"))
    body = detail(auth_client, image["id"])
    assert (body["taken_at"], body["taken_at_offset"]) == ("2024-07-04T12:30:00Z", "+09:00")
    assert body["place"]["country_code"] == "US"


def test_at_sea_no_place_but_the_nautical_offset(auth_client, upload):
    image = upload(located_photo(MID_PACIFIC, taken="2024:07:04 12:00:00"))
    body = detail(auth_client, image["id"])
    assert body["place"] is None
    assert (body["taken_at"], body["taken_at_offset"]) == ("2024-07-04T21:00:00Z", "-09:00")
    row = Image.objects.get(pk=image["id"])
    assert (row.latitude, row.longitude) == (0.0, -140.0)


def test_without_a_date_the_place_is_still_named(auth_client, upload):
    image = upload(located_photo(NEW_YORK, taken=None))
    body = detail(auth_client, image["id"])
    assert body["taken_at"] is None and body["taken_at_offset"] is None
    assert body["place"]["country_code"] == "US"
