"""On S3 with ``redirect`` delivery, the presigned URL names the negotiated format's file (#21.5).

The 302 is never cached (``no-store``) and varies by ``Accept``: each request signs the URL
of the file its ``Accept`` chose, which S3 then serves with that file's type and name.
"""

import io
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from PIL import Image as PILImage

from images.models import Image
from tests.factories import image_bytes
from tests.s3.test_file_delivery import http_get

MEDIA_TYPES = {"AVIF": "image/avif", "WEBP": "image/webp", "JPEG": "image/jpeg"}
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


@pytest.mark.parametrize(
    ("accept", "served", "field"),
    [
        ("image/avif,image/webp,*/*", "AVIF", "thumbnail_avif_key"),
        ("image/webp,*/*", "WEBP", "thumbnail_webp_key"),
        ("*/*", "JPEG", "thumbnail_key"),
    ],
)
def test_the_redirect_names_the_negotiated_file(auth_client, upload, accept, served, field):
    image = upload(image_bytes(size=(64, 48)), name="harbour.jpg")
    key = getattr(Image.objects.get(pk=image["id"]), field)

    response = auth_client.get(
        reverse("image-thumbnail", kwargs={"pk": image["id"]}), HTTP_ACCEPT=accept
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Cache-Control"] == "private, no-store"
    assert "Accept" in response["Vary"]
    location = urlsplit(response["Location"])
    assert location.path.endswith(key)
    assert parse_qs(location.query)["response-content-type"] == [MEDIA_TYPES[served]]
    status, _, body = http_get(response["Location"])
    assert status == HTTPStatus.OK
    assert PILImage.open(io.BytesIO(body)).format == served
