"""Files on S3: uploads, deletes, restyles and account deletion move objects in the bucket."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from images.models import Image
from tests.factories import DEFAULT_PASSWORD


def image_keys(image_id: str) -> set[str]:
    row = Image.objects.get(pk=image_id)
    return set(row.storage_keys)


@pytest.mark.django_db
@pytest.mark.usefixtures("s3_storage")
class TestObjectsFollowRows:
    def test_upload_stores_its_objects_and_nothing_on_disk(self, seaweed, upload, media_root):
        image = upload()

        assert image["status"] == "ready"
        keys = image_keys(image["id"])
        # The original, and each rendition (processed, preview, thumbnail) in JPEG, WebP, AVIF.
        assert len(keys) == 10
        assert seaweed.object_keys() == keys
        assert not any(media_root.rglob("*"))

    def test_delete_removes_the_objects(
        self, seaweed, auth_client, upload, django_capture_on_commit_callbacks
    ):
        kept, gone = upload(), upload()

        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.delete(
                reverse("image-detail", kwargs={"pk": gone["id"]}) + "?permanent=true"
            )

        assert response.status_code == HTTPStatus.NO_CONTENT
        assert seaweed.object_keys() == image_keys(kept["id"])

    def test_restyle_removes_the_old_renditions(
        self, seaweed, auth_client, upload, django_capture_on_commit_callbacks
    ):
        image = upload(style="none")
        before = Image.objects.get(pk=image["id"])

        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.patch(
                reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "sepia"}
            )

        assert response.status_code == HTTPStatus.OK
        assert response.json()["status"] == "ready"
        after = image_keys(image["id"])
        assert seaweed.object_keys() == after
        assert before.original_key in after
        assert before.processed_key not in after
        assert before.thumbnail_key not in after

    def test_account_deletion_removes_all_its_objects(
        self, seaweed, auth_client, other_client, upload, django_capture_on_commit_callbacks
    ):
        upload()
        upload()
        others = upload(client=other_client)

        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(reverse("users-me-delete"), {"password": DEFAULT_PASSWORD})

        assert response.status_code == HTTPStatus.NO_CONTENT
        assert seaweed.object_keys() == image_keys(others["id"])
