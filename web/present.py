"""How the pages word and shape what the selectors and serializers return, for every page.

The owner's pages (``web.views``) and a share's public pages (``web.share_pages``) show the
same things: a picture's alt text, its tile's shape, when it was taken, its camera's details,
links the pagination built. One spelling of each, here, so the two sides cannot drift apart.
Nothing here reads the database or decides who may see what.
"""

import math
from datetime import UTC
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.utils.dateparse import parse_datetime

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
