"""The API in-process: upload against bare Pillow, list latency by gallery size, SQL per list.

Django runs in this process (``django.setup()`` with ``project.settings``, env set first) on a
throwaway database and media root; requests go through DRF's ``APIClient``, so routing,
middleware, JWT authentication, throttling, parsing, the service and the serializer all run.

* upload through the API (upload, validate, style, thumbnail, store) over the same work in a
  bare Pillow script (decode → exif_transpose → sepia → thumbnail → encode both → write the
  three files), 12 MP JPEG, style ``sepia``;
* list request p50 with 10,000 images in the gallery over 100 images: the first page, and a
  page 50 deep reached through the cursor (the 100-image gallery's deepest cursor page is its
  5th; keyset pagination should make depth free);
* SQL queries per list request for page sizes 1, 20 and 100, both galleries, first and deep
  pages: all equal (no N+1).

Run: ``python -m bench.api_bench [--smoke] [--db sqlite|postgres]``.
"""

import io
import itertools
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from bench.common import (
    BENCH_PASSWORD,
    Figure,
    arguments,
    at_most,
    database,
    database_kind,
    django_env,
    django_setup,
    figures_table,
    figures_write,
    interleave,
    machine_line,
    migrate,
    timed,
    var_dir_fresh,
    workdir,
)
from bench.inputs import FULL, SMOKE, inputs_ensure
from imaging.styles import SEPIA_MATRIX

UPLOAD_LIMIT = 1.25
LIST_LIMIT = 1.3
STYLE = "sepia"
# The bare-Pillow baseline applies the app's own sepia matrix (one colour-matrix pass), so the
# ratio measures the app's overhead around the style, not a difference in style code.
# The app's renditions at their default sizes: a preview by its long edge, a thumbnail by its
# short edge (its long edge capped), both downscaled from the styled pixels.
PREVIEW_EDGE = 1440
THUMBNAIL_EDGE = 480
THUMBNAIL_MAX_EDGE = 3840
JPEG_QUALITY = 85


def _scaled(image: Image.Image, scale: float) -> Image.Image:
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def bare_upload(data: bytes, directory: Path) -> None:
    """The upload's image work in plain Pillow: no Django, no validation, no database."""
    image = Image.open(io.BytesIO(data))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode != "RGB":
        image = image.convert("RGB")
    styled = image.convert("RGB", SEPIA_MATRIX)
    preview = _scaled(styled, PREVIEW_EDGE / max(styled.size))
    thumbnail = _scaled(
        styled,
        min(THUMBNAIL_EDGE / min(styled.size), THUMBNAIL_MAX_EDGE / max(styled.size)),
    )
    processed_bytes, preview_bytes, thumbnail_bytes = io.BytesIO(), io.BytesIO(), io.BytesIO()
    styled.save(processed_bytes, format="JPEG", quality=JPEG_QUALITY)
    preview.save(preview_bytes, format="JPEG", quality=JPEG_QUALITY)
    thumbnail.save(thumbnail_bytes, format="JPEG", quality=JPEG_QUALITY)
    target = directory / uuid.uuid4().hex
    target.mkdir(parents=True)
    (target / "original.jpg").write_bytes(data)
    (target / "processed.jpg").write_bytes(processed_bytes.getvalue())
    (target / "preview.jpg").write_bytes(preview_bytes.getvalue())
    (target / "thumbnail.jpg").write_bytes(thumbnail_bytes.getvalue())


def api_client_for(username: str) -> Any:
    """Registers ``username`` through the API, logs in, and returns an authenticated client."""
    from django.urls import reverse
    from rest_framework.test import APIClient

    client = APIClient()
    reply = client.post(
        reverse("auth-register"),
        {"username": username, "email": f"{username}@example.com", "password": BENCH_PASSWORD},
        format="json",
    )
    assert reply.status_code == 201, reply.content
    reply = client.post(
        reverse("auth-token"), {"username": username, "password": BENCH_PASSWORD}, format="json"
    )
    assert reply.status_code == 200, reply.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {reply.json()['access']}")
    return client


def api_upload(client: Any, data: bytes) -> Callable[[], object]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("image-list")

    def work() -> None:
        payload = {"file": SimpleUploadedFile("photo.jpg", data, "image/jpeg"), "style": STYLE}
        reply = client.post(url, payload, format="multipart")
        assert reply.status_code == 201, reply.content

    return work


def upload_figure(data: bytes, label: str, work: Path, runs: int, smoke: bool) -> Figure:
    client = api_client_for("uploader")
    bare_dir = work / "bare-uploads"
    comparison = interleave(
        timed(api_upload(client, data)), timed(lambda: bare_upload(data, bare_dir)), runs=runs
    )
    return Figure(
        name=f"upload through the API / bare Pillow, {label}, style {STYLE}",
        value=comparison.ratio,
        target=f"≤ {UPLOAD_LIMIT:g}",
        met=None if smoke else at_most(comparison.ratio, UPLOAD_LIMIT),
        detail=comparison.detail(),
    )


def gallery_seed(username: str, count: int) -> Any:
    """A user with ``count`` image rows (no files: listing never opens them)."""
    from django.db import connection

    from images.models import Image as ImageRow
    from users.models import User

    owner = User.objects.get(username=username)
    created = ImageRow._meta.get_field("created_at")
    # Distinct, spread-out creation times like a real gallery's, which auto_now_add would
    # collapse into one instant; switched off only in this process while seeding.
    created.auto_now_add = False
    start = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        rows = []
        for i in range(count):
            key = f"{owner.pk}/{uuid.uuid4()}"
            rows.append(
                ImageRow(
                    owner=owner,
                    title=f"Photo {i}",
                    style="sepia" if i % 3 else "none",
                    status=ImageRow.Status.READY,
                    original_filename=f"IMG_{i:05d}.jpg",
                    format="JPEG",
                    width=4000,
                    height=3000,
                    size=3_400_000,
                    stored_bytes=6_500_000,
                    checksum=secrets.token_hex(32),
                    original_key=f"{key}/original.jpg",
                    processed_key=f"{key}/processed-{secrets.token_hex(4)}.jpg",
                    thumbnail_key=f"{key}/thumbnail-{secrets.token_hex(4)}.jpg",
                    created_at=start + timedelta(minutes=17 * i),
                )
            )
        ImageRow.objects.bulk_create(rows, batch_size=500)
    finally:
        created.auto_now_add = True
    # Fresh planner statistics, as autovacuum would have by the time a gallery is this big:
    # right after a bulk insert PostgreSQL still estimates a handful of rows per owner and
    # picks a bitmap scan plus a sort of the whole gallery instead of the (owner, created_at)
    # index, which would make this measure the missing statistics rather than the API.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ImageRow._meta.db_table}")
    return owner


def cursor_page(client: Any, depth: int, page_size: int = 20) -> str:
    """The URL of the ``depth``-th page (1 = first), reached by following ``next`` links."""
    from django.urls import reverse

    url = f"{reverse('image-list')}?page_size={page_size}"
    for _ in range(depth - 1):
        reply = client.get(url)
        assert reply.status_code == 200, reply.content
        following = reply.json()["next"]
        if following is None:
            break
        url = following.removeprefix("http://testserver")
    return url


def list_get(client: Any, url: str) -> Callable[[], object]:
    def work() -> None:
        reply = client.get(url)
        assert reply.status_code == 200, reply.content

    return work


def list_figures(big: int, small: int, deep: int, runs: int, smoke: bool) -> list[Figure]:
    big_client, small_client = api_client_for("big"), api_client_for("small")
    gallery_seed("big", big)
    gallery_seed("small", small)
    small_deepest = max(1, min(deep, small // 20))
    figures = []
    cases = [
        ("first page", cursor_page(big_client, 1), cursor_page(small_client, 1), "page 1 / page 1"),
        (
            f"page {deep} via cursor",
            cursor_page(big_client, deep),
            cursor_page(small_client, small_deepest),
            f"page {deep} / page {small_deepest} (its deepest)",
        ),
    ]
    for label, big_url, small_url, pages in cases:
        comparison = interleave(
            timed(list_get(big_client, big_url)),
            timed(list_get(small_client, small_url)),
            runs=runs,
            warmup=5,
        )
        figures.append(
            Figure(
                name=f"list p50, {big:,} images / {small:,} images, {label}",
                value=comparison.ratio,
                target=f"≤ {LIST_LIMIT:g}",
                met=None if smoke else at_most(comparison.ratio, LIST_LIMIT),
                detail=f"{pages}; p50 {comparison.detail()}",
            )
        )
    figures.append(query_count_figure({"big": big_client, "small": small_client}, deep))
    return figures


def query_count_figure(clients: dict[str, Any], deep: int) -> Figure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, int] = {}
    for (name, client), page_size in itertools.product(clients.items(), (1, 20, 100)):
        for depth in (1, 2, deep):
            url = cursor_page(client, depth, page_size)
            with CaptureQueriesContext(connection) as queries:
                list_get(client, url)()
            counts[f"{name}/{page_size}/p{depth}"] = len(queries.captured_queries)
    distinct = sorted(set(counts.values()))
    return Figure(
        name="SQL queries per list request (page_size 1, 20, 100; both galleries; pages 1, 2, "
        f"{deep})",
        value=float(max(distinct)),
        target="same for all",
        met=len(distinct) == 1,
        detail=f"{len(counts)} requests, counts {distinct}"
        + ("" if len(distinct) == 1 else f": {counts}"),
        unit="queries",
        decimals=0,
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    sizes = SMOKE if args.smoke else FULL
    kind = database_kind(args.db)
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        var_dir = var_dir_fresh(work, "api-var")
        with database(kind, work, "api") as url:
            env = django_env(var_dir, url)
            migrate(env)
            django_setup(env)
            print(machine_line() + f", database {kind}")
            photo = inputs.photo_jpeg.read_bytes()
            megapixels = sizes.photo[0] * sizes.photo[1] / 1e6
            label = f"{megapixels:.0f} MP JPEG" if megapixels >= 1 else "small JPEG"
            figures = [upload_figure(photo, label, work, 3 if args.smoke else 15, args.smoke)]
            if args.smoke:
                figures += list_figures(big=60, small=20, deep=3, runs=5, smoke=True)
            else:
                figures += list_figures(big=10_000, small=100, deep=50, runs=150, smoke=False)
            from django.db import connections

            connections.close_all()
        print(figures_table(figures, f"API in-process ({kind})"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
