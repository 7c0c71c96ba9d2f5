"""The timeline's days and months as the API spells them (``2024-07-14``, ``2024-07``), and the
half-open ranges of ``Image.timeline_at`` they cover.

``timeline_at`` is the camera's wall clock stored as if it were UTC (``images.models``), so a
day of the timeline is a day in UTC: the range ``[day 00:00 UTC, next day 00:00 UTC)``. One
parser for every parameter that names one (the list's filters, its jump, the buckets, "on
this day"), strict on the spelling: ``2024-7-1`` is refused, not read as a guess.
"""

import re
from datetime import UTC, date, datetime, timedelta

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")

DAY_FORMAT = "YYYY-MM-DD"
MONTH_FORMAT = "YYYY-MM"


def day_parse(text: str) -> date:
    """``YYYY-MM-DD`` → its date; ``ValueError`` with a sentence for a person if it is not one."""
    found = _DAY.fullmatch(text)
    if found is None:
        raise ValueError(f"A day as {DAY_FORMAT}, e.g. 2024-07-14.")
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        raise ValueError(f"No such day: {text}.") from None


def month_parse(text: str) -> date:
    """``YYYY-MM`` → the month's first day; ``ValueError`` if it is not one."""
    found = _MONTH.fullmatch(text)
    if found is None:
        raise ValueError(f"A month as {MONTH_FORMAT}, e.g. 2024-07.")
    year, month = (int(part) for part in found.groups())
    if year < 1 or not 1 <= month <= 12:
        raise ValueError(f"No such month: {text}.")
    return date(year, month, 1)


def year_parse(text: str) -> int:
    """``YYYY`` → the year; ``ValueError`` if it is not one."""
    if _YEAR.fullmatch(text) is None or int(text) < 1:
        raise ValueError("A year as YYYY, e.g. 2024.")
    return int(text)


def month_next(first: date) -> date | None:
    """The first day of the month after ``first``'s; None past the calendar's end."""
    if first.month == 12:
        return None if first.year == date.max.year else date(first.year + 1, 1, 1)
    return date(first.year, first.month + 1, 1)


def day_next(day: date) -> date | None:
    """The day after ``day``; None past the calendar's end."""
    return None if day == date.max else day + timedelta(days=1)


def midnight(day: date | None) -> datetime | None:
    """``day``'s first instant on the timeline (UTC), or None for None."""
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_of(text: str) -> tuple[date, date | None]:
    """A day (``YYYY-MM-DD``) → itself and the day after (None past the calendar's end)."""
    day = day_parse(text)
    return day, day_next(day)


def month_of(text: str) -> tuple[date, date | None]:
    """A month (``YYYY-MM``) → its first day and the next month's (None past the calendar)."""
    first = month_parse(text)
    return first, month_next(first)


def period_parse(text: str) -> tuple[date, date | None]:
    """A day or a month (``YYYY-MM-DD`` or ``YYYY-MM``) → its first day and the day after its
    last (None past the calendar's end)."""
    if _DAY.fullmatch(text):
        day = day_parse(text)
        return day, day_next(day)
    if _MONTH.fullmatch(text):
        first = month_parse(text)
        return first, month_next(first)
    raise ValueError(f"A day as {DAY_FORMAT} or a month as {MONTH_FORMAT}, e.g. 2024-07.")


def month_text(first: date) -> str:
    """A month as the API spells it: ``2024-07``."""
    return f"{first.year:04d}-{first.month:02d}"
