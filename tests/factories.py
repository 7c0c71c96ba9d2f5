"""Factories for test data: accounts, real image files made with Pillow, and uploads of them.

Image files are made once per process and argument list (``image_bytes`` is cached: a file is
immutable ``bytes``, so every test asking for the same picture can share it), and every test
that uploads through the API does it with ``upload_request``: one multipart POST, as clients
send it, not a copy per module.
"""

import functools
import io
import random
from collections.abc import Mapping

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from rest_framework.test import APIClient

from users.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    """An active account whose password is ``DEFAULT_PASSWORD``.

    The suite hashes with MD5 (``tests/conftest.py``'s ``_fast_password_hashing``), so an
    account costs a row, not a key-stretching round.
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    color: tuple[int, ...] = (200, 80, 40),
    mode: str = "RGB",
    noisy: bool = False,
    exif: Mapping[int, object] | PILImage.Exif | bytes | None = None,
    **save_kwargs: object,
) -> bytes:
    """A real image file in ``fmt``, with a gradient so styles visibly change it.

    ``noisy`` fills it with seeded random pixels instead, which no codec compresses much.
    ``exif`` (tags by number, an ``Image.Exif`` or its bytes) is written into the file. The same
    arguments give the same bytes, made once per process.
    """
    if isinstance(exif, Mapping) and not isinstance(exif, PILImage.Exif):
        exif = _exif_bytes(tuple(sorted(exif.items())))
    elif isinstance(exif, PILImage.Exif):
        exif = exif.tobytes()
    if exif is not None:
        save_kwargs["exif"] = exif
    try:
        return _image_bytes_cached(
            fmt, size, color, mode, noisy, tuple(sorted(save_kwargs.items()))
        )
    except TypeError:  # an argument that cannot be a cache key (a list, a palette object)
        return _image_bytes(fmt, size, color, mode, noisy, save_kwargs)


def _exif_bytes(tags: tuple[tuple[int, object], ...]) -> bytes:
    exif = PILImage.Exif()
    for tag, value in tags:
        exif[tag] = value
    return exif.tobytes()


@functools.lru_cache(maxsize=512)
def _image_bytes_cached(
    fmt: str,
    size: tuple[int, int],
    color: tuple[int, ...],
    mode: str,
    noisy: bool,
    save_items: tuple[tuple[str, object], ...],
) -> bytes:
    return _image_bytes(fmt, size, color, mode, noisy, dict(save_items))


def _image_bytes(
    fmt: str,
    size: tuple[int, int],
    color: tuple[int, ...],
    mode: str,
    noisy: bool,
    save_kwargs: dict[str, object],
) -> bytes:
    if noisy:
        rng = random.Random(size[0] * 7919 + size[1])
        raw = rng.randbytes(size[0] * size[1] * len(mode))
        buffer = io.BytesIO()
        PILImage.frombytes(mode, size, raw).save(buffer, format=fmt, **save_kwargs)
        return buffer.getvalue()
    image = PILImage.new(mode, size, color)
    pixels = image.load()
    for x in range(0, size[0], max(1, size[0] // 16)):
        for y in range(size[1]):
            value = (x * 255 // max(1, size[0] - 1), y * 255 // max(1, size[1] - 1), 128)
            pixels[x, y] = value + ((255,) if mode == "RGBA" else ()) if mode != "L" else value[0]
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def upload_request(
    client: APIClient,
    data: bytes | None = None,
    *,
    name: str = "photo.jpg",
    style: str = "none",
    title: str | None = None,
    content_type: str | None = None,
    **headers: str,
):
    """An image uploaded through the API as a client sends it (multipart); the response, as is.

    ``data`` defaults to ``image_bytes()``; ``title`` is left out of the form unless given;
    ``headers`` are request headers (``HTTP_IDEMPOTENCY_KEY=...``). Callers check the status:
    refusals are answers some tests are about.
    """
    payload = {
        "file": SimpleUploadedFile(
            name, data if data is not None else image_bytes(), content_type=content_type
        ),
        "style": style,
    }
    if title is not None:
        payload["title"] = title
    return client.post(reverse("image-list"), payload, format="multipart", **headers)
