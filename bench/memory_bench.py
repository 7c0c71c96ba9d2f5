"""Memory: the peak of one 12 MP upload, and what refusing a 200 MB upload costs the server.

* Peak RSS growth of one upload over its decoded size (width × height × 4 bytes, Pillow's
  RGB/RGBA pixel layout), target ≤ 3. Each sample is a fresh Python process: Django is set
  up, a tiny upload warms every code path, the request body is built, then the kernel's
  peak-RSS mark is reset (``/proc/self/clear_refs``) and the 12 MP JPEG goes through the WSGI
  application (``sepia``). Pillow allocates pixels outside Python's allocator, so
  ``tracemalloc`` cannot see them; RSS can.
* What hostile headers cost (issue #9, finding 20), each in a fresh process as above: a 97 kB
  PNG of 1 × 50,000,000 pixels (refused from its header for its edge; target < 10 MB), a real
  7071 × 7071 JPEG (decoded at half scale; growth / its processed rendition's w × h × 4,
  target ≤ 3) and a 727-byte JPEG whose header claims the same size (refused as truncated
  once decoded; growth over the real one's processed rendition, target ≤ 3).
* Peak RSS growth of a gunicorn worker while it refuses a 200 MB upload, target < 10 MB,
  three ways: a declared ``Content-Length`` of 200 MB (refused with 413 before the body is
  read), the same body streamed with ``Transfer-Encoding: chunked`` (no length to check), and
  a body whose declared length passes the first check but whose file grows past
  ``ATELIER_MAX_UPLOAD_BYTES`` as it streams (the upload handler's 413).

Run: ``python -m bench.memory_bench [--smoke]``.
"""

import argparse
import io
import json
import select
import shutil
import socket
import statistics
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from bench.common import (
    PYTHON,
    ROOT,
    Figure,
    account_token,
    arguments,
    at_most,
    database,
    django_env,
    django_setup,
    figures_table,
    figures_write,
    gunicorn,
    machine_line,
    migrate,
    peak_reset,
    proc_status_kib,
    request,
    upload_body,
    var_dir_fresh,
    workdir,
)
from bench.inputs import FULL, SMOKE, inputs_ensure

UPLOAD_LIMIT = 3.0
HOSTILE_LIMIT = 3.0
REFUSAL_LIMIT_MB = 10.0
CLAIMED_EDGE = 7071
REFUSED_BYTES = 200 * 1024 * 1024
CHUNK = 256 * 1024
STYLE = "sepia"


# --- one upload, in a child process ------------------------------------------------------------


def wsgi_post(application: Any, path: str, body: bytes, content_type: str, token: str) -> str:
    """POSTs ``body`` straight into the WSGI application, as a server would; returns status."""
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "SERVER_NAME": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        # BytesIO over existing bytes shares them until written: no copy of the body.
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    status: list[str] = []

    def start_response(line: str, headers: list, exc_info: Any = None) -> None:
        status.append(line)

    response = application(environ, start_response)
    try:
        for _ in response:
            pass
    finally:
        close = getattr(response, "close", None)
        if close:
            close()
    return status[0]


def upload_child(photo: Path, var_dir: Path, database_url: str) -> dict[str, Any]:
    """Measures one upload's peak RSS growth in this (fresh) process; any answer is kept."""
    import gc

    env = django_env(var_dir, database_url)
    django_setup(env)
    from django.core.files.storage import default_storage
    from rest_framework_simplejwt.tokens import AccessToken

    from images.models import Image as ImageRow
    from project.wsgi import application
    from users.models import User

    user = User.objects.create_user(username="memory", email="memory@example.com")
    token = str(AccessToken.for_user(user))
    path = "/api/v1/images/"
    tiny = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(tiny, format="JPEG")
    status = wsgi_post(application, path, *upload_body(tiny.getvalue(), "w.jpg", STYLE), token)
    assert status.startswith("201"), status
    data = photo.read_bytes()
    with Image.open(io.BytesIO(data)) as probe:
        width, height = probe.size
    body, content_type = upload_body(data, photo.name, STYLE)
    del data
    gc.collect()
    peak_reset()
    before = proc_status_kib("self", "VmRSS")
    status = wsgi_post(application, path, body, content_type, token)
    peak = proc_status_kib("self", "VmHWM")
    processed = None
    if status.startswith("201"):
        row = ImageRow.objects.exclude(original_filename="w.jpg").get()
        # Renders are jobs: a file whose header passes can still fail in its render (it
        # then keeps no rendition); the answer says which.
        status = f"{status} ({row.status})"
        if row.processed_key:
            with default_storage.open(row.processed_key) as stored, Image.open(stored) as image:
                processed = image.size
    return {
        "status": status,
        "growth": (peak - before) * 1024,
        "decoded": width * height * 4,
        "processed": processed,
        "rss_before": before * 1024,
        "peak": peak * 1024,
    }


def upload_samples(photo: Path, work: Path, template: Path, runs: int) -> list[dict[str, Any]]:
    samples = []
    for i in range(runs):
        sample_dir = work / f"memory-{i}"
        shutil.rmtree(sample_dir, ignore_errors=True)
        sample_dir.mkdir(parents=True)
        db_file = sample_dir / "db.sqlite3"
        shutil.copyfile(template, db_file)
        completed = subprocess.run(
            [
                PYTHON,
                "-m",
                "bench.memory_bench",
                "--child-upload",
                str(photo),
                "--child-var",
                str(sample_dir),
                "--child-db",
                f"sqlite:///{db_file}",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"memory sample failed:\n{completed.stderr[-3000:]}")
        samples.append(json.loads(completed.stdout.strip().splitlines()[-1]))
        shutil.rmtree(sample_dir, ignore_errors=True)
    return samples


def upload_figure(samples: list[dict[str, Any]], label: str, smoke: bool) -> Figure:
    statuses = {s["status"] for s in samples}
    assert all(status.startswith("201") for status in statuses), statuses
    ratios = [s["growth"] / s["decoded"] for s in samples]
    ratio = statistics.median(ratios)
    growth = statistics.median(s["growth"] for s in samples) / 2**20
    decoded = samples[0]["decoded"] / 2**20
    return Figure(
        name=f"peak RSS growth of one upload / decoded size, {label}, style {STYLE}",
        value=ratio,
        target=f"≤ {UPLOAD_LIMIT:g}",
        met=None if smoke else at_most(ratio, UPLOAD_LIMIT),
        detail=f"growth {growth:.1f} MiB / decoded {decoded:.1f} MiB, n={len(samples)}, "
        f"range {min(ratios):.2f}–{max(ratios):.2f}",
    )


# --- what hostile headers cost ---------------------------------------------------------------


def png_one_pixel_wide(path: Path, height: int) -> Path:
    """A real RGB PNG 1 pixel wide and ``height`` tall (grey rows), compressed as it streams."""
    if path.exists():
        return path
    compressor = zlib.compressobj(9)
    row = b"\x00\x80\x80\x80"  # filter byte, one grey pixel
    block = row * 65536
    idat = bytearray()
    for start in range(0, height, 65536):
        idat += compressor.compress(block[: 4 * min(65536, height - start)])
    idat += compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", bytes(idat))
        + chunk(b"IEND", b"")
    )
    return path


def jpeg_claiming(path: Path, edge: int) -> Path:
    """A JPEG of one 8×8 block whose frame header claims edge × edge pixels (~700 bytes)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", edge, edge)
    path.write_bytes(bytes(data))
    return path


def jpeg_real(path: Path, edge: int) -> Path:
    """A real edge × edge JPEG: a smooth colour gradient, quality 75."""
    if not path.exists():
        ramp = Image.linear_gradient("L").resize((edge, edge), Image.Resampling.BILINEAR)
        picture = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp))
        picture.save(path, "JPEG", quality=75)
    return path


def hostile_figures(work: Path, template: Path, runs: int, smoke: bool) -> list[Figure]:
    folder = work / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    tall = png_one_pixel_wide(folder / "tall-1x50000000.png", 50_000_000)
    claim = jpeg_claiming(folder / f"claim-{CLAIMED_EDGE}.jpg", CLAIMED_EDGE)
    real = jpeg_real(folder / f"real-{CLAIMED_EDGE}.jpg", CLAIMED_EDGE)
    figures = []
    samples = upload_samples(tall, work, template, runs)
    growth = statistics.median(s["growth"] for s in samples) / 2**20
    figures.append(
        Figure(
            name=f"peak RSS growth of one upload: {tall.stat().st_size / 1000:.0f} kB PNG "
            "of 1 × 50,000,000 px",
            value=growth,
            target=f"< {REFUSAL_LIMIT_MB:g} MB",
            met=None if smoke else growth < REFUSAL_LIMIT_MB,
            detail=f"answer {', '.join(sorted({s['status'] for s in samples}))}; "
            f"n={len(samples)}, max {max(s['growth'] for s in samples) / 2**20:.1f} MB",
            unit="MB",
            decimals=1,
        )
    )
    real_samples = upload_samples(real, work, template, runs)
    processed = real_samples[0]["processed"]
    assert processed, real_samples[0]["status"]
    rendition = processed[0] * processed[1] * 4
    for label, group in (
        (f"real {CLAIMED_EDGE}² JPEG", real_samples),
        (
            f"{claim.stat().st_size}-byte JPEG claiming {CLAIMED_EDGE}²",
            upload_samples(claim, work, template, runs),
        ),
    ):
        ratios = [s["growth"] / rendition for s in group]
        ratio = statistics.median(ratios)
        figures.append(
            Figure(
                name=f"peak RSS growth of one upload / processed w·h·4, {label}",
                value=ratio,
                target=f"≤ {HOSTILE_LIMIT:g}",
                met=None if smoke else at_most(ratio, HOSTILE_LIMIT),
                detail=f"answer {', '.join(sorted({s['status'] for s in group}))}; growth "
                f"{statistics.median(s['growth'] for s in group) / 2**20:.1f} MiB / processed "
                f"{processed[0]}×{processed[1]} ({rendition / 2**20:.1f} MiB), n={len(group)}",
            )
        )
    return figures


# --- refusing a big upload, against gunicorn ------------------------------------------------


def zeros(total: int) -> Iterator[bytes]:
    block = bytes(CHUNK)
    sent = 0
    while sent < total:
        size = min(CHUNK, total - sent)
        yield block[:size]
        sent += size


def chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def stream_request(port: int, head: bytes, pieces: Iterator[bytes]) -> tuple[str, int]:
    """Sends ``head`` then ``pieces`` until the server answers; returns (status, bytes sent).

    Stops sending as soon as a response is readable, like a client that watches for an
    early 413, so the server is never made to swallow the rest.
    """
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)
        for piece in pieces:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n" in answer:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else "no answer"
    return status.removeprefix("HTTP/1.1 ").removeprefix("HTTP/1.0 "), sent


def refusal_heads(port: int, token: str, limit: int) -> dict[str, tuple[bytes, Iterator[bytes]]]:
    """The three ways to send an upload that is too big, as (request head, body pieces)."""
    boundary = "atelier-bench-refusal"
    preamble = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="style"\r\n\r\n{STYLE}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    closing = f"\r\n--{boundary}--\r\n".encode()

    def body(file_bytes: int) -> Iterator[bytes]:
        yield preamble
        yield from zeros(file_bytes)
        yield closing

    def head(extra: str) -> bytes:
        return (
            f"POST /api/v1/images/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n{extra}\r\n"
        ).encode()

    total = len(preamble) + REFUSED_BYTES + len(closing)
    # Past MAX_UPLOAD_BYTES by 16 KiB, but inside the parser's 64 KiB allowance for the form.
    creeping = limit + 16 * 1024
    creeping_total = len(preamble) + creeping + len(closing)
    return {
        "declared 200 MB (Content-Length)": (
            head(f"Content-Length: {total}\r\n"),
            body(REFUSED_BYTES),
        ),
        "200 MB streamed (Transfer-Encoding: chunked)": (
            head("Transfer-Encoding: chunked\r\n"),
            chunked(body(REFUSED_BYTES)),
        ),
        "file grows past the limit while streaming": (
            head(f"Content-Length: {creeping_total}\r\n"),
            body(creeping),
        ),
    }


def refusal_figures(work: Path, runs: int, smoke: bool) -> list[Figure]:
    var_dir = var_dir_fresh(work, "refusal-var")
    with database("sqlite", work, "refusal") as url:
        env = django_env(var_dir, url)
        migrate(env)
        limit = int(env.get("ATELIER_MAX_UPLOAD_BYTES", 25 * 1024 * 1024))
        with gunicorn(env, workers=1, log_dir=work, name="refusal") as server:
            token = account_token(server.port, "refusal")
            # Warm the worker up: routing, the view, the parser and Pillow all imported.
            tiny = io.BytesIO()
            Image.new("RGB", (64, 48)).save(tiny, format="JPEG")
            body, content_type = upload_body(tiny.getvalue(), "w.jpg", STYLE)
            for _ in range(3):
                reply = request(
                    server.port,
                    "POST",
                    "/api/v1/images/",
                    token=token,
                    body=body,
                    content_type=content_type,
                )
                assert reply.status == 201, reply.body
            (worker,) = server.worker_pids()
            results: dict[str, list[tuple[float, str, int]]] = {}
            for _ in range(runs):
                for name, (head, pieces) in refusal_heads(server.port, token, limit).items():
                    peak_reset(worker)
                    before = proc_status_kib(worker, "VmRSS")
                    status, sent = stream_request(server.port, head, pieces)
                    peak = proc_status_kib(worker, "VmHWM")
                    results.setdefault(name, []).append(((peak - before) / 1024, status, sent))
    figures = []
    for name, samples in results.items():
        growth = statistics.median(s[0] for s in samples)
        statuses = sorted({s[1] for s in samples})
        sent = statistics.median(s[2] for s in samples) / 2**20
        figures.append(
            Figure(
                name=f"worker peak RSS growth refusing an upload: {name}",
                value=growth,
                target=f"< {REFUSAL_LIMIT_MB:g} MB",
                met=None if smoke else growth < REFUSAL_LIMIT_MB,
                detail=f"answer {', '.join(statuses)}; client sent {sent:.1f} MiB of body "
                f"before the answer; n={len(samples)}, max {max(s[0] for s in samples):.1f} MB",
                unit="MB",
                decimals=1,
            )
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        __doc__.splitlines()[0],
        argv,
        child_upload={"type": Path, "help": argparse.SUPPRESS},
        child_var={"type": Path, "help": argparse.SUPPRESS},
        child_db={"help": argparse.SUPPRESS},
    )
    if args.child_upload:
        result = upload_child(args.child_upload, args.child_var, args.child_db)
        print(json.dumps(result))
        return 0
    sizes = SMOKE if args.smoke else FULL
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        print(machine_line())
        template_dir = work / "memory-template"
        template_dir.mkdir(exist_ok=True)
        template = template_dir / "db.sqlite3"
        template.unlink(missing_ok=True)
        migrate(django_env(template_dir, f"sqlite:///{template}"))
        megapixels = sizes.photo[0] * sizes.photo[1] / 1e6
        label = f"{megapixels:.0f} MP JPEG" if megapixels >= 1 else "small JPEG"
        runs = 1 if args.smoke else 5
        samples = upload_samples(inputs.photo_jpeg, work, template, runs)
        figures = [upload_figure(samples, label, args.smoke)]
        figures += hostile_figures(work, template, 1 if args.smoke else 3, args.smoke)
        figures += refusal_figures(work, 1 if args.smoke else 3, args.smoke)
        print(figures_table(figures, "memory"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
