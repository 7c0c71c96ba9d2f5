"""File endpoints on S3: a 302 to a presigned URL that SeaweedFS honours, and only that.

Also the delivery modes on file-system storage: ``accel`` hands the file to nginx, and
``redirect`` falls back to streaming (there are no presigned URLs on disk).
"""

import io
import time
import urllib.error
import urllib.request
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from PIL import Image as PILImage

from images.models import Image
from tests.factories import image_bytes
from tests.s3.conftest import s3_storage_options

RENDITIONS = ["original", "processed", "thumbnail"]
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """A plain GET outside Django: status, headers and body, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (test server)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def file_url(image: dict, rendition: str) -> str:
    return reverse(f"image-{rendition}", kwargs={"pk": image["id"]})


@pytest.mark.django_db
@pytest.mark.usefixtures("s3_storage")
class TestRedirectDelivery:
    @pytest.mark.parametrize("rendition", RENDITIONS)
    def test_owner_gets_302_to_bytes_that_decode(self, auth_client, upload, rendition):
        image = upload(image_bytes("PNG", mode="RGBA"), name="harbour.png")
        assert image["status"] == "ready"

        response = auth_client.get(file_url(image, rendition))

        assert response.status_code == HTTPStatus.FOUND
        assert response["Cache-Control"] == "private, no-store"
        assert "ETag" not in response
        status, headers, body = http_get(response["Location"])
        assert status == HTTPStatus.OK
        assert headers["Content-Type"] == "image/png"
        marker = {"original": "", "processed": "-none", "thumbnail": "-thumbnail"}[rendition]
        assert headers["Content-Disposition"] == f'inline; filename="harbour{marker}.png"'
        PILImage.open(io.BytesIO(body)).verify()

    def test_presigned_url_is_short_lived_and_signed(self, auth_client, upload):
        image = upload()

        location = urlsplit(auth_client.get(file_url(image, "thumbnail"))["Location"])
        query = parse_qs(location.query)

        assert query["X-Amz-Expires"] == ["300"]
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["response-content-type"] == ["image/jpeg"]

    def test_presigned_url_stops_working_once_expired(self, settings, seaweed, auth_client, upload):
        image = upload()
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": s3_storage_options(seaweed, querystring_expire=2),
            },
        }
        location = auth_client.get(file_url(image, "processed"))["Location"]
        assert http_get(location)[0] == HTTPStatus.OK

        time.sleep(3.5)

        status, _, body = http_get(location)
        assert status == HTTPStatus.FORBIDDEN
        assert b"expired" in body

    def test_if_none_match_still_gets_304_before_any_redirect(self, auth_client, upload):
        image = upload()
        stream_etag = Image.objects.get(pk=image["id"]).checksum[:40]

        response = auth_client.get(
            file_url(image, "original"), HTTP_IF_NONE_MATCH=f'"{stream_etag}"'
        )

        assert response.status_code == HTTPStatus.NOT_MODIFIED
        assert "Location" not in response

    def test_accept_that_excludes_the_type_gets_406_not_a_redirect(self, auth_client, upload):
        image = upload()

        response = auth_client.get(file_url(image, "thumbnail"), HTTP_ACCEPT="image/png")

        assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
        assert "Location" not in response

    @pytest.mark.parametrize("rendition", RENDITIONS)
    def test_other_account_gets_404_and_no_redirect(self, other_client, upload, rendition):
        image = upload()

        response = other_client.get(file_url(image, rendition))

        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "Location" not in response

    @pytest.mark.parametrize("rendition", RENDITIONS)
    def test_anonymous_gets_401_and_no_redirect(self, api_client, upload, rendition):
        image = upload()

        response = api_client.get(file_url(image, rendition))

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert "Location" not in response

    @pytest.mark.parametrize("rendition", ["processed", "thumbnail"])
    def test_signed_rendition_url_also_redirects(self, api_client, upload, rendition):
        image = upload()
        signed = urlsplit(image["urls"][rendition])

        response = api_client.get(signed.path, {"sig": parse_qs(signed.query)["sig"][0]})

        assert response.status_code == HTTPStatus.FOUND
        status, headers, body = http_get(response["Location"])
        assert status == HTTPStatus.OK
        assert headers["Content-Type"] == "image/jpeg"
        PILImage.open(io.BytesIO(body)).verify()

    def test_forged_signature_gets_404_and_no_redirect(self, api_client, upload):
        image = upload()
        signed = urlsplit(image["urls"]["thumbnail"])
        sig = parse_qs(signed.query)["sig"][0]

        response = api_client.get(signed.path, {"sig": sig[:-2] + ("A" if sig[-2] != "A" else "B")})

        assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED)
        assert "Location" not in response


@pytest.mark.django_db
@pytest.mark.usefixtures("s3_storage")
class TestSeaweedRefusesWhatIsNotSigned:
    def test_anonymous_get_of_the_plain_object_url_is_refused(self, seaweed, upload):
        key = Image.objects.get(pk=upload()["id"]).processed_key

        status, _, body = http_get(f"{seaweed.endpoint_url}/{seaweed.bucket}/{key}")

        assert status == HTTPStatus.FORBIDDEN
        assert b"AccessDenied" in body

    def test_url_signed_with_a_wrong_secret_is_refused(self, seaweed, upload):
        key = Image.objects.get(pk=upload()["id"]).processed_key
        forged = seaweed.client(secret_key="not-the-secret").generate_presigned_url(
            "get_object", Params={"Bucket": seaweed.bucket, "Key": key}, ExpiresIn=60
        )

        status, _, body = http_get(forged)

        assert status == HTTPStatus.FORBIDDEN
        assert b"SignatureDoesNotMatch" in body

    def test_filer_port_does_not_serve_objects_without_a_token(self, seaweed, upload):
        key = Image.objects.get(pk=upload()["id"]).processed_key

        status, _, _ = http_get(f"{seaweed.filer_url}/buckets/{seaweed.bucket}/{key}")

        assert status == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
class TestFileSystemDelivery:
    def test_redirect_falls_back_to_streaming_on_disk(self, settings, auth_client, upload):
        settings.ATELIER_FILE_DELIVERY = "redirect"
        image = upload()

        response = auth_client.get(file_url(image, "thumbnail"))

        assert response.status_code == HTTPStatus.OK
        assert "Location" not in response
        PILImage.open(io.BytesIO(b"".join(response.streaming_content))).verify()

    def test_accel_hands_the_file_to_nginx(self, settings, auth_client, upload):
        settings.ATELIER_FILE_DELIVERY = "accel"
        settings.ATELIER_ACCEL_PREFIX = "/protected-media/"
        image = upload(image_bytes("PNG", mode="RGBA"), name="harbour.png")
        key = Image.objects.get(pk=image["id"]).processed_key

        response = auth_client.get(file_url(image, "processed"))

        assert response.status_code == HTTPStatus.OK
        assert response["X-Accel-Redirect"] == f"/protected-media/{key}"
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'inline; filename="harbour-none.png"'
        assert response["Cache-Control"] == "private, max-age=3600"
        assert response["ETag"]
        assert response.content == b""

    def test_accel_answers_404_for_a_file_gone_from_disk(
        self, settings, auth_client, upload, media_root
    ):
        settings.ATELIER_FILE_DELIVERY = "accel"
        image = upload()
        (media_root / Image.objects.get(pk=image["id"]).thumbnail_key).unlink()

        response = auth_client.get(file_url(image, "thumbnail"))

        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "X-Accel-Redirect" not in response

    def test_accel_refuses_other_accounts(self, settings, other_client, upload):
        settings.ATELIER_FILE_DELIVERY = "accel"
        image = upload()

        response = other_client.get(file_url(image, "original"))

        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "X-Accel-Redirect" not in response

    def test_unknown_mode_is_a_500_never_a_guess(self, settings, auth_client, upload, caplog):
        settings.ATELIER_FILE_DELIVERY = "sendfile"
        image = upload()

        response = auth_client.get(file_url(image, "thumbnail"))

        assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
        assert "Location" not in response
        assert "ATELIER_FILE_DELIVERY is 'sendfile'" in caplog.text
