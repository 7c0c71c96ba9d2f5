"""Pointing the Celery app at a broker for a test, for real: its connection pools included.

``app.conf.update(broker_url=...)`` alone changes nothing once the app has published: its
connection and producer pools keep the broker they were made for. So a test that "stopped the
broker" would still publish to the live one.
"""

import socket

import pytest

from project.celery import app

BROKER = "redis://127.0.0.1:6379/7"
# A port nothing listens on: a broker that is down.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def broker_use(settings, url: str) -> None:
    """The project and the Celery app publish to and consume from ``url`` from now on."""
    settings.CELERY_BROKER_URL = url
    app.conf.update(broker_url=url, broker_connection_timeout=1, task_ignore_result=True)
    # kombu keeps one pool per broker URL; dropping the app's references makes it take the
    # pool for the new URL (closing the old one would close it for good, for every user).
    app._pool = None
    app.amqp._producer_pool = None


def queue_flush() -> None:
    with app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()


def queue_depth() -> int:
    with app.connection_for_write() as connection:
        return int(connection.default_channel.client.llen("celery"))


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
