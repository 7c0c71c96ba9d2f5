"""imaging/places.py alone: place names and time zones for known positions, and bad input."""

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imaging.exif import PhotoMetadata
from imaging.places import (
    PLACE_MAX_DISTANCE_KM,
    photo_localized,
    place_at,
    position_valid,
    utc_offset_at,
    zone_at,
)

NEW_YORK = (40.7128, -74.0060)


class TestPlaceAt:
    def test_paris_is_paris_ile_de_france_france(self):
        place = place_at(latitude=48.8566, longitude=2.3522)
        assert place is not None
        assert (place.city, place.region, place.country, place.country_code) == (
            "Paris",
            "Île-de-France",
            "France",
            "FR",
        )
        assert place.distance_km < 1

    def test_sydney_is_sydney_new_south_wales_australia(self):
        place = place_at(latitude=-33.8688, longitude=151.2093)
        assert place is not None
        assert (place.city, place.region, place.country_code) == (
            "Sydney",
            "New South Wales",
            "AU",
        )

    @pytest.mark.parametrize(
        ("latitude", "longitude"),
        [(0.0, -140.0), (-40.0, -120.0), (30.0, -40.0), (-30.0, 80.0)],
        ids=["pacific", "south-pacific", "atlantic", "indian"],
    )
    def test_the_middle_of_an_ocean_has_no_place(self, latitude, longitude):
        assert place_at(latitude=latitude, longitude=longitude) is None

    @pytest.mark.parametrize("latitude", [90.0, -90.0])
    def test_the_poles_have_no_place(self, latitude):
        # The nearest towns (Longyearbyen, Grytviken) are over 1,000 km away.
        assert place_at(latitude=latitude, longitude=0.0) is None
        assert place_at(latitude=latitude, longitude=180.0) is None

    def test_a_far_place_is_named_only_within_the_cutoff(self):
        # Longyearbyen is about 1,300 km from the North Pole.
        place = place_at(latitude=90.0, longitude=0.0, max_distance_km=2000)
        assert place is not None and place.country_code == "SJ"
        assert place.distance_km > PLACE_MAX_DISTANCE_KM

    def test_across_the_antimeridian_the_nearest_place_is_found(self):
        # East of the line (negative longitude); Labasa, Fiji, is west of it at +179.36.
        place = place_at(latitude=-16.45, longitude=-179.95)
        assert place is not None
        assert (place.city, place.country_code) == ("Labasa", "FJ")
        assert place.distance_km < 80
        # And the other way: Egvekinot, Chukotka, is at -179.12.
        place = place_at(latitude=66.32, longitude=179.9)
        assert place is not None
        assert (place.city, place.country_code) == ("Egvekinot", "RU")

    @pytest.mark.parametrize("longitude", [180.0, -180.0])
    def test_plus_and_minus_180_are_the_same_meridian(self, longitude):
        place = place_at(latitude=-16.8, longitude=longitude)
        assert place is not None and place.country_code == "FJ"

    def test_kiribati_on_both_sides_of_the_date_line(self):
        tarawa = place_at(latitude=1.33, longitude=173.0)
        kiritimati = place_at(latitude=1.87, longitude=-157.4)
        assert tarawa is not None and kiritimati is not None
        assert tarawa.country_code == kiritimati.country_code == "KI"


BAD_POSITIONS = [
    (math.nan, 0.0),
    (0.0, math.nan),
    (math.inf, 0.0),
    (0.0, -math.inf),
    (90.0001, 0.0),
    (-91.0, 0.0),
    (0.0, 180.0001),
    (0.0, -181.0),
    (1e308, 1e308),
    (True, False),
    (None, 0.0),
    ("48.8", "2.3"),
]


@pytest.mark.parametrize(("latitude", "longitude"), BAD_POSITIONS)
def test_a_bad_position_names_nothing_and_has_no_zone(latitude, longitude):
    assert not position_valid(latitude=latitude, longitude=longitude)
    assert place_at(latitude=latitude, longitude=longitude) is None
    assert zone_at(latitude=latitude, longitude=longitude) is None
    assert utc_offset_at(latitude=latitude, longitude=longitude, when=datetime(2024, 1, 1)) is None


@given(
    latitude=st.floats(allow_nan=True, allow_infinity=True),
    longitude=st.floats(allow_nan=True, allow_infinity=True),
    when=st.datetimes(),
)
def test_no_position_or_moment_raises(latitude, longitude, when):
    place = place_at(latitude=latitude, longitude=longitude)
    assert place is None or place.distance_km <= PLACE_MAX_DISTANCE_KM
    offset = utc_offset_at(latitude=latitude, longitude=longitude, when=when)
    assert offset is None or -14 * 60 <= offset <= 14 * 60


class TestUtcOffsetAt:
    def test_new_york_summer_and_winter(self):
        summer = datetime(2024, 7, 1, 16, 0, tzinfo=UTC)
        winter = datetime(2024, 1, 15, 17, 0, tzinfo=UTC)
        assert utc_offset_at(latitude=NEW_YORK[0], longitude=NEW_YORK[1], when=summer) == -240
        assert utc_offset_at(latitude=NEW_YORK[0], longitude=NEW_YORK[1], when=winter) == -300

    def test_a_naive_moment_is_the_local_wall_clock(self):
        # 2024-03-10 01:30 is still EST in New York; 03:30 is EDT.
        lat, lon = NEW_YORK
        assert utc_offset_at(latitude=lat, longitude=lon, when=datetime(2024, 3, 10, 1, 30)) == -300
        assert utc_offset_at(latitude=lat, longitude=lon, when=datetime(2024, 3, 10, 3, 30)) == -240

    def test_half_hour_and_date_line_zones(self):
        when = datetime(2024, 1, 15, 12, tzinfo=UTC)
        assert utc_offset_at(latitude=28.61, longitude=77.21, when=when) == 330  # Delhi
        assert utc_offset_at(latitude=1.87, longitude=-157.4, when=when) == 840  # Kiritimati

    def test_at_sea_the_nautical_zone(self):
        assert zone_at(latitude=0.0, longitude=-140.0) is not None
        assert utc_offset_at(latitude=0.0, longitude=-140.0, when=datetime(2024, 1, 1)) == -540

    @pytest.mark.parametrize("latitude", [90.0, -90.0])
    def test_the_poles_have_a_sane_offset(self, latitude):
        offset = utc_offset_at(latitude=latitude, longitude=0.0, when=datetime(2024, 1, 1))
        assert offset is None or -14 * 60 <= offset <= 14 * 60


class TestPhotoLocalized:
    def photo(self, *, taken_at, known=False, latitude=NEW_YORK[0], longitude=NEW_YORK[1]):
        return PhotoMetadata(
            taken_at=taken_at,
            taken_at_offset_known=known,
            metadata={"latitude": latitude, "longitude": longitude},
        )

    def test_a_wall_clock_labelled_utc_gets_the_offset_of_where_it_was_taken(self):
        wall = datetime(2024, 7, 4, 21, 30, tzinfo=UTC)  # the camera's 21:30, zone unknown
        localized = photo_localized(photo=self.photo(taken_at=wall))
        assert localized.taken_at_offset_known
        assert localized.taken_at == datetime(2024, 7, 5, 1, 30, tzinfo=UTC)  # the instant
        assert localized.taken_at.utcoffset() == timedelta(hours=-4)
        assert localized.taken_at.replace(tzinfo=None) == wall.replace(tzinfo=None)

    def test_winter_gets_the_winter_offset(self):
        wall = datetime(2024, 1, 4, 9, 0, tzinfo=UTC)
        localized = photo_localized(photo=self.photo(taken_at=wall))
        assert localized.taken_at is not None
        assert localized.taken_at.utcoffset() == timedelta(hours=-5)

    def test_an_offset_from_exif_is_kept(self):
        taken = datetime(2024, 7, 4, 21, 30, tzinfo=timezone(timedelta(hours=2)))
        photo = self.photo(taken_at=taken, known=True)
        assert photo_localized(photo=photo) is photo

    @pytest.mark.parametrize(
        ("latitude", "longitude"), [(None, None), (math.nan, 0.0), (95.0, 0.0)]
    )
    def test_without_a_usable_position_nothing_changes(self, latitude, longitude):
        photo = self.photo(
            taken_at=datetime(2024, 7, 4, tzinfo=UTC), latitude=latitude, longitude=longitude
        )
        assert photo_localized(photo=photo) is photo

    def test_without_a_date_nothing_changes(self):
        photo = self.photo(taken_at=None)
        assert photo_localized(photo=photo) is photo

    def test_the_first_datetime_east_of_utc_stays_as_it_was(self):
        photo = self.photo(
            taken_at=datetime.min.replace(tzinfo=UTC), latitude=48.85, longitude=2.35
        )
        assert photo_localized(photo=photo) is photo
