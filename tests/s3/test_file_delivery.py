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
from rest_framework.test import APIClient

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
        name = f"harbour{marker}.png"
        assert headers["Content-Disposition"] == (
            f"inline; filename=\"{name}\"; filename*=UTF-8''{name}"
        )
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


def _exif_jpeg() -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "SECRETCAM"  # Make
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (20, 120, 200)).save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
@pytest.mark.usefixtures("s3_storage")
class TestShareDeliveryOnS3:
    """#18.4 and #18.8: a link's visitor is streamed every file, never redirected to S3.

    A presigned Location named the storage key ("{owner id}/{image id}/..."), tying every
    link of one account together, and it kept working for up to ATELIER_S3_URL_TTL seconds
    after the link was revoked or the image trashed.
    """

    @pytest.fixture
    def shared(self, auth_client, upload) -> dict:
        image = upload(_exif_jpeg(), title="Quay")
        response = auth_client.post(
            reverse("share-list"),
            {"image_ids": [image["id"]], "allow_original": True},
            format="json",
        )
        assert response.status_code == HTTPStatus.CREATED
        share = response.json()
        page = APIClient().get(reverse("shared-detail", kwargs={"token": share["token"]}))
        [item] = page.json()["results"]
        return {"image": image, "share": share, "urls": item["urls"]}

    @pytest.mark.parametrize("rendition", ["processed", "preview", "thumbnail", "original"])
    def test_visitor_is_streamed_the_bytes_with_no_owner_or_key(
        self, shared, user, seaweed, rendition
    ):
        response = APIClient().get(_local(shared["urls"][rendition]))

        assert response.status_code == HTTPStatus.OK
        assert "Location" not in response
        data = _body(response)
        PILImage.open(io.BytesIO(data)).verify()
        assert b"SECRETCAM" not in data
        headers = repr(dict(response.items()))
        stored = Image.objects.get(pk=shared["image"]["id"])
        for secret in (str(user.pk), user.pk.hex, *stored.storage_keys, seaweed.endpoint_url):
            assert secret not in headers, secret

    def test_the_owner_still_gets_a_presigned_redirect(self, auth_client, shared):
        response = auth_client.get(file_url(shared["image"], "processed"))
        assert response.status_code == HTTPStatus.FOUND

    def test_the_stripped_copy_is_stored_in_the_bucket_once(self, shared, seaweed):
        before = seaweed.object_keys()
        first = _body(APIClient().get(_local(shared["urls"]["original"])))
        after = seaweed.object_keys()
        second = _body(APIClient().get(_local(shared["urls"]["original"])))

        stored = Image.objects.get(pk=shared["image"]["id"])
        assert after - before == {stored.stripped_key}
        assert seaweed.object_keys() == after
        assert first == second and b"SECRETCAM" not in first

    @pytest.mark.parametrize("ending", ["revoke", "trash"])
    def test_nothing_a_visitor_held_opens_after_a_revoke_or_a_trash(
        self, auth_client, shared, ending
    ):
        held = {
            rendition: APIClient().get(_local(url))
            for rendition, url in shared["urls"].items()
            if rendition != "expires_at"
        }
        if ending == "revoke":
            path = reverse("share-detail", kwargs={"pk": shared["share"]["id"]})
        else:
            path = reverse("image-detail", kwargs={"pk": shared["image"]["id"]})
        assert auth_client.delete(path).status_code == HTTPStatus.NO_CONTENT

        for rendition, url in shared["urls"].items():
            if rendition != "expires_at":
                assert APIClient().get(_local(url)).status_code == HTTPStatus.NOT_FOUND
        # What the visitor was handed before: never an S3 URL that outlives the link.
        for rendition, response in held.items():
            location = response.get("Location")
            assert location is None or http_get(location)[0] != HTTPStatus.OK, rendition


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
        assert response["Content-Disposition"] == (
            "inline; filename=\"harbour-none.png\"; filename*=UTF-8''harbour-none.png"
        )
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
