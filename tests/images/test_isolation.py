"""The privacy matrix: every image endpoint as owner, as another user and as anonymous.

Another account's image must be indistinguishable from one that does not exist (404), and an
anonymous caller learns nothing (401). Signed URLs are the one way in without a token.
"""

import uuid
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from images.models import Image
from tests.factories import image_bytes

RENDITIONS = ["original", "processed", "preview", "thumbnail"]
SIGNED = ["processed", "preview", "thumbnail"]


@pytest.fixture
def image(upload) -> dict:
    return upload(image_bytes(), name="secret-beach.jpg", style="sepia", title="Secret beach")


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


class TestImageDetailIsolation:
    def test_owner_gets_the_image(self, auth_client, image):
        response = auth_client.get(reverse("image-detail", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.OK
        assert response.json()["title"] == "Secret beach"

    def test_other_user_gets_404(self, other_client, image):
        response = other_client.get(reverse("image-detail", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"detail": "No Image matches the given query."} or (
            "detail" in response.json()
        )

    def test_other_users_404_equals_a_missing_images_404(self, other_client, image):
        theirs = other_client.get(reverse("image-detail", kwargs={"pk": image["id"]}))
        missing = other_client.get(reverse("image-detail", kwargs={"pk": uuid.uuid4()}))
        assert theirs.status_code == missing.status_code == HTTPStatus.NOT_FOUND
        assert theirs.json() == missing.json()

    def test_anonymous_gets_401(self, api_client, image):
        response = api_client.get(reverse("image-detail", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["detail"]


class TestImageUpdateIsolation:
    def test_owner_can_retitle(self, auth_client, image):
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        response = auth_client.patch(url, {"title": "Renamed"})
        assert response.status_code == HTTPStatus.OK
        assert response.json()["title"] == "Renamed"

    def test_other_user_gets_404_and_changes_nothing(self, other_client, image):
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        response = other_client.patch(url, {"title": "pwned", "style": "invert"})
        assert response.status_code == HTTPStatus.NOT_FOUND
        stored = Image.objects.get(pk=image["id"])
        assert (stored.title, stored.style) == ("Secret beach", "sepia")

    def test_anonymous_gets_401_and_changes_nothing(self, api_client, image):
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        response = api_client.patch(url, {"title": "pwned"})
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert Image.objects.get(pk=image["id"]).title == "Secret beach"


class TestImageDeleteIsolation:
    def test_owner_deletes(
        self, auth_client, image, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.delete(
                reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
            )
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert not Image.objects.filter(pk=image["id"]).exists()
        assert_storage_consistent()

    def test_other_user_gets_404_and_image_survives(self, other_client, image):
        response = other_client.delete(reverse("image-detail", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert Image.objects.filter(pk=image["id"]).exists()

    def test_anonymous_gets_401_and_image_survives(self, api_client, image):
        response = api_client.delete(reverse("image-detail", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert Image.objects.filter(pk=image["id"]).exists()


class TestImageListIsolation:
    def test_owner_sees_own_image(self, auth_client, image):
        response = auth_client.get(reverse("image-list"))
        assert [i["id"] for i in response.json()["results"]] == [image["id"]]

    @pytest.mark.parametrize(
        "query",
        [
            {},
            {"style": "sepia"},
            {"status": "ready"},
            {"search": "Secret"},
            {"search": "secret-beach"},
            {"created_after": "2000-01-01T00:00:00Z"},
            {"ordering": "created_at"},
        ],
    )
    def test_other_user_never_sees_it_in_list_filter_or_search(
        self, other_client, upload, other_user, image, query
    ):
        response = other_client.get(reverse("image-list"), query)
        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"] == []

    def test_other_user_cannot_find_it_by_checksum(self, other_client, image):
        response = other_client.get(reverse("image-list"), {"checksum": image["checksum"]})
        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"] == []

    def test_anonymous_gets_401(self, api_client, image):
        response = api_client.get(reverse("image-list"))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["detail"]


@pytest.mark.parametrize("rendition", RENDITIONS)
class TestRenditionIsolation:
    def test_owner_gets_bytes(self, auth_client, image, rendition):
        response = auth_client.get(reverse(f"image-{rendition}", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"

    def test_other_user_gets_404(self, other_client, image, rendition):
        response = other_client.get(reverse(f"image-{rendition}", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["detail"]

    def test_anonymous_gets_401(self, api_client, image, rendition):
        response = api_client.get(reverse(f"image-{rendition}", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["detail"]

    def test_a_rendition_admits_the_swagger_and_browser_accept_headers(
        self, auth_client, image, rendition
    ):
        url = reverse(f"image-{rendition}", kwargs={"pk": image["id"]})
        # Swagger UI sends */*; a browser names AVIF and gets it (tests/images/test_formats.py).
        for accept, served in (
            ("image/jpeg", "image/jpeg"),
            ("image/*", "image/jpeg"),
            ("*/*", "image/jpeg"),
            # The original is served as it was uploaded, whatever a browser prefers.
            (
                "image/avif,image/webp,*/*;q=0.8",
                "image/jpeg" if rendition == "original" else "image/avif",
            ),
        ):
            response = auth_client.get(url, HTTP_ACCEPT=accept)
            assert response.status_code == HTTPStatus.OK, accept
            assert response["Content-Type"] == served

    @pytest.mark.parametrize(
        "accept",
        [
            "application/json",
            "image/png",
            "text/html",
            "image/jpeg;q=0, image/avif;q=0, image/webp;q=0, */*",
        ],
    )
    def test_an_accept_that_excludes_the_file_is_a_json_406(
        self, auth_client, image, rendition, accept
    ):
        url = reverse(f"image-{rendition}", kwargs={"pk": image["id"]})
        response = auth_client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "not_acceptable"
        assert "image/jpeg" in response.json()["detail"]

    def test_errors_are_json_whatever_the_accept(self, other_client, image, rendition):
        url = reverse(f"image-{rendition}", kwargs={"pk": image["id"]})
        response = other_client.get(url, HTTP_ACCEPT="image/jpeg")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["code"] == "not_found"


def test_the_original_is_never_handed_out_as_a_signed_url(api_client, image):
    assert set(image["urls"]) == {"processed", "preview", "thumbnail", "expires_at"}
    # Moving a rendition's signature onto the original does not open it either.
    query = urlsplit(image["urls"]["processed"]).query
    url = reverse("image-original", kwargs={"pk": image["id"]}) + "?" + query
    assert api_client.get(url).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("rendition", SIGNED)
class TestSignedRenditionUrls:
    def test_signed_url_works_without_a_token(self, api_client, image, rendition):
        response = api_client.get(_path_and_query(image["urls"][rendition]))
        assert response.status_code == HTTPStatus.OK
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"

    def test_signed_url_works_for_another_logged_in_user_only_as_a_capability(
        self, other_client, image, rendition
    ):
        # A signed URL is a capability: whoever holds it may fetch these bytes, like a
        # presigned object-store URL; without it the same user gets a 404.
        assert other_client.get(_path_and_query(image["urls"][rendition])).status_code == 200
        bare = other_client.get(reverse(f"image-{rendition}", kwargs={"pk": image["id"]}))
        assert bare.status_code == HTTPStatus.NOT_FOUND

    def test_tampered_signature_is_404(self, api_client, image, rendition):
        url = _path_and_query(image["urls"][rendition])
        tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
        response = api_client.get(tampered)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["detail"]

    def test_signature_for_another_image_is_404(self, api_client, upload, image, rendition):
        second = upload(image_bytes(color=(1, 2, 3)), name="other.jpg")
        query = urlsplit(image["urls"][rendition]).query
        url = reverse(f"image-{rendition}", kwargs={"pk": second["id"]}) + "?" + query
        assert api_client.get(url).status_code == HTTPStatus.NOT_FOUND

    def test_signature_for_another_rendition_is_404(self, api_client, image, rendition):
        other = next(r for r in SIGNED if r != rendition)
        query = urlsplit(image["urls"][other]).query
        url = reverse(f"image-{rendition}", kwargs={"pk": image["id"]}) + "?" + query
        assert api_client.get(url).status_code == HTTPStatus.NOT_FOUND

    def test_expired_signature_is_404(self, api_client, image, rendition, monkeypatch):
        import time

        url = _path_and_query(image["urls"][rendition])
        real_time = time.time
        monkeypatch.setattr(time, "time", lambda: real_time() + 3 * 3600)
        assert api_client.get(url).status_code == HTTPStatus.NOT_FOUND

    def test_signed_url_stops_working_once_the_image_is_deleted(
        self, auth_client, api_client, image, rendition
    ):
        auth_client.delete(reverse("image-detail", kwargs={"pk": image["id"]}))
        response = api_client.get(_path_and_query(image["urls"][rendition]))
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_malformed_signature_is_404(self, api_client, image, rendition):
        url = reverse(f"image-{rendition}", kwargs={"pk": image["id"]}) + "?sig=garbage"
        assert api_client.get(url).status_code == HTTPStatus.NOT_FOUND
