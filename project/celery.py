"""The Celery application: configured from Django's settings (``CELERY_*``), tasks found in apps.

Only used when ``CELERY_BROKER_URL`` is set; the embedded default renders in-process.

A worker on a machine of its own has no web node beside it to sum its metrics, so with
``ATELIER_WORKER_METRICS_PORT`` it serves them itself: the render histogram of every pool
process (prometheus_client's multiprocess mode, which is why ``PROMETHEUS_MULTIPROC_DIR`` is
then required), for Prometheus to scrape like any other target.
"""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def worker_metrics_serve(**kwargs: object) -> None:
    """Starts the worker's metrics endpoint, in the worker's main process, if configured."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    port = settings.ATELIER_WORKER_METRICS_PORT
    if not port:
        return
    if not settings.PROMETHEUS_MULTIPROC_DIR:
        raise ImproperlyConfigured(
            "ATELIER_WORKER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR: renders run in pool "
            "processes, whose metrics only that folder brings together."
        )
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=settings.ATELIER_WORKER_METRICS_ADDR, registry=registry)


@worker_process_shutdown.connect
def worker_metrics_process_dead(pid: int | None = None, **kwargs: object) -> None:
    """A pool process that ends stops counting toward the live gauges (as gunicorn's do)."""
    from django.conf import settings

    if settings.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
