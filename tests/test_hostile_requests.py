"""Hostile requests found by attacking the live server (issue #9): each is a JSON 4xx, never a 500.

Every test here failed before its fix. They speak HTTP only, through Django's test client with
``raise_request_exception`` off, so an unhandled error shows up as the 500 a caller would see.
"""

import base64
import json
from http import HTTPStatus
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import image_bytes


@pytest.fixture
def client_500(auth_client: APIClient) -> APIClient:
    """The logged-in client, answering exceptions with responses as a real server does."""
    auth_client.raise_request_exception = False
    return auth_client


def assert_json_4xx(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert body, "an error body says what was wrong"
    return body


def forged_cursor(position: str) -> str:
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


@pytest.mark.django_db
class TestForgedCursor:
    """#6: a cursor whose position is not a timestamp."""

    @pytest.mark.parametrize("position", ["garbage", "", "1", "2024-13-45", "%00", "9999-99-99"])
    def test_is_a_json_404_naming_the_cursor(self, client_500, upload, position):
        upload()
        response = client_500.get(reverse("image-list"), {"cursor": forged_cursor(position)})

        body = assert_json_4xx(response, HTTPStatus.NOT_FOUND)
        assert body["code"] == "invalid_cursor"

    def test_forged_cursor_with_a_valid_position_still_pages(self, client_500, upload):
        upload()
        cursor = forged_cursor("2999-01-01T00:00:00+00:00|" + "f" * 32)
        response = client_500.get(reverse("image-list"), {"cursor": cursor})
        assert response.status_code == HTTPStatus.OK
        assert len(response.json()["results"]) == 1


@pytest.mark.django_db
class TestDateFilterEdges:
    """#7: dates at the edge of the calendar and of time-zone offsets."""

    @pytest.mark.parametrize(
        "value",
        ["9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-23:59"],
    )
    @pytest.mark.parametrize("name", ["created_after", "created_before"])
    def test_out_of_range_is_a_400_on_the_field(self, client_500, user, name, value):
        response = client_500.get(reverse("image-list"), {name: value})

        body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
        assert name in body

    @pytest.mark.parametrize("name", ["created_after", "created_before"])
    def test_an_empty_date_is_a_400_not_ignored(self, client_500, user, name):
        response = client_500.get(f"{reverse('image-list')}?{name}=")

        body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
        assert name in body

    @pytest.mark.parametrize("offset", ["+14:00", "+16:00", "-23:59"])
    def test_any_rfc3339_offset_is_compared_in_utc(self, client_500, upload, offset):
        upload()
        after = client_500.get(
            reverse("image-list"), {"created_after": f"2000-01-01T00:00:00{offset}"}
        )
        before = client_500.get(
            reverse("image-list"), {"created_before": f"2000-01-01T00:00:00{offset}"}
        )
        assert (after.status_code, before.status_code) == (HTTPStatus.OK, HTTPStatus.OK)
        assert len(after.json()["results"]) == 1
        assert before.json()["results"] == []


@pytest.mark.django_db
class TestUnboundedInput:
    """#8: parameters and fields long enough to break SQLite's parser."""

    def test_search_with_a_thousand_terms_is_a_400(self, client_500, user):
        terms = " ".join("a" * 997)
        body = assert_json_4xx(
            client_500.get(reverse("image-list"), {"search": terms}), HTTPStatus.BAD_REQUEST
        )
        assert "search" in body

    def test_search_with_one_fifty_thousand_character_term_is_a_400(self, client_500, user):
        response = client_500.get(reverse("image-list"), {"search": "a" * 50_000})
        assert_json_4xx(response, HTTPStatus.BAD_REQUEST)

    def test_any_oversized_query_parameter_is_a_400(self, client_500, user):
        response = client_500.get(reverse("image-list"), {"checksum": "f" * 10_000})
        assert_json_4xx(response, HTTPStatus.BAD_REQUEST)

    def test_login_with_a_fifty_thousand_character_username_is_a_400(self, db):
        client = APIClient(raise_request_exception=False)
        response = client.post(
            reverse("auth-token"), {"username": "u" * 50_001, "password": "whatever-it-is"}
        )
        body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
        assert "username" in body

    def test_a_huge_refresh_token_is_refused(self, db):
        client = APIClient(raise_request_exception=False)
        response = client.post(reverse("auth-token-refresh"), {"refresh": "x" * 100_000})
        assert_json_4xx(response)


@pytest.mark.django_db
class TestDeepJson:
    """#9: JSON nested deeper than Python's recursion limit."""

    @pytest.mark.parametrize("name", ["auth-token", "auth-register", "auth-token-refresh"])
    def test_deep_arrays_are_a_400(self, name):
        client = APIClient(raise_request_exception=False)
        body = "[" * 100_000 + "]" * 100_000
        response = client.post(reverse(name), body, content_type="application/json")
        assert_json_4xx(response, HTTPStatus.BAD_REQUEST)

    def test_deep_objects_inside_a_field_are_a_400(self, client_500, upload):
        image = upload()
        nested = '{"a":' * 50_000 + "1" + "}" * 50_000
        response = client_500.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}),
            '{"title": ' + nested + "}",
            content_type="application/json",
        )
        assert_json_4xx(response, HTTPStatus.BAD_REQUEST)


@pytest.mark.django_db
class TestLoneSurrogates:
    """#10: a lone UTF-16 surrogate in a JSON string cannot be stored or hashed."""

    @pytest.mark.parametrize(
        ("name", "payload"),
        [
            ("auth-token", '{"username": "\\ud800", "password": "x"}'),
            ("auth-token", '{"username": "alice", "password": "\\udfff"}'),
            (
                "auth-register",
                '{"username": "a\\ud800", "email": "a@example.com", "password": "x-y-z-w-1234"}',
            ),
        ],
    )
    def test_is_a_400(self, user, name, payload):
        client = APIClient(raise_request_exception=False)
        response = client.post(reverse(name), payload, content_type="application/json")
        assert_json_4xx(response, HTTPStatus.BAD_REQUEST)

    def test_in_a_title_is_a_400(self, client_500, upload):
        image = upload()
        response = client_500.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}),
            '{"title": "x\\udc00y"}',
            content_type="application/json",
        )
        assert_json_4xx(response, HTTPStatus.BAD_REQUEST)


@pytest.mark.django_db
class TestDjangoBodyLimits:
    """#11: Django's own form limits (fields, files, memory) answer JSON, not 500."""

    def test_a_form_with_too_many_fields_is_a_400(self, client_500, upload):
        image = upload()
        body = "&".join(f"f{i}=1" for i in range(1_100))
        response = client_500.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}),
            body,
            content_type="application/x-www-form-urlencoded",
        )
        body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
        assert body["code"] == "too_many_fields"

    def test_an_upload_with_too_many_fields_is_a_400(self, client_500, user):
        data = {f"f{i}": "1" for i in range(1_100)}
        data["file"] = SimpleUploadedFile("a.png", image_bytes("PNG"))
        response = client_500.post(reverse("image-list"), data, format="multipart")
        assert_json_4xx(response, HTTPStatus.BAD_REQUEST)

    def test_an_upload_with_too_many_files_is_a_400(self, client_500, user, media_root):
        data = {f"file{i}": SimpleUploadedFile(f"{i}.png", b"x") for i in range(110)}
        response = client_500.post(reverse("image-list"), data, format="multipart")
        body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
        assert body["code"] == "too_many_files"
        assert not [p for p in media_root.rglob("*") if p.is_file()]

    def test_a_form_text_field_over_the_memory_limit_is_a_413(self, client_500, upload):
        image = upload()
        body = "title=" + "a" * (3 * 1024 * 1024)
        response = client_500.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}),
            body,
            content_type="application/x-www-form-urlencoded",
        )
        assert_json_4xx(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def test_a_multipart_text_field_over_the_memory_limit_is_a_413(self, client_500, user):
        data = {"title": "a" * (3 * 1024 * 1024), "file": SimpleUploadedFile("a.png", b"x")}
        response = client_500.post(reverse("image-list"), data, format="multipart")
        assert_json_4xx(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def test_a_json_body_over_the_memory_limit_is_a_413(self, client_500, upload):
        image = upload()
        response = client_500.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}),
            json.dumps({"title": "a" * (3 * 1024 * 1024)}),
            content_type="application/json",
        )
        assert_json_4xx(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


@pytest.mark.django_db
class TestDocsAndRouting:
    @pytest.mark.parametrize("name", ["swagger-ui", "redoc", "schema"])
    def test_options_on_the_docs_is_json_not_a_template_error(self, name):
        client = APIClient(raise_request_exception=False)
        response = client.options(reverse(name))
        assert response.status_code < 500, response.content[:300]
        if response.status_code >= 400:
            assert_json_4xx(response)

    @pytest.mark.parametrize("debug", [True, False])
    @pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
    @pytest.mark.parametrize("name", ["auth-token", "image-list"])
    def test_a_write_without_the_trailing_slash_is_a_308_that_keeps_the_method(
        self, settings, debug, method, name
    ):
        settings.DEBUG = debug
        client = APIClient(raise_request_exception=False)
        path = reverse(name).rstrip("/")
        response = getattr(client, method)(path, {"username": "x"}, format="json")

        assert response.status_code == HTTPStatus.PERMANENT_REDIRECT
        assert response["Location"] == reverse(name)
        assert response["Content-Type"].startswith("application/json")
        assert "trailing slash" in response.json()["detail"]

    def test_an_unknown_path_without_a_slash_is_still_a_json_404(self):
        client = APIClient(raise_request_exception=False)
        response = client.post("/api/v1/nothing", {}, format="json")
        assert_json_4xx(response, HTTPStatus.NOT_FOUND)

    @pytest.mark.parametrize("debug", [True, False])
    def test_a_foreign_host_is_a_small_json_400(self, settings, debug):
        settings.DEBUG = debug
        client = APIClient(raise_request_exception=False)
        response = client.get(reverse("style-list"), HTTP_HOST="evil.example")

        body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
        assert body["code"] == "disallowed_host"
        assert len(response.content) < 500
        assert b"SECRET" not in response.content


@pytest.mark.django_db
class TestNoStore:
    """#22: responses that carry tokens or account data are never cached."""

    def test_token_responses_say_no_store(self, user, password):
        client = APIClient()
        tokens = client.post(reverse("auth-token"), {"username": "alice", "password": password})
        assert tokens["Cache-Control"] == "no-store"
        refreshed = client.post(
            reverse("auth-token-refresh"), {"refresh": tokens.json()["refresh"]}
        )
        assert refreshed.status_code == HTTPStatus.OK
        assert refreshed["Cache-Control"] == "no-store"

    def test_password_change_and_account_say_no_store(self, auth_client, password):
        me = auth_client.get(reverse("users-me"))
        assert me["Cache-Control"] == "no-store"
        changed = auth_client.post(
            reverse("users-me-password"),
            {"old_password": password, "new_password": "a-new-long-pass-phrase-9"},
        )
        assert changed.status_code == HTTPStatus.OK
        assert changed["Cache-Control"] == "no-store"

    def test_image_metadata_says_no_store(self, auth_client, upload):
        upload()
        assert auth_client.get(reverse("image-list"))["Cache-Control"] == "no-store"

    def test_swagger_ui_does_not_persist_the_token(self):
        response = APIClient().get(reverse("swagger-ui"))
        assert response.status_code == HTTPStatus.OK
        assert b'"persistAuthorization": true' not in response.content


def test_nul_is_still_refused_after_quoting(db):
    client = APIClient(raise_request_exception=False)
    response = client.get(f"{reverse('style-list')}?x={quote(chr(0))}")
    assert_json_4xx(response, HTTPStatus.BAD_REQUEST)


def test_a_repeated_query_parameter_is_a_400(auth_client):
    response = auth_client.get(f"{reverse('image-list')}?checksum=a&checksum=b")
    body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
    assert body["code"] == "repeated"


def test_an_empty_style_in_a_form_is_a_400_not_the_default(client_500, media_root):
    data = {"file": SimpleUploadedFile("a.png", image_bytes("PNG")), "style": ""}
    response = client_500.post(reverse("image-list"), data, format="multipart")
    body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
    assert "Valid styles" in body["style"][0]
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_a_form_field_given_twice_is_a_400(client_500, media_root):
    data = {
        "file": [
            SimpleUploadedFile("a.png", image_bytes("PNG")),
            SimpleUploadedFile("b.png", image_bytes("PNG")),
        ],
        "style": "sepia",
    }
    response = client_500.post(reverse("image-list"), data, format="multipart")
    body = assert_json_4xx(response, HTTPStatus.BAD_REQUEST)
    assert body["file"] == ["Given more than once; send it once."]
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_a_weak_if_none_match_gets_a_304(auth_client, upload):
    image = upload()
    url = reverse("image-thumbnail", kwargs={"pk": image["id"]})
    etag = auth_client.get(url)["ETag"]
    for header in (f"W/{etag}", f'"nope", W/{etag}', "*"):
        response = auth_client.get(url, HTTP_IF_NONE_MATCH=header)
        assert response.status_code == HTTPStatus.NOT_MODIFIED, header


@pytest.mark.django_db
def test_a_forged_cursor_with_an_offset_postgresql_cannot_store_is_answered(client_500, upload):
    """Found by the fuzzer on PostgreSQL: the position went to the database as given."""
    upload()
    cursor = forged_cursor("0001-01-02 00:00:00+21:44|" + "f" * 32)
    response = client_500.get(reverse("image-list"), {"cursor": cursor})
    assert response.status_code == HTTPStatus.OK, response.content
