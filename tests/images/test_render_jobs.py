"""Renders as jobs on a real Celery worker over the real Redis (#12, #18).

The worker runs in this process (``celery.contrib.testing.worker.start_worker``) against
committed data (``transaction=True``), so what it sees is what a worker on another machine
would: the upload's row and original, nothing more. Each test says when the worker runs, to
observe what clients see while a render is still queued.

The test and the worker never use the database at the same time. On SQLite the test database
lives in memory with a shared cache, where a connection that finds a table locked by another
fails at once ("database table is locked"): no busy timeout applies to shared-cache locks.
So a test queues what it wants rendered, runs the worker until it is idle (``rendered``:
asked of Redis and of the worker, never of the database), then reads. Leases, attempts and
a dead worker are set up with a moved clock: the lease a worker took is set to have run out.
"""

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus

import pytest
from celery.contrib.testing.worker import start_worker
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images import rendering, tasks
from images.models import Image
from imaging import processing
from project.celery import app
from tests.celery_broker import (
    BROKER,
    DEAD_BROKER,
    broker_use,
    queue_depth,
    queue_flush,
    renders_settle,
)
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes, upload_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(broker) -> Callable[[], object]:
    """``with worker():`` runs a real worker for the block; it consumes what is queued."""
    assert tasks.image_render.name in app.tasks

    @contextmanager
    def _running() -> Iterator[None]:
        with start_worker(app, concurrency=1, perform_ping_check=False, shutdown_timeout=30):
            yield

    return _running


@pytest.fixture
def client(db) -> APIClient:
    UserFactory(username="worker-user")
    client = APIClient()
    tokens = client.post(
        reverse("auth-token"), {"username": "worker-user", "password": DEFAULT_PASSWORD}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def upload(client: APIClient, data: bytes | None = None, style: str = "sepia") -> dict:
    response = upload_request(client, data or image_bytes("PNG"), name="p.png", style=style)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def detail(client: APIClient, image_id: str) -> dict:
    response = client.get(reverse("image-detail", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def rendered(client: APIClient, worker: Callable[[], object], image_id: str) -> dict:
    """Runs a worker until it has done everything queued, then reads the image once."""
    with worker():
        renders_settle()
    return detail(client, image_id)


def test_an_upload_answers_pending_and_a_worker_makes_it_ready(
    client, worker, assert_storage_consistent
):
    image = upload(client)
    assert image["status"] == "pending"
    assert set(image["urls"]) == {"expires_at"}
    thumbnail = reverse("image-thumbnail", kwargs={"pk": image["id"]})
    queued = client.get(thumbnail)
    assert queued.status_code == HTTPStatus.CONFLICT
    assert queued.json()["code"] == "not_ready" and int(queued["Retry-After"]) >= 1
    pending = client.get(reverse("image-list"), {"status": "pending"}).json()["results"]
    assert [item["id"] for item in pending] == [image["id"]]

    ready = rendered(client, worker, image["id"])

    assert ready["status"] == "ready"
    assert set(ready["urls"]) == {"processed", "preview", "thumbnail", "expires_at"}
    assert client.get(thumbnail).status_code == HTTPStatus.OK
    assert_storage_consistent()


def test_a_restyle_keeps_serving_the_old_renditions_until_the_new_ones_land(
    client, worker, assert_storage_consistent
):
    image = rendered(client, worker, upload(client, style="none")["id"])
    processed = reverse("image-processed", kwargs={"pk": image["id"]})
    before = client.get(processed)
    old_keys = Image.objects.get(pk=image["id"]).storage_keys

    restyled = client.patch(
        reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"}
    )
    assert restyled.json()["status"] == "pending"
    still = client.get(processed)
    assert still.status_code == HTTPStatus.OK and still["ETag"] == before["ETag"]

    done = rendered(client, worker, image["id"])

    assert (done["status"], done["style"]) == ("ready", "invert")
    after = client.get(processed)
    assert after["ETag"] != before["ETag"]
    new_keys = Image.objects.get(pk=image["id"]).storage_keys
    assert set(old_keys) - set(new_keys)  # the old renditions were replaced...
    assert_storage_consistent()  # ...and removed


def test_a_corrupt_file_that_passes_the_cheap_checks_ends_failed_with_nothing_kept(
    client, worker, assert_storage_consistent, media_root
):
    good = image_bytes("PNG", size=(200, 120), noisy=True)
    # A sound header and chunk structure, with the compressed pixels scrambled.
    start = good.index(b"IDAT") + 4
    corrupt = good[:start] + bytes(b ^ 0x5A for b in good[start : start + 64]) + good[start + 64 :]
    image = upload(client, corrupt)
    assert image["status"] == "pending"

    failed = rendered(client, worker, image["id"])

    assert (failed["status"], failed["error"]["code"]) == ("failed", "corrupt")
    assert set(failed["urls"]) == {"expires_at"}
    stored = Image.objects.get(pk=image["id"])
    assert stored.storage_keys == [] and stored.stored_bytes == 0
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    me = client.get(reverse("users-me")).json()
    assert (me["quota"]["bytes_used"], me["quota"]["images_used"]) == (0, 0)
    assert_storage_consistent()


def test_running_a_render_twice_changes_nothing_the_second_time(
    client, worker, assert_storage_consistent
):
    image = rendered(client, worker, upload(client)["id"])
    assert image["status"] == "ready"
    row = Image.objects.get(pk=image["id"])

    assert tasks.image_render(str(row.pk), str(row.render_token)) == "skipped"
    assert Image.objects.get(pk=image["id"]).storage_keys == row.storage_keys
    assert_storage_consistent()


def test_with_the_broker_down_an_upload_is_kept_pending_and_the_sweep_renders_it(
    client, worker, settings, assert_storage_consistent, caplog
):
    broker_use(settings, DEAD_BROKER)
    try:
        image = upload(client)
    finally:
        broker_use(settings, BROKER)
    assert image["status"] == "pending"
    assert "Could not queue the render" in caplog.text  # the broker really was down
    assert queue_depth() == 0
    assert_storage_consistent()

    # The sweep queues it; the worker then renders it alone (see the module docstring).
    call_command("sweep", "--older-than", "0", stdout=io.StringIO())
    assert queue_depth() == 1
    assert rendered(client, worker, image["id"])["status"] == "ready"
    assert_storage_consistent()


def test_the_worker_logs_the_render_under_the_uploads_request_id(client, worker):
    import logging

    # On the logger itself: a starting worker takes over the root logger's handlers.
    records: list[logging.LogRecord] = []
    collector = logging.Handler(level=logging.INFO)
    collector.emit = records.append  # type: ignore[method-assign]
    services_logger = logging.getLogger("images.rendering")
    services_logger.addHandler(collector)
    previous_level = services_logger.level
    services_logger.setLevel(logging.INFO)
    try:
        response = client.post(
            reverse("image-list"),
            {"file": SimpleUploadedFile("p.png", image_bytes("PNG")), "style": "sepia"},
            format="multipart",
            HTTP_X_REQUEST_ID="traced-upload-42",
        )
        image_id = response.json()["id"]
        assert rendered(client, worker, image_id)["status"] == "ready"
    finally:
        services_logger.removeHandler(collector)
        services_logger.setLevel(previous_level)

    renders = [r for r in records if image_id in r.getMessage()]
    assert renders and {r.request_id for r in renders} == {"traced-upload-42"}


def lease_taken(image_id: str, *, attempts: int, expires_in: float) -> None:
    """A worker took the render's lease (``attempts`` so far); ``expires_in`` < 0 moves the
    clock past it, as if that worker died that long ago."""
    Image.objects.filter(pk=image_id).update(
        render_attempts=attempts,
        render_lease_expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


def test_a_live_lease_keeps_a_second_job_for_the_same_render_from_running(client, worker):
    image = upload(client)
    lease_taken(image["id"], attempts=1, expires_in=30)  # a worker renders it right now
    row = Image.objects.get(pk=image["id"])
    rendering.render_dispatch(image_id=row.pk, token=row.render_token)
    assert queue_depth() == 2  # the upload's job, and a duplicate
    assert rendering.image_render_sweep(older_than_seconds=0) == 0  # a live lease is no loss

    assert rendered(client, worker, image["id"])["status"] == "pending"  # both did nothing
    after = Image.objects.get(pk=image["id"])
    assert after.render_attempts == 1
    assert after.render_lease_expires_at == row.render_lease_expires_at


def test_a_render_whose_worker_died_is_queued_again_by_the_sweep_and_finished_by_another(
    client, worker, settings, assert_storage_consistent
):
    image = upload(client)
    queue_flush()  # the dead worker took the job with it
    lease_taken(image["id"], attempts=1, expires_in=-1)  # its lease ran out a second ago

    assert tasks.render_sweep.apply().get() == 1
    assert queue_depth() == 1
    assert rendered(client, worker, image["id"])["status"] == "ready"
    row = Image.objects.get(pk=image["id"])
    assert (row.render_attempts, row.render_lease_expires_at) == (2, None)
    assert tasks.render_sweep.apply().get() == 0
    assert_storage_consistent()


def test_a_render_out_of_attempts_is_failed_with_its_reason_and_never_queued_again(
    client, worker, settings, assert_storage_consistent
):
    settings.ATELIER_RENDER_MAX_ATTEMPTS = 3
    image = upload(client)
    queue_flush()
    lease_taken(image["id"], attempts=3, expires_in=-1)  # its third worker died too

    assert tasks.render_sweep.apply().get() == 0
    failed = detail(client, image["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "render_failed"
    assert "3 times" in failed["error"]["detail"]
    call_command("sweep", "--older-than", "0", stdout=io.StringIO())
    assert queue_depth() == 0
    assert detail(client, image["id"])["status"] == "failed"
    # The original is kept (and counted), so the owner can try again: a new render.
    row = Image.objects.get(pk=image["id"])
    assert row.original_key and row.stored_bytes == row.size
    assert_storage_consistent()

    again = client.patch(reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"})
    assert again.status_code == HTTPStatus.OK and again.json()["status"] == "pending"
    assert Image.objects.get(pk=image["id"]).render_attempts == 0
    assert rendered(client, worker, image["id"])["status"] == "ready"
    assert_storage_consistent()


def test_a_render_stopped_by_its_time_limit_is_tried_again_then_failed_too_costly(
    client, worker, settings, monkeypatch, assert_storage_consistent
):
    settings.ATELIER_RENDER_MAX_ATTEMPTS = 3
    stopped: list[str] = []

    def out_of_time(image, style):
        # What Celery's soft time limit raises in the middle of whatever the render runs.
        stopped.append(style)
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(processing, "style_apply", out_of_time)
    image = upload(client)

    failed = rendered(client, worker, image["id"])
    assert len(stopped) == 3
    assert (failed["status"], failed["error"]["code"]) == ("failed", "too_costly")
    assert "took too long" in failed["error"]["detail"]
    assert tasks.render_sweep.apply().get() == 0
    assert_storage_consistent()


@pytest.mark.postgres
def test_a_running_render_renews_its_lease_so_no_other_job_takes_it(
    client, worker, settings, monkeypatch, assert_storage_consistent
):
    # PostgreSQL: the test reads the lease while the worker's renewal thread writes it (on
    # SQLite's shared-cache test database one of them would find the table locked).
    if connection.vendor != "postgresql":
        pytest.skip("reads the database while the worker writes it: PostgreSQL")
    settings.ATELIER_RENDER_LEASE_SECONDS = 3  # renewed every second
    started, finish = threading.Event(), threading.Event()
    style_apply = processing.style_apply

    def slow_style(image, style):  # a render that takes as long as the test says
        started.set()
        assert finish.wait(60)
        return style_apply(image, style)

    monkeypatch.setattr(processing, "style_apply", slow_style)
    image = upload(client)
    with worker():
        assert started.wait(60)
        first = Image.objects.get(pk=image["id"]).render_lease_expires_at
        assert first is not None
        deadline = time.monotonic() + 30
        while Image.objects.get(pk=image["id"]).render_lease_expires_at == first:
            assert time.monotonic() < deadline, "the lease was never renewed"
            time.sleep(0.1)
        # Renewed past its first term: the sweep sees a live render, not a lost one.
        assert rendering.image_render_sweep(older_than_seconds=0) == 0
        finish.set()
        renders_settle()
    done = Image.objects.get(pk=image["id"])
    assert done.status == "ready" and done.render_attempts == 1
    assert done.render_lease_expires_at is None
    assert_storage_consistent()
