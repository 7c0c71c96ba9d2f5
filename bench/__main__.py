"""Runs every benchmark script and prints one table: ``make bench`` and ``make bench-smoke``.

Each script runs in its own process (each sets up Django, or not, its own way) over one
shared working directory, so the inputs are generated once. The full run exits 1 if any of
the app's targets is not met (``--report-only`` always exits 0); ``--smoke`` runs the same
scripts on tiny inputs, checks no target, and exits 0 if every script ran.

Run: ``python -m bench [--smoke] [--report-only] [--db sqlite|postgres] [--library-db NAME]``
(``--library-db``: ``library_bench``'s ``--keep-db``, the big library built once and reused).
"""

import subprocess
import time
from pathlib import Path

from bench.common import (
    PYTHON,
    ROOT,
    Figure,
    arguments,
    figures_read,
    figures_table,
    machine_line,
    workdir,
)

APP_SCRIPTS = [
    ("processing", ["bench.processing_bench"]),
    ("api", ["bench.api_bench"]),
    ("memory", ["bench.memory_bench"]),
    ("throughput", ["bench.throughput_bench"]),
    ("web", ["bench.web_bench"]),
    ("share", ["bench.share_bench"]),
    ("resumable", ["bench.resumable_bench"]),
    ("heif", ["bench.heif_bench"]),
    ("video", ["bench.video_bench"]),
    ("formats", ["bench.formats_bench"]),
    # Issue #22: builds 1,000,000 rows first (minutes) unless --library-db names a kept one.
    ("library", ["bench.library_bench"]),
]
SMOKE_ONLY = [("load", ["bench.load"])]


def run(name: str, module: list[str], work: Path, options: list[str]) -> list[Figure] | None:
    """Runs one script, its output streaming through; returns its figures (None if it failed)."""
    result = work / f"{name}.json"
    result.unlink(missing_ok=True)
    print(f"\n== {name}: python -m {' '.join(module)}", flush=True)
    start = time.monotonic()
    command = [PYTHON, "-m", *module, "--workdir", str(work), "--json", str(result), *options]
    completed = subprocess.run(command, cwd=ROOT)
    print(f"== {name}: {time.monotonic() - start:.0f} s, exit {completed.returncode}", flush=True)
    if completed.returncode != 0 and not result.exists():
        return None
    return figures_read(result)


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        __doc__.splitlines()[0],
        argv,
        report_only={"action": "store_true", "help": "exit 0 even if targets are not met"},
        library_db={"metavar": "NAME", "help": "library_bench's --keep-db (PostgreSQL)"},
    )
    options = ["--db", args.db] + (["--smoke"] if args.smoke else [])
    scripts = APP_SCRIPTS + (SMOKE_ONLY if args.smoke else [])
    start = time.monotonic()
    failed: list[str] = []
    skipped: list[str] = []
    app_figures: list[Figure] = []
    with workdir(args.workdir) as work:
        for name, module in scripts:
            keep = name == "library" and args.library_db and not args.smoke
            extra = ["--keep-db", args.library_db] if keep else []
            figures = run(name, module, work, options + extra)
            if figures is None:
                failed.append(name)
            elif not figures:  # it said why (the web benchmark without its dev tools)
                skipped.append(name)
            else:
                app_figures += figures
    print("\n" + machine_line())
    print(figures_table(app_figures, "Atelier benchmarks" + (" (smoke)" if args.smoke else "")))
    missed = [f.name for f in app_figures if f.met is False]
    print(f"\n{time.monotonic() - start:.0f} s in all.")
    if skipped:
        print(f"Skipped, missing what they need (see their output): {', '.join(skipped)}")
    if failed:
        print(f"Scripts that failed to run: {', '.join(failed)}")
        return 1
    if missed and not args.smoke:
        print(f"{len(missed)} target(s) not met:")
        for name in missed:
            print(f"  - {name}")
        return 0 if args.report_only else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
