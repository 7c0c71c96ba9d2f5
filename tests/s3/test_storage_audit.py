"""``manage.py storage_audit`` on S3: the same report and fixes as on disk, from the bucket."""

import pytest

from images.models import Image
from tests.images.test_storage_audit import run_audit


@pytest.mark.django_db
@pytest.mark.usefixtures("s3_storage")
class TestStorageAuditOnS3:
    def test_consistent_bucket_exits_0(self, upload):
        upload()

        status, output = run_audit()

        assert status == 0
        assert "0 orphan(s), 0 missing" in output

    def test_reports_orphans_and_missing_objects(self, seaweed, upload):
        image = Image.objects.get(pk=upload()["id"])
        client = seaweed.client()
        client.put_object(Bucket=seaweed.bucket, Key="9/stray/original.jpg", Body=b"stray")
        client.delete_object(Bucket=seaweed.bucket, Key=image.thumbnail_key)

        status, output = run_audit()

        assert status == 1
        assert "orphan 9/stray/original.jpg" in output
        assert f"missing {image.thumbnail_key} (image {image.pk})" in output
        assert "1 orphan(s), 1 missing, 0 empty folder(s)" in output

    def test_fix_keeps_young_orphans(self, seaweed, upload):
        upload()
        seaweed.client().put_object(Bucket=seaweed.bucket, Key="9/stray/a.jpg", Body=b"stray")

        status, output = run_audit("--fix")

        assert status == 1
        assert "kept orphan 9/stray/a.jpg (younger than 3600 s)" in output
        assert "9/stray/a.jpg" in seaweed.object_keys()

    def test_fix_removes_orphans_past_min_age_and_never_missing_rows(self, seaweed, upload):
        image = Image.objects.get(pk=upload()["id"])
        client = seaweed.client()
        client.put_object(Bucket=seaweed.bucket, Key="9/stray/a.jpg", Body=b"stray")
        client.delete_object(Bucket=seaweed.bucket, Key=image.original_key)

        status, output = run_audit("--fix", "--min-age", "0")

        assert status == 1  # the missing original is left for a person to decide on
        assert "removed orphan 9/stray/a.jpg" in output
        # Every rendition is kept; only the stray object went.
        assert seaweed.object_keys() == set(image.storage_keys) - {image.original_key}
        assert Image.objects.filter(pk=image.pk, original_key=image.original_key).exists()
