"""What a new user meets (issue #10): one error shape, honest uploads, an index to start from."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import image_bytes


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"].endswith((".", ")"))
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.mark.django_db
class TestOneErrorShape:
    """#10.7: ``detail`` for a person, ``code`` for a program, field errors beside them."""

    def test_every_404_reads_the_same(self, auth_client, other_client, upload):
        image = upload()
        missing = "00000000-0000-4000-8000-000000000000"
        answers = [
            other_client.get(reverse("image-detail", kwargs={"pk": image["id"]})),
            auth_client.get(reverse("image-detail", kwargs={"pk": missing})),
            auth_client.get(reverse("image-thumbnail", kwargs={"pk": missing})),
            auth_client.get("/api/v1/no-such-thing/"),
        ]
        bodies = [assert_error_shape(r, HTTPStatus.NOT_FOUND, "not_found") for r in answers]
        assert {body["detail"] for body in bodies} == {"Not found."}

    def test_an_invalid_cursor_says_so_with_its_own_code(self, auth_client, user):
        response = auth_client.get(reverse("image-list"), {"cursor": "not-a-cursor"})
        body = assert_error_shape(response, HTTPStatus.NOT_FOUND, "invalid_cursor")
        assert "cursor" in body["detail"]

    def test_a_wrong_password_has_a_code(self, api_client, user):
        response = api_client.post(
            reverse("auth-token"), {"username": "alice", "password": "wrong-password"}
        )
        assert_error_shape(response, HTTPStatus.UNAUTHORIZED, "no_active_account")

    def test_an_expired_token_says_so_at_the_top(self, api_client, user):
        token = AccessToken.for_user(user)
        token.set_exp(from_time=timezone.now() - timedelta(hours=1))
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        body = assert_error_shape(
            api_client.get(reverse("users-me")), HTTPStatus.UNAUTHORIZED, "token_expired"
        )
        assert "expired" in body["detail"]

    @pytest.mark.parametrize("header", ["Token abc.def.ghi", "JWT abc", "Basic YTpi"])
    def test_the_wrong_scheme_is_named(self, api_client, user, header):
        api_client.credentials(HTTP_AUTHORIZATION=header)
        body = assert_error_shape(
            api_client.get(reverse("users-me")),
            HTTPStatus.UNAUTHORIZED,
            "bad_authorization_header",
        )
        assert "Bearer" in body["detail"]

    def test_a_bad_style_filter_lists_the_valid_styles(self, auth_client, user):
        body = assert_error_shape(
            auth_client.get(reverse("image-list"), {"style": "neon"}), HTTPStatus.BAD_REQUEST
        )
        assert body["style"] == [
            auth_client.post(reverse("image-list"), {"style": "neon"}, format="multipart").json()[
                "style"
            ][0]
        ]
        assert "sepia" in body["style"][0] and '"neon"' in body["style"][0]

    def test_field_errors_keep_their_fields_and_gain_a_detail_and_code(self, api_client, db):
        response = api_client.post(reverse("auth-register"), {"username": "x"})
        body = assert_error_shape(response, HTTPStatus.BAD_REQUEST, "required")
        assert body["email"] == ["This field is required."]
        assert body["detail"].startswith("email: This field is required.")


@pytest.mark.django_db
class TestRefreshTokenShapes:
    """#10.10: every unusable refresh token is a 401, blank or whitespace included."""

    @pytest.mark.parametrize("name", ["auth-token-refresh", "auth-logout"])
    @pytest.mark.parametrize("value", ["", "   ", "\t\n", "x", "a.b.c", 12])
    def test_is_a_401(self, api_client, name, value):
        response = api_client.post(reverse(name), {"refresh": value})
        assert_error_shape(response, HTTPStatus.UNAUTHORIZED, "token_not_valid")

    @pytest.mark.parametrize("name", ["auth-token-refresh", "auth-logout"])
    def test_a_missing_token_is_a_400(self, api_client, name):
        assert_error_shape(api_client.post(reverse(name), {}), HTTPStatus.BAD_REQUEST, "required")


@pytest.mark.django_db
def test_a_chunked_upload_is_a_411_that_says_what_to_send(auth_client, media_root):
    """#10.9: a body without Content-Length is refused with a reason, not "no file"."""
    response = auth_client.generic(
        "POST",
        reverse("image-list"),
        b"",
        content_type="multipart/form-data; boundary=x",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    body = assert_error_shape(response, HTTPStatus.LENGTH_REQUIRED, "length_required")
    assert "Content-Length" in body["detail"]
    assert not any(media_root.rglob("*"))


@pytest.mark.django_db
class TestFrontDoor:
    """#10.15: the API's root lists where things are; the server's root points at the docs."""

    def test_api_root_links_the_resources_and_docs(self):
        response = APIClient().get(reverse("api-root"))
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        assert body["images"] == "http://testserver" + reverse("image-list")
        assert body["docs"] == "http://testserver" + reverse("swagger-ui")
        assert body["schema"] == "http://testserver" + reverse("schema")

    def test_the_server_root_leads_a_person_to_the_web_app(self):
        response = APIClient().get("/")
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == reverse("login") + "?next=/"
        login = APIClient().get(response["Location"])
        assert login.status_code == HTTPStatus.OK
        # A developer finds the API from there too.
        assert reverse("swagger-ui").encode() in login.content


def test_upload_helper_makes_real_images():
    assert image_bytes("PNG")[:4] == b"\x89PNG"
