"""Upload throughput over real HTTP: gunicorn with 2 sync workers against 1, side by side.

Both servers run at once on loopback ports, over one database and media root, and take
turns: a burst of uploads (12 MP JPEG, ``sepia``) from several concurrent clients goes to the
2-worker server, then the same burst to the 1-worker server, and so on. The figure is
median(uploads/s with 2 workers) / median(uploads/s with 1); on a 2-CPU machine the second
worker should nearly double it (target ≥ 1.8), which needs the upload path to hold no
process-wide lock and the database to take parallel writers.

For scale it measures the same CPU work without any server: the bare Pillow upload script
in a pool of 2 processes against a pool of 1 (the most a second worker could give here).
It also checks that ``project.wsgi`` imports first in a fresh interpreter, as gunicorn
imports it (an import cycle once kept gunicorn's workers from booting while ``runserver``
and the tests, which import DRF's views earlier, never noticed).

Run: ``python -m bench.throughput_bench [--smoke] [--db sqlite|postgres]``.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from bench.api_bench import bare_upload
from bench.common import (
    PYTHON,
    ROOT,
    Comparison,
    Figure,
    Server,
    account_token,
    arguments,
    database,
    database_kind,
    django_env,
    figures_table,
    figures_write,
    gunicorn,
    machine_line,
    migrate,
    request,
    upload_body,
    var_dir_fresh,
    workdir,
)
from bench.inputs import FULL, SMOKE, inputs_ensure

SCALING_LIMIT = 1.8
STYLE = "sepia"


def entry_point_figure(env: dict[str, str]) -> Figure:
    """Whether ``project.wsgi`` imports first in a fresh interpreter, as gunicorn does it."""
    completed = subprocess.run(
        [PYTHON, "-c", "import project.wsgi"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    error = completed.stderr.strip().splitlines()[-1] if completed.returncode else ""
    return Figure(
        name="gunicorn can import project.wsgi:application first in a fresh process",
        value=None,
        target="boots",
        met=completed.returncode == 0,
        detail="ok" if not error else error[:300].replace("|", "/"),
    )


def burst(
    server: Server, token: str, body: bytes, content_type: str, uploads: int, clients: int
) -> Callable[[], float]:
    """A sampler: ``uploads`` uploads from ``clients`` concurrent clients; returns uploads/s."""

    def one(_: int) -> int:
        reply = request(
            server.port,
            "POST",
            "/api/v1/images/",
            token=token,
            body=body,
            content_type=content_type,
        )
        if reply.status != 201:
            raise RuntimeError(f"upload answered {reply.status}: {reply.body[:200]!r}")
        return reply.status

    def sample() -> float:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(one, range(uploads)))
        return uploads / (time.perf_counter() - start)

    return sample


def bare_work(photo: Path, out: Path) -> None:
    """One upload's image work in plain Pillow (a process-pool task)."""
    bare_upload(photo.read_bytes(), out)


def bare_burst(pool: ProcessPoolExecutor, photo: Path, out: Path, uploads: int) -> Callable:
    """A sampler: ``uploads`` bare-Pillow uploads spread over ``pool``; returns uploads/s."""

    def sample() -> float:
        start = time.perf_counter()
        list(pool.map(bare_work, [photo] * uploads, [out] * uploads))
        elapsed = time.perf_counter() - start
        shutil.rmtree(out, ignore_errors=True)
        return uploads / elapsed

    return sample


def rotate(samplers: list[Callable[[], float]], runs: int) -> list[list[float]]:
    """Samples each sampler in turn, ``runs`` rounds after one warm-up round."""
    for sampler in samplers:
        sampler()
    samples: list[list[float]] = [[] for _ in samplers]
    for _ in range(runs):
        for sampler, taken in zip(samplers, samples, strict=True):
            taken.append(sampler())
    return samples


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    sizes = SMOKE if args.smoke else FULL
    kind = database_kind(args.db)
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        print(machine_line() + f", database {kind}")
        var_dir = var_dir_fresh(work, "throughput-var")
        with database(kind, work, "throughput") as url:
            env = django_env(var_dir, url)
            migrate(env)
            figures = [entry_point_figure(env)]
            body, content_type = upload_body(inputs.photo_jpeg.read_bytes(), "photo.jpg", STYLE)
            uploads, runs, clients = (4, 2, 2) if args.smoke else (12, 7, 4)
            with (
                gunicorn(env, workers=2, log_dir=work, name="two-workers") as two,
                gunicorn(env, workers=1, log_dir=work, name="one-worker") as one,
                ProcessPoolExecutor(max_workers=2) as two_processes,
                ProcessPoolExecutor(max_workers=1) as one_process,
            ):
                token = account_token(two.port, "throughput")
                # Servers and bare processes take turns, so the ceiling is measured in the
                # same moments (and under the same neighbours) as the servers.
                a, b, c, d = rotate(
                    [
                        burst(two, token, body, content_type, uploads, clients),
                        burst(one, token, body, content_type, uploads, clients),
                        bare_burst(two_processes, inputs.photo_jpeg, work / "bare-2", uploads),
                        bare_burst(one_process, inputs.photo_jpeg, work / "bare-1", uploads),
                    ],
                    runs,
                )
            servers, ceiling = Comparison(a, b), Comparison(c, d)
            ratio = servers.ratio
            figures.append(
                Figure(
                    name=f"uploads/s with 2 gunicorn workers / with 1 ({clients} clients, "
                    f"bursts of {uploads})",
                    value=ratio,
                    target=f"≥ {SCALING_LIMIT:g}",
                    met=None if args.smoke else round(ratio, 3) >= SCALING_LIMIT,
                    detail=f"A {servers.median_a:.2f}/s / B {servers.median_b:.2f}/s, "
                    f"n={len(a)}, {servers.spread()}; "
                    f"{ratio / ceiling.ratio:.0%} of the hardware ceiling below",
                )
            )
            figures.append(
                Figure(
                    name="hardware ceiling: bare Pillow upload work, 2 processes / 1 (no "
                    "server), in turn with the above",
                    value=ceiling.ratio,
                    target="info",
                    met=None,
                    detail=f"A {ceiling.median_a:.2f}/s / B {ceiling.median_b:.2f}/s, "
                    f"n={len(c)}, {ceiling.spread()}",
                )
            )
        print(figures_table(figures, f"throughput over HTTP ({kind})"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
