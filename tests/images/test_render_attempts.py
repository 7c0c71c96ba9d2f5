"""Renders in the embedded default (in-process, no broker) never stay pending forever (#18.1).

A render that raises unexpectedly ends ``failed`` with a reason the owner can read, keeping
the original so that choosing a style tries again; a render whose process died (its lease,
moved past in the clock) is rendered again by the sweep, and one out of attempts is failed.
The worker side (a real Celery worker, time limits) is in ``test_render_jobs.py``.
"""

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from images.models import Image
from imaging import processing

pytestmark = [pytest.mark.django_db, pytest.mark.inprocess_render]


def detail(client, image_id: str) -> dict:
    response = client.get(reverse("image-detail", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def sweep() -> str:
    out = io.StringIO()
    call_command("sweep", stdout=out)
    return out.getvalue()


def test_a_render_that_raises_ends_failed_with_its_reason_and_can_be_tried_again(
    auth_client, upload, monkeypatch, assert_storage_consistent
):
    def broken(image, style):
        raise RuntimeError("a bug in a style")

    monkeypatch.setattr(processing, "style_apply", broken)
    image = upload(style="sepia")

    assert image["status"] == "failed"
    assert image["error"]["code"] == "render_failed"
    assert "try again" in image["error"]["detail"]
    row = Image.objects.get(pk=image["id"])
    assert row.original_key and row.stored_bytes == row.size  # kept, for another try
    assert "queued 0 stale render(s)" in sweep()  # failed is final: the sweep leaves it
    assert detail(auth_client, image["id"])["status"] == "failed"
    assert_storage_consistent()

    monkeypatch.undo()
    again = auth_client.patch(
        reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "sepia"}
    )
    assert again.status_code == HTTPStatus.OK
    assert (again.json()["status"], again.json()["style"]) == ("ready", "sepia")
    assert_storage_consistent()


def test_a_render_whose_process_died_is_rendered_again_by_the_sweep(
    auth_client, upload, settings, assert_storage_consistent, django_capture_on_commit_callbacks
):
    image = upload()
    # As if the render's process had died mid-render: pending, its lease run out.
    Image.objects.filter(pk=image["id"]).update(
        status=Image.Status.PENDING,
        render_attempts=1,
        render_lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    with django_capture_on_commit_callbacks(execute=True):  # the replaced files go
        assert "queued 1 stale render(s)" in sweep()
    assert detail(auth_client, image["id"])["status"] == "ready"
    assert Image.objects.get(pk=image["id"]).render_attempts == 2
    assert_storage_consistent()


def test_a_render_out_of_attempts_is_failed_by_the_sweep(
    auth_client, upload, settings, assert_storage_consistent
):
    settings.ATELIER_RENDER_MAX_ATTEMPTS = 2
    image = upload(style="none")
    Image.objects.filter(pk=image["id"]).update(
        status=Image.Status.PENDING,
        rendered_style="",
        render_attempts=2,
        render_lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert "queued 0 stale render(s)" in sweep()
    failed = detail(auth_client, image["id"])
    assert (failed["status"], failed["error"]["code"]) == ("failed", "render_failed")
    assert "2 times" in failed["error"]["detail"]
    assert "queued 0 stale render(s)" in sweep()
