"""How the pages word and shape what the selectors and serializers return, for every page.

The owner's pages (``web.views``) and a share's public pages (``web.share_pages``) show the
same things: a picture's alt text, its tile's shape, when it was taken, its camera's details,
links the pagination built. One spelling of each, here, so the two sides cannot drift apart.
Nothing here reads the database or decides who may see what.

A tile (``tile_media``) offers the thumbnail and the preview in ``srcset`` with ``sizes`` from
its shape and the grid's row heights (``app.css``), so a phone at 375 px and 2× fetches the
480 px thumbnail and only a tile taller than that takes the preview; it paints the image's
ThumbHash, decoded here to an 8 px PNG in a ``data:`` URI (the pages' CSP admits ``data:``
images), until the bytes arrive; and a video's tile says so, with its duration.
"""

import base64
import binascii
import functools
import io
import math
from datetime import UTC
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.utils.dateparse import parse_datetime

from imaging.thumbhash import thumbhash_decode, thumbhash_from_text

# Tile shapes: ratios from 1/RATIO_STEP**RATIO_STEPS to RATIO_STEP**RATIO_STEPS (1:10 to 10:1),
# a class each in app.css.
RATIO_STEP = 1.02
RATIO_STEPS = 116


def alt_text(data: dict[str, Any]) -> str:
    """A picture's text alternative: its title, else its file name, else a plain phrase."""
    return data.get("title") or data.get("original_filename") or "Untitled picture"


def ratio_class(width: int, height: int) -> str:
    """The tile's shape class, ``k<n>``: its width-to-height ratio as ``RATIO_STEP ** n``.

    A justified row gives each tile a base width and a share of the row's spare width both in
    proportion to its ratio, and the tile's height follows from its width by that same ratio
    (``app.css``): every tile of a row ends equally tall, the row exactly fills the width, and
    each picture keeps its shape (to within half a step, 1 %), laid out from the server's
    numbers before any byte of it loads. A class, not a ``style`` attribute: the pages' CSP
    allows no inline style. ``gallery.js`` does the same for the tiles it adds.
    """
    ratio = width / height if width > 0 and height > 0 else 1.0
    step = math.floor(math.log(ratio) / math.log(RATIO_STEP) + 0.5)  # as Math.round
    return f"k{min(RATIO_STEPS, max(-RATIO_STEPS, step))}"


def local_path(url: str | None) -> str | None:
    """An absolute link built for this page's request (a next page), as a path on this site."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def query_string(params: dict[str, str]) -> str:
    """``params`` as a query string with its ``?``, or nothing."""
    return f"?{urlencode(params)}" if params else ""


def taken_display(data: dict[str, Any]) -> dict[str, Any] | None:
    """When the photo was taken, as the camera's clock said (``taken_at_local``), with its
    UTC offset where the camera recorded one: a photo taken at 18:32 in Paris reads 18:32."""
    if "taken_at_local" in data:
        local = data["taken_at_local"]
        wall = parse_datetime(local) if local else None
        if wall is None:
            return None
        offset = data.get("taken_at_offset")
        return {"iso": local, "wall": wall.replace(tzinfo=None), "offset": offset}
    # A representation without the local time: the instant, in UTC, said as such.
    taken_at = parse_datetime(data["taken_at"]) if data.get("taken_at") else None
    if taken_at is None:
        return None
    utc = taken_at.astimezone(UTC)
    return {"iso": data["taken_at"], "wall": utc.replace(tzinfo=None), "offset": "+00:00"}


def _number(value: float) -> str:
    return f"{value:g}"


def photo_facts(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """The camera's metadata as a photographer reads it: "1/250 s", "f/1.8", "50 mm", "ISO 100"."""
    facts: list[tuple[str, str]] = []
    make, model = metadata.get("camera_make"), metadata.get("camera_model")
    if model and make and not model.casefold().startswith(make.casefold()):
        facts.append(("Camera", f"{make} {model}"))
    elif model or make:
        facts.append(("Camera", str(model or make)))
    if metadata.get("lens"):
        facts.append(("Lens", metadata["lens"]))
    exposure = metadata.get("exposure_time")
    if exposure:
        denominator = 1 / exposure
        if exposure < 1 and abs(denominator - round(denominator)) < 0.05 * denominator:
            facts.append(("Exposure", f"1/{round(denominator)} s"))
        else:
            facts.append(("Exposure", f"{_number(round(exposure, 1))} s"))
    if metadata.get("f_number"):
        facts.append(("Aperture", f"f/{_number(round(metadata['f_number'], 1))}"))
    if metadata.get("focal_length"):
        facts.append(("Focal length", f"{_number(round(metadata['focal_length'], 1))} mm"))
    if metadata.get("iso"):
        facts.append(("ISO", f"ISO {metadata['iso']}"))
    latitude, longitude = metadata.get("latitude"), metadata.get("longitude")
    if latitude is not None and longitude is not None:
        north = "N" if latitude >= 0 else "S"
        east = "E" if longitude >= 0 else "W"
        facts.append(("Location", f"{abs(latitude):.5f}° {north}, {abs(longitude):.5f}° {east}"))
    if metadata.get("altitude") is not None:
        facts.append(("Altitude", f"{_number(round(metadata['altitude']))} m"))
    return facts


def place_display(data: dict[str, Any]) -> dict[str, str] | None:
    """Where a picture was taken, for its page: ``name`` ("Paris, Île-de-France, France"; blank
    where the position names no place, at sea) and ``map``, the spot on OpenStreetMap.

    Only from what the body shows: a body without the camera's metadata (a partner's picture
    whose owner keeps it back) has neither position nor place, and gets None. The map is a
    plain link: nothing is loaded from OpenStreetMap by the page.
    """
    metadata = data.get("metadata") or {}
    latitude, longitude = metadata.get("latitude"), metadata.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    place = data.get("place") or {}
    parts = [place.get("city"), place.get("region"), place.get("country")]
    # A city that is its own region (Paris, Île-de-France is not; Berlin, Berlin is) once.
    names = [part for i, part in enumerate(parts) if part and part not in parts[:i]]
    lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
    return {
        "name": ", ".join(names),
        "map": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=15/{lat}/{lon}",
    }


# The grid's tallest row in CSS px (``app.css``: --row × --row-grow), on phones (up to
# PHONE_MAX_WIDTH px wide) and elsewhere: what ``sizes`` tells the browser a tile may need.
PHONE_MAX_WIDTH = 640
PHONE_ROW_MAX = 168
ROW_MAX = 238
# The widest a tile gets: the page's content width (``main``'s max-width).
PAGE_MAX_WIDTH = 1600
# A ThumbHash is a blur: 8 px (a PNG of about 170 bytes) is plenty once the browser scales it
# smoothly to the tile; 30 tiles' placeholders add about 7 kB to a gallery page.
PLACEHOLDER_EDGE = 8


def tile_media(data: dict[str, Any]) -> dict[str, Any]:
    """What a tile shows before and instead of its bytes, from an image's API body (or a tile
    made from one, with the rendition URLs as ``thumbnail``, ``preview``, ``processed``).

    ``srcset`` and ``sizes`` (empty where there is no thumbnail yet), ``placeholder`` (a
    ``data:`` URI or empty), ``video`` (bool) and ``duration`` (``m:ss``, or empty; in
    words for screen readers as ``duration_words``).
    """
    urls = data.get("urls") or data
    width, height = data.get("width") or 0, data.get("height") or 0
    media: dict[str, Any] = {
        "srcset": "",
        "sizes": "",
        "placeholder": placeholder_uri(data.get("placeholder") or ""),
        "video": data.get("kind") == "video",
        "duration": duration_text(data.get("duration")),
        "duration_words": duration_words(data.get("duration")),
    }
    thumbnail = urls.get("thumbnail")
    if not thumbnail or width <= 0 or height <= 0:
        return media
    limits = settings.ATELIER
    processed = _fit((width, height), limits["PROCESSED_MAX_EDGE"])
    thumbnail_width = _thumbnail_width(
        processed, limits["THUMBNAIL_EDGE"], limits["THUMBNAIL_MAX_EDGE"]
    )
    preview = urls.get("preview")
    preview_width = _fit(processed, limits["PREVIEW_EDGE"])[0]
    if not preview or preview_width <= thumbnail_width:
        return media  # one size only: ``src`` says it all
    candidates = [f"{thumbnail} {thumbnail_width}w", f"{preview} {preview_width}w"]
    ratio = width / height
    phone = round(min(ratio * PHONE_ROW_MAX, PHONE_MAX_WIDTH))
    wide = round(min(ratio * ROW_MAX, PAGE_MAX_WIDTH))
    media["srcset"] = ", ".join(candidates)
    media["sizes"] = f"(max-width: {PHONE_MAX_WIDTH}px) {phone}px, {wide}px"
    return media


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """``size`` with its long edge at most ``edge`` (as ``imaging.processing`` renders)."""
    width, height = size
    if max(size) <= edge:
        return size
    scale = edge / max(size)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _thumbnail_width(size: tuple[int, int], short_edge: int, max_edge: int) -> int:
    width, height = size
    scale = min(1.0, short_edge / min(width, height), max_edge / max(width, height))
    return width if scale >= 1.0 else max(1, round(width * scale))


@functools.lru_cache(maxsize=4096)
def placeholder_uri(text: str) -> str:
    """A stored ThumbHash as a tiny PNG ``data:`` URI; empty for none, or one unreadable."""
    if not text:
        return ""
    try:
        picture = thumbhash_decode(thumbhash_from_text(text), edge=PLACEHOLDER_EDGE)
    except (ValueError, binascii.Error):
        return ""
    if picture.getchannel("A").getextrema() == (255, 255):
        picture = picture.convert("RGB")  # opaque: no alpha channel to carry
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return f"data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def duration_text(seconds: float | None) -> str:
    """A video's length as players show it: ``0:42``, ``12:05``, ``1:02:03``; empty if unknown."""
    if seconds is None or seconds < 0:
        return ""
    total = math.floor(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def duration_words(seconds: float | None) -> str:
    """The same length for a screen reader: "42 seconds", "12 minutes 5 seconds"."""
    if seconds is None or seconds < 0:
        return ""
    total = math.floor(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "hour"), (minutes, "minute"), (secs, "second")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "0 seconds"
