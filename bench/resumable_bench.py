"""Memory: the peak of one 1 GB resumable upload (tus 1.0) on the web node, target ≤ 64 MB.

A gunicorn worker (sync, files on disk) receives a 1 GB upload as tus PATCHes of 256 MiB,
each streamed from a socket in 64 KiB pieces, one of them cut off halfway (a dropped
connection: the client asks the offset with HEAD and goes on from there), and the last one
completing it (the bytes are no image, so the images app refuses them: the staged gigabyte
is read only as far as that takes, then removed). The figure is the worker's peak RSS growth
over the whole upload (``VmHWM`` after ``clear_refs``, so Python's allocator and the C
libraries alike count), after warming the worker up with a small upload. The worker's own
baseline (Django, DRF, Pillow imported) is not the upload's and is left out.

Run: ``python -m bench.resumable_bench [--smoke]`` (``--smoke``: 16 MB in 4 MiB PATCHes).
"""

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

from bench.common import (
    Figure,
    account_token,
    arguments,
    at_most,
    database,
    django_env,
    figures_table,
    figures_write,
    gunicorn,
    machine_line,
    migrate,
    peak_reset,
    proc_status_kib,
    var_dir_fresh,
    workdir,
)

TARGET_MB = 64
PIECE = 64 * 1024


def pieces(total: int) -> Iterator[bytes]:
    block = bytes(range(256)) * (PIECE // 256)
    sent = 0
    while sent < total:
        size = min(PIECE, total - sent)
        yield block[:size]
        sent += size


def tus(
    port: int,
    method: str,
    path: str,
    token: str,
    headers: dict[str, str],
    body_bytes: int = 0,
    send_bytes: int | None = None,
) -> tuple[int, dict[str, str]]:
    """One tus request on its own connection; sends ``send_bytes`` of a ``body_bytes`` body
    (fewer: the connection drops there). Returns the status and headers (0 if none came)."""
    head = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Authorization: Bearer {token}",
        "Tus-Resumable: 1.0.0",
        "Connection: close",
        f"Content-Length: {body_bytes}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=300) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for piece in pieces(body_bytes if send_bytes is None else send_bytes):
            sock.sendall(piece)
        if send_bytes is not None and send_bytes < body_bytes:
            return 0, {}  # hang up mid-body
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer:
                break
    lines = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    return status, {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}


def upload(port: int, token: str, total: int, patch_bytes: int, cut: bool) -> str:
    """Uploads ``total`` bytes; returns the final PATCH's status."""
    metadata = "filename " + base64.b64encode(b"big.bin").decode()
    status, headers = tus(
        port,
        "POST",
        "/api/v1/uploads/",
        token,
        {"Upload-Length": str(total), "Upload-Metadata": metadata},
    )
    assert status == 201, status
    path = "/" + headers["location"].split("/", 3)[3]
    offset, final = 0, 0
    dropped = not cut
    while offset < total:
        size = min(patch_bytes, total - offset)
        patch_headers = {
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        if not dropped and offset >= total // 2:
            dropped = True
            tus(port, "PATCH", path, token, patch_headers, size, send_bytes=size // 2)
            _, head = tus(port, "HEAD", path, token, {})
            offset = int(head["upload-offset"])
            continue
        final, head = tus(port, "PATCH", path, token, patch_headers, size)
        if final != 204:
            break
        offset = int(head["upload-offset"])
    return str(final)


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    total = 16 * 2**20 if args.smoke else 2**30
    patch_bytes = 4 * 2**20 if args.smoke else 256 * 2**20
    with workdir(args.workdir) as work:
        print(machine_line())
        var_dir = var_dir_fresh(work, "resumable-var")
        with database("sqlite", work, "resumable") as url:
            env = {**django_env(var_dir, url), "ATELIER_MAX_RESUMABLE_BYTES": str(2**31)}
            migrate(env)
            with gunicorn(env, workers=1, log_dir=work, name="resumable") as server:
                token = account_token(server.port, "resumable")
                upload(server.port, token, 2 * 2**20, 2**20, cut=True)  # warm-up
                (worker,) = server.worker_pids()
                peak_reset(worker)
                before = proc_status_kib(worker, "VmRSS")
                answer = upload(server.port, token, total, patch_bytes, cut=True)
                growth = (proc_status_kib(worker, "VmHWM") - before) / 1024
        leftovers = [p for p in Path(var_dir).rglob("*") if p.is_file() and "uploads" in p.parts]
        figure = Figure(
            name=f"peak RSS growth of the web worker, one {total / 2**30:g} GiB resumable "
            "upload (tus)"
            if not args.smoke
            else f"peak RSS growth of the web worker, one {total / 2**20:g} MiB resumable upload",
            value=growth,
            target=f"≤ {TARGET_MB} MB",
            met=None if args.smoke else at_most(growth, TARGET_MB),
            detail=f"PATCHes of {patch_bytes / 2**20:g} MiB, one cut halfway and resumed; "
            f"final answer {answer} (not an image); staged files left: {len(leftovers)}",
            unit="MB",
            decimals=1,
        )
        figures = [figure]
        print(figures_table(figures, "resumable upload"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
