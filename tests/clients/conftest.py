"""Live-server helpers for the client tests: URLs by name, tokens over HTTP, a headless Chromium."""

from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, sync_playwright

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


@pytest.fixture(scope="session")
def chromium(live_server) -> Iterator[Browser]:
    """The session's headless Chromium, which maps ``PUBLIC_HOST`` to the live server.

    Launched once (by the first test that asks) and shared: every test works in browser
    contexts of its own (``page``, ``visitor``), each with its own cookies and storage, closed
    when the test ends. The browser tests are collected last (``tests/conftest.py``), so the
    others run before it is up.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    # Playwright's sync API keeps an asyncio loop registered on this thread while it runs, so
    # Django would refuse ORM calls from fixtures and teardown as if they were in async code.
    # They are not concurrent with anything; the live server answers on its own thread.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {PUBLIC_HOST} 127.0.0.1"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser tab with its own cookies and storage."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
