"""Nothing lost when a render's worker dies (#12.3, #18.12): a real worker process on the real
Redis, its render process killed with SIGKILL mid-render, and the render then handed on by
the sweep once the dead render's lease has run out, and finished by a worker.

PostgreSQL only: the worker is a separate process, so it must reach the test database over
the network (pytest-django's SQLite test database lives in this process's memory).
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images import rendering
from images.models import Image
from tests.celery_broker import BROKER, KEY_PREFIX
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres_broker(broker):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can reach: PostgreSQL")
    return broker


def worker_process(media_root: Path, name: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "ATELIER_QUEUE_KEY_PREFIX": KEY_PREFIX,
        "DJANGO_MEDIA_ROOT": str(media_root),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "project",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for_line(process: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            lines.append(line)
            if needle in line:
                return lines
        else:
            time.sleep(0.02)
    raise AssertionError(f"never saw {needle!r}:\n" + "".join(lines[-40:]))


def pool_children(process: subprocess.Popen) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


def test_a_render_whose_process_is_killed_is_finished_all_the_same(
    postgres_broker, media_root, assert_storage_consistent
):
    UserFactory(username="survivor")
    client = APIClient()
    tokens = client.post(
        reverse("auth-token"), {"username": "survivor", "password": DEFAULT_PASSWORD}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    # 48 megapixels (a small file: a smooth gradient) takes about a second to decode and
    # render here: time enough to kill the render in the middle.
    data = image_bytes("PNG", size=(8000, 6000))
    response = client.post(
        reverse("image-list"),
        {"file": SimpleUploadedFile("big.png", data), "style": "emboss"},
        format="multipart",
    )
    assert response.status_code == HTTPStatus.CREATED
    image_id = response.json()["id"]

    worker = worker_process(media_root, "doomed")
    try:
        wait_for_line(worker, "images.render", timeout=60)  # received: the render started
        time.sleep(0.3)
        children = pool_children(worker)
        assert children, "the prefork pool has a process rendering"
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        # The worker notices its render process died and puts the job back on the queue; the
        # pool starts a new process, whose job finds the dead render's lease and does nothing
        # until it runs out. The clock is moved past it, and the render sweep (as beat runs
        # it) hands the render to the new process, which renders it to the end.
        Image.objects.filter(pk=image_id, render_attempts=1).update(
            render_lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        rendering.image_render_sweep(older_than_seconds=3600)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if Image.objects.get(pk=image_id).status == "ready":
                break
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    log = worker.stdout.read() if worker.stdout else ""
    image = Image.objects.get(pk=image_id)
    assert image.status == "ready", log[-3000:]
    # It was killed mid-render, not after: the worker saw its render process die.
    assert "WorkerLostError" in log or "signal 9" in log, log[-3000:]
    assert image.processed_key and image.preview_key and image.thumbnail_key
    # Taken twice at most (the dead process's attempt and the one that finished), and the
    # lease given up.
    assert image.render_attempts <= 2 and image.render_lease_expires_at is None
    assert_storage_consistent()
