"""One request id per request, on its response and its logs, and into the render it queues."""

import json
import logging
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import image_bytes, upload_request


def _upload(client, **headers):
    return upload_request(client, image_bytes("PNG"), name="a.png", style="sepia", **headers)


@pytest.mark.django_db
class TestRequestId:
    def test_every_api_response_names_its_request(self, api_client):
        first = api_client.get(reverse("style-list"))
        second = api_client.get(reverse("style-list"))
        assert len(first["X-Request-ID"]) == 32
        assert first["X-Request-ID"] != second["X-Request-ID"]

    def test_a_clients_own_id_is_kept_when_it_is_a_sane_token(self, api_client):
        kept = api_client.get(reverse("style-list"), HTTP_X_REQUEST_ID="lb-4f2a9c1e-77")
        assert kept["X-Request-ID"] == "lb-4f2a9c1e-77"
        for hostile in ("x", "a" * 200, "id with spaces", "<script>"):
            replaced = api_client.get(reverse("style-list"), HTTP_X_REQUEST_ID=hostile)
            assert replaced["X-Request-ID"] != hostile and len(replaced["X-Request-ID"]) == 32

    def test_the_render_logs_under_the_uploads_request_id(self, auth_client, caplog):
        caplog.set_level(logging.INFO, logger="images.rendering")
        response = _upload(auth_client, HTTP_X_REQUEST_ID="upload-0123456789")
        assert response.status_code == HTTPStatus.CREATED
        renders = [r for r in caplog.records if r.getMessage().startswith("render of image")]
        assert renders and all(r.request_id == "upload-0123456789" for r in renders)


def test_json_log_lines_carry_the_request_id():
    formatter = logging.config.dictConfigClass(settings.LOGGING).configure_formatter(
        settings.LOGGING["formatters"]["json"]
    )
    record = logging.getLogger("images.rendering").makeRecord(
        "images.rendering", logging.INFO, __file__, 1, "render of image %s", ("x",), None
    )
    line = json.loads(formatter.format(record))
    assert {"time", "level", "logger", "request_id", "message"} <= set(line)
    assert line["message"] == "render of image x"
