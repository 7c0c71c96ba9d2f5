"""Render jobs: the Celery task over ``services.image_render``, and where a render runs.

With ``CELERY_BROKER_URL`` set, renders are queued for workers; unset (the embedded default
of ``make run``), the same service function runs in-process as soon as the upload or
restyle has committed. The task is only plumbing: acks late, rejected back to the queue if
its worker dies, one at a time per worker, time-limited, retried with backoff when storage
fails, and safe to run twice (the service checks the image's render token and lease, and
counts attempts). ``render_sweep`` runs often and cheaply: it hands on renders whose worker
died (their lease ran out) and queues again those whose job was lost.
"""

import logging
import uuid
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from images import services
from project.idempotency import KEY_TTL, idempotency_keys_purge

logger = logging.getLogger(__name__)


@shared_task(
    name="images.render",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(services.StorageFailed,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=10,
    soft_time_limit=120,
    time_limit=150,
)
def image_render(image_id: str, token: str) -> str:
    """Renders one image's renditions (``services.image_render``).

    Its soft time limit interrupts the render, which is then queued again while attempts are
    left; a worker that dies (or reaches the hard limit) leaves a lease that runs out, and the
    render sweep queues it again.
    """
    return services.image_render(
        image_id=uuid.UUID(image_id),
        token=uuid.UUID(token),
        interrupted_by=(SoftTimeLimitExceeded,),
    )


def image_render_dispatch(*, image_id: uuid.UUID, token: uuid.UUID) -> None:
    """Queues the render, or runs it now where no broker is configured.

    Called after the change that asks for the render has committed, so a worker never looks
    for a row that is not there yet. If the broker cannot be reached, the image stays
    ``pending`` (nothing is lost) and the sweep queues it again later.
    """
    if not settings.CELERY_BROKER_URL:
        try:
            services.image_render(image_id=image_id, token=token)
        except services.StorageFailed:
            logger.exception("In-process render of %s failed; the sweep will retry", image_id)
        return
    try:
        image_render.apply_async(args=[str(image_id), str(token)], retry=False)
    except Exception:  # kombu's connection errors vary by transport; the sweep recovers all
        logger.exception("Could not queue the render of %s; the sweep will retry", image_id)


@shared_task(name="images.render_sweep", ignore_result=True)
def render_sweep() -> int:
    """The render sweep (Celery beat, every ``ATELIER_RENDER_SWEEP_SECONDS``): queues again
    the renders whose worker died or whose job was lost; fails those out of attempts."""
    return services.image_render_sweep(older_than_seconds=settings.ATELIER_RENDER_STALE_SECONDS)


@shared_task(name="images.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """The periodic sweep (Celery beat): re-queues lost renders, purges the trash past its
    time, removes old orphans."""
    return {
        "requeued": services.image_render_sweep(
            older_than_seconds=settings.ATELIER_RENDER_STALE_SECONDS
        ),
        "trash_purged": services.trash_purge_expired(
            older_than=timedelta(days=settings.ATELIER_TRASH_DAYS)
        ),
        "orphans_removed": services.storage_orphans_sweep(),
        "idempotency_keys_purged": idempotency_keys_purge(older_than=KEY_TTL),
    }
