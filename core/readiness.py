"""``/healthz`` (liveness) and ``/readyz`` (readiness), for load balancers and orchestrators.

``/healthz`` answers while the process can answer, touching nothing else: restart me only if
this fails. ``/readyz`` runs an explicit list of checks (django-health-check 4.8's database
check; a storage write, read and delete on disk or S3 that leaves no file or folder behind; a
cache round trip that deletes its key; the broker when one is configured), and answers 503
naming the check that failed: send me no traffic while this fails. Anyone may probe, and
nothing throttles a probe, so a process runs the checks at most once a second
(``RESULT_TTL_SECONDS``) and answers every probe meanwhile from that result. Both answer GET and
HEAD, and any other method with a JSON 405 (no CSRF page: they take no cookies). Neither is
under ``/api/v1/`` nor in the schema, neither needs credentials, and no HTTP cache keeps them.
"""

import dataclasses
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from core.exceptions import json_error

logger = logging.getLogger(__name__)

_ALLOWED_METHODS = ("GET", "HEAD")


@dataclasses.dataclass
class Cache(HealthCheck):
    """Sets, reads back and deletes a key of its own in the default cache."""

    # health_check's own cache check leaves its key behind until it expires.
    def run(self) -> None:
        cache = caches["default"]
        key = f"readyz:{uuid.uuid4().hex}"
        try:
            cache.set(key, "ok", timeout=30)
            found = cache.get(key)
            cache.delete(key)
        except Exception as exc:  # every backend raises its own kind
            reason = type(exc).__name__
            raise ServiceUnavailable(f"The cache cannot be reached ({reason}).") from exc
        if found != "ok":
            raise ServiceUnavailable("The cache did not return the value just stored.")


@dataclasses.dataclass
class FileStorage(Storage):
    """health_check's storage round trip (write, read, delete), failing with a short message."""

    def get_file_name(self) -> str:
        # At the top level: health_check's own name is in a folder, which stayed behind on
        # disk after the file was deleted (and made storage_audit report an empty folder).
        return f"readyz-{uuid.uuid4().hex}.txt"

    def run(self) -> None:
        try:
            super().run()
        except HealthCheckException:
            raise
        except Exception as exc:  # OSError on disk, botocore's errors on S3
            # The class alone: the exception's text names paths, buckets or endpoints.
            raise ServiceUnavailable(
                f"The storage cannot be written ({type(exc).__name__})."
            ) from exc


@dataclasses.dataclass
class Broker(HealthCheck):
    """Connects to the Celery broker (not to a worker: an idle fleet is still ready)."""

    def run(self) -> None:
        from celery import current_app as app  # the project's app: made current at start

        # One attempt, two seconds at most: a probe must answer before the balancer gives up.

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
        "storage": FileStorage(),
    }
    if settings.CELERY_BROKER_URL:
        checks["broker"] = Broker()
    return checks


# How long a process answers probes from its last round of checks.
RESULT_TTL_SECONDS = 1.0


class RecentResult:
    """This process's last readiness result, reused while it is under ``ttl`` seconds old.

    Probes arriving together wait for one round of checks and share its result.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.clock: Callable[[], float] = time.monotonic
        self._lock = threading.Lock()
        self._result: tuple[float, int, dict[str, object]] | None = None

    def get(self, compute: Callable[[], tuple[int, dict[str, object]]]) -> tuple[int, dict]:
        with self._lock:
            if self._result is None or self.clock() - self._result[0] >= self.ttl:
                status, body = compute()
                self._result = (self.clock(), status, body)
            return self._result[1], self._result[2]

    def clear(self) -> None:
        with self._lock:
            self._result = None


recent_result = RecentResult(ttl=RESULT_TTL_SECONDS)


def _probe(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """GET and HEAD only (a 405 in JSON otherwise, never a CSRF page), and never cached."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        if request.method in _ALLOWED_METHODS:
            response = view(request)
        else:
            response = json_error(405)
            response["Allow"] = ", ".join(_ALLOWED_METHODS)
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


@_probe
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers."""
    return JsonResponse({"status": "ok"})


@_probe
def readyz(request: HttpRequest) -> HttpResponse:
    """Every dependency answers: 200, else 503 with each check's result (at most 1 s old)."""
    status, body = recent_result.get(_readiness)
    return JsonResponse(body, status=status)


def _readiness() -> tuple[int, dict[str, object]]:
    checks = {name: _result(check) for name, check in readiness_checks().items()}
    failed = any(result["status"] != "ok" for result in checks.values())
    return (503 if failed else 200), {"status": "fail" if failed else "ok", "checks": checks}


def _result(check: HealthCheck) -> dict[str, object]:
    # In this thread, one after another: the database check then uses this request's own
    # connection, where a thread pool would leave one open connection per probe behind.
    started = time.perf_counter()
    try:
        check.run()
    except HealthCheckException as exc:
        logger.warning("Readiness check %r failed: %s", check, exc.message)
        return {"status": "fail", "error": str(exc.message)[:200]}
    except Exception:
        logger.exception("Readiness check %r failed unexpectedly", check)
        return {"status": "fail", "error": "unexpected error (logged)"}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
