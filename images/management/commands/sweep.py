"""``manage.py sweep``: the periodic sweep, for deployments without Celery beat."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from idempotency.services import KEY_TTL, idempotency_keys_purge
from images import audit, rendering, trash


class Command(BaseCommand):
    help = (
        "Queues again every render whose job is lost (its lease ran out, or it waited "
        "unstarted longer than ATELIER_RENDER_STALE_SECONDS), fails those out of attempts, "
        "purges what has been in the trash longer than ATELIER_TRASH_DAYS, removes "
        "stored objects no image points to once they are an hour old, and forgets "
        "Idempotency-Keys older than a day."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            help="seconds a render may wait unstarted before it is queued again",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seconds = options["older_than"]
        if seconds is None:
            seconds = settings.ATELIER_RENDER_STALE_SECONDS
        queued = rendering.image_render_sweep(older_than_seconds=seconds)
        purged = trash.trash_purge_expired(older_than=timedelta(days=settings.ATELIER_TRASH_DAYS))
        removed = audit.storage_orphans_sweep()
        keys = idempotency_keys_purge(older_than=KEY_TTL)
        self.stdout.write(
            f"queued {queued} stale render(s) again; purged {purged} image(s) from the trash; "
            f"removed {removed} orphan(s); purged {keys} expired idempotency key(s)"
        )
