"""Each sized rendition in AVIF, WebP and JPEG/PNG, chosen by ``Accept`` (#21.5), and the
ThumbHash placeholder in the image bodies.

Through HTTP: the same rendition URL answers the format the request's ``Accept`` names,
checked by decoding the bytes served; ``Vary: Accept`` and an ETag per format; alpha kept;
images rendered before the variants existed still served (as JPEG); every file counted in
``stored_bytes`` and known to the storage audit; the privacy rules the same for every format.
"""

import base64
import io
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images.models import Image
from imaging import thumbhash
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

SIZED = ("processed", "preview", "thumbnail")
BROWSER = "image/avif,image/webp,*/*"
# Accept header -> the format served for an opaque image (None: a JSON 406).
NEGOTIATION = [
    (BROWSER, "AVIF"),
    ("image/webp,*/*", "WEBP"),
    ("image/jpeg", "JPEG"),
    ("*/*", "JPEG"),
    (None, "JPEG"),
    ("image/*", "JPEG"),
    ("image/avif;q=0, */*", "JPEG"),
    ("image/avif;q=0.5, image/webp;q=0.9, */*;q=0.1", "WEBP"),
    ("image/avif;q=0.5, image/jpeg", "JPEG"),
    ("image/avif", "AVIF"),
    ("image/jpeg;q=0, image/*", "AVIF"),
    ("text/html", None),
]
MEDIA_TYPES = {"AVIF": "image/avif", "WEBP": "image/webp", "JPEG": "image/jpeg", "PNG": "image/png"}


def _get(client: APIClient, url: str, accept: str | None, **extra: str):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return client.get(url, **headers, **extra)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _served(response) -> PILImage.Image:
    picture = PILImage.open(io.BytesIO(_body(response)))
    picture.load()
    return picture


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def photo(upload) -> dict:
    return upload(image_bytes(size=(64, 48)), name="harbour.jpg")


class TestNegotiation:
    @pytest.mark.parametrize("rendition", SIZED)
    @pytest.mark.parametrize(("accept", "served"), NEGOTIATION)
    def test_each_rendition_answers_the_format_accept_names(
        self, auth_client, photo, rendition, accept, served
    ):
        url = reverse(f"image-{rendition}", kwargs={"pk": photo["id"]})

        response = _get(auth_client, url, accept)

        assert "Accept" in response["Vary"]
        if served is None:
            assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
            body = response.json()
            assert body["code"] == "not_acceptable" and body["detail"]
            return
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == MEDIA_TYPES[served]
        assert _served(response).format == served
        assert response["Content-Disposition"].endswith(
            f".{ {'AVIF': 'avif', 'WEBP': 'webp', 'JPEG': 'jpg'}[served] }"
        )

    def test_the_processed_rendition_of_a_large_picture_is_webp_for_a_browser(
        self, auth_client, upload
    ):
        # Larger than the preview: the processed rendition is its own picture, stored as
        # WebP and JPEG only (no AVIF: see imaging.encoding); the smaller sizes have AVIF.
        image = upload(image_bytes(size=(1500, 1000)), name="wide.jpg")
        row = Image.objects.get(pk=image["id"])
        assert row.processed_avif_key == "" and row.processed_webp_key

        served = {
            rendition: _served(
                _get(
                    auth_client, reverse(f"image-{rendition}", kwargs={"pk": image["id"]}), BROWSER
                )
            )
            for rendition in SIZED
        }

        assert {name: picture.format for name, picture in served.items()} == {
            "processed": "WEBP",
            "preview": "AVIF",
            "thumbnail": "AVIF",
        }
        assert served["processed"].size == (1500, 1000)
        assert served["preview"].size == (1440, 960)
        assert served["thumbnail"].size == (720, 480)
        assert row.stored_bytes == sum(default_storage.size(key) for key in row.storage_keys)

    def test_each_format_has_its_own_etag_and_revalidates_alone(self, auth_client, photo):
        url = reverse("image-thumbnail", kwargs={"pk": photo["id"]})
        tags = {
            accept: _get(auth_client, url, accept)["ETag"]
            for accept in (BROWSER, "image/webp", "*/*")
        }
        assert len(set(tags.values())) == 3

        same = _get(auth_client, url, BROWSER, HTTP_IF_NONE_MATCH=tags[BROWSER])
        other = _get(auth_client, url, "*/*", HTTP_IF_NONE_MATCH=tags[BROWSER])

        assert same.status_code == HTTPStatus.NOT_MODIFIED
        assert other.status_code == HTTPStatus.OK
        assert _served(other).format == "JPEG"

    @pytest.mark.parametrize(
        ("accept", "served"), [(BROWSER, "AVIF"), ("image/webp", "WEBP"), ("*/*", "PNG")]
    )
    def test_transparency_is_kept_in_every_format(self, auth_client, upload, accept, served):
        image = upload(image_bytes("PNG", mode="RGBA", color=(10, 200, 30, 0)), name="cut.png")
        url = reverse("image-thumbnail", kwargs={"pk": image["id"]})

        picture = _served(_get(auth_client, url, accept))

        assert picture.format == served
        assert picture.mode == "RGBA"
        assert picture.getextrema()[3][0] < 128  # a transparent pixel survived

    def test_an_image_rendered_before_variants_is_served_as_jpeg(
        self, auth_client, photo, assert_storage_consistent
    ):
        row = Image.objects.get(pk=photo["id"])
        variants = [f"{size}_{fmt}_key" for size in SIZED for fmt in ("avif", "webp")]
        for field in variants:
            default_storage.delete(getattr(row, field))
        Image.objects.filter(pk=row.pk).update(**dict.fromkeys(variants, ""), placeholder="")
        assert_storage_consistent()

        for rendition in SIZED:
            url = reverse(f"image-{rendition}", kwargs={"pk": photo["id"]})
            response = _get(auth_client, url, BROWSER)
            assert response.status_code == HTTPStatus.OK
            assert _served(response).format == "JPEG"
            assert _get(auth_client, url, "image/avif").status_code == HTTPStatus.NOT_ACCEPTABLE
        assert (
            auth_client.get(reverse("image-detail", kwargs={"pk": photo["id"]})).json()[
                "placeholder"
            ]
            == ""
        )

    @pytest.mark.filesystem
    def test_accel_names_the_negotiated_file(self, settings, auth_client, photo):
        settings.ATELIER_FILE_DELIVERY = "accel"
        settings.ATELIER_ACCEL_PREFIX = "/protected-media/"
        row = Image.objects.get(pk=photo["id"])

        response = _get(auth_client, reverse("image-preview", kwargs={"pk": photo["id"]}), BROWSER)

        assert response.status_code == HTTPStatus.OK
        assert response["X-Accel-Redirect"] == f"/protected-media/{row.preview_avif_key}"
        assert response["Content-Type"] == "image/avif"
        assert "Accept" in response["Vary"]


class TestFilesKept:
    def test_every_file_is_counted_and_the_audit_is_clean(
        self, auth_client, upload, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            image = upload(image_bytes(size=(64, 48)), style="none")
        row = Image.objects.get(pk=image["id"])
        # The original, and three sizes in three formats each.
        assert len(row.storage_keys) == 10
        assert row.stored_bytes == sum(default_storage.size(key) for key in row.storage_keys)
        assert_storage_consistent()

        with django_capture_on_commit_callbacks(execute=True):
            auth_client.patch(
                reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "sepia"}
            )
        restyled = Image.objects.get(pk=image["id"])
        assert not set(restyled.storage_keys) & (set(row.storage_keys) - {row.original_key})
        assert restyled.stored_bytes == sum(
            default_storage.size(key) for key in restyled.storage_keys
        )
        assert_storage_consistent()

        with django_capture_on_commit_callbacks(execute=True):
            auth_client.delete(
                reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
            )
        assert not any(default_storage.exists(key) for key in restyled.storage_keys)
        assert_storage_consistent()


class TestPlaceholder:
    def test_the_body_carries_a_thumbhash_of_the_picture(self, auth_client, upload):
        image = upload(image_bytes(size=(64, 48), color=(200, 80, 40)))

        body = auth_client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()

        decoded = thumbhash.thumbhash_decode(base64.b64decode(body["placeholder"]))
        assert decoded.width > decoded.height  # landscape, as the photo
        listed = auth_client.get(reverse("image-list")).json()["results"][0]
        assert listed["placeholder"] == body["placeholder"]


class TestPrivacy:
    @pytest.mark.parametrize("rendition", SIZED)
    @pytest.mark.parametrize("accept", [BROWSER, "image/webp", "*/*"])
    def test_another_account_gets_404_for_every_format(
        self, other_client, photo, rendition, accept
    ):
        url = reverse(f"image-{rendition}", kwargs={"pk": photo["id"]})

        response = _get(other_client, url, accept)

        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["code"]

    def test_a_share_visitor_gets_the_variants_and_the_placeholder(self, auth_client, photo):
        share = auth_client.post(
            reverse("share-list"), {"image_ids": [photo["id"]]}, format="json"
        ).json()
        visitor = APIClient()
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        assert item["placeholder"] == photo["placeholder"] != ""

        for rendition in SIZED:
            url = _path(item["urls"][rendition])
            for accept, served in ((BROWSER, "AVIF"), ("image/webp,*/*", "WEBP"), (None, "JPEG")):
                response = _get(visitor, url, accept)
                assert response.status_code == HTTPStatus.OK
                assert _served(response).format == served
                assert "Accept" in response["Vary"]
                assert "alice" not in response["Content-Disposition"]
