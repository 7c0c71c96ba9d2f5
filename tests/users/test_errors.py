"""Errors under /api/ are JSON whatever produced them: unknown URLs, wrong methods, bad input."""

from http import HTTPStatus

import pytest
from django.urls import Resolver404, resolve, reverse

# No name reverses to a URL that does not exist; the first test proves this one is unrouted.
UNROUTED_API_PATH = "/api/v1/nope/"


def assert_json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()


def test_the_unrouted_path_is_under_the_api_and_matches_nothing():
    assert UNROUTED_API_PATH.startswith(reverse("style-list").removesuffix("styles/"))
    with pytest.raises(Resolver404):
        resolve(UNROUTED_API_PATH)


@pytest.mark.django_db
class TestUnknownApiUrl:
    @pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
    def test_is_a_json_404_for_every_method(self, api_client, method):
        response = getattr(api_client, method)(UNROUTED_API_PATH)

        assert response.status_code == HTTPStatus.NOT_FOUND
        assert assert_json(response) == {"detail": "Not found.", "code": "not_found"}

    def test_is_json_even_when_a_browser_asks_for_html(self, api_client):
        response = api_client.get(UNROUTED_API_PATH, HTTP_ACCEPT="text/html")

        assert response.status_code == HTTPStatus.NOT_FOUND
        assert assert_json(response) == {"detail": "Not found.", "code": "not_found"}

    def test_is_json_for_an_authenticated_caller(self, auth_client):
        response = auth_client.get(UNROUTED_API_PATH)

        assert response.status_code == HTTPStatus.NOT_FOUND
        assert assert_json(response) == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
class TestWrongMethod:
    def test_put_on_the_style_list_is_a_json_405_naming_the_allowed_methods(self, api_client):
        response = api_client.put(reverse("style-list"), {})

        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert assert_json(response) == {
            "detail": 'Method "PUT" not allowed.',
            "code": "method_not_allowed",
        }
        assert "GET" in response["Allow"]

    @pytest.mark.parametrize("method", ["put", "post", "delete"])
    def test_unmapped_method_on_users_me_is_a_json_405(self, auth_client, method):
        response = getattr(auth_client, method)(reverse("users-me"), {})

        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert assert_json(response) == {
            "detail": f'Method "{method.upper()}" not allowed.',
            "code": "method_not_allowed",
        }
        assert "PATCH" in response["Allow"]

    def test_get_on_the_token_endpoint_is_a_json_405(self, api_client):
        response = api_client.get(reverse("auth-token"))

        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert assert_json(response) == {
            "detail": 'Method "GET" not allowed.',
            "code": "method_not_allowed",
        }


@pytest.mark.django_db
class TestBadInput:
    def test_malformed_json_body_is_a_json_400(self, api_client):
        response = api_client.post(
            reverse("auth-register"), data="{not json", content_type="application/json"
        )

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert assert_json(response)["detail"].startswith("JSON parse error")

    def test_unsupported_media_type_is_a_json_415(self, api_client):
        response = api_client.post(
            reverse("auth-token"), data="username=alice", content_type="text/plain"
        )

        assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
        assert assert_json(response) == {
            "detail": 'Unsupported media type "text/plain" in request.',
            "code": "unsupported_media_type",
        }

    def test_missing_credentials_are_a_json_401_with_a_bearer_challenge(self, api_client):
        response = api_client.get(reverse("users-me"))

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert assert_json(response) == {
            "detail": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_malformed_authorization_header_is_a_json_401(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer")

        response = api_client.get(reverse("users-me"))

        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert "detail" in assert_json(response)
