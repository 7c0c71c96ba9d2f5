"""Faults mid-change: a full disk, a failing database, a rolled-back delete. Nothing is lost.

The faults are injected into the storage backend and the database layer beneath the code
under test; the upload pipeline itself runs for real.
"""

import errno
import io
from http import HTTPStatus

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.urls import reverse

from images import lifecycle
from images.models import Image
from tests.factories import upload_request


@pytest.fixture
def disk_full_after(monkeypatch):
    """Makes the storage fail with ENOSPC after ``n`` files were written; returns a function
    that frees the disk again."""

    def _arm(n: int):
        real_save = FileSystemStorage._save
        calls = {"count": 0}

        def flaky_save(self, name, content):
            calls["count"] += 1
            if calls["count"] > n:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_save(self, name, content)

        monkeypatch.setattr(FileSystemStorage, "_save", flaky_save)
        return lambda: monkeypatch.setattr(FileSystemStorage, "_save", real_save)

    return _arm


def _upload(client):
    return upload_request(client, name="p.jpg", style="sepia", content_type="image/jpeg")


@pytest.mark.filesystem
class TestStorageFailure:
    def test_disk_full_storing_the_original_is_503_with_no_row_and_no_file(
        self, auth_client, media_root, disk_full_after
    ):
        disk_full_after(0)
        response = _upload(auth_client)
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        body = response.json()
        assert "nothing was saved" in body["detail"]
        assert "No space" not in str(body) and str(media_root) not in str(body)
        assert Image.objects.count() == 0
        assert [p for p in media_root.rglob("*") if p.is_file()] == []

    @pytest.mark.parametrize("files_before_failure", [1, 2])
    def test_disk_full_mid_render_keeps_it_pending_until_the_sweep_finishes_it(
        self,
        auth_client,
        media_root,
        disk_full_after,
        files_before_failure,
        assert_storage_consistent,
        monkeypatch,
    ):
        # The original is stored; the render fails writing a rendition. Nothing partial is
        # kept, the image stays pending (a storage fault passes), and the sweep renders it.
        restore = disk_full_after(files_before_failure)
        response = _upload(auth_client)
        assert response.status_code == HTTPStatus.CREATED, response.content
        body = response.json()
        assert body["status"] == "pending" and set(body["urls"]) == {"expires_at"}
        assert_storage_consistent()
        thumbnail = reverse("image-thumbnail", kwargs={"pk": body["id"]})
        not_ready = auth_client.get(thumbnail)
        assert not_ready.status_code == HTTPStatus.CONFLICT
        assert not_ready.json()["code"] == "not_ready" and not_ready["Retry-After"]

        restore()
        call_command("sweep", "--older-than", "0", stdout=io.StringIO())

        assert Image.objects.get(pk=body["id"]).status == "ready"
        assert auth_client.get(thumbnail).status_code == HTTPStatus.OK
        assert_storage_consistent()

    def test_disk_full_during_restyle_keeps_serving_the_old_renditions(
        self, auth_client, upload, media_root, disk_full_after, assert_storage_consistent
    ):
        image = upload(style="none")
        before = Image.objects.get(pk=image["id"])
        restore = disk_full_after(0)
        response = auth_client.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"}
        )
        assert response.status_code == HTTPStatus.OK
        assert response.json()["status"] == "pending"
        after = Image.objects.get(pk=image["id"])
        assert (after.rendered_style, after.processed_key) == ("none", before.processed_key)
        served = auth_client.get(reverse("image-processed", kwargs={"pk": image["id"]}))
        assert served.status_code == HTTPStatus.OK
        assert_storage_consistent()

        restore()
        call_command("sweep", "--older-than", "0", stdout=io.StringIO())

        done = Image.objects.get(pk=image["id"])
        assert (done.status, done.rendered_style) == ("ready", "invert")
        assert done.processed_key != before.processed_key


class TestDatabaseFailure:
    def test_database_failing_after_files_are_written_removes_them(
        self, auth_client, media_root, monkeypatch
    ):
        def failing_create(*args, **kwargs):
            raise OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(Image.objects, "create", failing_create)
        response = _upload(auth_client)
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert "server closed" not in response.json()["detail"]
        assert [p for p in media_root.rglob("*") if p.is_file()] == []


@pytest.mark.filesystem
class TestDeleteRollback:
    def test_rolled_back_delete_keeps_row_and_files(
        self,
        user,
        upload,
        media_root,
        django_capture_on_commit_callbacks,
        assert_storage_consistent,
    ):
        image = upload()

        class Abort(Exception):
            pass

        def delete_then_fail() -> None:
            with transaction.atomic():
                lifecycle.image_delete(owner=user, image_id=image["id"])
                raise Abort()

        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(Abort),
        ):
            delete_then_fail()
        assert callbacks == []
        assert Image.objects.filter(pk=image["id"]).exists()
        stored = Image.objects.get(pk=image["id"]).storage_keys
        assert len(stored) == 10  # the original; three sizes as JPEG, AVIF and WebP
        assert len([p for p in media_root.rglob("*") if p.is_file()]) == len(stored)
        assert_storage_consistent()


@pytest.mark.filesystem
class TestMissingOriginal:
    def test_restyle_with_its_original_gone_keeps_the_image_and_says_why(
        self, auth_client, upload, media_root
    ):
        image = upload(style="none")
        (media_root / Image.objects.get(pk=image["id"]).original_key).unlink()
        response = auth_client.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"}
        )
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        assert (body["status"], body["style"]) == ("ready", "none")
        assert body["error"]["code"] == "original_missing"
        assert (
            auth_client.get(reverse("image-thumbnail", kwargs={"pk": image["id"]})).status_code
            == HTTPStatus.OK
        )

    def test_download_with_its_file_gone_is_404(self, auth_client, upload, media_root):
        image = upload()
        (media_root / Image.objects.get(pk=image["id"]).thumbnail_key).unlink()
        response = auth_client.get(reverse("image-thumbnail", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "not available" in response.json()["detail"]


@pytest.mark.filesystem
class TestSweep:
    def test_the_sweep_removes_old_orphans_and_keeps_young_ones(
        self, upload, media_root, assert_storage_consistent
    ):
        import os
        import time

        upload()
        old = media_root / "stray-owner" / "stray-image" / "processed-dead.jpg"
        old.parent.mkdir(parents=True)
        old.write_bytes(b"left behind by a process that died")
        an_hour_ago = time.time() - 3700
        os.utime(old, (an_hour_ago, an_hour_ago))
        for folder in (old.parent, old.parent.parent):
            os.utime(folder, (an_hour_ago, an_hour_ago))
        young = media_root / "stray-owner2" / "x" / "original.jpg"
        young.parent.mkdir(parents=True)
        young.write_bytes(b"an upload still committing")

        out = io.StringIO()
        call_command("sweep", stdout=out)

        assert "removed 1 orphan" in out.getvalue()
        assert not old.exists() and not old.parent.parent.exists()
        assert young.exists()
