"""Render jobs and sweeps as Celery tasks: plumbing over the services, nothing more.

With ``CELERY_BROKER_URL`` set, renders are queued for workers; unset (the embedded default
of ``make run``), ``rendering.render_dispatch`` runs the same service in-process as soon as
the upload or restyle has committed. The render task acks late, goes back to the queue if
its worker dies, runs one at a time per worker, is time-limited, retried with backoff when
storage fails, and safe to run twice (the service checks the image's render token and
lease, and counts attempts). ``render_sweep`` runs often and cheaply: it hands on renders
whose worker died (their lease ran out) and queues again those whose job was lost.

The services send jobs by task name (``rendering.RENDER_TASK``) and never import this
module, so the dependency runs one way: tasks → services.
"""

import uuid
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from idempotency.services import KEY_TTL, idempotency_keys_purge
from images import audit, rendering, trash
from images.errors import StorageFailed


@shared_task(
    name=rendering.RENDER_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(StorageFailed,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=10,
    soft_time_limit=120,
    time_limit=150,
)
def image_render(image_id: str, token: str) -> str:
    """Renders one image's renditions (``rendering.image_render``).

    Its soft time limit interrupts the render, which is then queued again while attempts are
    left; a worker that dies (or reaches the hard limit) leaves a lease that runs out, and the
    render sweep queues it again.
    """
    return rendering.image_render(
        image_id=uuid.UUID(image_id),
        token=uuid.UUID(token),
        interrupted_by=(SoftTimeLimitExceeded,),
    )


@shared_task(name="images.render_sweep", ignore_result=True)
def render_sweep() -> int:
    """The render sweep (Celery beat, every ``ATELIER_RENDER_SWEEP_SECONDS``): queues again
    the renders whose worker died or whose job was lost; fails those out of attempts."""
    return rendering.image_render_sweep(older_than_seconds=settings.ATELIER_RENDER_STALE_SECONDS)


@shared_task(name="images.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """The periodic sweep (Celery beat): re-queues lost renders, purges the trash past its
    time, removes old orphans and expired idempotency keys."""
    return {
        "requeued": rendering.image_render_sweep(
            older_than_seconds=settings.ATELIER_RENDER_STALE_SECONDS
        ),
        "trash_purged": trash.trash_purge_expired(
            older_than=timedelta(days=settings.ATELIER_TRASH_DAYS)
        ),
        "orphans_removed": audit.storage_orphans_sweep(),
        "idempotency_keys_purged": idempotency_keys_purge(older_than=KEY_TTL),
    }
