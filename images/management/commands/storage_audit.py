"""``manage.py storage_audit``: stored files against image rows, on file-system or S3 storage,
and the counters the database keeps for each account (storage used, pictures per day)
against a recount of its rows."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from images import audit, counters, files


class Command(BaseCommand):
    help = (
        "Compares every stored file with the image rows: prints orphans (stored, referenced by "
        "no image), missing files (referenced, not stored) and, on the file system, empty "
        "folders; exits 1 if there are any. --fix removes orphans and empty folders older "
        "than --min-age, never a missing file's row. Also recounts every account's storage "
        "and timeline counters; --fix writes the recount over any that differ."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--fix",
            action="store_true",
            help="remove orphans and empty folders older than --min-age",
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=3600,
            metavar="SECONDS",
            help=(
                "age an orphan must have before --fix removes it (default 3600): a younger "
                "one may be an upload or render whose row has not committed yet"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["min_age"] < 0:
            raise CommandError("--min-age must be zero or more seconds.")
        report = audit.storage_audit(storage=files.storage_default())
        for name in sorted(report.orphans):
            self.stdout.write(f"orphan {name}")
        for name, image_id in report.missing.items():
            self.stdout.write(f"missing {name} (image {image_id})")
        for name in sorted(report.empty_folders):
            self.stdout.write(f"empty folder {name}")
        mismatches = counters.counters_audit()
        for found in mismatches:
            self.stdout.write(
                f"counters of account {found.owner_id} differ: kept {found.usage_kept}, "
                f"counted {found.usage_counted}; "
                f"{_days_differing(found)} timeline day(s) differ"
            )
        summary = (
            f"{len(report.orphans)} orphan(s), {len(report.missing)} missing, "
            f"{len(report.empty_folders)} empty folder(s), "
            f"{len(mismatches)} account(s) with counters off"
        )
        if options["fix"]:
            for found in mismatches:
                counters.counters_repair(owner_id=found.owner_id)
                self.stdout.write(f"recounted account {found.owner_id}")
        if not options["fix"]:
            if report.clean and not mismatches:
                self.stdout.write("storage is consistent: " + summary)
                return
            raise CommandError(summary, returncode=1)
        fixed = audit.orphans_remove(
            storage=files.storage_default(),
            report=report,
            min_age=timedelta(seconds=options["min_age"]),
        )
        for name in fixed.removed:
            self.stdout.write(f"removed orphan {name}")
        for name in fixed.removed_folders:
            self.stdout.write(f"removed empty folder {name}")
        for name in fixed.kept_young:
            self.stdout.write(f"kept orphan {name} (younger than {options['min_age']} s)")
        left = (
            len(report.orphans) - len(fixed.removed),
            len(report.missing),
            len(report.empty_folders - set(fixed.removed_folders)),
        )
        summary += (
            f"; removed {len(fixed.removed)} orphan(s) and {len(fixed.removed_folders)} "
            f"folder(s); left {left[0]} orphan(s), {left[1]} missing, {left[2]} empty folder(s)"
        )
        if any(left):
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)


def _days_differing(found: counters.CounterMismatch) -> int:
    days = set(found.days_kept) | set(found.days_counted)
    return sum(found.days_kept.get(day, 0) != found.days_counted.get(day, 0) for day in days)
