"""Response hardening: security headers everywhere, and errors that reveal no internals."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from images import selectors


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("style-list", {}), ("image-list", {}), ("users-me", {}), ("schema", {})],
)
def test_security_headers_on_api_responses(auth_client, name, kwargs):
    response = auth_client.get(reverse(name, kwargs=kwargs))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_security_headers_on_errors_and_files(auth_client, upload, api_client):
    image = upload()
    for response in (
        api_client.get("/api/v1/does-not-exist/"),
        api_client.get(reverse("image-list")),
        auth_client.get(reverse("image-thumbnail", kwargs={"pk": image["id"]})),
    ):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
    thumbnail = auth_client.get(reverse("image-thumbnail", kwargs={"pk": image["id"]}))
    assert "sandbox" in thumbnail["Content-Security-Policy"]


def test_unhandled_error_is_json_without_traceback(auth_client, settings, monkeypatch):
    settings.DEBUG = True  # even with DEBUG on, the API does not print internals

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals at /srv/media/abc")

    monkeypatch.setattr(selectors, "image_fields_for_listing", broken)
    client = auth_client
    client.raise_request_exception = False
    response = client.get(reverse("image-list"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Internal server error.", "code": "internal_server_error"}
    assert b"Traceback" not in response.content and b"/srv/media" not in response.content


def test_unknown_api_url_is_json_404_even_in_debug(api_client, settings, db):
    settings.DEBUG = True
    response = api_client.get("/api/v1/nothing-here/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.filesystem
def test_media_is_not_served_by_url(auth_client, upload, media_root):
    upload()
    key = next(p for p in media_root.rglob("*") if p.is_file()).relative_to(media_root)
    for prefix in ("/media/", "/var/media/", "/static/../var/media/"):
        assert auth_client.get(f"{prefix}{key.as_posix()}").status_code == HTTPStatus.NOT_FOUND


def test_nul_in_query_parameters_is_400_not_a_database_error(auth_client):
    for params in ({"search": "a\x00b"}, {"checksum": "\x00"}, {"created_after\x00": "1"}):
        response = auth_client.get(reverse("image-list"), params)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "NUL" in response.json()["detail"]
