"""Prometheus metrics at ``/metrics``: requests, uploads, renders, and the queue's state.

django-prometheus counts requests and latencies (its two middlewares). Atelier adds uploads
by outcome, render time by style and outcome, and two gauges read at scrape time: images
pending and the render queue's depth. Under gunicorn (several processes) set
``PROMETHEUS_MULTIPROC_DIR``: every process writes its counters there, so they survive a
worker's restart and are summed, not per-process (``deploy/gunicorn.conf.py`` marks dead
workers). The endpoint answers only the addresses in ``ATELIER_METRICS_ALLOWED_IPS``
(loopback by default); anyone else gets the same 404 as an unknown URL.
"""

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.throttling import client_ip

UPLOADS = Counter(
    "atelier_uploads_total",
    "Uploads answered, by outcome (accepted or the refusal's code).",
    ["outcome"],
)
RENDERS = Histogram(
    "atelier_render_seconds",
    "Time to decode, render and store one image, by style and outcome.",
    ["style", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 150),
)


#: Gauges an app registers at start-up (its ``AppConfig.ready``): name, help, and a function
#: read at scrape time. The core imports no app, so each app brings its own.
SCRAPE_GAUGES: dict[str, tuple[str, Callable[[], float]]] = {}


def scrape_gauge_register(*, name: str, documentation: str, read: Callable[[], float]) -> None:
    """Adds a gauge read on every scrape (registering the same name again replaces it)."""
    SCRAPE_GAUGES[name] = (documentation, read)


class ScrapeTimeCollector(Collector):
    """Gauges read when scraped: the apps' registered gauges, and renders waiting in the queue."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, read) in SCRAPE_GAUGES.items():
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], read())
            yield gauge
        depth = _queue_depth()
        if depth is not None:
            queue = GaugeMetricFamily(
                "atelier_render_queue_depth", "Render jobs waiting in the broker's queue."
            )
            queue.add_metric([], depth)
            yield queue


def _queue_depth() -> int | None:
    if not settings.CELERY_BROKER_URL:
        return None
    from celery import current_app as app  # the project's app: it is made current at start

    try:
        with app.connection_for_read() as connection:
            # kombu types the channel as a StdChannel; the Redis transport's has .client.
            channel: Any = connection.default_channel
            return int(channel.client.llen("celery"))
    except Exception:  # a broker that is down has no depth to report; readiness says why
        return None


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus's text format, for the allowed addresses only."""
    if client_ip(request) not in settings.ATELIER_METRICS_ALLOWED_IPS:
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scrape = CollectorRegistry()
    scrape.register(ScrapeTimeCollector())
    body = generate_latest(registry) + generate_latest(scrape)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
