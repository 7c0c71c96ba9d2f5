"""A request id on every log line, from the web request into the render job it queued.

Each API request gets an id (the client's ``X-Request-ID`` if it is a sane token, else a new
one), echoed in the response's ``X-Request-ID``. Every log record made while the request runs
carries it as ``request_id``; a render job queued by the request carries it in its message
headers, and every record the job logs carries it too. So one id finds an upload's whole
story across web and worker logs.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_current: ContextVar[str] = ContextVar("request_id", default="")
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id() -> str:
    """The id of the request (or render job) this code runs for; "" outside one."""
    return _current.get()


def log_records_carry_request_id() -> None:
    """Makes every log record carry ``request_id`` (installed once, at startup)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "carries_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _current.get()
        return record

    factory.carries_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RequestIdMiddleware:
    """Gives each request its id, for its logs and its response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(HEADER, "")
        token = _current.set(offered if _ACCEPTABLE.fullmatch(offered) else uuid.uuid4().hex)
        try:
            response = self.get_response(request)
            response[HEADER] = _current.get()
            return response
        finally:
            _current.reset(token)


@before_task_publish.connect
def _request_id_into_the_job(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None and _current.get():
        headers["request_id"] = _current.get()


@task_prerun.connect
def _request_id_from_the_job(task: Any = None, **kwargs: Any) -> None:
    _current.set(getattr(task.request, "request_id", None) or "" if task else "")


@task_postrun.connect
def _request_id_forgotten(**kwargs: Any) -> None:
    _current.set("")
