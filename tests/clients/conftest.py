"""Live-server helpers for the client tests: URLs by name, tokens over HTTP, a headless Chromium."""

from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, quiet: no sandbox (containers), and none of its own calls home, so every
# request a page makes is one the page asked for.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A hostname that is not loopback, which Chromium resolves to the live server: front-end code
# may treat localhost specially (Swagger UI skips its online validator there), so the docs are
# tested the way a deployment serves them.
PUBLIC_HOST = "atelier.test"


class LiveApi:
    """The live server, addressed by URL name (never a literal path), spoken to over real HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=30)

    @property
    def host(self) -> str:
        """The ``host:port`` every request of a page served here should go to."""
        return urlsplit(self.base_url).netloc

    def url(self, viewname: str, **kwargs: object) -> str:
        return self.base_url + reverse(viewname, kwargs=kwargs or None)

    def register(self, username: str, password: str) -> dict:
        response = self.http.post(
            reverse("auth-register"),
            json={"username": username, "email": f"{username}@example.com", "password": password},
        )
        assert response.status_code == HTTPStatus.CREATED, response.text
        return response.json()

    def tokens(self, username: str, password: str) -> dict[str, str]:
        """A real access and refresh token from the login endpoint."""
        response = self.http.post(
            reverse("auth-token"), json={"username": username, "password": password}
        )
        assert response.status_code == HTTPStatus.OK, response.text
        return response.json()

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def live_api(live_server) -> Iterator[LiveApi]:
    """The live server (with a transactional database the server thread can see)."""
    api = LiveApi(live_server.url)
    yield api
    api.close()


@pytest.fixture
def public_live_api(live_server, settings) -> Iterator[LiveApi]:
    """The live server under a public-looking hostname (see ``PUBLIC_HOST``)."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, PUBLIC_HOST]
    port = urlsplit(live_server.url).port
    api = LiveApi(f"http://{PUBLIC_HOST}:{port}")
    # httpx does not use Chromium's resolver rules; it talks to the loopback address instead.
    api.http = httpx.Client(base_url=live_server.url, timeout=30)
    yield api
    api.close()


@pytest.fixture
def chromium(live_server, chromium_session: Browser) -> Browser:
    """The session's headless Chromium (``tests/conftest.py``), with the live server up.

    One browser for the session, launched by the first test that asks: each test works in
    browser contexts of its own (``page``, ``visitor``), with their own cookies and storage,
    closed when it ends. ``PUBLIC_HOST`` resolves to the live server.
    """
    return chromium_session


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser tab with its own cookies and storage."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
