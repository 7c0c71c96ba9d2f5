"""A shared original without its metadata, in-process: what a link's visitor costs (#18.2).

A link that hides metadata serves the original with its EXIF, XMP and text removed. That
used to be done on every request (a PNG of 300,000 empty chunks took 6.6 s of CPU each
time); now the first request strips the file once and stores the copy, and every later one
streams it. This measures, side by side in one process:

* serving a shared original without metadata to an anonymous visitor (link checked, signed
  URL verified, the stored copy streamed) / the owner streaming the same original
  (``ATELIER_FILE_DELIVERY=stream``), 12 MP JPEG with EXIF: target ≤ 1.5;
* the first request of such a link, which strips and stores the copy, over the owner's
  stream: information, the one-time cost (each sample on a new image, so it really strips).

Both sides read the whole body, as a client would. Django runs in this process
(``django.setup()``) on a throwaway database and media root; requests go through DRF's
``APIClient``.

Run: ``python -m bench.share_bench [--smoke] [--db sqlite|postgres]``.
"""

from collections.abc import Callable
from typing import Any

from bench.api_bench import api_client_for
from bench.common import (
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

SHARED_LIMIT = 1.5


def _body(reply: Any) -> bytes:
    return b"".join(reply.streaming_content) if reply.streaming else reply.content


def _local(url: str) -> str:
    return url.removeprefix("http://testserver")


def shared_original_url(owner: Any, image_id: str) -> str:
    """A new link to one image with the original allowed and metadata hidden; its signed
    original URL, as the link's page hands it out."""
    from django.urls import reverse
    from rest_framework.test import APIClient

    reply = owner.post(
        reverse("share-list"), {"image_ids": [image_id], "allow_original": True}, format="json"
    )
    assert reply.status_code == 201, reply.content
    page = APIClient().get(_local(reply.json()["api_url"]))
    assert page.status_code == 200, page.content
    return _local(page.json()["results"][0]["urls"]["original"])


def upload(owner: Any, data: bytes) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    payload = {"file": SimpleUploadedFile("photo.jpg", data, "image/jpeg"), "style": "none"}
    reply = owner.post(reverse("image-list"), payload, format="multipart")
    assert reply.status_code == 201, reply.content
    assert reply.json()["status"] == "ready", reply.json()
    return reply.json()["id"]


def fetch(client: Any, url: str, size: int) -> Callable[[], object]:
    def work() -> None:
        reply = client.get(url)
        assert reply.status_code == 200, reply.status_code
        assert len(_body(reply)) <= size

    return work


def share_figures(data: bytes, label: str, runs: int, smoke: bool) -> list[Figure]:
    from django.conf import settings
    from django.urls import reverse
    from rest_framework.test import APIClient

    settings.ATELIER_FILE_DELIVERY = "stream"
    owner = api_client_for("sharer")
    image_id = upload(owner, data)
    owner_url = reverse("image-original", kwargs={"pk": image_id})
    visitor_url = shared_original_url(owner, image_id)
    visitor = APIClient()
    steady = interleave(
        timed(fetch(visitor, visitor_url, len(data))),
        timed(fetch(owner, owner_url, len(data))),
        runs=runs,
    )

    # The first request of a link to an image never stripped before: a new image per sample.
    firsts = []
    for _ in range(max(3, runs // 5)):
        fresh = upload(owner, data)
        firsts.append((shared_original_url(owner, fresh), fresh))
    pending = iter(firsts)

    def first_request() -> None:
        url, _image = next(pending)
        fetch(APIClient(), url, len(data))()

    first = interleave(
        timed(first_request), timed(fetch(owner, owner_url, len(data))), runs=len(firsts) - 1
    )
    return [
        Figure(
            name=f"shared original without metadata / the owner's stream, {label}",
            value=steady.ratio,
            target=f"≤ {SHARED_LIMIT:g}",
            met=None if smoke else at_most(steady.ratio, SHARED_LIMIT),
            detail=steady.detail(),
        ),
        Figure(
            name=f"a link's first such request (strips and stores) / the owner's stream, {label}",
            value=first.ratio,
            target="info",
            met=None,
            detail=first.detail(),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    sizes = SMOKE if args.smoke else FULL
    kind = database_kind(args.db)
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        var_dir = var_dir_fresh(work, "share-var")
        with database(kind, work, "share") as url:
            env = django_env(var_dir, url)
            migrate(env)
            django_setup(env)
            print(machine_line() + f", database {kind}")
            photo = inputs.photo_jpeg.read_bytes()
            megapixels = sizes.photo[0] * sizes.photo[1] / 1e6
            label = f"{megapixels:.0f} MP JPEG" if megapixels >= 1 else "small JPEG"
            figures = share_figures(photo, label, 5 if args.smoke else 41, args.smoke)
            from django.db import connections

            connections.close_all()
        print(figures_table(figures, f"Share delivery in-process ({kind})"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
