"""The timeline's reads: an account's live pictures counted by month and by day, and the
pictures of "on this day".

The counts come from ``TimelineDay`` (kept by the database's triggers, ``images.counters``):
one row per day however many pictures the day holds, so the whole timeline of a
200,000-picture library is one statement over a few thousand small rows, never a scan of the
pictures. Months are summed by the database. A day's pictures are read through the keyset
index of the live pictures, ``(owner, -timeline_at, -id)``.

Only an ``Owner`` has a timeline: the counters are of a whole library, which no link, member,
partner or signed URL may see counted (``access.timeline_days_visible``, the scope of the counters,
answers nothing to any other principal).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from images import access, selectors
from images.models import Image
from images.timeline import periods

Group = Literal["month", "day"]
# "On this day" looks back this many years at most, and shows this many pictures of each.
ON_THIS_DAY_YEARS = 30
ON_THIS_DAY_PER_YEAR = 10


@dataclass(frozen=True)
class Bucket:
    """One month (its first day) or one day of the timeline, and its live pictures."""

    start: date
    count: int


@dataclass(frozen=True)
class Timeline:
    """The buckets asked for, newest first, and the sum of their counts."""

    group: Group
    buckets: list[Bucket]
    total: int


@dataclass(frozen=True)
class YearAgo:
    """The pictures of one earlier year's same day: the first few, and how many it has."""

    day: date
    count: int
    images: list[Image]


def timeline_buckets(
    *,
    principal: access.Principal,
    group: Group,
    year: int | None = None,
    month: date | None = None,
) -> Timeline:
    """``principal``'s timeline by month or by day, newest first, narrowed to one ``year``
    or one ``month`` (its first day) where given: one query."""
    days = access.timeline_days_visible(principal=principal)
    if year is not None:
        days = days.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
    if month is not None:
        following = periods.month_next(month)
        days = days.filter(day__gte=month)
        if following is not None:
            days = days.filter(day__lt=following)
    rows: Iterable[tuple[date, int]]
    if group == "month":
        rows = (
            days.annotate(month=TruncMonth("day"))
            .values("month")
            .annotate(n=Sum("count"))
            .order_by("-month")
            .values_list("month", "n")
        )
    else:
        rows = days.order_by("-day").values_list("day", "count")
    buckets = [Bucket(start=start, count=int(count)) for start, count in rows]
    return Timeline(group=group, buckets=buckets, total=sum(b.count for b in buckets))


def timeline_on_this_day(
    *,
    principal: access.Principal,
    today: date,
    years: int = ON_THIS_DAY_YEARS,
    per_year: int = ON_THIS_DAY_PER_YEAR,
    most_years: int | None = None,
) -> list[YearAgo]:
    """``principal``'s live pictures of ``today``'s month and day in each of the ``years``
    before it that has any, latest year first, at most ``per_year`` of each (newest first),
    and of those years only the latest ``most_years`` where given (a page showing five reads
    five, not thirty).

    Three queries whatever the library's size: the days, from the counters (30 rows at
    most, by their unique index); every day's first pictures' ids at once, each day's read
    by the timeline index with its own limit; then those rows. A 29 February looks at leap
    years only.
    """
    candidates = []
    for back in range(1, years + 1):
        try:
            candidates.append(today.replace(year=today.year - back))
        except ValueError:
            continue  # 29 February in a common year; or before year 1
    found = list(
        access.timeline_days_visible(principal=principal)
        .filter(day__in=candidates)
        .order_by("-day")
        .values_list("day", "count")[:most_years]
    )
    if not found:
        return []
    live = selectors.images_live(access.images_visible(principal=principal))
    # Each day's first pictures by the timeline index, at most ``per_year`` read of each
    # (SQLite allows no LIMIT inside a UNION's own parts, only inside a part's IN); then the
    # rows by their ids. Reading them in one statement with the days as an OR lets SQLite
    # walk the owner's whole index instead.
    firsts = [
        Image.objects.filter(
            pk__in=live.filter(
                timeline_at__gte=periods.midnight(day),
                timeline_at__lt=periods.midnight(periods.day_next(day)),
            )
            .order_by("-timeline_at", "-pk")
            .values("pk")[:per_year]
        )
        .order_by()
        .values_list("pk", flat=True)
        for day, _count in found
    ]
    ids = list(firsts[0].union(*firsts[1:], all=True))
    images = list(
        selectors.image_fields_for_listing(live.filter(pk__in=ids)).order_by("-timeline_at", "-pk")
    )
    by_day: dict[date, list[Image]] = {day: [] for day, _count in found}
    for image in images:
        by_day.setdefault(image.timeline_at.date(), []).append(image)
    return [
        YearAgo(day=day, count=int(count), images=by_day[day])
        for day, count in found
        if by_day[day]
    ]


__all__ = [
    "ON_THIS_DAY_PER_YEAR",
    "ON_THIS_DAY_YEARS",
    "Bucket",
    "Timeline",
    "YearAgo",
    "timeline_buckets",
    "timeline_on_this_day",
]
