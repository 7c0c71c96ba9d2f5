"""A bounded mixed workload against gunicorn for a fixed time; passes only if nothing is lost.

Several clients, each a registered account with its own token, loop over list, upload,
thumbnail, restyle and delete against gunicorn (2 sync workers) on loopback, for 60 seconds.
Each client keeps its own gallery between 1 and a small bound, so the run is bounded in disk
and in work. It reports requests/s, p50/p95/p99 latency overall and per operation, and every
status; then, with the server stopped, it audits storage against the database.

It passes only with no 5xx answer, no failed connection, no lost or orphaned file (the files
under the media root are exactly the ``original_key``/``processed_key``/``thumbnail_key`` the
``Image`` rows reference, and every referenced file exists), and no lost or stray row (the
rows are exactly the images the clients were told they have).

Run: ``python -m bench.load [--duration 60] [--clients 6] [--workers 2] [--db sqlite|postgres]``.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
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
        reply = request(
            self.port,
            "POST",
            "/api/v1/images/",
            token=self.token,
            body=body,
            content_type=content_type,
        )
        if reply.status == 201:
            self.images.append(reply.json()["id"])
        return reply.status

    def thumbnail(self) -> int:
        image = self.rng.choice(self.images)
        path = f"/api/v1/images/{image}/thumbnail/"
        return request(self.port, "GET", path, token=self.token).status

    def restyle(self) -> int:
        image = self.rng.choice(self.images)
        path = f"/api/v1/images/{image}/"
        style = self.rng.choice(STYLES)
        return request_json(self.port, "PATCH", path, {"style": style}, token=self.token).status

    def delete(self) -> int:
        image = self.rng.choice(self.images)
        status = request(self.port, "DELETE", f"/api/v1/images/{image}/", token=self.token).status
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
    for pk, *keys in Image.objects.values_list(
        "pk", "original_key", "processed_key", "thumbnail_key"
    ):
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


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        __doc__.splitlines()[0],
        argv,
        duration={"type": float, "help": "seconds of load (60; smoke 4)"},
        clients={"type": int, "help": "concurrent clients (6; smoke 3)"},
        workers={"type": int, "default": 2, "help": "gunicorn workers (2)"},
    )
    duration = args.duration or (4.0 if args.smoke else 60.0)
    client_count = args.clients or (3 if args.smoke else 6)
    sizes = SMOKE if args.smoke else FULL
    kind = database_kind(args.db)
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        print(machine_line() + f", database {kind}")
        # Mostly everyday photos, some with transparency, now and then a full 12 MP one.
        medium = ("photo.jpg", inputs.medium_jpeg.read_bytes())
        alpha = ("cutout.png", inputs.alpha_png.read_bytes())
        big = ("big.jpg", inputs.photo_jpeg.read_bytes())
        uploads = [medium] * 6 + [alpha] * 3 + [big]
        var_dir = var_dir_fresh(work, "load-var")
        with database(kind, work, "load") as url:
            env = django_env(var_dir, url)
            migrate(env)
            with gunicorn(env, workers=args.workers, log_dir=work, name="load") as server:
                clients = [
                    Client(i, account_token(server.port, f"load{i}"), uploads, server.port)
                    for i in range(client_count)
                ]
                start = time.monotonic()
                deadline = start + duration
                threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                elapsed = time.monotonic() - start
            audit = storage_audit(env, clients)
            from django.db import connections

            connections.close_all()
        outcomes = [o for c in clients for o in c.outcomes]
        statuses = Counter(o.status for o in outcomes)
        server_errors = sum(n for status, n in statuses.items() if status >= 500)
        failed = statuses.get(0, 0)
        unexpected = sum(n for s, n in statuses.items() if s not in (0, 200, 201, 204))
        print(
            f"\n{len(outcomes)} requests in {elapsed:.1f} s from {client_count} clients, "
            f"{args.workers} gunicorn workers: {len(outcomes) / elapsed:.1f} req/s, "
            f"{latency_line(outcomes)}"
        )
        for operation in OPERATIONS:
            subset = [o for o in outcomes if o.operation == operation]
            if subset:
                codes = dict(sorted(Counter(o.status for o in subset).items()))
                print(f"  {operation:9} {len(subset):5} requests, {latency_line(subset)}, {codes}")
        for error in sorted({o.error for o in outcomes if o.error})[:5]:
            print(f"  connection error: {error}")
        print(f"  storage audit: {audit}")
        passed = (
            server_errors == 0
            and failed == 0
            and audit["lost files"] == 0
            and audit["orphaned files"] == 0
            and audit["lost rows"] == 0
            and audit["stray rows"] == 0
        )
        counts = dict(sorted(statuses.items()))
        figures = [
            Figure(
                name=f"load: {client_count} clients, {duration:g} s, mixed workload",
                value=len(outcomes) / elapsed,
                target="zero 5xx, failed, lost, orphaned",
                met=passed,
                detail=f"{latency_line(outcomes)}; statuses {counts}; "
                f"{unexpected} non-2xx; audit {audit}",
                unit="req/s",
                decimals=1,
            )
        ]
        print(figures_table(figures, f"load ({kind})"))
        print("PASS" if passed else "FAIL")
        figures_write(args.json, figures)
    return 0 if passed or args.smoke else 1


if __name__ == "__main__":
    raise SystemExit(main())
