"""``/healthz`` (liveness) and ``/readyz`` (readiness), for load balancers and orchestrators.

``/healthz`` answers while the process can answer, touching nothing else: restart me only if
this fails. ``/readyz`` runs an explicit list of django-health-check 4.8's checks (database,
cache, storage: a real write, read and delete, on disk or S3) plus the broker when one is
configured, and answers 503 naming the check that failed: send me no traffic while this fails.
Neither is under ``/api/v1/`` nor in the schema, neither needs credentials, neither is cached.
"""

import asyncio
import dataclasses
import datetime
import inspect
import logging
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import HealthCheckException, ServiceUnavailable

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Broker(HealthCheck):
    """Connects to the Celery broker (not to a worker: an idle fleet is still ready)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        from project.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # every transport raises its own kind
            raise ServiceUnavailable("The broker cannot be reached.") from exc


def readiness_checks() -> dict[str, HealthCheck]:
    """The checks, by the name each has in ``/readyz``'s answer."""
    checks: dict[str, HealthCheck] = {
        "database": Database(),
        "cache": Cache(),
        "storage": Storage(),
    }
    if settings.CELERY_BROKER_URL:
        checks["broker"] = Broker()
    return checks


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Every dependency answers: 200, else 503 with each check's result."""
    body = {name: _result(check) for name, check in readiness_checks().items()}
    failed = any(result["status"] != "ok" for result in body.values())
    response = JsonResponse(
        {"status": "fail" if failed else "ok", "checks": body}, status=503 if failed else 200
    )
    response["Cache-Control"] = "no-store"
    return response


def _result(check: HealthCheck) -> dict[str, object]:
    # In this thread, one after another: the database check then uses this request's own
    # connection, where a thread pool would leave one open connection per probe behind.
    started = time.perf_counter()
    try:
        if inspect.iscoroutinefunction(check.run):
            asyncio.run(asyncio.wait_for(check.run(), check.timeout.total_seconds()))
        else:
            check.run()
    except HealthCheckException as exc:
        return {"status": "fail", "error": str(exc.message)[:200]}
    except Exception:
        logger.exception("Readiness check %r failed unexpectedly", check)
        return {"status": "fail", "error": "unexpected error (logged)"}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
