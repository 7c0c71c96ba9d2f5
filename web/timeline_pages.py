"""The gallery's timeline (issue 22, item 1): how the page opens on it and what it shows of it.

The gallery walks the timeline (``timeline_at``, newest first) unless another order is asked,
starts at a day or a month where the scrubber's links say so (``timeline_from``: the image
list's own jump, made a cursor by ``web.reads``), heads each month and day of the tiles, and
shows the years and months to jump to and "on this day", all read through ``web.reads`` (the
timeline's selectors, as the API's ``timeline/`` reads them). Nothing here decides who may
see what.
"""

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.http import HttpRequest
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from web import reads

GALLERY_DEFAULT_ORDERING = "-timeline_at"
TIMELINE_JUMP = "timeline_from"
# "On this day" on the gallery: the latest years first, a few pictures each.
ON_THIS_DAY_YEARS = 3
ON_THIS_DAY_TILES = 3


def gallery_start(params: dict[str, str], ordering: str) -> dict[str, str]:
    """``params`` with the cursor a jump (``timeline_from``) starts at, unless a cursor is
    given (the jump's next pages walk on by theirs); ``ListRefused`` where the image list
    would refuse the jump (a bad period, or another order than the timeline's)."""
    period = params.get(TIMELINE_JUMP)
    if period is None or "cursor" in params:
        return params
    cursor = reads.timeline_jump_cursor(period=period, ordering=ordering)
    return {**params, "cursor": cursor} if cursor else params


def with_ordering(url: str, ordering: str) -> str:
    """A next page's address naming the order it walks in: the API's list (where the page's
    script fetches it) has another default."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "ordering"]
    return f"{parts.path}?{urlencode([*query, ('ordering', ordering)])}"


def day_heads(tiles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tiles with the month and day headers that go before each: a header where the
    timeline's month or day changes (``timeline_at``'s date: the camera's local day)."""
    heads: list[dict[str, Any]] = []
    last: date | None = None
    for tile in tiles:
        when = parse_datetime(tile.get("timeline_at") or "")
        day = when.date() if when else None
        new_month = day is not None and (last is None or day.replace(day=1) != last.replace(day=1))
        heads.append(
            {
                "tile": tile,
                "month": day if new_month else None,
                "day": day if day is not None and day != last else None,
            }
        )
        last = day or last
    return heads


def scrubber_years(request: HttpRequest) -> list[dict[str, Any]]:
    """The years of the caller's timeline, newest first, each with its months (and counts):
    what the gallery's scrubber links to."""
    years: list[dict[str, Any]] = []
    for bucket in reads.timeline_months_read(request=request):
        if not years or years[-1]["year"] != bucket.start.year:
            years.append({"year": bucket.start.year, "months": []})
        years[-1]["months"].append({"start": bucket.start, "count": bucket.count})
    return years


def scrubber_html(years: list[dict[str, Any]]) -> SafeString:
    """The scrubber's list of years and months, built here rather than by template loops: a
    library of twenty years has some 240 months, and the page is rendered on every visit."""
    return format_html_join(
        "",
        '<li><a href="?timeline_from={}-12">{}</a><ol>{}</ol></li>',
        (
            (
                year["year"],
                year["year"],
                format_html_join(
                    "",
                    '<li><a href="?timeline_from={}">{}</a></li>',
                    (
                        (month["start"].strftime("%Y-%m"), dateformat.format(month["start"], "M"))
                        for month in year["months"]
                    ),
                ),
            )
            for year in years
        ),
    )


def album_options_html(albums: list[dict[str, str]], selected: str | None = None) -> SafeString:
    """``<option>``s of the caller's albums (the pickers' hundred at most), built once for
    the page's pickers rather than by a template loop each."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (a["id"], mark_safe(" selected") if a["id"] == selected else "", a["title"])
            for a in albums
        ),
    )


def on_this_day_years(request: HttpRequest) -> list[dict[str, Any]]:
    """The latest earlier years of today (UTC) with pictures, as ``timeline/on_this_day/``
    gives them (a few pictures of each)."""
    today = timezone.now().date()
    return reads.on_this_day_read(
        request=request, today=today, per_year=ON_THIS_DAY_TILES, most_years=ON_THIS_DAY_YEARS
    )
