"""Pointing the Celery app at a broker for a test, for real: its connection pools included.

``app.conf.update(broker_url=...)`` alone changes nothing once the app has published: its
connection and producer pools keep the broker they were made for. So a test that "stopped the
broker" would still publish to the live one.

The S3 stack run (``ATELIER_TEST_STACK=s3``) keeps one real worker for the whole session on a
Redis database of its own (``STACK_BROKER``), apart from the render-job tests' broker
(``BROKER``). Tests on that broker run workers of their own, so they are not run beside it:
stopping any in-process worker sets celery's global stop flags, which stop every one.

Every key this session's queues keep in Redis starts with ``KEY_PREFIX``, unique to the
session (``ATELIER_QUEUE_KEY_PREFIX`` for worker processes): two test runs on one machine
share one Redis, and without it one run's worker took the other's jobs and its flush emptied
the other's queue.
"""

import os
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state

from project.celery import app

# Redis databases 7 and 8 unless told otherwise: two checkouts testing on one machine at once
# each set databases of their own (the tests flush them).
BROKER = os.environ.get("ATELIER_TEST_BROKER", "redis://127.0.0.1:6379/7")
STACK_BROKER = os.environ.get("ATELIER_TEST_STACK_BROKER", "redis://127.0.0.1:6379/8")
# A port nothing listens on: a broker that is down.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


KEY_PREFIX = f"atelier-tests-{os.getpid()}-{uuid.uuid4().hex[:8]}:"


def app_broker_use(url: str) -> None:
    """The Celery app publishes to and consumes from ``url`` from now on (this session's keys)."""
    app.conf.update(
        broker_url=url,
        broker_connection_timeout=1,
        task_ignore_result=True,
        broker_transport_options={
            **(app.conf.broker_transport_options or {}),
            "global_keyprefix": KEY_PREFIX,
        },
    )
    # kombu keeps one pool per broker URL; dropping the app's references makes it take the
    # pool for the new URL (closing the old one would close it for good, for every user).
    app._pool = None
    app.amqp._producer_pool = None


def broker_use(settings, url: str) -> None:
    """The project and the Celery app publish to and consume from ``url`` from now on."""
    settings.CELERY_BROKER_URL = url
    app_broker_use(url)


def queue_flush() -> None:
    """Empties this session's queues (only its own keys: another run may share the database)."""
    client = redis.Redis.from_url(app.conf.broker_url)
    try:
        keys = list(client.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def queue_depth() -> int:
    with app.connection_for_write() as connection:
        return int(connection.default_channel.client.llen("celery"))


def worker_stopped() -> bool:
    """Whether an in-process worker was told to stop: the flags are global, for every worker."""
    return worker_state.should_stop is not None or worker_state.should_terminate is not None


def _worker_idle() -> bool:
    """Nothing queued, nothing delivered and unacknowledged, nothing running in this process."""
    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        waiting = client.llen("celery") + client.hlen("unacked")
    return not (waiting or worker_state.active_requests or worker_state.reserved_requests)


def renders_settle(*, purge: bool = False, timeout: float = 60) -> None:
    """Waits until the in-process worker has finished every queued job (``purge``: drops them).

    Idle twice in a row, a little apart: a job between the queue and the worker's books is in
    neither for an instant.
    """
    if purge:
        with app.connection_for_write() as connection:
            connection.default_channel.client.delete("celery")
    deadline = time.monotonic() + timeout
    idle_before = False
    while True:
        idle = _worker_idle()
        if idle and idle_before:
            return
        if worker_stopped():
            raise AssertionError("the render worker has stopped")
        if time.monotonic() > deadline:
            raise AssertionError(f"the render worker was still busy after {timeout:.0f} s")
        idle_before = idle
        time.sleep(0.02)


@pytest.fixture
def broker(settings):
    """A private Redis database as the broker, emptied before and after."""
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    broker_use(settings, BROKER)
    queue_flush()
    yield BROKER
    broker_use(settings, BROKER)
    queue_flush()


@pytest.fixture(scope="session")
def stack_worker(django_db_setup) -> Iterator[str]:
    """One real worker, in a thread of this process, on ``STACK_BROKER`` for the session.

    It stops before the test database goes (``django_db_setup``), which it reads.
    """
    if not redis_up():
        pytest.fail("the S3 stack run needs Redis on 127.0.0.1:6379")
    app_broker_use(STACK_BROKER)
    queue_flush()
    # pytest captures logs through the root logger's handlers; a worker must leave them be.
    app.conf.worker_hijack_root_logger = False
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30
    ):
        yield STACK_BROKER
    app_broker_use(STACK_BROKER)
    queue_flush()
