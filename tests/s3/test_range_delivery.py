"""Range requests in every delivery mode against SeaweedFS, and nginx's headers on disk.

``redirect``: the owner is sent to a presigned URL and S3 answers the ``Range`` on it.
A link's visitor is streamed by this process from ranged ``GetObject`` calls. ``accel``:
nginx answers the range; the response it is handed says ranges are accepted.
"""

import urllib.error
import urllib.request
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import image_bytes


def ranged_get(url: str, range_: str) -> tuple[int, dict[str, str], bytes]:
    """A GET with ``Range`` outside Django: status, headers and body, errors included."""
    request = urllib.request.Request(url, headers={"Range": range_})  # noqa: S310 (test server)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def noise() -> bytes:
    return image_bytes("PNG", size=(200, 200), noisy=True)


@pytest.mark.django_db
@pytest.mark.usefixtures("s3_storage")
class TestRangesOnS3:
    @pytest.mark.parametrize(
        ("range_", "first", "last"),
        [("bytes=0-0", 0, 0), ("bytes=1000-1999", 1000, 1999), ("bytes=-100", -100, -1)],
    )
    def test_the_followed_redirect_answers_the_range(
        self, auth_client, upload, noise, range_, first, last
    ):
        image = upload(noise, name="noise.png")
        response = auth_client.get(reverse("image-original", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.FOUND

        status, headers, body = ranged_get(response["Location"], range_)

        start, end = first % len(noise), last % len(noise)
        assert status == HTTPStatus.PARTIAL_CONTENT
        assert headers["Content-Range"] == f"bytes {start}-{end}/{len(noise)}"
        assert body == noise[start : end + 1]

    def test_the_followed_redirect_refuses_a_range_past_the_end(self, auth_client, upload, noise):
        image = upload(noise, name="noise.png")
        location = auth_client.get(reverse("image-original", kwargs={"pk": image["id"]}))[
            "Location"
        ]
        status, _, _ = ranged_get(location, f"bytes={len(noise)}-")
        assert status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE

    def test_a_visitor_is_streamed_ranges_from_the_bucket(self, auth_client, upload, noise):
        image = upload(noise, name="noise.png")
        share = auth_client.post(
            reverse("share-list"),
            {"image_ids": [image["id"]], "allow_original": True, "show_metadata": True},
            format="json",
        ).json()
        visitor = APIClient()
        [item] = visitor.get(urlsplit(share["api_url"]).path).json()["results"]
        url = urlsplit(item["urls"]["original"])
        path = f"{url.path}?{url.query}"

        whole = visitor.get(path)
        assert whole.status_code == HTTPStatus.OK and "Location" not in whole
        assert _body(whole) == noise
        part = visitor.get(path, HTTP_RANGE="bytes=10-19,-5")
        assert part.status_code == HTTPStatus.PARTIAL_CONTENT
        assert part["Content-Type"].startswith("multipart/byteranges; boundary=")
        body = _body(part)
        assert noise[10:20] in body and noise[-5:] in body
        assert int(part["Content-Length"]) == len(body)


@pytest.mark.django_db
def test_accel_says_ranges_are_accepted_and_leaves_them_to_nginx(settings, auth_client, upload):
    settings.ATELIER_FILE_DELIVERY = "accel"
    image = upload()

    response = auth_client.get(
        reverse("image-original", kwargs={"pk": image["id"]}), HTTP_RANGE="bytes=0-9"
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Accel-Redirect"]
    assert "Content-Range" not in response
    assert response.content == b""
