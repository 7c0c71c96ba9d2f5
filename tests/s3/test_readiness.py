"""/readyz's storage check against a real S3 server (SeaweedFS)."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from core import readiness
from tests.s3.conftest import s3_storage_options


@pytest.fixture(autouse=True)
def _fresh_readiness():
    """Each test sees its own checks run, not the result another test left (about a second)."""
    readiness.recent_result.clear()
    yield
    readiness.recent_result.clear()


@pytest.mark.django_db
class TestReadyzOnS3:
    def test_the_round_trip_passes_and_leaves_no_object(self, api_client, s3_storage):
        response = api_client.get(reverse("readyz"))
        assert response.status_code == HTTPStatus.OK, response.content
        assert response.json()["checks"]["storage"]["status"] == "ok"
        assert s3_storage.object_keys() == set()

    def test_a_wrong_secret_is_a_503_naming_storage_without_the_secret(
        self, api_client, settings, seaweed
    ):
        options = s3_storage_options(seaweed, secret_key="not-the-secret")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        }
        response = api_client.get(reverse("readyz"))
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        checks = response.json()["checks"]
        assert checks["storage"]["status"] == "fail"
        assert checks["database"]["status"] == "ok" and checks["cache"]["status"] == "ok"
        assert "not-the-secret" not in response.content.decode()
        assert seaweed.endpoint_url not in response.content.decode()
