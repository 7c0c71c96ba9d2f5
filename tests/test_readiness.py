"""/healthz and /readyz: what a load balancer asks, answered from the real dependencies."""

import io
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core import readiness


@pytest.fixture(autouse=True)
def _fresh_readiness():
    """Each test sees its own checks run, not the result another test left (about a second)."""
    readiness.recent_result.clear()
    yield
    readiness.recent_result.clear()


@pytest.mark.django_db
class TestHealthz:
    def test_answers_without_touching_the_database(self, api_client, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = api_client.get(reverse("healthz"))
        assert response.status_code == HTTPStatus.OK
        assert response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store"

    @pytest.mark.parametrize("name", ["healthz", "readyz"])
    def test_head_is_answered_like_get(self, api_client, name):
        response = api_client.head(reverse(name))
        assert response.status_code == HTTPStatus.OK
        assert response["Cache-Control"] == "no-store"

    @pytest.mark.parametrize("name", ["healthz", "readyz"])
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
    def test_only_reads_and_refuses_in_json(self, api_client, name, method):
        response = getattr(api_client, method)(reverse(name))
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert response.json()["code"] == "method_not_allowed"
        assert response["Allow"] == "GET, HEAD"
        assert response["Cache-Control"] == "no-store"

    @pytest.mark.parametrize("name", ["healthz", "readyz"])
    @pytest.mark.parametrize("method", ["post", "put", "delete"])
    def test_a_browser_style_write_is_a_json_405_not_a_csrf_page(self, name, method):
        # Found by attack (#18): without a CSRF token these were a 403 HTML page.
        response = getattr(Client(enforce_csrf_checks=True), method)(reverse(name))
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "method_not_allowed"
        assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db(transaction=True)
class TestReadyz:
    @pytest.mark.inprocess_render
    def test_all_checks_pass(self, api_client, media_root):
        response = api_client.get(reverse("readyz"))
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert body["status"] == "ok"
        assert set(body["checks"]) == {"database", "cache", "storage"}
        assert all(check["status"] == "ok" for check in body["checks"].values())
        assert list(media_root.rglob("*")) == []  # the probe left no file and no folder

    @pytest.mark.filesystem
    def test_a_probe_leaves_the_storage_audit_clean(self, api_client, media_root):
        # Found by attack (#18): every probe left health_check_storage_test/ behind, an empty
        # folder that made storage_audit exit 1 on every probed deployment.
        assert api_client.get(reverse("readyz")).status_code == HTTPStatus.OK
        call_command("storage_audit", stdout=io.StringIO())  # a CommandError if it finds any

    def test_probes_within_a_second_run_the_checks_once(
        self, api_client, media_root, django_assert_num_queries
    ):
        # Anyone may probe, unthrottled: each round touches the database, cache and storage.
        first = api_client.get(reverse("readyz"))
        with django_assert_num_queries(0):
            again = [api_client.get(reverse("readyz")) for _ in range(20)]
        assert {response.status_code for response in again} == {HTTPStatus.OK}
        assert {response.content for response in again} == {first.content}

    def test_a_new_round_of_checks_runs_once_the_result_is_a_second_old(
        self, api_client, monkeypatch
    ):
        clock = [1000.0]
        monkeypatch.setattr(readiness.recent_result, "clock", lambda: clock[0])
        assert api_client.get(reverse("readyz")).status_code == HTTPStatus.OK
        clock[0] += readiness.RESULT_TTL_SECONDS
        monkeypatch.setattr(readiness, "readiness_checks", lambda: {})
        assert api_client.get(reverse("readyz")).json()["checks"] == {}

    def test_the_cache_probe_deletes_its_key(self, api_client):
        api_client.get(reverse("readyz"))
        assert list(cache._cache) == []  # the test cache is a LocMemCache, emptied per test

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

    @pytest.mark.filesystem
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
        assert checks["storage"] == {
            "status": "fail",
            "error": "The storage cannot be written (NotADirectoryError).",
        }
        assert checks["database"]["status"] == "ok" and checks["cache"]["status"] == "ok"
        assert str(tmp_path) not in str(checks)
