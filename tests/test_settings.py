"""The one settings module: safe local defaults, strict production, CORS only when asked."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "ATELIER_CLIENT_IP_HEADER"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _deploy_check(**env: str) -> subprocess.CompletedProcess:
    """``check --deploy`` failing on warnings, as CI runs it, on production settings."""
    return _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="k3y-" + "Zq8rT2vW" * 8,
        DJANGO_ALLOWED_HOSTS="atelier.example.com",
        **env,
    )


class TestProductionSettings:
    def test_refuses_to_start_without_a_secret_key(self):
        result = _manage("check", DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="a.example")
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY must be set" in result.stderr

    def test_refuses_to_start_without_allowed_hosts(self):
        result = _manage("check", DJANGO_ENV="production", DJANGO_SECRET_KEY="s" * 60)
        assert result.returncode != 0
        assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr

    @pytest.mark.parametrize("client_ip_header", ["HTTP_X_REAL_IP", ""])
    def test_passes_the_deploy_checks(self, client_ip_header):
        # "" says the server is exposed directly: the socket's address is the client's.
        result = _deploy_check(ATELIER_CLIENT_IP_HEADER=client_ip_header)
        assert result.returncode == 0, result.stderr
        assert "no issues" in result.stdout

    def test_deploy_checks_warn_when_production_does_not_say_where_clients_come_from(self):
        # Found by attack (#18): behind a proxy with the header unset, every caller was the
        # proxy's 127.0.0.1, so /metrics was public and one address's failed logins locked all.
        result = _deploy_check()
        assert result.returncode != 0
        assert "atelier.W001" in result.stderr
        assert "ATELIER_CLIENT_IP_HEADER" in result.stderr


class TestCors:
    def test_off_by_default(self, api_client, db):
        response = api_client.get(reverse("style-list"), HTTP_ORIGIN="https://app.example")
        assert "Access-Control-Allow-Origin" not in response

    @pytest.mark.parametrize("origin", ["https://app.example"])
    def test_named_origin_is_allowed(self, api_client, settings, db, origin):
        settings.CORS_ALLOWED_ORIGINS = [origin]
        response = api_client.options(
            reverse("image-list"),
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
        )
        assert response["Access-Control-Allow-Origin"] == origin
        assert "authorization" in response["Access-Control-Allow-Headers"]
        other = api_client.get(reverse("style-list"), HTTP_ORIGIN="https://evil.example")
        assert "Access-Control-Allow-Origin" not in other


class TestEntryPoints:
    @pytest.mark.parametrize("module", ["project.wsgi", "project.asgi"])
    def test_server_entry_point_imports_first_in_a_fresh_process(self, module):
        # gunicorn imports the WSGI module before anything else; an import cycle among the
        # settings' classes (parsers, handlers) would only show up here.
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}; print('ok')"],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
                "DJANGO_ENV": "production",
                "DJANGO_SECRET_KEY": "k3y-" + "Zq8rT2vW" * 8,
                "DJANGO_ALLOWED_HOSTS": "atelier.example.com",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"
