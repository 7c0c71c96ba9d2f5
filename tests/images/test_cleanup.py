"""Deletes leave nothing behind: no file, and no empty folder either (#9 finding 17)."""

from http import HTTPStatus

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from images.files import folders_empty
from tests.factories import DEFAULT_PASSWORD


class TestEmptyFolders:
    @pytest.mark.filesystem
    def test_deleting_an_image_removes_its_folder(
        self, auth_client, upload, media_root, django_capture_on_commit_callbacks
    ):
        keep = upload()
        gone = upload()
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.delete(
                reverse("image-detail", kwargs={"pk": gone["id"]}) + "?permanent=true"
            )
        assert response.status_code == HTTPStatus.NO_CONTENT

        folders = {p.name for p in media_root.rglob("*") if p.is_dir()}
        assert gone["id"] not in folders
        assert keep["id"] in folders
        assert folders_empty(storage=FileSystemStorage(location=media_root)) == set()

    def test_deleting_the_last_image_removes_the_owner_folder(
        self,
        auth_client,
        upload,
        user,
        media_root,
        assert_storage_consistent,
        django_capture_on_commit_callbacks,
    ):
        image = upload()
        with django_capture_on_commit_callbacks(execute=True):
            auth_client.delete(
                reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
            )

        assert list(media_root.iterdir()) == []
        assert_storage_consistent()

    @pytest.mark.filesystem
    def test_deleting_the_account_removes_the_owner_folder(
        self, auth_client, upload, media_root, other_client, django_capture_on_commit_callbacks
    ):
        upload()
        upload(style="sepia")
        upload(client=other_client)
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(reverse("users-me-delete"), {"password": DEFAULT_PASSWORD})
        assert response.status_code == HTTPStatus.NO_CONTENT

        assert len(list(media_root.iterdir())) == 1  # the other account's folder only
        assert folders_empty(storage=FileSystemStorage(location=media_root)) == set()

    def test_a_restyle_leaves_no_empty_folder(
        self,
        auth_client,
        upload,
        media_root,
        assert_storage_consistent,
        django_capture_on_commit_callbacks,
    ):
        image = upload()
        with django_capture_on_commit_callbacks(execute=True):
            auth_client.patch(
                reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "sepia"}
            )
        assert_storage_consistent()
