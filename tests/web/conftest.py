"""Browser fixtures for the web app: a watched browser context per visitor, axe, screenshots.

Every page opened in a visitor's context records what a page of Atelier must never do, and the
test fails at teardown if one did: a request to any host but the live server (aborted: there is
no internet here anyway), a console error or an uncaught page error, or a Content-Security-Policy
violation (reported by a ``securitypolicyviolation`` listener installed before the page's own
scripts run). A page answered with an error status on purpose (``Visitor.open(..., status=404)``)
may log that one failed load, and nothing else.

axe-core comes from ``node_modules/`` (``npm ci``, pinned in ``package-lock.json``): the tests
inject it from disk; the app never serves it.
"""

import base64
import functools
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Response,
    Route,
)

from tests.clients.conftest import (  # noqa: F401 (fixtures)
    LiveApi,
    chromium,
    live_api,
)
from tests.factories import DEFAULT_PASSWORD, image_bytes
from users.models import User

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
# A phone and a desktop: the two widths every page is looked at.
SCREENSHOT_WIDTHS = (375, 1280)
VIEWPORT = {"width": 1280, "height": 800}
# The impacts a page may not have: axe's "moderate" and "minor" are reported, not failed.
AXE_FAILING_IMPACTS = {"serious", "critical"}

# Runs in every frame before the page's own scripts: each CSP violation is handed to Python
# through a binding, so none is lost when the page navigates away.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__atelierCspViolation({
    page: location.href,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


@dataclass
class Watch:
    """What the pages of one browser context did that they must not."""

    host: str
    requests: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict] = field(default_factory=list)
    # URLs answered with an error status on purpose: Chromium logs their failed load.
    expected_failures: set[str] = field(default_factory=set)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._request)
        context.on("page", self._page)
        context.route("**/*", self._only_this_server)
        context.expose_binding(
            "__atelierCspViolation", lambda _source, report: self.csp_violations.append(report)
        )
        context.add_init_script(CSP_LISTENER)

    def _page(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.host:
            self.elsewhere.append(request.url)

    def _only_this_server(self, route: Route) -> None:
        if urlsplit(route.request.url).netloc == self.host:
            route.continue_()
        else:
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if where in self.expected_failures and message.text.startswith("Failed to load resource"):
            return
        self.console_errors.append(f"{where}: {message.text}")

    def problems(self) -> dict[str, list]:
        """Everything recorded that should not have happened, by kind (empty when clean)."""
        found = {
            "requests to other hosts": self.elsewhere,
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "CSP violations": self.csp_violations,
        }
        return {kind: items for kind, items in found.items() if items}


@dataclass
class Visitor:
    """One person's browser context (its own cookies), every page of it watched."""

    name: str
    context: BrowserContext
    watch: Watch
    site: LiveApi
    user: User | None = None
    # The answer to the last navigation ``open`` made, for its headers.
    last_response: Response | None = None

    @property
    def page(self) -> Page:
        """The context's first tab (opened on first use)."""
        return self.context.pages[0] if self.context.pages else self.context.new_page()

    def new_page(self) -> Page:
        return self.context.new_page()

    def open(
        self,
        viewname: str,
        *,
        status: int = HTTPStatus.OK,
        page: Page | None = None,
        **kwargs: object,
    ) -> Page:
        """Opens the page named ``viewname`` and checks the status it was answered with."""
        return self.open_url(self.site.url(viewname, **kwargs), status=status, page=page)

    def open_url(self, url: str, *, status: int = HTTPStatus.OK, page: Page | None = None) -> Page:
        page = page or self.page
        if status >= HTTPStatus.BAD_REQUEST:
            self.watch.expected_failures.add(url)
        response = page.goto(url)
        assert response is not None, f"no response for {url}"
        self.last_response = response
        assert response.status == status, f"{url}: {response.status}, expected {status}"
        page.wait_for_load_state("networkidle")
        return page


@pytest.fixture
def visitor(chromium: Browser, live_api: LiveApi) -> Iterator[Callable[..., Visitor]]:  # noqa: F811
    """Makes watched browser contexts; each is closed and checked when the test ends."""
    made: list[Visitor] = []

    def _make(name: str, user: User | None = None) -> Visitor:
        context = chromium.new_context(viewport=VIEWPORT, locale="en-GB")
        context.set_default_timeout(15_000)
        watch = Watch(host=live_api.host)
        watch.attach(context)
        if user is not None:
            context.add_cookies([session_cookie(user, live_api.base_url)])
        made.append(Visitor(name=name, context=context, watch=watch, site=live_api, user=user))
        return made[-1]

    yield _make
    for each in made:
        each.context.close()
    problems = {each.name: each.watch.problems() for each in made if each.watch.problems()}
    assert not problems, "pages misbehaved:\n" + json.dumps(problems, indent=2)


def session_cookie(user: User, base_url: str) -> dict:
    """A logged-in session for ``user``, as the cookie a browser would hold."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
        "httpOnly": True,
        "sameSite": "Lax",
    }


@pytest.fixture
def owner(visitor: Callable[..., Visitor], user: User) -> Visitor:
    """``user`` (alice), logged in, in a context of her own."""
    return visitor("owner", user)


@pytest.fixture
def intruder(visitor: Callable[..., Visitor], other_user: User) -> Visitor:
    """``other_user`` (mallory), logged in, in a context of his own."""
    return visitor("second account", other_user)


@pytest.fixture
def anonymous(visitor: Callable[..., Visitor]) -> Visitor:
    """Someone with no account and no cookies."""
    return visitor("anonymous")


# --- accessibility -----------------------------------------------------------------------------


def axe_source() -> str:
    """axe-core's script, from ``node_modules``; a clear failure (never a skip) if it is missing."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"{AXE_SCRIPT.relative_to(ROOT)} is missing: run `npm ci` in {ROOT} "
            "(package-lock.json pins axe-core) before the browser tests.",
            pytrace=False,
        )
    return AXE_SCRIPT.read_text()


def axe(page: Page) -> list[dict]:
    """Runs axe-core on the page as it is; fails on any serious or critical violation.

    The script is evaluated rather than added as a ``<script>`` tag: the pages' strict
    Content-Security-Policy (rightly) refuses inline scripts, and a tag would be one.
    Returns the violations below that bar, for a test that wants to look at them.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    violations = page.evaluate(
        """async () => {
          const results = await axe.run(document, { resultTypes: ["violations"] });
          return results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
          }));
        }"""
    )
    failing = [v for v in violations if v["impact"] in AXE_FAILING_IMPACTS]
    assert not failing, f"axe on {page.url}:\n" + json.dumps(failing, indent=2)
    return violations


# --- screenshots -------------------------------------------------------------------------------


def screenshot(page: Page, name: str) -> list[Path]:
    """Saves the whole page at 375 px and 1280 px wide as ``var/screenshots/<name>-<width>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size or VIEWPORT
    saved = []
    for width in SCREENSHOT_WIDTHS:
        page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
        page.wait_for_load_state("networkidle")
        # Fonts and images that the new width brought into view, then one more frame.
        page.evaluate("document.fonts.ready")
        page.evaluate("new Promise((done) => requestAnimationFrame(() => done()))")
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        saved.append(path)
    page.set_viewport_size(before)
    return saved


# --- files and data ----------------------------------------------------------------------------


def picture(index: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A distinct JPEG per index (its own colour), so thumbnails are told apart in screenshots."""
    palette = [(200, 80, 40), (40, 120, 200), (60, 170, 90), (220, 190, 60), (150, 70, 170)]
    return image_bytes(size=size, color=palette[index % len(palette)])


# Crops of the README's sample photo, in a camera roll's shapes: the screenshots show a
# gallery that looks like one.
SAMPLE_PHOTO = ROOT / "examples" / "harbour.jpg"
SAMPLE_CROPS = [
    (0, 0, 1200, 800),
    (20, 150, 420, 750),
    (350, 250, 850, 750),
    (0, 300, 1200, 700),
    (700, 0, 1100, 600),
    (0, 0, 800, 800),
    (400, 200, 1200, 800),
    (200, 400, 900, 800),
]


@functools.lru_cache(maxsize=64)
def sample_photo(index: int, edge: int = 800) -> bytes:
    """A JPEG cut from ``examples/harbour.jpg`` (one of ``SAMPLE_CROPS``, long edge at most
    ``edge``).

    Made once per index, edge and process (about 40 ms each).
    """
    with PILImage.open(SAMPLE_PHOTO) as photo:
        crop = photo.crop(SAMPLE_CROPS[index % len(SAMPLE_CROPS)])
        crop.thumbnail((edge, edge))
        buffer = io.BytesIO()
        crop.save(buffer, format="JPEG", quality=85)
        return buffer.getvalue()


def thumbnails_seen(page: Page) -> None:
    """Waits until every picture in the page's main part has loaded, as a person sees them.

    A trash page's thumbnails are served only while the picture is in the trash: a restore
    clicked before its row's thumbnail arrived (a loaded machine, a lazy image) made the
    browser fetch it after the restore, and a CI run failed on the console's 404.
    """
    page.wait_for_function(
        """() => [...document.querySelectorAll("main img")]
             .every((img) => img.complete && img.naturalWidth > 0)"""
    )


def drop_files(target: Locator, files: list[tuple[str, bytes, str]]) -> None:
    """Drops ``files`` (name, bytes, media type) on ``target``, as a person dragging them in.

    The files are built inside the page into a real ``DataTransfer``, then ``dragenter``,
    ``dragover`` and ``drop`` are dispatched with it, as Chromium does for a drag from the desktop.
    """
    # The drop zone listens once the page's deferred script has run (by DOMContentLoaded); a
    # loaded machine showed the page before it, and a drop then went nowhere.
    target.page.wait_for_load_state("domcontentloaded")
    data_transfer = target.page.evaluate_handle(
        """(files) => {
          const transfer = new DataTransfer();
          for (const file of files) {
            const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], file.name, { type: file.type }));
          }
          return transfer;
        }""",
        [
            {"name": name, "data": base64.b64encode(data).decode(), "type": media_type}
            for name, data, media_type in files
        ],
    )
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": data_transfer})


class ApiAs:
    """The API over real HTTP as one account, to set up what a test looks at."""

    def __init__(self, site: LiveApi, user: User) -> None:
        self.http = site.http
        access = site.tokens(user.username, DEFAULT_PASSWORD)["access"]
        self.headers = {"Authorization": f"Bearer {access}"}

    def post(self, viewname: str, *, kwargs: dict | None = None, **options: object) -> dict:
        response = self.http.post(reverse(viewname, kwargs=kwargs), headers=self.headers, **options)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.CREATED), response.text
        return response.json()

    def patch(self, viewname: str, *, kwargs: dict, **options: object) -> dict:
        response = self.http.patch(
            reverse(viewname, kwargs=kwargs), headers=self.headers, **options
        )
        assert response.status_code == HTTPStatus.OK, response.text
        return response.json()

    def upload(self, index: int, *, title: str = "", style: str = "none") -> dict:
        files = {"file": (f"picture-{index}.jpg", picture(index), "image/jpeg")}
        return self.post("image-list", files=files, data={"title": title, "style": style})

    def album(self, title: str, images: list[dict]) -> dict:
        album = self.post("album-list", json={"title": title})
        response = self.http.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            headers=self.headers,
            json={"image_ids": [image["id"] for image in images]},
        )
        assert response.status_code == HTTPStatus.OK, response.text
        return album

    def share(self, album: dict, password: str = "") -> dict:
        body = {"album": album["id"]} | ({"password": password} if password else {})
        return self.post("share-list", json=body)

    def trash(self, image: dict) -> None:
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        response = self.http.delete(url, headers=self.headers)
        assert response.status_code == HTTPStatus.NO_CONTENT, response.text


@pytest.fixture
def owner_api(live_api: LiveApi, user: User) -> ApiAs:  # noqa: F811
    return ApiAs(live_api, user)


def fetch_anonymously(url: str) -> httpx.Response:
    """``url`` fetched with no cookie and no token: what a leaked link gives a stranger."""
    return httpx.get(url, timeout=30, follow_redirects=True)
