"""Factories for test data: accounts, and real image files made with Pillow."""

import io
import random

import factory
from PIL import Image as PILImage

from users.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    """An active account whose password is ``DEFAULT_PASSWORD``."""

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
    **save_kwargs: object,
) -> bytes:
    """A real image file in ``fmt``, with a gradient so styles visibly change it.

    ``noisy`` fills it with seeded random pixels instead, which no codec compresses much.
    """
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
