"""Per-user quotas on stored bytes and image count, and the upload rate limit."""

from http import HTTPStatus

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from images.models import Image
from tests.factories import image_bytes


def _post(client, data: bytes | None = None):
    return client.post(
        reverse("image-list"),
        {"file": SimpleUploadedFile("q.png", data or image_bytes("PNG"))},
        format="multipart",
    )


class TestQuotas:
    def test_me_shows_usage_and_limits(self, auth_client, upload, settings):
        upload()
        quota = auth_client.get(reverse("users-me")).json()["quota"]
        stored = sum(i.stored_bytes for i in Image.objects.all())
        assert quota == {
            "bytes_used": stored,
            "bytes_limit": settings.ATELIER["QUOTA_BYTES"],
            "images_used": 1,
            "images_limit": settings.ATELIER["QUOTA_IMAGES"],
            "trash_bytes": 0,
            "trash_images": 0,
        }
        assert stored > Image.objects.get().size  # renditions count too

    def test_image_count_quota_is_403_with_usage(self, auth_client, user, upload):
        user.quota_images = 1
        user.save()
        upload()
        response = _post(auth_client)
        assert response.status_code == HTTPStatus.FORBIDDEN
        body = response.json()
        assert (body["code"], body["quota"], body["used"], body["limit"]) == (
            "quota_exceeded",
            "images",
            1,
            1,
        )
        assert Image.objects.count() == 1

    def test_byte_quota_is_413_with_usage(self, auth_client, user, media_root):
        user.quota_bytes = 2000
        user.save()
        response = _post(auth_client, image_bytes("PNG", size=(100, 100), noisy=True))
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        body = response.json()
        assert (body["quota"], body["used"], body["limit"]) == ("bytes", 0, 2000)
        assert "stored bytes" in body["detail"]
        assert Image.objects.count() == 0
        assert [p for p in media_root.rglob("*") if p.is_file()] == []

    def test_server_default_quota_applies_without_override(self, auth_client, settings, upload):
        settings.ATELIER = {**settings.ATELIER, "QUOTA_IMAGES": 2}
        upload()
        upload(image_bytes(color=(1, 1, 1)))
        assert _post(auth_client).status_code == HTTPStatus.FORBIDDEN

    def test_deleting_for_good_frees_quota(
        self, auth_client, user, upload, django_capture_on_commit_callbacks
    ):
        user.quota_images = 1
        user.save()
        image = upload()
        with django_capture_on_commit_callbacks(execute=True):
            auth_client.delete(
                reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
            )
        assert _post(auth_client).status_code == HTTPStatus.CREATED


class TestUploadThrottle:
    def test_uploads_over_the_rate_get_429_with_retry_after(self, auth_client, settings):
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "upload": "2/m"}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
        assert _post(auth_client).status_code == HTTPStatus.CREATED
        assert _post(auth_client).status_code == HTTPStatus.CREATED
        response = _post(auth_client)
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert int(response["Retry-After"]) > 0
        assert response.json()["code"] == "throttled"
        # Reading is not an upload: the list still answers.
        assert auth_client.get(reverse("image-list")).status_code == HTTPStatus.OK

    def test_upload_limit_is_per_user(self, auth_client, other_client, settings):
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "upload": "1/m"}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
        assert _post(auth_client).status_code == HTTPStatus.CREATED
        assert _post(other_client).status_code == HTTPStatus.CREATED
