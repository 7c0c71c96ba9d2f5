"""The benchmarks run in a checkout set up by ``make run`` (runtime requirements only).

``make bench`` and ``make bench-smoke`` failed there (#18): the web benchmark imported httpx,
which only the dev requirements install, so the whole run stopped. The web benchmark also needs
Playwright and Chromium; where any is missing it says which and how to get it, and is skipped.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# As in a runtime-only checkout: importing a dev-only package fails.
WITHOUT_DEV_PACKAGES = """
import sys
for name in ("httpx", "playwright", "playwright.sync_api"):
    sys.modules[name] = None  # makes `import name` raise ImportError
from bench.web_bench import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_the_web_benchmark_is_skipped_saying_why_without_the_dev_packages(tmp_path):
    figures = tmp_path / "web.json"
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_PACKAGES, "--smoke", "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stderr
    assert "httpx" in result.stderr and "playwright" in result.stderr
    assert "requirements-dev.txt" in result.stderr
    assert json.loads(figures.read_text()) == []
