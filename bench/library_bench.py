"""A library of 200,000 pictures among 1,000,000 rows against one of 100: issue #22's figures.

The library is built by ``manage.py library_build`` (rows only, interleaved across accounts,
~20 years of dates, no files) into PostgreSQL, and served by gunicorn on loopback; every
figure is p95(A) / p95(B) of real HTTP requests taken A, B, A, B, ... after a warm-up:

* the gallery API's first page and 50th page (reached by following ``next`` 49 times; only
  the 50th request is timed), by upload date and by date taken, big / small account (the
  small one's deepest page stands for its 50th): ≤ 1.5 each;
* the timeline's buckets for the whole library / the first gallery page, big account: ≤ 2;
* search for a word and a date range / the first gallery page, big account: ≤ 3;
* ``users/me/`` (storage used), big / small: ≤ 1.2;
* the web gallery ``/`` (session login), big / small: ≤ 1.5;
* for information: the albums list, big / small, and an upload's quota check
  (``images.quota.quota_check`` under the owner's lock, in this process), big / small.

The timeline and search endpoints may not exist yet: a 404 there gives "endpoint missing"
and no figure, never a failure. Building 1,000,000 rows takes minutes, so ``--keep-db NAME``
builds into a PostgreSQL database of that name once and reuses it on later runs (drop it
with ``dropdb NAME`` when done, or when the schema changes). ``--smoke`` builds a tiny
library in a fresh database (SQLite or PostgreSQL) and checks no target.

Run: ``python -m bench.library_bench [--smoke] [--db sqlite|postgres] [--keep-db NAME]``.
"""

import contextlib
import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_PASSWORD,
    PG_ADMIN_URL,
    PYTHON,
    ROOT,
    Comparison,
    Figure,
    arguments,
    at_most,
    database,
    database_kind,
    django_env,
    django_setup,
    figures_table,
    figures_write,
    gunicorn,
    interleave,
    machine_line,
    migrate,
    request,
    request_json,
    timed,
    var_dir_fresh,
    workdir,
)

# The endpoints other work adds (issue #22, items 1 and 2); a 404 skips their figures.
TIMELINE_URL = "/api/v1/timeline/"
# A word of ``library_rows.SUBJECTS`` and a date phrase (a year: a date range).
SEARCH_URL = "/api/v1/search/?q=beach+2019"
GALLERY_URL = "/api/v1/images/"
ME_URL = "/api/v1/users/me/"
ALBUMS_URL = "/api/v1/albums/"
WEB_GALLERY_URL = "/"
WEB_LOGIN_URL = "/login/"
ORDERINGS = {"upload date": "", "date taken": "ordering=-taken_at"}

BIG, SMALL = "library", "library-small"
FULL = {"images": 200_000, "albums": 1_000, "total": 1_000_000, "small": 100}
SMOKE = {"images": 300, "albums": 5, "total": 800, "small": 100, "per-account": 200}
DEPTH, SMOKE_DEPTH = 50, 3
PAGE_SIZE = 20
P95 = 0.95
LIMITS = {"page": 1.5, "timeline": 2.0, "search": 3.0, "me": 1.2, "web": 1.5}


# --- the library's database ----------------------------------------------------------------


@contextlib.contextmanager
def library_database(kind: str, work: Path, keep: str | None) -> Iterator[str]:
    """A fresh database (dropped afterwards), or the persistent PostgreSQL one ``keep`` names."""
    if keep is None:
        with database(kind, work, "library") as url:
            yield url
        return
    if kind != "postgres":
        raise SystemExit("--keep-db needs PostgreSQL (--db postgres)")
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [keep]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{keep}"')
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{keep}"


def library_ready(env: dict[str, str]) -> bool:
    """Whether the database holds a whole library (a kept database's second run).

    ``library_build`` raises the quotas last, so a build that was stopped halfway is not
    taken for a library (a second ``library_build --replace`` starts it again).
    """
    probe = (
        "from users.models import User; import sys; sys.exit(0 if User.objects.filter("
        f"username={BIG!r}, quota_images__isnull=False).exists() else 1)"
    )
    completed = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", probe],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
    )
    return completed.returncode == 0


PASSWORD_OPTION = f"--password={BENCH_PASSWORD}"


def library_build(env: dict[str, str], sizes: dict[str, int], seed: int) -> None:
    options = [f"--{name}={value}" for name, value in sizes.items()] + ["--replace"]
    started = time.monotonic()
    subprocess.run(
        [PYTHON, "manage.py", "library_build", *options, f"--seed={seed}", PASSWORD_OPTION],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    print(f"library built in {time.monotonic() - started:.0f} s", flush=True)


# --- clients --------------------------------------------------------------------------------


def api_token(port: int, username: str) -> str:
    reply = request_json(
        port, "POST", "/api/v1/auth/token/", {"username": username, "password": BENCH_PASSWORD}
    )
    if reply.status != 200:
        raise RuntimeError(f"login {username}: {reply.status} {reply.body[:200]!r}")
    return reply.json()["access"]


def web_session(port: int, username: str) -> str:
    """Logs in through the web login form; returns the ``Cookie`` header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    with opener.open(base + WEB_LOGIN_URL, timeout=60) as page:
        form = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no CSRF token in the login page")
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": BENCH_PASSWORD}
    ).encode()
    login = urllib.request.Request(  # noqa: S310 (our own loopback server)
        base + WEB_LOGIN_URL, data=body, headers={"Referer": base + WEB_LOGIN_URL}
    )
    with opener.open(login, timeout=120) as answer:
        answer.read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"web login of {username} gave no session")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class Caller:
    """One account's requests to the server: by token (API) or session cookie (web)."""

    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.token = api_token(port, username)
        self.cookie = web_session(port, username)

    def get(self, path: str, *, web: bool = False) -> Any:
        headers = {"Cookie": self.cookie} if web else None
        return request(self.port, "GET", path, token=None if web else self.token, headers=headers)

    def getter(self, path: str, *, web: bool = False) -> Callable[[], float]:
        """A sampler: one GET of ``path``, which must answer 200."""

        def work() -> None:
            reply = self.get(path, web=web)
            if reply.status != 200:
                raise RuntimeError(f"GET {path} as {self.username}: {reply.status}")

        return timed(work)

    def page(self, query: str, depth: int) -> tuple[str, int]:
        """The path of the ``depth``-th gallery page (following ``next``), and its number."""
        path = f"{GALLERY_URL}?page_size={PAGE_SIZE}" + (f"&{query}" if query else "")
        reached = 1
        for _ in range(depth - 1):
            reply = self.get(path)
            if reply.status != 200:
                raise RuntimeError(f"GET {path}: {reply.status} {reply.body[:200]!r}")
            following = reply.json()["next"]
            if following is None:
                break
            split = urllib.parse.urlsplit(following)
            path = f"{split.path}?{split.query}"
            reached += 1
        return path, reached


# --- figures ---------------------------------------------------------------------------------


def ratio_figure(
    name: str, comparison: Comparison, limit: float | None, smoke: bool, note: str = ""
) -> Figure:
    ratio = comparison.ratio_at(P95)
    return Figure(
        name=name,
        value=ratio,
        target="info" if limit is None else f"≤ {limit:g}",
        met=None if smoke or limit is None else at_most(ratio, limit),
        detail=(note + "; " if note else "") + comparison.detail_at(P95),
    )


def missing_figure(name: str, path: str, status: int) -> Figure:
    return Figure(
        name=name,
        value=None,
        target="skipped",
        met=None,
        detail=f"endpoint missing: GET {path} answered {status}",
    )


def http_figures(
    big: Caller, small: Caller, *, runs: int, depth: int, smoke: bool, label: str
) -> list[Figure]:
    figures: list[Figure] = []
    first_big = f"{GALLERY_URL}?page_size={PAGE_SIZE}"

    def compare(a: Callable[[], float], b: Callable[[], float]) -> Comparison:
        return interleave(a, b, runs=runs, warmup=1 if smoke else 3)

    for order, query in ORDERINGS.items():
        for wanted in (1, depth):
            big_path, big_reached = big.page(query, wanted)
            small_path, small_reached = small.page(query, wanted)
            comparison = compare(big.getter(big_path), small.getter(small_path))
            figures.append(
                ratio_figure(
                    f"gallery API page {wanted} by {order}, p95, {label}",
                    comparison,
                    LIMITS["page"],
                    smoke,
                    f"page {big_reached} / page {small_reached}"
                    + (" (its deepest)" if small_reached < wanted else ""),
                )
            )
    for key, name, path in (
        ("timeline", "timeline buckets, whole library, p95 / first gallery page", TIMELINE_URL),
        ("search", "search for a word and a date range, p95 / first gallery page", SEARCH_URL),
    ):
        status = big.get(path).status
        if status != 200:
            print(f"{key}: endpoint missing ({path} answered {status}); skipped", flush=True)
            figures.append(missing_figure(name, path, status))
            continue
        comparison = compare(big.getter(path), big.getter(first_big))
        figures.append(ratio_figure(f"{name}, big account", comparison, LIMITS[key], smoke, path))
    comparison = compare(big.getter(ME_URL), small.getter(ME_URL))
    figures.append(ratio_figure(f"users/me/ p95, {label}", comparison, LIMITS["me"], smoke))
    comparison = compare(
        big.getter(WEB_GALLERY_URL, web=True), small.getter(WEB_GALLERY_URL, web=True)
    )
    figures.append(
        ratio_figure(f"web gallery / (server time), p95, {label}", comparison, LIMITS["web"], smoke)
    )
    albums = f"{ALBUMS_URL}?page_size={PAGE_SIZE}"
    comparison = compare(big.getter(albums), small.getter(albums))
    figures.append(ratio_figure(f"albums list p95, {label}", comparison, None, smoke))
    return figures


def quota_figure(runs: int, smoke: bool, label: str) -> Figure:
    """An upload's quota check: the owner's lock and ``quota_check``, in this process."""
    from django.db import connections, transaction

    from images.locks import owner_lock
    from images.quota import quota_check
    from users.models import User

    owners = {name: User.objects.get(username=name) for name in (BIG, SMALL)}

    def check(name: str) -> Callable[[], float]:
        def work() -> None:
            with transaction.atomic():
                quota_check(locked_owner=owner_lock(owner=owners[name]), add_bytes=1, add_images=1)

        return timed(work)

    comparison = interleave(check(BIG), check(SMALL), runs=runs, warmup=1 if smoke else 3)
    connections.close_all()
    return ratio_figure(
        f"quota check under the owner's lock p95, {label}", comparison, None, smoke, "in-process"
    )


def measure(args: Any, work: Path) -> list[Figure]:
    kind = database_kind(args.db)
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.images:
        sizes["images"] = args.images
    if args.total:
        sizes["total"] = args.total
    runs = 3 if args.smoke else args.runs
    depth = SMOKE_DEPTH if args.smoke else DEPTH
    var_dir = var_dir_fresh(work, "library-var")
    with library_database(kind, work, args.keep_db) as url:
        env = django_env(var_dir, url)
        migrate(env)
        if args.keep_db and library_ready(env):
            print(f"reusing the library in database {args.keep_db}", flush=True)
        else:
            library_build(env, sizes, args.seed)
        django_setup(env)
        print(machine_line() + f", database {kind}", flush=True)
        label = f"{sizes['images']:,} pictures / {sizes['small']:,} ({sizes['total']:,} rows)"
        with gunicorn(env, workers=1, log_dir=work, name="library") as server:
            big, small = Caller(server.port, BIG), Caller(server.port, SMALL)
            figures = http_figures(
                big, small, runs=runs, depth=depth, smoke=args.smoke, label=label
            )
        figures.append(quota_figure(runs, args.smoke, label))
    return figures


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        __doc__.splitlines()[0],
        argv,
        keep_db={"metavar": "NAME", "help": "build into this PostgreSQL database once; reuse"},
        images={"type": int, "help": "the big account's pictures (default 200,000)"},
        total={"type": int, "help": "picture rows in all (default 1,000,000)"},
        runs={"type": int, "default": 41, "help": "samples of each side (default 41)"},
        seed={"type": int, "default": 1, "help": "the library's seed"},
    )
    with workdir(args.workdir) as work:
        figures = measure(args, work)
    print("\n" + machine_line())
    title = "A big library against a small one" + (" (smoke)" if args.smoke else "")
    print(figures_table(figures, title))
    figures_write(args.json, figures)
    return 0 if args.smoke or all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
