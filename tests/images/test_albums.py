"""Albums, favourites and the trash, through the HTTP API on real files."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from images.models import Album, Image
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def _album(client, title="Holidays") -> dict:
    response = client.post(reverse("album-list"), {"title": title}, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def _ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


class TestAlbums:
    def test_create_add_list_remove(self, auth_client, upload):
        first, second = upload(), upload(image_bytes(color=(1, 2, 3)))
        album = _album(auth_client)
        url = reverse("album-images", kwargs={"pk": album["id"]})

        response = auth_client.put(url, {"image_ids": [first["id"]]}, format="json")
        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"] == [{"image_id": first["id"], "result": "added"}]
        response = auth_client.put(url, {"image_ids": [first["id"], second["id"]]}, format="json")
        assert [r["result"] for r in response.json()["results"]] == ["already_in_album", "added"]

        listed = auth_client.get(reverse("image-list"), {"album": album["id"]})
        assert set(_ids(listed)) == {first["id"], second["id"]}
        detail = auth_client.get(reverse("album-detail", kwargs={"pk": album["id"]})).json()
        assert detail["image_count"] == 2
        assert detail["cover_image"] == second["id"]
        assert auth_client.get(detail["cover_thumbnail"]).status_code == HTTPStatus.OK

        response = auth_client.delete(url, {"image_ids": [first["id"]]}, format="json")
        assert response.json()["results"] == [{"image_id": first["id"], "result": "removed"}]
        listed = auth_client.get(reverse("image-list"), {"album": album["id"]})
        assert _ids(listed) == [second["id"]]
        assert Image.objects.filter(pk=first["id"]).exists()  # removing keeps the image

    def test_remove_has_a_documented_post_and_the_delete_keeps_working(self, auth_client, upload):
        # #18.13: DELETE albums/{id}/images/ takes a body the schema did not document, so a
        # generated client could not remove an image; POST .../images/remove/ is its twin.
        first, second = upload(), upload(image_bytes(color=(1, 2, 3)))
        album = _album(auth_client)
        images = reverse("album-images", kwargs={"pk": album["id"]})
        auth_client.put(images, {"image_ids": [first["id"], second["id"]]}, format="json")

        remove = reverse("album-images-remove", kwargs={"pk": album["id"]})
        response = auth_client.post(remove, {"image_ids": [first["id"]]}, format="json")
        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"] == [{"image_id": first["id"], "result": "removed"}]
        response = auth_client.delete(images, {"image_ids": [second["id"]]}, format="json")
        assert response.json()["results"] == [{"image_id": second["id"], "result": "removed"}]
        response = auth_client.post(remove, {"image_ids": [second["id"]]}, format="json")
        assert response.json()["results"] == [{"image_id": second["id"], "result": "not_in_album"}]

    def test_the_schema_documents_both_removal_bodies(self, api_client):
        schema = api_client.get(reverse("schema"), {"format": "json"}).json()
        paths = schema["paths"]
        for path, method in (
            ("/api/v1/albums/{id}/images/remove/", "post"),
            ("/api/v1/albums/{id}/images/", "delete"),
        ):
            body = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
            assert body["$ref"].endswith("/ImageIdsRequest"), (path, method)

    def test_another_accounts_image_is_not_found_like_a_missing_one(
        self, auth_client, other_client, upload
    ):
        theirs = upload(client=other_client)
        album = _album(auth_client)
        missing = "00000000-0000-4000-8000-000000000001"
        response = auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [theirs["id"], missing]},
            format="json",
        )
        assert [r["result"] for r in response.json()["results"]] == ["not_found", "not_found"]
        assert not Album.objects.get(pk=album["id"]).images.exists()

    def test_another_accounts_album_is_404_everywhere(self, auth_client, other_client, upload):
        album = _album(auth_client)
        image = upload(client=other_client)
        detail = reverse("album-detail", kwargs={"pk": album["id"]})
        images = reverse("album-images", kwargs={"pk": album["id"]})
        assert other_client.get(detail).status_code == HTTPStatus.NOT_FOUND
        assert other_client.patch(detail, {"title": "x"}, format="json").status_code == 404
        assert other_client.delete(detail).status_code == HTTPStatus.NOT_FOUND
        body = {"image_ids": [image["id"]]}
        assert other_client.put(images, body, format="json").status_code == 404
        response = other_client.get(reverse("image-list"), {"album": album["id"]})
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"detail": "No album with this id.", "code": "not_found"}

    def test_anonymous_gets_401(self, api_client, auth_client):
        album = _album(auth_client)
        assert api_client.get(reverse("album-list")).status_code == HTTPStatus.UNAUTHORIZED
        detail = reverse("album-detail", kwargs={"pk": album["id"]})
        assert api_client.get(detail).status_code == HTTPStatus.UNAUTHORIZED

    def test_delete_album_keeps_images(self, auth_client, upload):
        image = upload()
        album = _album(auth_client)
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [image["id"]]},
            format="json",
        )
        response = auth_client.delete(reverse("album-detail", kwargs={"pk": album["id"]}))
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert Image.objects.filter(pk=image["id"]).exists()

    def test_more_than_500_ids_is_a_400(self, auth_client):
        album = _album(auth_client)
        ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(501)]
        response = auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}), {"image_ids": ids}, format="json"
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "image_ids" in response.json()


class TestFavourites:
    def test_mark_and_filter(self, auth_client, upload):
        liked, other = upload(), upload(image_bytes(color=(1, 2, 3)))
        url = reverse("image-detail", kwargs={"pk": liked["id"]})
        response = auth_client.patch(url, {"is_favorite": True}, format="json")
        assert response.status_code == HTTPStatus.OK
        assert response.json()["is_favorite"] is True
        favs = auth_client.get(reverse("image-list"), {"is_favorite": "true"})
        assert _ids(favs) == [liked["id"]]
        rest = auth_client.get(reverse("image-list"), {"is_favorite": "false"})
        assert _ids(rest) == [other["id"]]

    @pytest.mark.parametrize("value", [1, "yes", "on", None, "True"])
    def test_only_true_or_false(self, auth_client, upload, value):
        image = upload()
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        response = auth_client.patch(url, {"is_favorite": value}, format="json")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "is_favorite" in response.json()


class TestTrash:
    @pytest.mark.filesystem  # looks at the files on disk
    def test_delete_trashes_then_restore(self, auth_client, upload, media_root):
        image = upload()
        album = _album(auth_client)
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [image["id"]]},
            format="json",
        )
        detail = reverse("image-detail", kwargs={"pk": image["id"]})
        assert auth_client.delete(detail).status_code == HTTPStatus.NO_CONTENT

        assert auth_client.get(detail).status_code == HTTPStatus.NOT_FOUND
        assert _ids(auth_client.get(reverse("image-list"))) == []
        assert _ids(auth_client.get(reverse("image-list"), {"album": album["id"]})) == []
        assert auth_client.get(image["urls"]["thumbnail"]).status_code == HTTPStatus.NOT_FOUND
        trash = auth_client.get(reverse("trash-list")).json()["results"]
        assert [item["id"] for item in trash] == [image["id"]]
        assert trash[0]["purge_at"] > trash[0]["trashed_at"]
        assert all(media_root.joinpath(k).exists() for k in Image.objects.get().storage_keys)
        quota = auth_client.get(reverse("users-me")).json()["quota"]
        assert quota["trash_images"] == 1 and quota["trash_bytes"] == quota["bytes_used"]

        response = auth_client.post(reverse("trash-restore", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.OK
        assert auth_client.get(detail).status_code == HTTPStatus.OK
        assert _ids(auth_client.get(reverse("image-list"), {"album": album["id"]})) == [image["id"]]

    def test_purge_one_and_empty(
        self, auth_client, upload, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        one, two = upload(), upload(image_bytes(color=(1, 2, 3)))
        for image in (one, two):
            auth_client.delete(reverse("image-detail", kwargs={"pk": image["id"]}))
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.delete(reverse("trash-detail", kwargs={"pk": one["id"]}))
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert_storage_consistent()
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(reverse("trash-empty"))
        assert response.json() == {"purged": 1}
        assert not Image.objects.exists()
        assert_storage_consistent()

    def test_purging_a_live_image_through_the_trash_is_404(self, auth_client, upload):
        image = upload()
        response = auth_client.delete(reverse("trash-detail", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert Image.objects.filter(pk=image["id"]).exists()

    def test_another_account_cannot_see_or_touch_my_trash(self, auth_client, other_client, upload):
        image = upload()
        auth_client.delete(reverse("image-detail", kwargs={"pk": image["id"]}))
        assert other_client.get(reverse("trash-list")).json()["results"] == []
        for method, url in [
            ("get", reverse("trash-detail", kwargs={"pk": image["id"]})),
            ("delete", reverse("trash-detail", kwargs={"pk": image["id"]})),
            ("post", reverse("trash-restore", kwargs={"pk": image["id"]})),
        ]:
            assert getattr(other_client, method)(url).status_code == HTTPStatus.NOT_FOUND
        other_client.post(reverse("trash-empty"))
        assert Image.objects.filter(pk=image["id"]).exists()

    def test_sweep_purges_after_trash_days(
        self,
        auth_client,
        upload,
        settings,
        assert_storage_consistent,
        django_capture_on_commit_callbacks,
    ):
        from datetime import timedelta

        from django.core.management import call_command
        from django.utils import timezone

        old, recent = upload(), upload(image_bytes(color=(1, 2, 3)))
        for image in (old, recent):
            auth_client.delete(reverse("image-detail", kwargs={"pk": image["id"]}))
        # The clock moved: one has been in the trash for longer than ATELIER_TRASH_DAYS.
        Image.objects.filter(pk=old["id"]).update(
            trashed_at=timezone.now() - timedelta(days=settings.ATELIER_TRASH_DAYS, seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            call_command("sweep")
        assert list(Image.objects.values_list("id", flat=True)) == [
            Image.objects.get(pk=recent["id"]).pk
        ]
        assert_storage_consistent()
