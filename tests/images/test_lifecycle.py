"""Restyle, delete and account deletion: files follow rows, and nothing is left orphaned."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from images.models import Image
from tests.factories import DEFAULT_PASSWORD, image_bytes


class TestImageRestyle:
    def test_restyle_rerenders_and_removes_old_renditions(
        self,
        auth_client,
        upload,
        media_root,
        assert_storage_consistent,
        django_capture_on_commit_callbacks,
    ):
        image = upload(style="none")
        before = Image.objects.get(pk=image["id"])
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.patch(url, {"style": "invert", "title": "neg"})
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        assert (body["style"], body["title"]) == ("invert", "neg")
        after = Image.objects.get(pk=image["id"])
        assert after.original_key == before.original_key
        assert after.processed_key != before.processed_key
        assert after.thumbnail_key != before.thumbnail_key
        assert not (media_root / before.processed_key).exists()
        assert_storage_consistent()

    def test_same_style_does_not_rerender(self, auth_client, upload):
        image = upload(style="sepia")
        before = Image.objects.get(pk=image["id"]).processed_key
        auth_client.patch(reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "sepia"})
        assert Image.objects.get(pk=image["id"]).processed_key == before

    def test_unknown_style_is_400_and_changes_nothing(self, auth_client, upload):
        image = upload(style="sepia")
        response = auth_client.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "nope"}
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "sepia" in response.json()["style"][0]
        assert Image.objects.get(pk=image["id"]).style == "sepia"

    def test_fields_it_does_not_take_are_a_400_naming_them(self, auth_client, upload):
        image = upload()
        response = auth_client.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}),
            {"checksum": "0" * 64, "status": "failed", "tags": ["x"], "title": "new"},
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        body = response.json()
        assert body["code"] == "unknown_field"
        assert set(body) == {"detail", "code", "checksum", "status", "tags"}
        assert "title, style" in body["tags"][0] or "style, title" in body["tags"][0]
        stored = Image.objects.get(pk=image["id"])
        assert stored.checksum == image["checksum"] and stored.status == "ready"
        assert stored.title == image["title"]

    def test_a_new_file_on_patch_is_a_400_not_a_silent_200(self, auth_client, upload):
        image = upload()
        response = auth_client.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}),
            {"file": SimpleUploadedFile("new.png", image_bytes("PNG"))},
            format="multipart",
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "file" in response.json()

    def test_put_is_not_allowed(self, auth_client, upload):
        image = upload()
        response = auth_client.put(reverse("image-detail", kwargs={"pk": image["id"]}), {})
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert response.json()["detail"]


class TestImageDelete:
    @pytest.mark.filesystem
    def test_delete_removes_row_and_every_file(
        self, auth_client, upload, media_root, django_capture_on_commit_callbacks
    ):
        image = upload()
        keep = upload(image_bytes(color=(9, 9, 9)))
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.delete(
                reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
            )
        assert response.status_code == HTTPStatus.NO_CONTENT
        files = {p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file()}
        assert files == set(Image.objects.get(pk=keep["id"]).storage_keys)

    def test_second_delete_is_404(self, auth_client, upload, django_capture_on_commit_callbacks):
        image = upload()
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        with django_capture_on_commit_callbacks(execute=True):
            assert auth_client.delete(url).status_code == HTTPStatus.NO_CONTENT
        assert auth_client.delete(url).status_code == HTTPStatus.NOT_FOUND


class TestAccountDeletion:
    def test_deleting_the_account_removes_every_file_it_owned(
        self,
        auth_client,
        other_client,
        upload,
        media_root,
        assert_storage_consistent,
        django_capture_on_commit_callbacks,
    ):
        upload()
        upload(image_bytes(color=(1, 200, 3)), style="cartoon")
        theirs = upload(image_bytes(), client=other_client)
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(reverse("users-me-delete"), {"password": DEFAULT_PASSWORD})
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert list(Image.objects.values_list("id", flat=True)) == [
            Image.objects.get(pk=theirs["id"]).pk
        ]
        assert_storage_consistent()
