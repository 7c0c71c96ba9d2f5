"""Restyles render as much as uploads, so they draw on the same per-user allowance (#9.5)."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.factories import image_bytes, upload_request


@pytest.fixture
def three_renders_a_minute(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "upload": "3/m"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def restyle(client, image_id: str, style: str):
    return client.patch(reverse("image-detail", kwargs={"pk": image_id}), {"style": style})


def upload_once(client):
    return upload_request(client, image_bytes("PNG"), name="a.png")


@pytest.mark.usefixtures("three_renders_a_minute")
class TestRestyleAllowance:
    def test_restyles_and_uploads_share_one_allowance(self, auth_client, upload):
        image = upload()  # 1
        assert restyle(auth_client, image["id"], "sepia").status_code == HTTPStatus.OK  # 2
        assert restyle(auth_client, image["id"], "blur").status_code == HTTPStatus.OK  # 3

        refused = restyle(auth_client, image["id"], "invert")

        assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert refused.json()["code"] == "throttled"
        assert int(refused["Retry-After"]) >= 1
        assert upload_once(auth_client).status_code == HTTPStatus.TOO_MANY_REQUESTS
        current = auth_client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()
        assert current["style"] == "blur"

    def test_a_title_change_renders_nothing_and_is_not_counted(self, auth_client, upload):
        image = upload()
        for n in range(5):
            response = auth_client.patch(
                reverse("image-detail", kwargs={"pk": image["id"]}), {"title": f"t{n}"}
            )
            assert response.status_code == HTTPStatus.OK

        assert restyle(auth_client, image["id"], "sepia").status_code == HTTPStatus.OK

    def test_another_account_keeps_its_own_allowance(self, auth_client, other_client, upload):
        image = upload()
        for style in ("sepia", "blur"):
            restyle(auth_client, image["id"], style)

        assert upload_once(other_client).status_code == HTTPStatus.CREATED
