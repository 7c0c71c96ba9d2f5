"""Renders as jobs on a real Celery worker over the real Redis (#12).

The worker runs in this process (``celery.contrib.testing.worker.start_worker``) against
committed data (``transaction=True``), so what it sees is what a worker on another machine
would: the upload's row and original, nothing more. Each test says when the worker runs, to
observe what clients see while a render is still queued.
"""

import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from images import tasks
from images.models import Image
from project.celery import app
from tests.celery_broker import BROKER, DEAD_BROKER, broker_use, queue_depth
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes

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
    response = client.post(
        reverse("image-list"),
        {"file": SimpleUploadedFile("p.png", data or image_bytes("PNG")), "style": style},
        format="multipart",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def wait_for(client: APIClient, image_id: str, status: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(reverse("image-detail", kwargs={"pk": image_id})).json()
        if body["status"] == status:
            return body
        time.sleep(0.1)
    raise AssertionError(f"image {image_id} never became {status}: {body}")


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

    with worker():
        ready = wait_for(client, image["id"], "ready")

    assert set(ready["urls"]) == {"processed", "thumbnail", "expires_at"}
    assert client.get(thumbnail).status_code == HTTPStatus.OK
    assert_storage_consistent()


def test_a_restyle_keeps_serving_the_old_renditions_until_the_new_ones_land(
    client, worker, assert_storage_consistent
):
    with worker():
        image = wait_for(client, upload(client, style="none")["id"], "ready")
    processed = reverse("image-processed", kwargs={"pk": image["id"]})
    before = client.get(processed)
    old_keys = Image.objects.get(pk=image["id"]).storage_keys

    restyled = client.patch(
        reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"}
    )
    assert restyled.json()["status"] == "pending"
    still = client.get(processed)
    assert still.status_code == HTTPStatus.OK and still["ETag"] == before["ETag"]

    with worker():
        done = wait_for(client, image["id"], "ready")

    assert done["style"] == "invert"
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

    with worker():
        failed = wait_for(client, image["id"], "failed")

    assert failed["error"]["code"] == "corrupt"
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
    with worker():
        image = wait_for(client, upload(client)["id"], "ready")
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

    with worker():
        call_command("sweep", "--older-than", "0", stdout=io.StringIO())
        wait_for(client, image["id"], "ready")
    assert_storage_consistent()


def test_the_worker_logs_the_render_under_the_uploads_request_id(client, worker):
    import logging

    # On the logger itself: a starting worker takes over the root logger's handlers.
    records: list[logging.LogRecord] = []
    collector = logging.Handler(level=logging.INFO)
    collector.emit = records.append  # type: ignore[method-assign]
    services_logger = logging.getLogger("images.services")
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
        with worker():
            wait_for(client, image_id, "ready")
    finally:
        services_logger.removeHandler(collector)
        services_logger.setLevel(previous_level)

    renders = [r for r in records if image_id in r.getMessage()]
    assert renders and {r.request_id for r in renders} == {"traced-upload-42"}
