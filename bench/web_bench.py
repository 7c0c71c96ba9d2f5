"""The gallery page in Chromium: its weight, and how soon its thumbnails paint against a floor.

A gallery of 100 images (``--smoke``: 12) is uploaded through the API to a gunicorn serving
the project as ``make stack`` does (``deploy/gunicorn.conf.py``: gthread workers) on loopback,
and opened in Debian's headless Chromium, logged in, on a cold cache every time (a fresh
browser context per load):

* bytes transferred for the page itself: every response that is not an image (the HTML, the
  stylesheet, the scripts, and anything they fetch while the page loads), headers included,
  as Chromium counts them (``Network.loadingFinished``'s ``encodedDataLength``): ≤ 60 kB;
* time from navigation to the first thumbnail painted, and to every thumbnail in the first
  viewport (1280 × 800) painted, over the same for the floor: ≤ 1.5 each.

The floor is the same page without the app: the HTML the server sent for the gallery with its
scripts removed, its stylesheets copied, and every thumbnail's ``src`` pointing at the same
thumbnail bytes saved as plain files, all served by ``python -m http.server`` (HTTP/1.1).
Paint times come from the Element Timing API (``renderTime``), the ``elementtiming`` attribute
being set on every ``<img>`` by a script injected before the page's own, in both pages alike.
A and B alternate after a warm-up of each (``bench.common.interleave``).

Run: ``python -m bench.web_bench [--smoke] [--db sqlite|postgres]``.
"""

import contextlib
import html
import importlib
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bench.common import (
    BENCH_PASSWORD,
    PYTHON,
    ROOT,
    Comparison,
    Figure,
    account_token,
    arguments,
    at_most,
    database,
    database_kind,
    django_env,
    django_setup,
    figures_table,
    figures_write,
    free_port,
    gunicorn,
    interleave,
    machine_line,
    migrate,
    request,
    upload_body,
    var_dir_fresh,
    workdir,
)
from bench.inputs import photo

CHROMIUM = Path("/usr/bin/chromium")
# As the browser tests launch it: no sandbox (containers), none of Chromium's own calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
PAGE_BYTES_LIMIT = 60_000
PAINT_LIMIT = 1.5
GALLERY_IMAGES = 100
SMOKE_IMAGES = 12
# Upload sizes cycle through landscape, portrait and square, as a camera roll does, so the
# grid's layout from width/height has real work to do.
PICTURE_SIZES = [(1200, 900), (900, 1200), (1000, 1000), (1280, 720), (800, 1200)]
USERNAME = "webbench"

# Injected before any script of the page: every <img> gets ``elementtiming`` as the parser
# adds it, and each paint the Element Timing API reports is kept with the image's URL.
PAINT_RECORDER = """
window.__paints = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__paints.push({ url: entry.url, time: entry.renderTime || entry.loadTime });
  }
}).observe({ type: "element", buffered: true });
const mark = (node) => {
  if (node.nodeType !== 1) return;
  if (node.tagName === "IMG") node.setAttribute("elementtiming", "thumbnail");
  node.querySelectorAll?.("img").forEach((img) => img.setAttribute("elementtiming", "thumbnail"));
};
new MutationObserver((records) => {
  for (const record of records) record.addedNodes.forEach(mark);
}).observe(document, { childList: true, subtree: true });
"""

# The grid's thumbnails in the first viewport once the page has settled: "all visible" (not
# their ThumbHash placeholders, ``img.ph``: data: URIs, painted first by design).
VISIBLE_THUMBNAILS = """() => [...document.querySelectorAll("ul.grid img:not(.ph)")]
  .filter((img) => {
    const box = img.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight
      && box.right > 0 && box.left < innerWidth;
  })
  .map((img) => img.currentSrc || img.src)"""


@dataclass
class Load:
    """One load of a page: paint times (ms from navigation) and bytes by resource type."""

    first_paint: float
    all_visible_painted: float
    visible: int
    bytes_by_type: dict[str, int] = field(default_factory=dict)

    def page_bytes(self) -> int:
        return sum(size for kind, size in self.bytes_by_type.items() if kind != "Image")


def gallery_pictures(count: int, smoke: bool) -> Iterator[tuple[str, bytes]]:
    """``count`` distinct photo-like JPEGs (seeded), in a cycle of shapes."""
    for index in range(count):
        width, height = PICTURE_SIZES[index % len(PICTURE_SIZES)]
        if smoke:
            width, height = width // 4, height // 4
        buffer = io.BytesIO()
        photo((width, height), seed=1000 + index).save(buffer, format="JPEG", quality=85)
        yield f"picture-{index:03d}.jpg", buffer.getvalue()


def gallery_fill(port: int, token: str, count: int, smoke: bool) -> None:
    for name, data in gallery_pictures(count, smoke):
        body, content_type = upload_body(data, name, "none")
        reply = request(
            port, "POST", "/api/v1/images/", token=token, body=body, content_type=content_type
        )
        if reply.status != 201:
            raise RuntimeError(f"upload {name}: {reply.status} {reply.body[:200]!r}")


def missing_tools() -> list[str]:
    """What this benchmark needs that is not here: the dev requirements' packages, Chromium.

    ``make run`` installs the runtime requirements only; httpx and Playwright come with the dev
    requirements (``make test``), so they are imported only once known to be there.
    """
    missing = []
    for package, module in (("httpx", "httpx"), ("playwright", "playwright.sync_api")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(f"{package} (pip install -r requirements-dev.txt, or make test)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (sudo apt-get install chromium)")
    return missing


def session_login(base_url: str, login_path: str) -> dict[str, str]:
    """Logs in through the web login form; returns the cookies of the logged-in session."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=30) as client:
        form = client.get(login_path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if token is None:
            raise RuntimeError(f"no CSRF token in the login page {login_path}")
        answer = client.post(
            login_path,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": USERNAME,
                "password": BENCH_PASSWORD,
            },
            headers={"Referer": base_url + login_path},
        )
        if answer.status_code != 302:
            raise RuntimeError(f"web login: {answer.status_code} {answer.text[:300]!r}")
        return dict(client.cookies)


def floor_build(base_url: str, gallery_html: str, directory: Path) -> None:
    """The floor: the gallery's HTML with no script, its CSS and thumbnails as plain files."""
    import httpx

    page = re.sub(r"<script\b[^>]*>.*?</script>", "", gallery_html, flags=re.S | re.I)
    # The stylesheet, icons and every other file of the app the page names, at the same paths.
    for asset in set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page)):
        target = directory / urlsplit(html.unescape(asset)).path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        reply = httpx.get(urljoin(base_url, html.unescape(asset)), timeout=30)
        reply.raise_for_status()
        target.write_bytes(reply.content)
    thumbs = directory / "thumbs"
    thumbs.mkdir(exist_ok=True)
    count = 0

    def local(match: re.Match) -> str:
        nonlocal count
        source = html.unescape(match.group(2))
        if "/thumbnail/" not in source:
            return match.group(0)
        reply = httpx.get(urljoin(base_url, source), timeout=30)
        reply.raise_for_status()
        extension = reply.headers["content-type"].split("/")[-1]
        count += 1
        name = f"thumbs/{count:03d}.{extension}"
        (directory / name).write_bytes(reply.content)
        return f"{match.group(1)}/{name}{match.group(3)}"

    page = re.sub(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', local, page)
    if count == 0:
        raise RuntimeError("the gallery's HTML has no thumbnail <img>: nothing to compare")
    (directory / "index.html").write_text(page)


@contextlib.contextmanager
def static_server(directory: Path, log_dir: Path) -> Iterator[int]:
    """``python -m http.server`` (HTTP/1.1) over ``directory`` on a free loopback port."""
    port = free_port()
    command = [PYTHON, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(directory)]
    command += ["--protocol", "HTTP/1.1", str(port)]
    with (log_dir / "static-server.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError):
                if request(port, "GET", "/index.html", timeout=5).status == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the static server did not start")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def page_load(browser, url: str, cookies: list[dict] | None = None) -> Load:
    """Opens ``url`` in a fresh context (cold cache) and waits for the visible thumbnails."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        if cookies:
            context.add_cookies(cookies)
        context.add_init_script(PAINT_RECORDER)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        types: dict[str, str] = {}
        sizes: dict[str, int] = {}
        cdp.on(
            "Network.responseReceived",
            lambda event: types.__setitem__(event["requestId"], event["type"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]),
        )
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        visible = set(page.evaluate(VISIBLE_THUMBNAILS))
        grid = set(
            page.evaluate("""() => [...document.querySelectorAll("ul.grid img:not(.ph)")]
          .map((img) => img.currentSrc || img.src)""")
        )
        if not visible:
            raise RuntimeError(f"no image is visible on {url}")
        page.wait_for_function(
            "(urls) => urls.every((u) => window.__paints.some((p) => p.url === u))",
            arg=sorted(visible),
            timeout=30_000,
        )
        paints = [p for p in page.evaluate("window.__paints") if p["url"] in grid]
        bytes_by_type: dict[str, int] = {}
        for request_id, size in sizes.items():
            kind = types.get(request_id, "Other")
            bytes_by_type[kind] = bytes_by_type.get(kind, 0) + int(size)
        return Load(
            first_paint=min(p["time"] for p in paints),
            all_visible_painted=max(p["time"] for p in paints if p["url"] in visible),
            visible=len(visible),
            bytes_by_type=bytes_by_type,
        )
    finally:
        context.close()


def measure(args, work: Path) -> list[Figure]:
    import httpx
    from playwright.sync_api import sync_playwright

    count = SMOKE_IMAGES if args.smoke else GALLERY_IMAGES
    runs = 3 if args.smoke else 21
    kind = database_kind(args.db)
    var_dir = var_dir_fresh(work, "web-bench")
    with database(kind, work, "web") as database_url:
        env = django_env(var_dir, database_url)
        migrate(env)
        django_setup(env)
        from django.urls import reverse

        gallery_path, login_path = reverse("home"), reverse("login")
        config = ROOT / "deploy" / "gunicorn.conf.py"
        with gunicorn(env, workers=2, log_dir=work, name="web", config=config) as server:
            base_url = f"http://127.0.0.1:{server.port}"
            token = account_token(server.port, USERNAME)
            started = time.monotonic()
            gallery_fill(server.port, token, count, args.smoke)
            print(f"{count} images uploaded in {time.monotonic() - started:.0f} s", flush=True)
            cookies = [
                {"name": name, "value": value, "url": base_url}
                for name, value in session_login(base_url, login_path).items()
            ]
            gallery = httpx.get(
                base_url + gallery_path, cookies={c["name"]: c["value"] for c in cookies}
            )
            gallery.raise_for_status()
            floor_dir = var_dir / "floor"
            floor_dir.mkdir()
            floor_build(base_url, gallery.text, floor_dir)
            with static_server(floor_dir, work) as static_port, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                app_loads: list[Load] = []
                floor_loads: list[Load] = []

                def app(field_name: str):
                    def sample() -> float:
                        app_loads.append(page_load(browser, base_url + gallery_path, cookies))
                        return getattr(app_loads[-1], field_name)

                    return sample

                def floor(field_name: str):
                    def sample() -> float:
                        floor_loads.append(
                            page_load(browser, f"http://127.0.0.1:{static_port}/index.html")
                        )
                        return getattr(floor_loads[-1], field_name)

                    return sample

                # One load gives both paint times: sample once, then read the second figure
                # from the same loads, so the two ratios share their A, B, A, B order.
                first = interleave(app("first_paint"), floor("first_paint"), runs=runs, warmup=1)
                warm = 1
                every = Comparison(
                    a=[load.all_visible_painted for load in app_loads[warm:]],
                    b=[load.all_visible_painted for load in floor_loads[warm:]],
                )
                browser.close()
    weights = app_loads[-1].bytes_by_type
    page_bytes = app_loads[-1].page_bytes()
    breakdown = ", ".join(
        f"{k} {v / 1000:.1f}" for k, v in sorted(weights.items()) if k != "Image" and v
    )
    visible = app_loads[-1].visible
    smoke = args.smoke
    return [
        Figure(
            f"gallery page bytes, {count} images (HTML, CSS, JS; images excluded)",
            page_bytes / 1000,
            f"≤ {PAGE_BYTES_LIMIT / 1000:.0f} kB",
            None if smoke else page_bytes <= PAGE_BYTES_LIMIT,
            f"kB by type: {breakdown}",
            unit="kB",
            decimals=1,
        ),
        Figure(
            "first thumbnail painted, app / static floor",
            first.ratio,
            f"≤ {PAINT_LIMIT}",
            None if smoke else at_most(first.ratio, PAINT_LIMIT),
            first.detail(scale=1.0),
        ),
        Figure(
            f"all visible thumbnails ({visible}) painted, app / static floor",
            every.ratio,
            f"≤ {PAINT_LIMIT}",
            None if smoke else at_most(every.ratio, PAINT_LIMIT),
            every.detail(scale=1.0),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    missing = missing_tools()
    if missing:
        # A checkout set up by `make run` has none of them: the other benchmarks still run.
        print("The web benchmark is skipped; it needs:", file=sys.stderr)
        for tool in missing:
            print(f"  - {tool}", file=sys.stderr)
        figures_write(args.json, [])
        return 0
    with workdir(args.workdir) as work:
        figures = measure(args, work)
    print("\n" + machine_line())
    print(figures_table(figures, "The gallery in Chromium" + (" (smoke)" if args.smoke else "")))
    figures_write(args.json, figures)
    return 0 if args.smoke or all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
