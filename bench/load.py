"""A bounded mixed workload against gunicorn for a fixed time; passes only if nothing is lost.

Several clients, each a registered account with its own token, loop over list, upload,
thumbnail, restyle and delete (for good, ``?permanent=true``, not to the trash) against
gunicorn (2 sync workers) on loopback, for 60 seconds. Each client keeps its own gallery
between 1 and a small bound, so the run is bounded in disk and in work. It reports
requests/s, p50/p95/p99 latency overall and per operation, and every status; then, with the
server stopped, it audits storage against the database.

It passes only with no 5xx answer, no failed connection, no lost or orphaned file (the files
under the media root are exactly the files the ``Image`` rows reference
(``Image.FILE_KEY_FIELDS``), and every referenced file exists), and no lost or stray row (the
rows are exactly the images the clients were told they have).

With ``--stack`` it runs against the production-shaped stack instead (``make stack``, on
``--url``, default ``http://127.0.0.1:8000``; started here and stopped afterwards if nothing
answers there): renders go through Celery, so an upload answers ``pending`` and a thumbnail
asked for before its render has ended answers 409; a thumbnail's 302 to S3 is followed. It
then also reports upload→ready p50/p95 (the database polled every 0.1 s for the uploads'
first renders) and the render queue's depth (``LLEN`` of the Celery queue on the broker,
every second), waits for the queue to drain, and audits: the load's rows against what the
clients were told, none left pending or failed, and ``manage.py storage_audit`` (the S3
bucket against every row). Its accounts, images and files are deleted afterwards.

Run: ``python -m bench.load [--duration 60] [--clients 6] [--workers 2] [--db sqlite|postgres]``
or ``python -m bench.load --stack [--url http://127.0.0.1:8000]``.
"""

import argparse
import random
import re
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import (
    STACK_QUEUE,
    Figure,
    account_token,
    arguments,
    database,
    database_kind,
    django_env,
    django_setup,
    figures_table,
    figures_write,
    gunicorn,
    machine_line,
    migrate,
    percentile,
    request,
    request_json,
    stack_env,
    stack_port,
    stack_storage_audit,
    stack_up,
    stored_files,
    upload_body,
    var_dir_fresh,
    workdir,
)
from bench.inputs import FULL, SMOKE, inputs_ensure

OPERATIONS = {"list": 35, "upload": 20, "thumbnail": 25, "restyle": 10, "delete": 10}
GALLERY_BOUND = 12
STYLES = ["none", "grayscale", "sepia", "pencil_sketch", "cartoon", "vintage", "blur"]
STYLES += ["sharpen", "emboss", "contour", "posterize", "invert", "solarize"]
# 409: a thumbnail asked for while its image's render is still pending (on the stack).
EXPECTED = (200, 201, 204, 409)
RENDER_POLL_SECONDS = 0.1
QUEUE_SAMPLE_SECONDS = 1.0
DRAIN_TIMEOUT = 300.0


@dataclass
class RenderWatch:
    """Uploads waiting for their first render, and how long each took from upload to ready.

    An upload answered ``ready`` (the in-process render) took its answer time; one answered
    ``pending`` is polled in the database until its render ends. An image restyled or deleted
    before its first render ended is dropped from the figure (``superseded``).
    """

    awaiting: dict[str, float] = field(default_factory=dict)
    ready_seconds: list[float] = field(default_factory=list)
    failed: int = 0
    superseded: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def uploaded(self, image_id: str, status: str, sent: float, answered: float) -> None:
        with self.lock:
            if status == "pending":
                self.awaiting[image_id] = sent
            elif status == "ready":
                self.ready_seconds.append(answered - sent)
            else:
                self.failed += 1

    def touched(self, image_id: str) -> None:
        with self.lock:
            if self.awaiting.pop(image_id, None) is not None:
                self.superseded += 1

    def poll(self) -> None:
        """Looks up the images still awaiting their render; records those that ended."""
        from images.models import Image

        with self.lock:
            waiting = list(self.awaiting)
        if not waiting:
            return
        ended = dict(
            Image.objects.filter(pk__in=waiting)
            .exclude(status=Image.Status.PENDING)
            .values_list("pk", "status")
        )
        now = time.perf_counter()
        with self.lock:
            for pk, status in ended.items():
                sent = self.awaiting.pop(str(pk), None)
                if sent is None:
                    continue
                if status == Image.Status.READY:
                    self.ready_seconds.append(now - sent)
                else:
                    self.failed += 1


class StackMonitor(threading.Thread):
    """Polls the renders of ``watch`` every 0.1 s and samples the queue's depth every second."""

    def __init__(self, watch: RenderWatch, broker_url: str) -> None:
        super().__init__(daemon=True)
        import redis

        self.watch = watch
        self.broker = redis.Redis.from_url(broker_url)
        self.depths: list[tuple[float, int]] = []
        self.start_time = time.monotonic()
        self.stopping = threading.Event()

    def depth(self) -> int:
        return int(self.broker.llen(STACK_QUEUE))

    def run(self) -> None:
        from django.db import connection

        next_sample = self.start_time
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                if now >= next_sample:
                    self.depths.append((now - self.start_time, self.depth()))
                    next_sample += QUEUE_SAMPLE_SECONDS
                self.watch.poll()
                self.stopping.wait(RENDER_POLL_SECONDS)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def series(self, until: float, every: int = 5) -> str:
        """The queue's depth during the load: the largest sample of each ``every`` seconds."""
        buckets: dict[int, int] = {}
        for at, depth in self.depths:
            if at <= until:
                bucket = int(at // every)
                buckets[bucket] = max(buckets.get(bucket, 0), depth)
        return " ".join(str(buckets[b]) for b in sorted(buckets))


@dataclass
class Outcome:
    """One request: which operation, its status (0 if the connection failed), seconds."""

    operation: str
    status: int
    seconds: float
    error: str = ""


@dataclass
class Client:
    """One account driving the workload, and what the server told it it owns."""

    number: int
    token: str
    uploads: list[tuple[str, bytes]]
    port: int
    watch: RenderWatch
    rng: random.Random = field(init=False)
    images: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(1000 + self.number)

    def run(self, deadline: float) -> None:
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        while time.monotonic() < deadline:
            operation = self.rng.choices(names, weights)[0]
            if operation == "upload" and len(self.images) >= GALLERY_BOUND:
                operation = "delete"
            if operation in ("thumbnail", "restyle", "delete") and not self.images:
                operation = "upload"
            self.timed(operation, getattr(self, operation))

    def timed(self, operation: str, action: Callable[[], int]) -> None:
        start = time.perf_counter()
        try:
            status, error = action(), ""
        except OSError as exc:
            status, error = 0, f"{type(exc).__name__}: {exc}"
        self.outcomes.append(Outcome(operation, status, time.perf_counter() - start, error))

    def list(self) -> int:
        return request(self.port, "GET", "/api/v1/images/?page_size=20", token=self.token).status

    def upload(self) -> int:
        filename, data = self.rng.choice(self.uploads)
        body, content_type = upload_body(data, filename, self.rng.choice(STYLES))
        sent = time.perf_counter()
        reply = request(
            self.port,
            "POST",
            "/api/v1/images/",
            token=self.token,
            body=body,
            content_type=content_type,
        )
        if reply.status == 201:
            image = reply.json()
            self.images.append(image["id"])
            self.watch.uploaded(image["id"], image["status"], sent, time.perf_counter())
        return reply.status

    def thumbnail(self) -> int:
        image = self.rng.choice(self.images)
        path = f"/api/v1/images/{image}/thumbnail/"
        reply = request(self.port, "GET", path, token=self.token)
        if reply.status == 302:
            # S3 delivery: the bytes come from the presigned URL, as a browser would fetch them.
            target = urlsplit(reply.headers["Location"])
            if target.hostname != "127.0.0.1" or target.port is None:
                raise OSError(f"redirected off this machine: {target.netloc}")
            reply = request(target.port, "GET", f"{target.path}?{target.query}")
        return reply.status

    def restyle(self) -> int:
        image = self.rng.choice(self.images)
        self.watch.touched(image)
        path = f"/api/v1/images/{image}/"
        style = self.rng.choice(STYLES)
        return request_json(self.port, "PATCH", path, {"style": style}, token=self.token).status

    def delete(self) -> int:
        image = self.rng.choice(self.images)
        self.watch.touched(image)
        # For good, not to the trash: the audit then checks that its files went with it.
        path = f"/api/v1/images/{image}/?permanent=true"
        status = request(self.port, "DELETE", path, token=self.token).status
        if status == 204:
            self.images.remove(image)
        return status


def latency_line(outcomes: list[Outcome]) -> str:
    seconds = [o.seconds * 1000 for o in outcomes]
    return (
        f"p50 {percentile(seconds, 0.5):.0f} ms, p95 {percentile(seconds, 0.95):.0f} ms, "
        f"p99 {percentile(seconds, 0.99):.0f} ms"
    )


def storage_audit(env: dict[str, str], clients: list[Client]) -> dict[str, int]:
    """Files against rows, and rows against what the clients were told; server stopped."""
    django_setup(env)
    from images.models import Image

    referenced: set[str] = set()
    rows = set()
    for pk, *keys in Image.objects.values_list("pk", *Image.FILE_KEY_FIELDS):
        rows.add(str(pk))
        referenced.update(k for k in keys if k)
    files = stored_files(Path(env["DJANGO_MEDIA_ROOT"]))
    known = {image for client in clients for image in client.images}
    return {
        "files": len(files),
        "rows": len(rows),
        "lost files": len(referenced - files),
        "orphaned files": len(files - referenced),
        "lost rows": len(known - rows),
        "stray rows": len(rows - known),
    }


def stack_audit(env: dict[str, str], clients: list[Client], usernames: list[str]) -> dict[str, int]:
    """The load's rows against what its clients were told, their renders, and S3 (stack up)."""
    from images.models import Image

    rows = {
        str(pk): status
        for pk, status in Image.objects.filter(owner__username__in=usernames).values_list(
            "pk", "status"
        )
    }
    known = {image for client in clients for image in client.images}
    code, output = stack_storage_audit(env)
    print(f"  manage.py storage_audit (exit {code}): {output.splitlines()[-1] if output else ''}")
    found = re.search(r"(\d+) orphan\(s\), (\d+) missing", output)
    orphans, missing = (int(found[1]), int(found[2])) if found else (-1, -1)
    return {
        "rows": len(rows),
        "lost rows": len(known - set(rows)),
        "stray rows": len(set(rows) - known),
        "left pending": sum(s == Image.Status.PENDING for s in rows.values()),
        "failed": sum(s == Image.Status.FAILED for s in rows.values()),
        "orphaned files": orphans,
        "lost files": missing,
        "storage_audit exit": code,
    }


def clients_run(clients: list[Client], duration: float) -> float:
    """Runs every client in its own thread for ``duration`` seconds; returns the time taken."""
    start = time.monotonic()
    deadline = start + duration
    threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start


@dataclass
class Run:
    """What one load run gives to the report."""

    label: str
    clients: list[Client]
    elapsed: float
    audit: dict[str, int]
    watch: RenderWatch
    monitor: StackMonitor | None = None
    drain_seconds: float = 0.0


def local_run(
    args: argparse.Namespace, work: Path, uploads: list, duration: float, count: int
) -> Run:
    """The load against a gunicorn started here, on its own database and media root."""
    kind, workers = database_kind(args.db), args.workers
    print(machine_line() + f", database {kind}")
    var_dir = var_dir_fresh(work, "load-var")
    watch = RenderWatch()
    with database(kind, work, "load") as url:
        env = django_env(var_dir, url)
        migrate(env)
        with gunicorn(env, workers=workers, log_dir=work, name="load") as server:
            clients = [
                Client(i, account_token(server.port, f"load{i}"), uploads, server.port, watch)
                for i in range(count)
            ]
            elapsed = clients_run(clients, duration)
        audit = storage_audit(env, clients)
        from django.db import connections

        connections.close_all()
    return Run(f"{kind}, {workers} gunicorn workers", clients, elapsed, audit, watch)


def stack_run(url: str, work: Path, uploads: list, duration: float, count: int) -> Run:
    """The load against the stack; waits for its queue to drain, audits, then cleans up."""
    env = {
        **stack_env(),
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
        raise SystemExit(f"--url must be http://127.0.0.1:PORT (the stack on this machine): {url}")
    port = parts.port
    with stack_up(port, work):
        print(machine_line() + f", the stack at {url}")
        django_setup(env)
        from django.db import connections

        from images.models import Image

        watch = RenderWatch()
        run_id = secrets.token_hex(3)
        usernames = [f"load-{run_id}-{i}" for i in range(count)]
        try:
            clients = [
                Client(i, account_token(port, name), uploads, port, watch)
                for i, name in enumerate(usernames)
            ]
            monitor = StackMonitor(watch, env["CELERY_BROKER_URL"])
            monitor.start()
            try:
                elapsed = clients_run(clients, duration)
                # The load is over when every render it asked for has ended.
                drain_start = time.monotonic()
                pending = Image.objects.filter(
                    owner__username__in=usernames, status=Image.Status.PENDING
                )
                while time.monotonic() - drain_start < DRAIN_TIMEOUT:
                    if monitor.depth() == 0 and not pending.exists():
                        break
                    time.sleep(0.2)
                drain_seconds = time.monotonic() - drain_start
                time.sleep(RENDER_POLL_SECONDS * 2)  # the monitor's last look at the renders
            finally:
                monitor.stop()
            audit = stack_audit(env, clients, usernames)
        finally:
            accounts_delete(usernames)
            connections.close_all()
    label = "the stack: deploy/gunicorn.conf.py, Celery, PostgreSQL, Redis, SeaweedFS S3"
    return Run(label, clients, elapsed, audit, watch, monitor, drain_seconds)


def accounts_delete(usernames: list[str]) -> None:
    """Deletes the load's accounts on the stack, with their images and files."""
    from users.models import User
    from users.services import user_delete

    for user in User.objects.filter(username__in=usernames):
        user_delete(user=user)


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        __doc__.splitlines()[0],
        argv,
        duration={"type": float, "help": "seconds of load (60; smoke 4)"},
        clients={"type": int, "help": "concurrent clients (6; smoke 3)"},
        workers={"type": int, "default": 2, "help": "gunicorn workers (2; not with --stack)"},
        stack={"action": "store_true", "help": "against the stack (make stack) on --url"},
        url={"help": "the stack's address (http://127.0.0.1:8000, or $PORT)"},
    )
    duration = args.duration or (4.0 if args.smoke else 60.0)
    client_count = args.clients or (3 if args.smoke else 6)
    sizes = SMOKE if args.smoke else FULL
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        # Mostly everyday photos, some with transparency, now and then a full 12 MP one.
        medium = ("photo.jpg", inputs.medium_jpeg.read_bytes())
        alpha = ("cutout.png", inputs.alpha_png.read_bytes())
        big = ("big.jpg", inputs.photo_jpeg.read_bytes())
        uploads = [medium] * 6 + [alpha] * 3 + [big]
        if args.stack:
            url = args.url or f"http://127.0.0.1:{stack_port()}"
            run = stack_run(url, work, uploads, duration, client_count)
        else:
            run = local_run(args, work, uploads, duration, client_count)
        figures, passed = report(run, duration)
        print(figures_table(figures, f"load ({run.label})"))
        print("PASS" if passed else "FAIL")
        figures_write(args.json, figures)
    return 0 if passed or args.smoke else 1


def report(run: Run, duration: float) -> tuple[list[Figure], bool]:
    """Prints the run's requests, latencies and audit; returns its figures and the verdict."""
    outcomes = [o for c in run.clients for o in c.outcomes]
    statuses = Counter(o.status for o in outcomes)
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    failed = statuses.get(0, 0)
    unexpected = sum(n for s, n in statuses.items() if s not in (0, *EXPECTED))
    count, elapsed = len(run.clients), run.elapsed
    print(
        f"\n{len(outcomes)} requests in {elapsed:.1f} s from {count} clients, "
        f"{run.label}: {len(outcomes) / elapsed:.1f} req/s, {latency_line(outcomes)}"
    )
    for operation in OPERATIONS:
        subset = [o for o in outcomes if o.operation == operation]
        if subset:
            codes = dict(sorted(Counter(o.status for o in subset).items()))
            print(f"  {operation:9} {len(subset):5} requests, {latency_line(subset)}, {codes}")
    for error in sorted({o.error for o in outcomes if o.error})[:5]:
        print(f"  connection error: {error}")
    watch = run.watch
    ready = [s * 1000 for s in watch.ready_seconds]
    ready_line = (
        f"p50 {percentile(ready, 0.5):.0f} ms, p95 {percentile(ready, 0.95):.0f} ms "
        f"(n={len(ready)}; {watch.superseded} restyled or deleted first, {watch.failed} failed)"
        if ready
        else "no upload rendered"
    )
    print(f"  upload→ready: {ready_line}")
    print(f"  audit: {run.audit}")
    problems = {k: v for k, v in run.audit.items() if k not in ("files", "rows") and v != 0}
    passed = server_errors == 0 and failed == 0 and not problems and watch.failed == 0
    counts = dict(sorted(statuses.items()))
    figures = [
        Figure(
            name=f"load: {count} clients, {duration:g} s, mixed workload"
            + (" against the stack" if run.monitor else ""),
            value=len(outcomes) / elapsed,
            target="zero 5xx, failed, lost, orphaned",
            met=passed,
            detail=f"{latency_line(outcomes)}; statuses {counts}; "
            f"{unexpected} unexpected; audit {run.audit}",
            unit="req/s",
            decimals=1,
        )
    ]
    monitor = run.monitor
    if monitor is not None:
        depths = [d for at, d in monitor.depths if at <= elapsed]
        series = monitor.series(elapsed)
        print(
            f"  queue depth (LLEN {STACK_QUEUE}, every {QUEUE_SAMPLE_SECONDS:g} s): "
            f"{' '.join(str(d) for d in depths)}; drained {run.drain_seconds:.1f} s after"
        )
        figures.append(
            Figure(
                name="upload→ready p50 on the stack, under the load above",
                value=percentile(ready, 0.5) if ready else None,
                target="info",
                met=None,
                detail=ready_line,
                unit="ms",
                decimals=0,
            )
        )
        figures.append(
            Figure(
                name=f"render queue depth under the load (LLEN {STACK_QUEUE}, every "
                f"{QUEUE_SAMPLE_SECONDS:g} s), max",
                value=float(max(depths, default=0)),
                target="info",
                met=None,
                detail=f"mean {statistics.fmean(depths) if depths else 0:.1f}, n={len(depths)}; "
                f"max of each 5 s: {series}; drained {run.drain_seconds:.1f} s after the load",
                decimals=0,
            )
        )
    return figures, passed


if __name__ == "__main__":
    raise SystemExit(main())
