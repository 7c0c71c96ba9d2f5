"""A render worker on a machine of its own serves its metrics (#12.8): a real worker process
with the exporter on, a real render, and Prometheus's text on the port.

PostgreSQL only, like the other worker-process tests: the worker must reach the database.
"""

import os
import signal
import socket
import subprocess
import time
from http import HTTPStatus

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from images.models import Image
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes
from tests.images.test_render_faults import postgres_broker, wait_for_line, worker_process

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
__all__ = ["postgres_broker"]  # a fixture, used by name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_worker_serves_the_render_metrics_of_its_pool(
    postgres_broker, media_root, tmp_path, monkeypatch
):
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    monkeypatch.setenv("ATELIER_WORKER_METRICS_PORT", str(port))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    UserFactory(username="measured")
    client = APIClient()
    tokens = client.post(
        reverse("auth-token"), {"username": "measured", "password": DEFAULT_PASSWORD}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = client.post(
        reverse("image-list"),
        {"file": SimpleUploadedFile("a.png", image_bytes("PNG")), "style": "sepia"},
        format="multipart",
    )
    assert response.status_code == HTTPStatus.CREATED
    image_id = response.json()["id"]

    worker = worker_process(media_root, "measured")
    try:
        wait_for_line(worker, "ready", timeout=60)
        deadline = time.monotonic() + 30
        while Image.objects.get(pk=image_id).status != "ready" and time.monotonic() < deadline:
            time.sleep(0.1)
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)

    assert scraped.status_code == HTTPStatus.OK
    counted = [
        line
        for line in scraped.text.splitlines()
        if line.startswith("atelier_render_seconds_count")
        and 'style="sepia"' in line
        and 'outcome="ready"' in line
    ]
    assert counted and float(counted[0].rsplit(" ", 1)[1]) == 1.0, scraped.text[-2000:]


def test_the_exporter_refuses_to_start_without_a_multiprocess_folder(settings):
    from django.core.exceptions import ImproperlyConfigured

    from project.celery import worker_metrics_serve

    settings.ATELIER_WORKER_METRICS_PORT = _free_port()
    settings.PROMETHEUS_MULTIPROC_DIR = ""
    with pytest.raises(ImproperlyConfigured, match="PROMETHEUS_MULTIPROC_DIR"):
        worker_metrics_serve()
