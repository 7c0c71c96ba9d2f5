"""``manage.py storage_audit`` on file-system storage: orphans, missing files, empty folders."""

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from images import audit
from images.models import Image

AN_HOUR_AGO = time.time() - 3700


def run_audit(*args: str) -> tuple[int, str]:
    """Runs the command; returns its exit status and what it printed."""
    out = io.StringIO()
    try:
        call_command("storage_audit", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}{exc}\n"
    return 0, out.getvalue()


def make_orphan(media_root: Path, name: str, *, modified: float | None = None) -> Path:
    path = media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left behind")
    if modified is not None:
        os.utime(path, (modified, modified))
        os.utime(path.parent, (modified, modified))
    return path


@pytest.mark.django_db
class TestStorageAuditCommand:
    def test_consistent_storage_exits_0(self, upload):
        upload()

        status, output = run_audit()

        assert status == 0
        assert "storage is consistent" in output

    def test_empty_media_root_is_consistent(self, media_root):
        media_root.rmdir()  # nothing was ever written

        assert run_audit()[0] == 0

    @pytest.mark.filesystem
    def test_reports_orphan_and_exits_1(self, upload, media_root):
        upload()
        make_orphan(media_root, "7/stray/original.jpg")

        status, output = run_audit()

        assert status == 1
        assert "orphan 7/stray/original.jpg" in output
        assert "1 orphan(s), 0 missing" in output

    @pytest.mark.filesystem
    def test_reports_missing_file_with_its_image(self, upload, media_root):
        image = Image.objects.get(pk=upload()["id"])
        (media_root / image.thumbnail_key).unlink()

        status, output = run_audit()

        assert status == 1
        assert f"missing {image.thumbnail_key} (image {image.pk})" in output
        assert "0 orphan(s), 1 missing" in output

    def test_empty_keys_are_not_missing(self, upload):
        image = Image.objects.get(pk=upload()["id"])
        Image.objects.filter(pk=image.pk).update(
            processed_key="", thumbnail_key="", status=Image.Status.PENDING
        )

        status, output = run_audit()

        assert status == 1  # the two renditions are orphans now, and nothing is missing
        assert "2 orphan(s), 0 missing" in output

    @pytest.mark.filesystem
    def test_reports_empty_folder(self, media_root):
        (media_root / "3" / "gone").mkdir(parents=True)

        status, output = run_audit()

        assert status == 1
        assert "empty folder 3/gone" in output

    @pytest.mark.filesystem
    def test_fix_removes_old_orphans_and_their_folders(
        self, upload, media_root, assert_storage_consistent
    ):
        upload()
        orphan = make_orphan(media_root, "7/stray/original.jpg", modified=AN_HOUR_AGO)
        os.utime(media_root / "7", (AN_HOUR_AGO, AN_HOUR_AGO))

        status, output = run_audit("--fix")

        assert status == 0
        assert "removed orphan 7/stray/original.jpg" in output
        assert not orphan.exists()
        assert not (media_root / "7").exists()
        assert_storage_consistent()
        assert run_audit()[0] == 0

    @pytest.mark.filesystem
    def test_fix_keeps_young_orphans(self, media_root):
        orphan = make_orphan(media_root, "7/stray/original.jpg")

        status, output = run_audit("--fix")

        assert status == 1
        assert "kept orphan 7/stray/original.jpg (younger than 3600 s)" in output
        assert orphan.exists()

    @pytest.mark.filesystem
    def test_min_age_overrides_the_hour(self, media_root):
        orphan = make_orphan(media_root, "7/stray/original.jpg", modified=time.time() - 20)

        status, _ = run_audit("--fix", "--min-age", "10")

        assert status == 0
        assert not orphan.exists()

    @pytest.mark.filesystem
    def test_fix_never_touches_missing_files(self, upload, media_root):
        image = Image.objects.get(pk=upload()["id"])
        (media_root / image.original_key).unlink()

        status, output = run_audit("--fix", "--min-age", "0")

        assert status == 1
        assert f"missing {image.original_key}" in output
        image.refresh_from_db()
        assert image.original_key  # the row still says what is missing
        assert (media_root / image.processed_key).exists()

    @pytest.mark.filesystem
    def test_file_referenced_again_before_the_fix_stays(self, upload, media_root):
        # The audit saw an orphan, then an upload's row that references it committed.
        image = Image.objects.get(pk=upload()["id"])
        report = audit.AuditReport(orphans={image.thumbnail_key})

        fixed = audit.orphans_remove(storage=default_storage, report=report, min_age=timedelta(0))

        assert fixed.removed == []
        assert (media_root / image.thumbnail_key).exists()
