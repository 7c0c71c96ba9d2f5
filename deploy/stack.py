"""``make stack``: the production-shaped stack on this machine, in one command.

Loads ``deploy/stack.env``, makes sure its PostgreSQL database exists and is migrated, writes
SeaweedFS's credentials, then runs supervisord (``deploy/supervisord.conf``): SeaweedFS, a
Celery worker and beat, and gunicorn, each restarted if it dies. Ctrl-C or SIGTERM stops all
of them. Redis and PostgreSQL are the machine's own services.
"""

import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / "deploy" / "stack.env"


def env_load() -> None:
    """deploy/stack.env into this process's environment (already-set variables win)."""
    for line in ENV_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        os.environ.setdefault(name.strip(), shlex.split(value)[0] if value else "")
    os.environ.setdefault("STACK_DIR", str(ROOT / "var" / "stack"))
    os.environ.setdefault("PROJECT_DIR", str(ROOT))
    os.environ.setdefault("VENV_BIN", str(Path(sys.executable).parent))
    os.environ.setdefault("WORKER_CONCURRENCY", str(os.cpu_count() or 1))


def database_ensure() -> None:
    """Creates the stack's own database if it is missing (the machine's PostgreSQL)."""
    import environ  # django-environ parses DATABASE_URL the way the settings do
    import psycopg

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    admin = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "dbname": "postgres",
        "autocommit": True,
    }
    if config.get("PASSWORD"):
        admin["password"] = config["PASSWORD"]
    with psycopg.connect(**admin) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{config["NAME"]}"')
            print(f"stack: created database {config['NAME']}", flush=True)


def s3_credentials_write() -> None:
    """SeaweedFS refuses every request not signed with these (without a config it takes any)."""
    identities = {
        "identities": [
            {
                "name": "atelier",
                "credentials": [
                    {
                        "accessKey": os.environ["ATELIER_S3_ACCESS_KEY_ID"],
                        "secretKey": os.environ["ATELIER_S3_SECRET_ACCESS_KEY"],
                    }
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path = Path(os.environ["STACK_DIR"]) / "s3.json"
    path.write_text(json.dumps(identities))
    path.chmod(0o600)


def seaweed_security_write() -> None:
    """JWT keys for SeaweedFS's filer and volume ports: without them those ports hand any
    object to anyone who asks, S3 credentials or not (measured). Fresh keys each start."""
    sections = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")
    path = Path(os.environ["STACK_DIR"]) / "weed" / "security.toml"
    path.write_text(
        "".join(
            f'[{section}]\nkey = "{secrets.token_urlsafe(24)}"\nexpires_after_seconds = 10\n'
            for section in sections
        )
    )
    path.chmod(0o600)


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)  # noqa: S603


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own localhost URL)
                return True
        except Exception:  # not up yet
            time.sleep(0.5)
    return False


def main() -> int:
    env_load()
    stack_dir = Path(os.environ["STACK_DIR"])
    for folder in (stack_dir, stack_dir / "weed", stack_dir / "weed" / "data"):
        folder.mkdir(parents=True, exist_ok=True)
    # Every process of the stack writes its metrics here; counts from before this start are
    # of processes that no longer exist.
    metrics_dir = Path(
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(stack_dir / "metrics"))
    )
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    database_ensure()
    manage("migrate", "--noinput")
    s3_credentials_write()
    seaweed_security_write()
    supervisord = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "supervisord"), "-c", "deploy/supervisord.conf"],
        cwd=ROOT,
    )

    def stop(signum: int, frame: object) -> None:
        supervisord.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    if wait_for(f"{base}/api/v1/", 60):
        print(
            f"stack: serving {base}/api/v1/ (docs at {base}/api/v1/docs/); Ctrl-C stops it",
            flush=True,
        )
    return supervisord.wait()


if __name__ == "__main__":
    sys.exit(main())
