"""The scale-out figures (issue #12): the stack's upload answer, renders/s by worker count, load.

Against the production-shaped stack (``make stack``: gunicorn with ``deploy/gunicorn.conf.py``,
PostgreSQL, Redis, SeaweedFS S3, Celery), the one running on ``--url`` or, if nothing answers
there, one started here with the upload and registration throttles raised (as on every bench
server) and stopped afterwards.

* Upload answer time, 12 MP JPEG, style ``sepia``: the stack (the render queued for its
  worker) / a second gunicorn started here with the same configuration file, database, S3
  bucket and cache but no broker, so the render runs in the request (the in-process path of
  ``make run``). Only where the render runs differs. After each stack upload the harness
  waits for its render to end before the next request, so the worker never renders while the
  other server's upload is being timed; that wait gives upload→ready, reported beside it.
* Renders/s, 2 Celery worker processes / 1, on the stack's Redis broker and S3: two worker
  nodes started here (``--concurrency 2`` and ``1``), each on a queue of its own, take turns
  with the bare-Pillow 2-process / 1-process ceiling of ``throughput_bench``. Each burst's
  images are uploaded first through the upload service (original on S3, row ``pending``) with
  their jobs held back; the timed part is from sending every job to the last render ending.
  The figure is the workers' ratio over the ceiling's (target ≥ 0.95). Beside it, to say why:
  how many of the machine's CPUs were busy (anyone's work) during the bursts, and the CPU a
  render costs in the worker and in SeaweedFS, which shares the machine's CPUs.
* ``python -m bench.load --stack``: the 60 s mixed load, the queue's depth and upload→ready.

Everything it creates on the stack (accounts, images, files) is deleted afterwards.

Run: ``python -m bench.stack_bench [--smoke] [--report-only] [--skip-load] [--url URL]``.
"""

import contextlib
import os
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from bench.common import (
    BENCH_PASSWORD,
    BENCH_THROTTLES,
    PYTHON,
    ROOT,
    STACK_S3_PORT,
    Comparison,
    Figure,
    account_token,
    arguments,
    at_most,
    child_pids,
    django_setup,
    figures_read,
    figures_table,
    figures_write,
    gunicorn,
    interleave,
    machine_line,
    request,
    stack_env,
    stack_port,
    stack_up,
    upload_body,
)
from bench.common import workdir as workdir_context
from bench.inputs import FULL, SMOKE, inputs_ensure
from bench.throughput_bench import bare_burst, rotate

STYLE = "sepia"
UPLOAD_LIMIT = 0.4
SCALING_SHARE = 0.95
RENDER_WAIT_SECONDS = 180.0
POLL_SECONDS = 0.01


# --- figure 1: the upload's answer ------------------------------------------------------------


def render_wait(image_id: str) -> str:
    """Polls the database until the image's render has ended; returns its status."""
    from images.models import Image

    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        status = Image.objects.filter(pk=image_id).values_list("status", flat=True).first()
        if status != Image.Status.PENDING:
            return str(status)
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"image {image_id} still pending after {RENDER_WAIT_SECONDS:g} s")


def upload_sampler(
    port: int, token: str, body: bytes, content_type: str, *, queued: bool, ready: list[float]
) -> Callable[[], float]:
    """A sampler: one upload's answer time. ``queued``: the stack, which answers ``pending``;
    the harness then waits for the render to end (appending upload→ready to ``ready``)."""

    def sample() -> float:
        start = time.perf_counter()
        reply = request(
            port, "POST", "/api/v1/images/", token=token, body=body, content_type=content_type
        )
        answered = time.perf_counter() - start
        if reply.status != 201:
            raise RuntimeError(f"upload answered {reply.status}: {reply.body[:200]!r}")
        image = reply.json()
        expected = "pending" if queued else "ready"
        if image["status"] != expected:
            raise RuntimeError(f"upload answered {image['status']!r}, expected {expected!r}")
        if queued:
            if (status := render_wait(image["id"])) != "ready":
                raise RuntimeError(f"render of {image['id']} ended {status!r}")
            ready.append(time.perf_counter() - start)
        return answered

    return sample


def upload_figures(
    stack: int, env: dict[str, str], photo: bytes, work: Path, runs: int, smoke: bool
) -> list[Figure]:
    """The stack's upload answer against the in-process render's, and upload→ready."""
    inprocess_env = {
        **env,
        **BENCH_THROTTLES,
        "CELERY_BROKER_URL": "",
        # The stack's processes write their metrics to files; so does this one.
        "PROMETHEUS_MULTIPROC_DIR": str(fresh_dir(work / "metrics-inprocess")),
    }
    body, content_type = upload_body(photo, "photo.jpg", STYLE)
    username = f"bench-stack-{secrets.token_hex(3)}"
    ready: list[float] = []
    try:
        with gunicorn(
            inprocess_env,
            workers=2,
            log_dir=work,
            name="inprocess",
            config=ROOT / "deploy" / "gunicorn.conf.py",
        ) as inprocess:
            token = account_token(stack, username)  # the same database: valid on both
            comparison = interleave(
                upload_sampler(stack, token, body, content_type, queued=True, ready=ready),
                upload_sampler(inprocess.port, token, body, content_type, queued=False, ready=[]),
                runs=runs,
            )
    finally:
        accounts_delete([username])
    ready = ready[-len(comparison.a) :]  # without the warm-up
    end_to_end = Comparison(ready, comparison.b)
    return [
        Figure(
            name="upload answer, 12 MP JPEG, style sepia: the stack (render queued) / the same "
            "gunicorn, PostgreSQL and S3 rendering in the request",
            value=comparison.ratio,
            target=f"≤ {UPLOAD_LIMIT:g}",
            met=None if smoke else at_most(comparison.ratio, UPLOAD_LIMIT),
            detail=comparison.detail(),
        ),
        Figure(
            name="upload→ready on the stack (idle worker) / the in-process upload's answer",
            value=end_to_end.ratio,
            target="info",
            met=None,
            detail=end_to_end.detail() + "; A adds the queue's hop and the worker's read of "
            "the original back from S3",
        ),
    ]


# --- figure 2: renders per second by worker count ---------------------------------------------


def machine_jiffies() -> tuple[int, int]:
    """The whole machine's busy and total CPU time so far (``/proc/stat``), in clock ticks."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


@dataclass
class BusyCpus:
    """How many of the machine's CPUs were busy (anyone's work) during some timed parts."""

    busy: int = 0
    total: int = 0

    def add(self, before: tuple[int, int], after: tuple[int, int]) -> None:
        self.busy += after[0] - before[0]
        self.total += after[1] - before[1]

    def shown(self) -> str:
        cpus = len(os.sched_getaffinity(0))
        return f"{self.busy / max(1, self.total) * cpus:.1f}"

    def around(self, sampler: Callable[[], float]) -> Callable[[], float]:
        def sample() -> float:
            before = machine_jiffies()
            result = sampler()
            self.add(before, machine_jiffies())
            return result

        return sample


@dataclass
class Node:
    """A Celery worker node started here: its queue, its main process, and the CPU its
    processes and the S3 server spent on its renders."""

    queue: str
    pid: int
    cpu: dict[str, float] = field(default_factory=lambda: {"worker": 0.0, "s3": 0.0})
    renders: int = 0
    machine: BusyCpus = field(default_factory=BusyCpus)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds so far of the node's processes and of SeaweedFS (user + system)."""
        return {
            "worker": cpu_seconds([self.pid, *child_pids(self.pid)]),
            "s3": cpu_seconds(seaweedfs_pids()),
        }

    def per_render(self) -> str:
        worker, s3 = (self.cpu[k] / max(1, self.renders) * 1000 for k in ("worker", "s3"))
        return f"{worker:.0f} ms in the worker + {s3:.0f} ms in SeaweedFS"


def cpu_seconds(pids: list[int]) -> float:
    """The CPU seconds (user + system) the processes ``pids`` have used so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def seaweedfs_pids() -> list[int]:
    """The stack's SeaweedFS (its S3 port is fixed in deploy/supervisord.conf)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if f"-s3.port={STACK_S3_PORT}".encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
    return pids


@contextlib.contextmanager
def celery_worker(concurrency: int, env: dict[str, str], work: Path) -> Iterator[Node]:
    """A Celery worker node as the stack runs one, on a queue of its own."""
    from project.celery import app

    # One fixed queue name per size (an empty Redis list is no key; its binding stays, once).
    queue = f"bench-renders-{concurrency}"
    node = f"{queue}-{os.getpid()}@{socket.gethostname()}"
    log = work / f"{queue}.log"
    worker_env = {
        **os.environ,
        **env,
        "PROMETHEUS_MULTIPROC_DIR": str(fresh_dir(work / f"metrics-{queue}")),
    }
    command = [PYTHON, "-m", "celery", "-A", "project", "worker", f"--concurrency={concurrency}"]
    command += ["--queues", queue, f"--hostname={node}", "--loglevel=INFO"]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=worker_env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {node} did not start; see {log}")
        yield Node(queue, process.pid)
    finally:
        process.terminate()  # a warm shutdown: it finishes the job in hand
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pending_images(owner: Any, photo: bytes, count: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """``count`` uploads through the upload service, their render jobs held back.

    Each leaves what an upload leaves on the stack (its original on S3, its row ``pending``);
    returns the (image, render token) pairs that the jobs would have carried.
    """
    from django.core.files.uploadedfile import SimpleUploadedFile

    from images import lifecycle, rendering

    held: list[tuple[uuid.UUID, uuid.UUID]] = []

    def hold(*, image_id: uuid.UUID, token: uuid.UUID) -> None:
        held.append((image_id, token))

    with mock.patch.object(rendering, "render_dispatch", hold):
        for _ in range(count):
            upload = SimpleUploadedFile("photo.jpg", photo, "image/jpeg")
            lifecycle.image_create(owner=owner, upload=upload, style=STYLE)
    return held


def render_burst(owner: Any, photo: bytes, node: Node, renders: int) -> Callable[[], float]:
    """A sampler: ``renders`` jobs sent to ``queue`` at once; returns renders/s to the last."""
    from images import lifecycle
    from images.models import Image
    from images.tasks import image_render

    def sample() -> float:
        jobs = pending_images(owner, photo, renders)
        ids = [image_id for image_id, _ in jobs]
        waiting = Image.objects.filter(pk__in=ids, status=Image.Status.PENDING)
        cpu_before, machine_before = node.cpu_seconds(), machine_jiffies()
        start = time.perf_counter()
        for image_id, token in jobs:
            image_render.apply_async(
                args=[str(image_id), str(token)], queue=node.queue, retry=False
            )
        deadline = time.monotonic() + RENDER_WAIT_SECONDS
        while waiting.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"renders on {node.queue} still pending after the deadline")
            time.sleep(POLL_SECONDS)
        elapsed = time.perf_counter() - start
        node.machine.add(machine_before, machine_jiffies())
        for kind, seconds in node.cpu_seconds().items():
            node.cpu[kind] += seconds - cpu_before[kind]
        node.renders += renders
        statuses = set(Image.objects.filter(pk__in=ids).values_list("status", flat=True))
        if statuses != {Image.Status.READY}:
            raise RuntimeError(f"renders on {node.queue} ended {statuses}")
        for image_id in ids:  # keeps the bucket as small as it was
            lifecycle.image_delete(owner=owner, image_id=image_id)
        return renders / elapsed

    return sample


def render_figures(
    env: dict[str, str],
    photo: bytes,
    photo_path: Path,
    work: Path,
    sizes: tuple[int, int],
    smoke: bool,
) -> list[Figure]:
    """Renders/s of 2 worker processes over 1, against the bare-Pillow ceiling."""
    from users.services import user_create

    renders, runs = sizes
    username = f"bench-render-{secrets.token_hex(3)}"
    owner = user_create(username=username, email=f"{username}@example.com", password=BENCH_PASSWORD)
    bare_two, bare_one = BusyCpus(), BusyCpus()
    try:
        with (
            celery_worker(2, env, work) as two,
            celery_worker(1, env, work) as one,
            ProcessPoolExecutor(max_workers=2) as two_processes,
            ProcessPoolExecutor(max_workers=1) as one_process,
        ):
            # Workers and bare processes take turns, so the ceiling is measured in the same
            # moments (and under the same neighbours) as the workers.
            a, b, c, d = rotate(
                [
                    render_burst(owner, photo, two, renders),
                    render_burst(owner, photo, one, renders),
                    bare_two.around(
                        bare_burst(two_processes, photo_path, work / "bare-2", renders)
                    ),
                    bare_one.around(bare_burst(one_process, photo_path, work / "bare-1", renders)),
                ],
                runs,
            )
    finally:
        accounts_delete([username])
    workers, ceiling = Comparison(a, b), Comparison(c, d)
    share = workers.ratio / ceiling.ratio
    return [
        Figure(
            name=f"renders/s, 2 Celery worker processes / 1 (Redis broker, S3; bursts of "
            f"{renders}), over the hardware ceiling below",
            value=share,
            target=f"≥ {SCALING_SHARE:g}",
            met=None if smoke else round(share, 3) >= SCALING_SHARE,
            detail=f"workers 2/1 = {workers.ratio:.2f}: A {workers.median_a:.2f}/s / "
            f"B {workers.median_b:.2f}/s, n={len(a)}, {workers.spread()}",
        ),
        Figure(
            name="hardware ceiling: bare Pillow upload work, 2 processes / 1 (no server), in "
            "turn with the workers",
            value=ceiling.ratio,
            target="info",
            met=None,
            detail=f"A {ceiling.median_a:.2f}/s / B {ceiling.median_b:.2f}/s, n={len(c)}, "
            f"{ceiling.spread()}",
        ),
        Figure(
            name="busy CPUs of the machine (anyone's work, /proc/stat) during the 1-process "
            "ceiling bursts",
            value=float(bare_one.shown()),
            target="info",
            met=None,
            detail=f"of {len(os.sched_getaffinity(0))}; during the bursts of 2 bare processes "
            f"{bare_two.shown()}, of 2 workers {two.machine.shown()}, of 1 worker "
            f"{one.machine.shown()}; in the 1-process bursts this run keeps one CPU busy, "
            "so what is above 1 there is other load",
            decimals=1,
        ),
        Figure(
            name="CPU per render, 1 worker process (its processes + SeaweedFS, user + system), "
            "where bare Pillow needs none for S3",
            value=(one.cpu["worker"] + one.cpu["s3"]) / max(1, one.renders) * 1000,
            target="info",
            met=None,
            detail=f"1 worker: {one.per_render()}; 2 workers: {two.per_render()}; "
            f"bare Pillow 1 process: {1000 / ceiling.median_b:.0f} ms wall per upload",
            unit="ms",
            decimals=0,
        ),
    ]


# --- the run ----------------------------------------------------------------------------------


def fresh_dir(path: Path) -> Path:
    """``path``, created or emptied (a metrics folder must not hold an earlier run's files)."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        child.unlink()
    return path


def accounts_delete(usernames: list[str]) -> None:
    """Deletes the bench's accounts on the stack, with their images and files."""
    from users.models import User
    from users.services import user_delete

    for user in User.objects.filter(username__in=usernames):
        user_delete(user=user)


def load_figures(url: str, work: Path, smoke: bool) -> list[Figure]:
    """``python -m bench.load --stack`` in its own process; its figures."""
    result = work / "load-stack.json"
    result.unlink(missing_ok=True)
    command = [PYTHON, "-m", "bench.load", "--stack", "--url", url, "--workdir", str(work)]
    command += ["--json", str(result)] + (["--smoke"] if smoke else [])
    print(f"\n== load: {' '.join(command[1:])}", flush=True)
    subprocess.run(command, cwd=ROOT, check=False)
    if not result.exists():
        return [Figure("load against the stack", None, "runs", False, "did not finish")]
    return figures_read(result)


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        __doc__.splitlines()[0],
        argv,
        url={"help": "the stack's address (http://127.0.0.1:8000, or $PORT)"},
        skip_load={"action": "store_true", "help": "only the upload and render figures"},
        report_only={"action": "store_true", "help": "exit 0 even if targets are not met"},
    )
    url = args.url or f"http://127.0.0.1:{stack_port()}"
    port = urlsplit(url).port or 80
    sizes = SMOKE if args.smoke else FULL
    env = stack_env()
    start = time.monotonic()
    with workdir_context(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        photo = inputs.photo_jpeg.read_bytes()
        with stack_up(port, work) as how:
            print(machine_line() + f"; the stack at {url} ({how})", flush=True)
            django_setup(
                {**env, "DJANGO_SETTINGS_MODULE": "project.settings", "DJANGO_LOG_LEVEL": "WARNING"}
            )
            figures = upload_figures(port, env, photo, work, 3 if args.smoke else 15, args.smoke)
            print(figures_table(figures, "upload answer"), flush=True)
            render_sizes = (2, 2) if args.smoke else (12, 7)
            figures += render_figures(env, photo, inputs.photo_jpeg, work, render_sizes, args.smoke)
            print(figures_table(figures[2:], "renders per second"), flush=True)
            from django.db import connections

            connections.close_all()
            if not args.skip_load:
                figures += load_figures(url, work, args.smoke)
    print("\n" + machine_line())
    print(
        figures_table(figures, "Atelier at scale: the stack" + (" (smoke)" if args.smoke else ""))
    )
    print(f"\n{time.monotonic() - start:.0f} s in all.")
    figures_write(args.json, figures)
    missed = [f.name for f in figures if f.met is False]
    if missed and not args.smoke:
        print(f"{len(missed)} target(s) not met:")
        for name in missed:
            print(f"  - {name}")
        return 0 if args.report_only else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
