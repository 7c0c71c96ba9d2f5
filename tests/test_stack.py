"""``make stack`` from this checkout: the production-shaped stack comes up, the README's curl
walk-through works against it with no file on the local disk, and Ctrl-C stops all of it.

Runs ``deploy/stack.py`` (what ``make stack`` runs) for real: SeaweedFS, a Celery worker and
beat, gunicorn, on the machine's PostgreSQL and Redis, in a database of its own.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.clients.test_readme import EXAMPLES, pointed_at, run_bash, walkthrough_script

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STACK_PORTS = (18333, 19333, 18888, 18081)
DATABASE = "atelier_stack_test"


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _drop_database() -> None:
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


@pytest.fixture
def stack(tmp_path):
    if shutil.which("curl") is None or not (Path(sys.executable).parent / "weed").exists():
        pytest.skip("the stack needs curl and SeaweedFS (weed) in the venv")
    if not all(_port_free(port) for port in STACK_PORTS):
        pytest.skip("another stack is running on this machine (SeaweedFS ports taken)")
    try:
        _drop_database()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    port = _free_port()
    media = tmp_path / "stack-media"
    media.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))},
        "PORT": str(port),
        "STACK_DIR": str(tmp_path / "stack"),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "DJANGO_MEDIA_ROOT": str(media),
        "CACHE_URL": "redis://127.0.0.1:6379/11",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
        "WORKER_CONCURRENCY": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "deploy/stack.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if line.startswith("stack: serving"):
            break
    else:
        process.kill()
    if not any(line.startswith("stack: serving") for line in output):
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the stack did not come up:\n" + "".join(output[-60:]))
    try:
        yield f"http://127.0.0.1:{port}", media, process, env
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _drop_database()


def test_the_walkthrough_runs_against_the_stack_and_ctrl_c_stops_it(stack, tmp_path):
    base_url, media, process, env = stack
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work / "examples", ignore=shutil.ignore_patterns("*.py"))

    result = run_bash(pointed_at(walkthrough_script(), base_url), work)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (work / "thumb.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert (work / "original.jpg").read_bytes() == (EXAMPLES / "harbour.jpg").read_bytes()
    # Files live on S3: nothing was ever written under the local media root.
    assert [p for p in media.rglob("*")] == []
    # And S3 holds exactly what the rows point to (the walk-through deleted its image).
    stack_env = {**env}
    for line in (ROOT / "deploy" / "stack.env").read_text().splitlines():
        name, _, value = line.partition("=")
        if value and not line.startswith("#"):
            stack_env.setdefault(name.strip(), value.strip())
    audit = subprocess.run(
        [sys.executable, "manage.py", "storage_audit"],
        cwd=ROOT,
        env=stack_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) is not None
    time.sleep(1)
    survivors = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "stack")], capture_output=True, text=True, check=False
    ).stdout.split()
    assert survivors == [], f"processes left running: {survivors}"
