"""HEIC against JPEG: what accepting an iPhone's photo costs over the same picture as a JPEG.

Django runs in this process (as in ``bench.api_bench``) on a throwaway database and media
root, with no broker, so an upload renders inside its request and comes back ``ready``: the
time of one request is upload→ready (walk, header, store, decode, style, three renditions).

* HEIC upload→ready over the same picture's JPEG upload→ready, side by side in one run: the
  12 MP photo of ``bench.inputs``, encoded as an iPhone writes it (HEVC by x265 in 512 × 512
  tiles of a grid, 4:2:0) and as the bench's JPEG; style ``none``, so the figure is the
  decoding and the container work, not a filter;
* for the record, the bare decodes of the two files alone (pillow-heif's libde265 against
  libjpeg), the floor the upload figure stands on.

Run: ``python -m bench.heif_bench [--smoke] [--db sqlite|postgres]``.
"""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

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
from bench.inputs import FULL, SMOKE, file_digest, inputs_ensure

HEIC_LIMIT = 2.0
STYLE = "none"
# As an iPhone writes it: 512 px tiles of a grid, HEVC at a quality near Apple's.
TILE = 512
HEIC_QUALITY = 70


def heic_of(jpeg: Path, target: Path) -> bytes:
    """The bench's photo as a HEIC (made once per working directory: x265 takes seconds)."""
    if not target.exists():
        from imaging import processing  # noqa: F401  (registers pillow-heif's opener and saver)

        with Image.open(jpeg) as image:
            buffer = io.BytesIO()
            image.save(
                buffer,
                format="HEIF",
                quality=HEIC_QUALITY,
                tile_size=TILE,
                exif=image.info.get("exif", b""),
            )
        target.write_bytes(buffer.getvalue())
    return target.read_bytes()


def api_upload(client: Any, data: bytes, name: str, media_type: str) -> Callable[[], object]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("image-list")

    def work() -> None:
        payload = {"file": SimpleUploadedFile(name, data, media_type), "style": STYLE}
        reply = client.post(url, payload, format="multipart")
        assert reply.status_code == 201, reply.content
        assert reply.json()["status"] == "ready", reply.json()

    return work


def bare_decode(data: bytes) -> Callable[[], object]:
    def work() -> None:
        with Image.open(io.BytesIO(data)) as image:
            image.load()

    return work


def figures_measure(heic: bytes, jpeg: bytes, label: str, runs: int, smoke: bool) -> list[Figure]:
    client = api_client_for("heic-uploader")
    upload = interleave(
        timed(api_upload(client, heic, "IMG_0001.HEIC", "image/heic")),
        timed(api_upload(client, jpeg, "IMG_0001.JPG", "image/jpeg")),
        runs=runs,
    )
    decode = interleave(timed(bare_decode(heic)), timed(bare_decode(jpeg)), runs=runs)
    return [
        Figure(
            name=f"HEIC upload→ready / the same picture as JPEG, {label}",
            value=upload.ratio,
            target=f"≤ {HEIC_LIMIT:g}",
            met=None if smoke else at_most(upload.ratio, HEIC_LIMIT),
            detail=upload.detail(),
        ),
        Figure(
            name=f"floor: HEIC decode alone / JPEG decode alone, {label}",
            value=decode.ratio,
            target="info",
            met=None,
            detail=decode.detail(),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    sizes = SMOKE if args.smoke else FULL
    kind = database_kind(args.db)
    with workdir(args.workdir) as work:
        inputs = inputs_ensure(work / "inputs", sizes)
        jpeg = inputs.photo_jpeg.read_bytes()
        heic_path = inputs.photo_jpeg.with_suffix(".heic")
        heic = heic_of(inputs.photo_jpeg, heic_path)
        var_dir = var_dir_fresh(work, "heif-var")
        with database(kind, work, "heif") as url:
            env = django_env(var_dir, url)
            migrate(env)
            django_setup(env)
            print(machine_line() + f", database {kind}")
            print(
                f"inputs: {inputs.photo_jpeg.name} ({len(jpeg):,} B), {heic_path.name} "
                f"({len(heic):,} B, sha256 {file_digest(heic_path)})"
            )
            megapixels = sizes.photo[0] * sizes.photo[1] / 1e6
            label = f"{megapixels:.0f} MP photo" if megapixels >= 1 else "small photo"
            figures = figures_measure(heic, jpeg, label, 3 if args.smoke else 9, args.smoke)
            from django.db import connections

            connections.close_all()
        print(figures_table(figures, f"HEIC against JPEG ({kind})"))
        figures_write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
