"""Pages and API answers are gzipped for clients that accept it; pictures' bytes never are."""

import gzip
import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


class TestTextIsCompressed:
    def test_an_api_answer_is_gzipped_and_reads_back_the_same(self, auth_client, upload):
        for i in range(3):
            upload(image_bytes("PNG", size=(8, 8), color=(i, 0, 0)), name=f"p{i}.png")
        plain = auth_client.get(reverse("image-list"))
        packed = auth_client.get(reverse("image-list"), **GZIP)
        assert packed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed["Vary"]
        assert int(packed["Content-Length"]) < len(plain.content)
        assert json.loads(gzip.decompress(packed.content)) == plain.json()

    def test_a_web_page_is_gzipped(self, client, user, password):
        client.login(username=user.username, password=password)
        response = client.get(reverse("home"), **GZIP)
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Encoding"] == "gzip"
        assert b"<html" in gzip.decompress(response.content)

    def test_without_accept_encoding_nothing_is_compressed(self, auth_client):
        response = auth_client.get(reverse("image-list"))
        assert "Content-Encoding" not in response


class TestFilesAreNot:
    def test_an_original_keeps_its_bytes_length_and_ranges(self, auth_client, upload):
        data = image_bytes("PNG", size=(64, 64), noisy=True)
        image = upload(data, name="noise.png")
        url = reverse("image-original", kwargs={"pk": image["id"]})
        whole = auth_client.get(url, **GZIP)
        assert "Content-Encoding" not in whole
        assert whole["Content-Length"] == str(len(data))
        assert b"".join(whole.streaming_content) == data
        part = auth_client.get(url, HTTP_RANGE="bytes=0-9", **GZIP)
        assert part.status_code == HTTPStatus.PARTIAL_CONTENT
        assert "Content-Encoding" not in part
        assert b"".join(part.streaming_content) == data[:10]
