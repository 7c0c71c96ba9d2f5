"""HTTP range requests (RFC 9110 §14): which bytes of a file a ``Range`` header asks for.

Plain Python, no Django: the header is parsed and planned here, and ``images.delivery`` builds
the response. Two rules shape the plan. A header that is not valid ``bytes`` ranges is ignored,
as if absent (§14.2), so the whole file goes out with a 200. And a range request costs the
server what the client chooses, so it is bounded: ranges that overlap or touch are coalesced,
and past ``MAX_RANGES`` ranges, or ranges asking for more bytes than the file has (the
``bytes=0-,0-,0-...`` amplification of CVE-2011-3192), the whole file is sent instead, which
§14.2 allows for any range request.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

# More ranges than this and the whole file is sent instead: a video player asks for one, a
# PDF or download resumer for a few.
MAX_RANGES = 8
# A number longer than this is no offset into any stored file; such a header is ignored (and
# Python refuses to convert strings past 4,300 digits anyway).
_MAX_DIGITS = 30
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, order=True)
class ByteRange:
    """Bytes ``start`` up to, not including, ``stop`` of a file of ``size`` bytes."""

    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start

    def content_range(self, size: int) -> str:
        """The ``Content-Range`` value for these bytes: ``bytes 0-99/1000`` (last byte included)."""
        return f"bytes {self.start}-{self.stop - 1}/{size}"


# A range as written: (first, last) positions, ``last`` open-ended when ``None``; or
# (None, n): the last n bytes.
RangeSpec = tuple[int | None, int | None]


class Outcome(StrEnum):
    """What to answer: the whole file (200), some of its bytes (206) or none (416)."""

    FULL = "full"
    PARTIAL = "partial"
    UNSATISFIABLE = "unsatisfiable"


@dataclass(frozen=True)
class RangePlan:
    """The answer to one request: its outcome, and for ``PARTIAL`` the ranges in file order."""

    outcome: Outcome
    ranges: tuple[ByteRange, ...] = ()


FULL = RangePlan(Outcome.FULL)


def range_specs_parse(header: str) -> list[RangeSpec] | None:
    """The range specs of a ``Range`` header, or ``None`` if it is not valid byte ranges.

    ``bytes=0-99``, ``bytes=100-`` and ``bytes=-100`` (the last 100 bytes), several separated
    by commas; the unit is case-insensitive, whitespace allowed around the commas only. An
    int-range whose last position is before its first makes the header invalid (§14.1.2).
    """
    unit, equals, spec_list = header.strip().partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    specs: list[RangeSpec] = []
    # A list may hold empty elements ("1#" in RFC 9110 §5.6.1), but not only those.
    for element in spec_list.split(","):
        element = element.strip(" \t")
        if not element:
            continue
        first, dash, last = element.partition("-")
        if not dash or not _number(last, optional=True) or not _number(first, optional=True):
            return None
        if not first:
            if not last:
                return None
            specs.append((None, int(last)))
            continue
        start, end = int(first), int(last) if last else None
        if end is not None and end < start:
            return None
        specs.append((start, end))
    return specs or None


def _number(text: str, *, optional: bool) -> bool:
    """Whether ``text`` is a position as the grammar writes one (ASCII digits), or empty if
    ``optional``."""
    if not text:
        return optional
    return len(text) <= _MAX_DIGITS and _DIGITS.fullmatch(text) is not None


def range_plan(header: str | None, *, size: int, max_ranges: int = MAX_RANGES) -> RangePlan:
    """What to send for ``Range: header`` on a file of ``size`` bytes (§14.2).

    ``FULL`` when there is no header, it is invalid, or it asks too much (more than
    ``max_ranges`` ranges, or more bytes in all than the file holds when there are several);
    ``UNSATISFIABLE`` when no range starts inside the file (``bytes=-0`` included, and any
    range of an empty file); otherwise ``PARTIAL`` with the satisfiable ranges clamped to the
    file, sorted, and those overlapping or adjacent merged.
    """
    if header is None:
        return FULL
    specs = range_specs_parse(header)
    if specs is None or len(specs) > max_ranges:
        return FULL
    ranges = [r for r in (_resolve(spec, size) for spec in specs) if r is not None]
    if not ranges:
        return RangePlan(Outcome.UNSATISFIABLE)
    if len(ranges) > 1 and sum(r.length for r in ranges) > size:
        return FULL
    return RangePlan(Outcome.PARTIAL, tuple(ranges_coalesce(ranges)))


def _resolve(spec: RangeSpec, size: int) -> ByteRange | None:
    """The bytes of the file one spec names, or ``None`` if it names none of them."""
    first, last = spec
    if first is None:
        suffix = last or 0
        if suffix == 0 or size == 0:
            return None
        return ByteRange(max(size - suffix, 0), size)
    if first >= size:
        return None
    stop = size if last is None else min(last + 1, size)
    return ByteRange(first, stop)


def ranges_coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    """The ranges sorted, with those that overlap or touch merged into one."""
    merged: list[ByteRange] = []
    for current in sorted(ranges):
        if merged and current.start <= merged[-1].stop:
            previous = merged.pop()
            current = ByteRange(previous.start, max(previous.stop, current.stop))
        merged.append(current)
    return merged


def if_range_holds(value: str | None, *, etag: str, last_modified: datetime | None) -> bool:
    """Whether ``If-Range: value`` lets the range apply (§13.1.5); true without the header.

    An entity tag must equal ``etag`` by strong comparison (a weak tag, ``W/"..."``, never
    matches); an HTTP-date must equal ``last_modified`` to the second (there is none to match
    when none was sent). Anything else is a validator that does not match: the whole file.
    """
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return value == etag and not etag.startswith("W/")
    if last_modified is None:
        return False
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    if date.tzinfo is None:  # asctime dates carry no zone; HTTP dates are all UTC
        date = date.replace(tzinfo=UTC)
    return int(date.timestamp()) == int(last_modified.timestamp())


__all__ = [
    "FULL",
    "MAX_RANGES",
    "ByteRange",
    "Outcome",
    "RangePlan",
    "if_range_holds",
    "range_plan",
    "range_specs_parse",
    "ranges_coalesce",
]
