"""Live-server helpers for the client tests: URLs by name, tokens over HTTP, a headless Chromium."""

import threading
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

# What a browser test's assertions wait for at most, as its actions do (the contexts'
# default timeout): a machine running the suite on both CPUs, renders included, is slower than
# Playwright's 5 s default allows for a page that reloads after an API call.
expect.set_options(timeout=15_000)

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


class _ServerRequests:
    """How many requests the live server is handling now: Django's ``request_started`` and
    ``request_finished`` (sent once the response is closed, its body written), counted in the
    server's own request threads only (the test client's requests, in the test's thread, are
    not the server's)."""

    def __init__(self) -> None:
        self.active = 0
        self.changed = threading.Condition()

    def started(self, **kwargs: object) -> None:
        if _in_server_thread():
            with self.changed:
                self.active += 1

    def finished(self, **kwargs: object) -> None:
        if _in_server_thread():
            with self.changed:
                self.active -= 1
                self.changed.notify_all()


def _in_server_thread() -> bool:
    return "process_request_thread" in threading.current_thread().name


SERVER_REQUESTS = _ServerRequests()
request_started.connect(SERVER_REQUESTS.started, dispatch_uid="tests.server_requests.started")
request_finished.connect(SERVER_REQUESTS.finished, dispatch_uid="tests.server_requests.finished")


def server_requests_settle(timeout: float = 30.0) -> None:
    """Waits until the live server has answered everything it was asked.

    The database is flushed when a test ends; a request the server is still handling then
    (a thumbnail a page asked for just before the test finished, on a loaded machine) holds a
    table, and SQLite answers the flush "database table is locked". Idle kept-alive
    connections do not count: only requests being handled.
    """
    with SERVER_REQUESTS.changed:
        SERVER_REQUESTS.changed.wait_for(lambda: SERVER_REQUESTS.active <= 0, timeout=timeout)


@pytest.fixture
def live_api(live_server) -> Iterator[LiveApi]:
    """The live server (with a transactional database the server thread can see)."""
    api = LiveApi(live_server.url)
    yield api
    api.close()
    server_requests_settle()


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
def chromium(live_server, chromium_session: Browser) -> Iterator[Browser]:
    """The session's headless Chromium (``tests/conftest.py``), with the live server up.

    One browser for the session, launched by the first test that asks: each test works in
    browser contexts of its own (``page``, ``visitor``), with their own cookies and storage,
    closed when it ends (before this fixture's end, which then lets the server finish what
    they asked). ``PUBLIC_HOST`` resolves to the live server.
    """
    yield chromium_session
    server_requests_settle()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser tab with its own cookies and storage."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
