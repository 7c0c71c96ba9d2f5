"""The counters the database keeps for each account: its storage, and its pictures per day
and per place.

Triggers on the image table (installed by migration ``0011``, for SQLite and PostgreSQL) keep
``LibraryUsage``, ``TimelineDay`` and ``PlaceCount`` in step with every insert, update and
delete, in the same transaction as the change, whatever made it. Reading them costs one row (or
one row per day), where summing the library cost a scan of every picture the account has: the
quota check under the owner's lock on every upload and render, ``users/me/`` and the timeline
all read them.

``counters_audit`` recounts from the image rows and says where a counter disagrees (the
storage audit runs it); ``counters_repair`` writes the recount back. A disagreement means a
trigger is missing or a row was written past the database (a restore of a dump without its
triggers, say).
"""

import uuid
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from images.models import Image, LibraryUsage, PlaceCount, TimelineDay
from users.models import User

__all__ = [
    "CounterMismatch",
    "counters_audit",
    "counters_repair",
    "library_usage",
    "library_usage_counted",
    "place_counts_counted",
    "timeline_days_counted",
]

USAGE_FIELDS = ("bytes", "images", "trash_bytes", "trash_images")


def library_usage(*, owner_id: uuid.UUID) -> dict[str, int]:
    """What the account stores, as the database keeps it: one row, however large the library."""
    row = LibraryUsage.objects.filter(owner_id=owner_id).values(
        *USAGE_FIELDS
    ).first() or dict.fromkeys(USAGE_FIELDS, 0)
    return {name: int(row[name]) for name in USAGE_FIELDS}


def library_usage_counted(*, owner_id: uuid.UUID) -> dict[str, int]:
    """The same, summed over the image rows (what the counter must equal)."""
    failed = Q(status=Image.Status.FAILED)
    trashed = Q(trashed_at__isnull=False)
    usage = Image.objects.filter(owner_id=owner_id).aggregate(
        bytes=Coalesce(Sum("stored_bytes"), 0),
        images=Count("id", filter=~failed),
        trash_bytes=Coalesce(Sum("stored_bytes", filter=trashed), 0),
        trash_images=Count("id", filter=trashed & ~failed),
    )
    return {name: int(usage[name]) for name in USAGE_FIELDS}


def timeline_days_counted(*, owner_id: uuid.UUID) -> dict[date, int]:
    """The account's live pictures per timeline day, counted from the image rows."""
    rows = (
        Image.objects.filter(owner_id=owner_id, trashed_at__isnull=True, locked_at__isnull=True)
        .annotate(day=TruncDate("timeline_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return dict(rows)


PlaceKey = tuple[str, str, str, str]


def place_counts_counted(*, owner_id: uuid.UUID) -> dict[PlaceKey, int]:
    """The account's live pictures per place (code, country, region, city), from its rows."""
    rows = (
        Image.objects.filter(
            owner_id=owner_id,
            trashed_at__isnull=True,
            locked_at__isnull=True,
            place_country_code__gt="",
        )
        .values("place_country_code", "place_country", "place_region", "place_city")
        .annotate(n=Count("id"))
        .values_list("place_country_code", "place_country", "place_region", "place_city", "n")
    )
    return {(code, country, region, city): n for code, country, region, city, n in rows}


def _place_counts_kept(owner_id: uuid.UUID) -> dict[PlaceKey, int]:
    rows = PlaceCount.objects.filter(owner_id=owner_id).exclude(count=0)
    return {
        (code, country, region, city): n
        for code, country, region, city, n in rows.values_list(
            "country_code", "country", "region", "city", "count"
        )
    }


def _timeline_days_kept(owner_id: uuid.UUID) -> dict[date, int]:
    rows = TimelineDay.objects.filter(owner_id=owner_id).exclude(count=0)
    return dict(rows.values_list("day", "count"))


@dataclass(frozen=True)
class CounterMismatch:
    """One account whose kept counters differ from a recount."""

    owner_id: uuid.UUID
    usage_kept: dict[str, int]
    usage_counted: dict[str, int]
    days_kept: dict[date, int]
    days_counted: dict[date, int]
    places_kept: dict[PlaceKey, int]
    places_counted: dict[PlaceKey, int]


def counters_audit(*, owner_ids: list[uuid.UUID] | None = None) -> list[CounterMismatch]:
    """Every account (or those named) whose counters differ from a recount of its rows.

    Meant for a quiet moment (it reads every account's rows): a change committing while it
    runs can show as a difference that a second audit no longer sees.
    """
    ids = owner_ids if owner_ids is not None else list(User.objects.values_list("pk", flat=True))
    found = []
    for owner_id in ids:
        kept, counted = library_usage(owner_id=owner_id), library_usage_counted(owner_id=owner_id)
        days_kept = _timeline_days_kept(owner_id)
        days_counted = timeline_days_counted(owner_id=owner_id)
        places_kept = _place_counts_kept(owner_id)
        places_counted = place_counts_counted(owner_id=owner_id)
        if (kept, days_kept, places_kept) != (counted, days_counted, places_counted):
            found.append(
                CounterMismatch(
                    owner_id, kept, counted, days_kept, days_counted, places_kept, places_counted
                )
            )
    return found


def counters_repair(*, owner_id: uuid.UUID) -> None:
    """Writes a recount of the account's rows over its counters, under the owner's lock (so no
    change of its pictures commits between the count and the write)."""
    with transaction.atomic():
        if not User.objects.select_for_update().filter(pk=owner_id).exists():
            return
        usage = library_usage_counted(owner_id=owner_id)
        LibraryUsage.objects.update_or_create(owner_id=owner_id, defaults=usage)
        TimelineDay.objects.filter(owner_id=owner_id).delete()
        TimelineDay.objects.bulk_create(
            TimelineDay(owner_id=owner_id, day=day, count=count)
            for day, count in timeline_days_counted(owner_id=owner_id).items()
        )
        PlaceCount.objects.filter(owner_id=owner_id).delete()
        PlaceCount.objects.bulk_create(
            PlaceCount(
                owner_id=owner_id,
                country_code=code,
                country=country,
                region=region,
                city=city,
                count=count,
            )
            for (code, country, region, city), count in place_counts_counted(
                owner_id=owner_id
            ).items()
        )
