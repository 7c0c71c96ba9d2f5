"""/healthz and /readyz: what a load balancer asks, answered from the real dependencies."""

from http import HTTPStatus

import pytest
from django.urls import reverse


@pytest.mark.django_db
class TestHealthz:
    def test_answers_without_touching_the_database(self, api_client, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = api_client.get(reverse("healthz"))
        assert response.status_code == HTTPStatus.OK
        assert response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store"

    def test_only_reads(self, api_client):
        assert api_client.post(reverse("healthz")).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.django_db(transaction=True)
class TestReadyz:
    def test_all_checks_pass(self, api_client, media_root):
        response = api_client.get(reverse("readyz"))
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert body["status"] == "ok"
        assert set(body["checks"]) == {"database", "cache", "storage"}
        assert all(check["status"] == "ok" for check in body["checks"].values())
        assert [p for p in media_root.rglob("*") if p.is_file()] == []  # the probe cleaned up

    def test_a_cache_that_is_down_is_a_503_naming_it(self, api_client, settings):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
            }
        }
        body = api_client.get(reverse("readyz"))
        assert body.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        checks = body.json()["checks"]
        assert checks["cache"]["status"] == "fail" and checks["database"]["status"] == "ok"
        assert "127.0.0.1:1" not in str(checks)

    def test_a_broker_that_is_down_is_a_503_naming_it(self, api_client, settings):
        from project.celery import app

        settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
        previous = app.conf.broker_url
        app.conf.update(broker_url="redis://127.0.0.1:1/0")
        try:
            response = api_client.get(reverse("readyz"))
        finally:
            app.conf.update(broker_url=previous)
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response.json()["checks"]["broker"]["status"] == "fail"

    def test_storage_that_cannot_be_written_is_a_503_naming_it(
        self, api_client, settings, tmp_path
    ):
        # A media root below a plain file: no folder can be made there, not even by root.
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        settings.MEDIA_ROOT = str(blocker / "media")
        response = api_client.get(reverse("readyz"))
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        checks = response.json()["checks"]
        assert checks["storage"]["status"] == "fail" and checks["database"]["status"] == "ok"
        assert str(tmp_path) not in str(checks)
