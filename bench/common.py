"""Shared benchmark machinery: interleaved timing, figures and their table, throwaway servers.

Every ratio here is measured side by side in one run: A and B alternate (A, B, A, B, ...)
after a warm-up of each, and the figure is median(A) / median(B). On a small, noisy machine
that cancels most of the drift that separate runs would put between the two.

Nothing here touches ``var/``: each run gets a temporary directory with its own media root
and database (an SQLite file, or a fresh PostgreSQL database that is dropped afterwards).
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_PASSWORD = "bench-pass-phrase-" + "7" * 8


# --- figures and tables ----------------------------------------------------------------------


@dataclass
class Figure:
    """One line of a result table: what was measured, against which target, and whether met."""

    name: str
    value: float | None
    target: str
    met: bool | None
    detail: str = ""
    unit: str = ""
    decimals: int = 2

    def shown_value(self) -> str:
        if self.value is None:
            return "n/a"
        number = f"{self.value:.{self.decimals}f}"
        return f"{number} {self.unit}" if self.unit else number

    def verdict(self) -> str:
        if self.met is None:
            return "info"
        return "met" if self.met else "NOT MET"


def figures_table(figures: list[Figure], title: str = "") -> str:
    """A Markdown table of figures, ready for the terminal and for RESULTS.md."""
    lines = [f"### {title}", ""] if title else []
    lines.append("| figure | measured | target | result | detail |")
    lines.append("| --- | --- | --- | --- | --- |")
    for figure in figures:
        lines.append(
            f"| {figure.name} | {figure.shown_value()} | {figure.target} | "
            f"{figure.verdict()} | {figure.detail} |"
        )
    return "\n".join(lines)


def figures_write(path: Path | None, figures: list[Figure]) -> None:
    """Saves figures as JSON for the runner that collects every script's table."""
    if path is not None:
        path.write_text(json.dumps([asdict(f) for f in figures], indent=2))


def figures_read(path: Path) -> list[Figure]:
    return [Figure(**item) for item in json.loads(path.read_text())]


def at_most(value: float, limit: float) -> bool:
    # Three decimals: a ratio printed as 1.25 against "≤ 1.25" must not fail on the fourth.
    return round(value, 3) <= limit


# --- interleaved measurement ------------------------------------------------------------------


@dataclass
class Comparison:
    """Samples of A and B taken alternately; ``ratio`` is median(A) / median(B)."""

    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)

    @property
    def median_a(self) -> float:
        return statistics.median(self.a)

    @property
    def median_b(self) -> float:
        return statistics.median(self.b)

    @property
    def ratio(self) -> float:
        return self.median_a / self.median_b

    def spread(self) -> str:
        """The range of the per-pair ratios: how much the noise moved each single pair."""
        pairs = [a / b for a, b in zip(self.a, self.b, strict=True) if b]
        return f"pairs {min(pairs):.2f}–{max(pairs):.2f}"

    def detail(self, unit: str = "ms", scale: float = 1000.0) -> str:
        return (
            f"A {self.median_a * scale:.1f} {unit} / B {self.median_b * scale:.1f} {unit}, "
            f"n={len(self.a)}, {self.spread()}"
        )

    def ratio_at(self, fraction: float) -> float:
        """percentile(A) / percentile(B) at ``fraction`` (0.95: the p95 ratio)."""
        return percentile(self.a, fraction) / percentile(self.b, fraction)

    def detail_at(self, fraction: float, unit: str = "ms", scale: float = 1000.0) -> str:
        label = f"p{round(fraction * 100)}"
        return (
            f"{label} A {percentile(self.a, fraction) * scale:.1f} {unit} / "
            f"B {percentile(self.b, fraction) * scale:.1f} {unit}; p50 "
            f"{self.median_a * scale:.1f} / {self.median_b * scale:.1f} ({self.ratio:.2f}), "
            f"n={len(self.a)}, {self.spread()}"
        )


def timed(work: Callable[[], object]) -> Callable[[], float]:
    """A sampler that runs ``work`` once and returns the wall-clock seconds it took."""

    def sample() -> float:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start

    return sample


def interleave(
    sample_a: Callable[[], float],
    sample_b: Callable[[], float],
    *,
    runs: int,
    warmup: int = 1,
) -> Comparison:
    """Takes ``runs`` samples of A and of B as A, B, A, B, ... after ``warmup`` of each."""
    for _ in range(warmup):
        sample_a()
        sample_b()
    comparison = Comparison()
    for _ in range(runs):
        comparison.a.append(sample_a())
        comparison.b.append(sample_b())
    return comparison


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- command line and machine -----------------------------------------------------------------


def arguments(description: str, argv: list[str] | None = None, **extra: Any) -> argparse.Namespace:
    """The options every script takes: ``--smoke``, ``--workdir``, ``--json``, ``--db``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, few runs, no targets")
    parser.add_argument("--workdir", type=Path, help="reuse this directory (inputs are cached)")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument(
        "--db",
        choices=["auto", "sqlite", "postgres"],
        default="auto",
        help="database for Django (auto: PostgreSQL if reachable, else SQLite)",
    )
    for name, options in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", **options)
    return parser.parse_args(argv)


@contextlib.contextmanager
def workdir(path: Path | None) -> Iterator[Path]:
    """The given directory, or a temporary one removed afterwards."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as tmp:
        yield Path(tmp)


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    from PIL import __version__ as pillow_version
    from PIL import features

    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        import django

        django_version = django.get_version()
    except ImportError:  # pragma: no cover - Django is a runtime requirement
        django_version = "?"
    return {
        "cpus": str(len(os.sched_getaffinity(0))),
        "cpu": model,
        "python": platform.python_version(),
        "pillow": pillow_version,
        "libjpeg-turbo": str(features.version("libjpeg_turbo")),
        "django": django_version,
    }


def machine_line() -> str:
    info = machine()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"machine: {info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"Pillow {info['pillow']} (libjpeg-turbo {info['libjpeg-turbo']}), "
        f"Django {info['django']}; load average {load}"
    )


# --- Django environment -------------------------------------------------------------------------


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


def database_kind(choice: str) -> str:
    if choice == "auto":
        return "postgres" if postgres_available() else "sqlite"
    return choice


@contextlib.contextmanager
def database(kind: str, directory: Path, label: str) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file in ``directory`` or a new PG database."""
    if kind == "sqlite":
        path = directory / f"{label}.sqlite3"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    import psycopg

    name = f"atelier_bench_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def var_dir_fresh(work: Path, name: str) -> Path:
    """An empty directory for one server's media and static files.

    Emptied first: files left by an earlier run in a reused workdir would count as orphans.
    """
    path = work / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def django_env(var_dir: Path, database_url: str, secret_key: str | None = None) -> dict[str, str]:
    """Environment for a benchmark Django: DEBUG off, its own media and database.

    DEBUG is off as in production (with DEBUG on, Django keeps every SQL statement it runs).
    Upload and registration throttles are raised so they measure the server, not the limit;
    the failed-login throttle is left alone (the benchmarks never fail a login).
    """
    media, static = var_dir / "media", var_dir / "static"
    media.mkdir(parents=True, exist_ok=True)
    static.mkdir(parents=True, exist_ok=True)
    return {
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_ENV": "local",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secret_key or "bench-" + secrets.token_hex(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_MEDIA_ROOT": str(media),
        "DJANGO_STATIC_ROOT": str(static),
        "DATABASE_URL": database_url,
        "DJANGO_LOG_LEVEL": "WARNING",
        "ATELIER_THROTTLE_UPLOAD": "100000/m",
        "ATELIER_THROTTLE_REGISTER": "100000/h",
        "JWT_ACCESS_TTL_SECONDS": "7200",
    }


def migrate(env: dict[str, str]) -> None:
    """Creates the schema in the database ``env`` names (a subprocess, so no state leaks)."""
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


def django_setup(env: dict[str, str]) -> None:
    """Sets the environment, then sets Django up in this process (settings read env once)."""
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def stored_files(media_root: Path) -> set[str]:
    """Every file under the media root, as storage names (the test suite's audit, shared)."""
    from images.files import stored_files as files_stored_files

    return files_stored_files(root=media_root)


# --- memory of a process ----------------------------------------------------------------------


def proc_status_kib(pid: int | str, key: str) -> int:
    """A ``VmRSS``/``VmHWM`` figure of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def peak_reset(pid: int | str = "self") -> None:
    """Resets the process's peak RSS (VmHWM) to its current RSS (Linux ``clear_refs`` 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


# --- HTTP against a real server ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    """An HTTP answer: status, headers and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
    timeout: float = 120.0,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One HTTP/1.1 request on a fresh loopback connection (``headers`` added to its own)."""
    headers = {"Host": f"127.0.0.1:{port}", "Connection": "close", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if content_type:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


def request_json(port: int, method: str, path: str, data: Any, token: str | None = None) -> Reply:
    return request(
        port, method, path, token=token, body=json.dumps(data).encode(), content_type=JSON
    )


JSON = "application/json"


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = "atelier-bench-" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, data, media_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'.encode()
        )
        parts.append(data)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_body(data: bytes, filename: str, style: str) -> tuple[bytes, str]:
    media_type = "image/png" if filename.endswith(".png") else "image/jpeg"
    return multipart({"style": style}, {"file": (filename, data, media_type)})


def account_token(port: int, username: str) -> str:
    """Registers ``username`` through the API and logs in; returns an access token."""
    reply = request_json(
        port,
        "POST",
        "/api/v1/auth/register/",
        {"username": username, "email": f"{username}@example.com", "password": BENCH_PASSWORD},
    )
    if reply.status != 201:
        raise RuntimeError(f"register {username}: {reply.status} {reply.body[:200]!r}")
    reply = request_json(
        port, "POST", "/api/v1/auth/token/", {"username": username, "password": BENCH_PASSWORD}
    )
    if reply.status != 200:
        raise RuntimeError(f"login {username}: {reply.status} {reply.body[:200]!r}")
    return reply.json()["access"]


@dataclass
class Server:
    """A running gunicorn: its port, master pid and log file."""

    port: int
    pid: int
    log: Path
    workers: int

    def worker_pids(self) -> list[int]:
        return child_pids(self.pid)


def child_pids(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name is in parentheses and may hold spaces; ppid follows it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                children.append(int(stat.parent.name))
    return sorted(children)


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int,
    log_dir: Path,
    name: str,
    app: str = "project.wsgi:application",
    config: Path | None = None,
) -> Iterator[Server]:
    """Serves the project with gunicorn on a free loopback port.

    Sync workers by default; with ``config`` (``deploy/gunicorn.conf.py``), that file's
    settings instead, with only the port and the number of workers set here.
    """
    port = free_port()
    log = log_dir / f"gunicorn-{name}.log"
    if config is None:
        options = ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        options += ["--worker-class", "sync", "--timeout", "180", "--graceful-timeout", "20"]
    else:
        # The config file reads its bind address and worker count from the environment.
        options = ["--config", str(config)]
        env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_WORKERS": str(workers)}
    command = [PYTHON, "-m", "gunicorn", *options, "--chdir", str(ROOT)]
    command += ["--error-logfile", str(log), app]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server(port=port, pid=process.pid, log=log, workers=workers)
    try:
        _wait_ready(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {server.log}")
        with contextlib.suppress(OSError):
            if (
                request(server.port, "GET", "/api/v1/styles/", timeout=5).status == 200
                and len(server.worker_pids()) >= server.workers
            ):
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become ready; see {server.log}")


# --- the production-shaped stack (``make stack``) -----------------------------------------------

STACK_ENV_FILE = ROOT / "deploy" / "stack.env"
# Celery's default queue, where the stack's web workers send renders (on its broker, Redis DB 2).
STACK_QUEUE = "celery"
# SeaweedFS's S3 port in deploy/supervisord.conf: fixed, so one stack per machine.
STACK_S3_PORT = 18333
# A stack started here raises the same throttles as every bench server (``django_env``).
BENCH_THROTTLES = {
    "ATELIER_THROTTLE_UPLOAD": "100000/m",
    "ATELIER_THROTTLE_REGISTER": "100000/h",
}


def stack_env() -> dict[str, str]:
    """``deploy/stack.env`` as the stack's processes see it (variables already set win)."""
    values: dict[str, str] = {}
    for line in STACK_ENV_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        name = name.strip()
        values[name] = os.environ.get(name, shlex.split(value)[0] if value else "")
    return values


def stack_port() -> int:
    """The port the stack's gunicorn serves on (``PORT``, as ``deploy/gunicorn.conf.py``)."""
    return int(os.environ.get("PORT", "8000"))


def _serves_api(port: int) -> bool:
    try:
        return request(port, "GET", "/api/v1/styles/", timeout=5).status == 200
    except OSError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@contextlib.contextmanager
def stack_up(port: int, log_dir: Path, timeout: float = 180.0) -> Iterator[str]:
    """The stack serving on ``port``: the one already running, or one started and stopped here.

    Started as ``make stack`` starts it (``deploy/stack.py``, all settings from
    ``deploy/stack.env``) but with ``BENCH_THROTTLES``; yields ``"running"`` or ``"started"``.
    A stack already running keeps its own throttles: start it with the same two variables, or
    a burst of uploads meets 429s.
    """
    if _serves_api(port):
        yield "running"
        return
    if not _port_free(STACK_S3_PORT):
        raise RuntimeError(
            f"nothing serves the API on port {port}, but SeaweedFS's port {STACK_S3_PORT} is "
            "taken: another stack (or its test) is running on this machine"
        )
    # The stack's own settings, not a bench Django's: nothing DJANGO_* or DATABASE_* of this
    # process is handed on.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    env.update(BENCH_THROTTLES, PORT=str(port))
    log = log_dir / "stack.log"
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [PYTHON, "deploy/stack.py"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not _serves_api(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not come up; see {log}")
            time.sleep(0.5)
        print(f"stack: started for this run (log {log})", flush=True)
        yield "started"
    finally:
        # deploy/stack.py stops supervisord, and it every process of the stack, on SIGTERM.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def stack_storage_audit(env: dict[str, str]) -> tuple[int, str]:
    """``manage.py storage_audit`` on the stack (its S3 bucket against its rows): exit, output."""
    completed = subprocess.run(
        [PYTHON, "manage.py", "storage_audit"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = (completed.stdout + completed.stderr).strip()
    return completed.returncode, output
