"""The rows of a made-up photo library, seeded: what ``manage.py library_build`` inserts.

A measurement of lists, counts and search at 200,000 pictures is only as good as the rows it
runs over. An empty database filled in order (upload dates ascending, one owner at a time)
leaves every owner's rows packed together in the heap and every index in insertion order,
which real libraries never are; so here the rows of every account are interleaved at random,
dates taken cluster into days and trips over ~20 years (more of them recently), about one in
ten is undated, most carry the camera's UTC offset of wherever they were taken (through
``zoneinfo``, DST included), about 60 % have GPS near one of a few dozen real cities, and the
camera facts are in ``metadata`` with the keys ``imaging.exif`` writes. No file exists: the
``*_key`` fields name files that were never stored, since lists and counts never open one.

Nothing here touches the database; ``library_build`` turns these dicts into rows.
"""

import functools
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# One city a line: name | region | country | ISO country code | latitude | longitude | IANA zone.
_CITY_TABLE = """
Paris | Île-de-France | France | FR | 48.8566 | 2.3522 | Europe/Paris
Lyon | Auvergne-Rhône-Alpes | France | FR | 45.764 | 4.8357 | Europe/Paris
London | England | United Kingdom | GB | 51.5072 | -0.1276 | Europe/London
Edinburgh | Scotland | United Kingdom | GB | 55.9533 | -3.1883 | Europe/London
Berlin | Berlin | Germany | DE | 52.52 | 13.405 | Europe/Berlin
München | Bavaria | Germany | DE | 48.1351 | 11.582 | Europe/Berlin
Madrid | Madrid | Spain | ES | 40.4168 | -3.7038 | Europe/Madrid
Sevilla | Andalusia | Spain | ES | 37.3891 | -5.9845 | Europe/Madrid
Roma | Lazio | Italy | IT | 41.9028 | 12.4964 | Europe/Rome
Venezia | Veneto | Italy | IT | 45.4408 | 12.3155 | Europe/Rome
Lisboa | Lisbon | Portugal | PT | 38.7223 | -9.1393 | Europe/Lisbon
Amsterdam | North Holland | Netherlands | NL | 52.3676 | 4.9041 | Europe/Amsterdam
Zürich | Zurich | Switzerland | CH | 47.3769 | 8.5417 | Europe/Zurich
Kraków | Lesser Poland | Poland | PL | 50.0647 | 19.945 | Europe/Warsaw
Reykjavík | Capital Region | Iceland | IS | 64.1466 | -21.9426 | Atlantic/Reykjavik
İstanbul | İstanbul | Turkey | TR | 41.0082 | 28.9784 | Europe/Istanbul
New York | New York | United States | US | 40.7128 | -74.006 | America/New_York
San Francisco | California | United States | US | 37.7749 | -122.4194 | America/Los_Angeles
Chicago | Illinois | United States | US | 41.8781 | -87.6298 | America/Chicago
Honolulu | Hawaii | United States | US | 21.3069 | -157.8583 | Pacific/Honolulu
Montréal | Quebec | Canada | CA | 45.5017 | -73.5673 | America/Toronto
Ciudad de México | Mexico City | Mexico | MX | 19.4326 | -99.1332 | America/Mexico_City
São Paulo | São Paulo | Brazil | BR | -23.5505 | -46.6333 | America/Sao_Paulo
Buenos Aires | Buenos Aires | Argentina | AR | -34.6037 | -58.3816 | America/Argentina/Buenos_Aires
Tōkyō | Tokyo | Japan | JP | 35.6762 | 139.6503 | Asia/Tokyo
Kyōto | Kyoto | Japan | JP | 35.0116 | 135.7681 | Asia/Tokyo
Seoul | Seoul | South Korea | KR | 37.5665 | 126.978 | Asia/Seoul
Singapore | Singapore | Singapore | SG | 1.3521 | 103.8198 | Asia/Singapore
Mumbai | Maharashtra | India | IN | 19.076 | 72.8777 | Asia/Kolkata
Kathmandu | Bagmati | Nepal | NP | 27.7172 | 85.324 | Asia/Kathmandu
Dubai | Dubai | United Arab Emirates | AE | 25.2048 | 55.2708 | Asia/Dubai
Cairo | Cairo | Egypt | EG | 30.0444 | 31.2357 | Africa/Cairo
Cape Town | Western Cape | South Africa | ZA | -33.9249 | 18.4241 | Africa/Johannesburg
Nairobi | Nairobi | Kenya | KE | -1.2921 | 36.8219 | Africa/Nairobi
Sydney | New South Wales | Australia | AU | -33.8688 | 151.2093 | Australia/Sydney
Adelaide | South Australia | Australia | AU | -34.9285 | 138.6007 | Australia/Adelaide
Auckland | Auckland | New Zealand | NZ | -36.8485 | 174.7633 | Pacific/Auckland
Chatham Islands | Chatham Islands | New Zealand | NZ | -43.9535 | -176.5597 | Pacific/Chatham
"""
# One camera a line: make | model | lens (- where a phone's EXIF names none) | format | w | h.
_CAMERA_TABLE = """
Apple | iPhone 6s | iPhone 6s back camera 4.15mm f/2.2 | JPEG | 4032 | 3024
Apple | iPhone 12 | iPhone 12 back dual wide camera 4.2mm f/1.6 | HEIF | 4032 | 3024
Apple | iPhone 15 Pro | iPhone 15 Pro back triple camera 6.765mm f/1.78 | HEIF | 4032 | 3024
Google | Pixel 7 | - | JPEG | 4080 | 3072
samsung | SM-G991B | - | JPEG | 4000 | 3000
Canon | Canon EOS 5D Mark III | EF24-105mm f/4L IS USM | JPEG | 5760 | 3840
Canon | Canon EOS R6 | RF24-105mm F4 L IS USM | JPEG | 5472 | 3648
Canon | Canon PowerShot S95 | - | JPEG | 3648 | 2736
NIKON CORPORATION | NIKON D750 | 24.0-120.0 mm f/4.0 | JPEG | 6016 | 4016
NIKON CORPORATION | NIKON Z 6 | NIKKOR Z 24-70mm f/4 S | JPEG | 6048 | 4024
SONY | ILCE-7M3 | FE 35mm F1.8 | JPEG | 6000 | 4000
FUJIFILM | X-T3 | XF23mmF2 R WR | JPEG | 6240 | 4160
OLYMPUS IMAGING CORP. | E-M10 | OLYMPUS M.14-42mm F3.5-5.6 II R | JPEG | 4608 | 3456
Panasonic | DMC-GX80 | LUMIX G VARIO 12-32/F3.5-5.6 | JPEG | 4592 | 3448
"""

CITIES: tuple[tuple[str, str, str, str, float, float, str], ...] = tuple(
    (name, region, country, code, float(lat), float(lon), zone)
    for name, region, country, code, lat, lon, zone in (
        [cell.strip() for cell in line.split("|")] for line in _CITY_TABLE.strip().splitlines()
    )
)
CAMERAS: tuple[tuple[str, str, str | None, str, int, int], ...] = tuple(
    (make, model, None if lens == "-" else lens, media_format, int(width), int(height))
    for make, model, lens, media_format, width, height in (
        [cell.strip() for cell in line.split("|")] for line in _CAMERA_TABLE.strip().splitlines()
    )
)

# Words for titles and descriptions; the search benchmark looks for one of them.
SUBJECTS = (
    *("sunset", "beach", "birthday", "mountain", "lake", "market", "snow", "wedding"),
    *("cathedral", "harbour", "garden", "concert", "picnic", "lighthouse", "bridge", "forest"),
    *("museum", "breakfast", "train", "festival", "river", "castle", "rooftop", "vineyard"),
)
MOODS = ("Quiet", "Golden", "Rainy", "Late", "Early", "Windy", "Lazy", "Busy", "First")
PEOPLE = ("Anna", "Léo", "Mum", "Dad", "grandma", "the kids", "Zoé", "Sam", "Noah", "Inès")
STYLE_WEIGHTS = (("none", 80), ("sepia", 6), ("grayscale", 6), ("vintage", 4), ("cartoon", 4))

# Shares of rows: no date taken; GPS; the camera's offset known (of those dated); in the
# trash; favourites; with a title; with a description.
UNDATED = 0.10
WITH_GPS = 0.60
OFFSET_KNOWN = 0.70
TRASHED = 0.01
FAVOURITE = 0.04
TITLED = 0.30
DESCRIBED = 0.08
YEARS = 20
# Pictures per event (a day out, a party, a trip's day) on average.
EVENT_SIZE = 8


@dataclass
class Owner:
    """One account's generator state: its events (local start, city) and home cities."""

    id: uuid.UUID
    events: list[tuple[datetime, int]] = field(default_factory=list)
    cameras: list[int] = field(default_factory=list)
    counter: int = 0


def owner_plan(*, rng: random.Random, owner_id: uuid.UUID, pictures: int, end: datetime) -> Owner:
    """An account's events over ``YEARS`` years to ``end``: more recent years have more."""
    owner = Owner(id=owner_id)
    home = rng.randrange(len(CITIES))
    span = timedelta(days=365.25 * YEARS).total_seconds()
    for _ in range(max(1, math.ceil(pictures / EVENT_SIZE))):
        # Density rising towards ``end`` (1 - u**0.6 puts more weight near 0 = now).
        back = (rng.random() ** 0.6) * span
        start = end - timedelta(seconds=back)
        # Events start in the daytime, local: a wall-clock hour, not a UTC one.
        start = start.replace(hour=rng.randint(7, 20), minute=rng.randrange(60), tzinfo=None)
        city = home if rng.random() < 0.6 else rng.randrange(len(CITIES))
        owner.events.append((start, city))
    owner.cameras = rng.sample(range(len(CAMERAS)), k=3)
    return owner


def picture_row(*, rng: random.Random, owner: Owner, end: datetime) -> dict[str, Any]:
    """One picture of ``owner``: the field values of an ``images.Image`` row (no file)."""
    owner.counter += 1
    image_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    local_start, city_index = owner.events[rng.randrange(len(owner.events))]
    city, region, country, code, lat, lon, zone = CITIES[city_index]
    local = local_start + timedelta(seconds=min(rng.expovariate(1 / 3600), 6 * 3600))
    make, model, lens, media_format, width, height = CAMERAS[rng.choice(owner.cameras)]
    if rng.random() < 0.3:
        width, height = height, width

    taken_at: datetime | None = None
    offset: int | None = None
    if rng.random() >= UNDATED:
        if rng.random() < OFFSET_KNOWN:
            aware = local.replace(tzinfo=_zone(zone))
            delta = aware.utcoffset() or timedelta(0)
            offset = int(delta.total_seconds() // 60)
            taken_at = aware.astimezone(UTC)
        else:
            # As imaging.exif stores a reading without an offset: the wall clock, labelled UTC.
            taken_at = local.replace(tzinfo=UTC)
        created_at = taken_at + _upload_delay(rng)
    else:
        back = (rng.random() ** 0.6) * timedelta(days=365.25 * YEARS).total_seconds()
        created_at = end - timedelta(seconds=back)
    created_at = min(created_at, end - timedelta(seconds=rng.randrange(1, 86400)))

    latitude = longitude = None
    place: dict[str, str] = {}
    if rng.random() < WITH_GPS:
        latitude = round(lat + rng.uniform(-0.04, 0.04), 7)
        longitude = round(lon + rng.uniform(-0.04, 0.04), 7)
        if longitude > 180:
            longitude -= 360
        elif longitude < -180:
            longitude += 360
        place = {
            "place_city": city,
            "place_region": region,
            "place_country": country,
            "place_country_code": code,
        }
    exposure = rng.choice((1 / 4000, 1 / 1000, 1 / 250, 1 / 125, 1 / 60, 1 / 30, 0.5))
    metadata = {
        "camera_make": make,
        "camera_model": model,
        "lens": lens,
        "exposure_time": exposure,
        "exposure_time_display": f"1/{round(1 / exposure)}" if exposure < 1 else str(exposure),
        "f_number": rng.choice((1.6, 1.8, 2.2, 2.8, 4.0, 5.6, 8.0, 11.0)),
        "iso": rng.choice((50, 100, 200, 400, 800, 1600, 3200)),
        "focal_length": rng.choice((4.2, 6.77, 24.0, 35.0, 50.0, 85.0)),
        "latitude": latitude,
        "longitude": longitude,
        "altitude": round(rng.uniform(0, 400), 1) if latitude is not None else None,
    }
    subject = rng.choice(SUBJECTS)
    title = ""
    if rng.random() < TITLED:
        title = f"{rng.choice(MOODS)} {subject} in {city}"
    description = ""
    if rng.random() < DESCRIBED:
        description = f"{subject.capitalize()} with {rng.choice(PEOPLE)}, {local:%B %Y}."
    number = rng.randrange(10000)
    prefix = "IMG" if make in ("Apple", "Canon") else "DSC" if make != "Google" else "PXL"
    extension = {"HEIF": "HEIC", "JPEG": "JPG"}[media_format]
    size = int(width * height * rng.uniform(0.18, 0.45))
    style = _weighted(rng, STYLE_WEIGHTS)
    key = f"{owner.id}/{image_id}"
    trashed_at = None
    if rng.random() < TRASHED:
        trashed_at = max(created_at, end - timedelta(days=rng.uniform(0, 20)))
    return {
        "id": image_id,
        "owner_id": owner.id,
        "title": title,
        "description": description,
        "style": style,
        "rendered_style": style,
        "status": "ready",
        "kind": "photo",
        "original_filename": f"{prefix}_{number:04d}.{extension}",
        "format": media_format,
        "width": width,
        "height": height,
        "size": size,
        # The renditions (processed, preview, thumbnail, each also in AVIF and WebP).
        "stored_bytes": size + int(size * 0.9),
        "checksum": f"{rng.getrandbits(256):064x}",
        "original_key": f"{key}/original.{extension.lower()}",
        "processed_key": f"{key}/processed-{rng.getrandbits(32):08x}.jpg",
        "preview_key": f"{key}/preview-{rng.getrandbits(32):08x}.jpg",
        "thumbnail_key": f"{key}/thumbnail-{rng.getrandbits(32):08x}.jpg",
        "thumbnail_avif_key": f"{key}/thumbnail-{rng.getrandbits(32):08x}.avif",
        "thumbnail_webp_key": f"{key}/thumbnail-{rng.getrandbits(32):08x}.webp",
        # A ThumbHash is ~25 bytes, ~36 in base64.
        "placeholder": f"{rng.getrandbits(200):050x}"[:36],
        "is_favorite": rng.random() < FAVOURITE,
        "taken_at": taken_at,
        "taken_at_offset": offset,
        "metadata": metadata,
        "latitude": latitude,
        "longitude": longitude,
        **place,
        "trashed_at": trashed_at,
        "created_at": created_at,
        "updated_at": trashed_at or created_at,
    }


@functools.cache
def _zone(name: str) -> ZoneInfo:
    # ZoneInfo keeps only the last few zones strongly: with dozens in turn, it reads the
    # files again and again.
    return ZoneInfo(name)


def _upload_delay(rng: random.Random) -> timedelta:
    """From shutter to upload: most within a day (a phone's sync), some months or years."""
    draw = rng.random()
    if draw < 0.55:
        return timedelta(seconds=rng.uniform(30, 86400))
    if draw < 0.85:
        return timedelta(days=rng.uniform(1, 45))
    return timedelta(days=rng.uniform(45, 365.25 * 6))


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    total = sum(weight for _, weight in choices)
    draw = rng.uniform(0, total)
    for value, weight in choices:
        draw -= weight
        if draw <= 0:
            return value
    return choices[-1][0]


def owner_order(*, rng: random.Random, counts: list[int]) -> list[int]:
    """Owner indexes, one per row, shuffled: the order rows are inserted in."""
    order = [index for index, count in enumerate(counts) for _ in range(count)]
    rng.shuffle(order)
    return order


def build_end(now: datetime | None = None) -> datetime:
    """The library's 'now': the start of today (UTC), so a day's builds are the same rows."""
    now = now or datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)
