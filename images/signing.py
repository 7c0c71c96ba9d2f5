"""Signed, expiring rendition URLs, so an ``<img src>`` works without an Authorization header.

A signature binds one image, one rendition, the image's owner and an expiry time, with an HMAC
keyed by the server's secret. The token carries the owner and the expiry; the image and the
rendition come from the URL path, so a token moved to another image or rendition fails.
"""

import math
import time
import uuid

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "atelier.images.rendition-url"
# Expiry times are rounded up to this step so that the same image listed twice within it gets
# the same URL, and browsers can cache the bytes.
_STEP_SECONDS = 600


def rendition_signature(
    *, image_id: uuid.UUID, rendition: str, owner_id: uuid.UUID, ttl: int, now: float | None = None
) -> tuple[str, int]:
    """A token for one rendition of one image, and the Unix time it expires."""
    now = time.time() if now is None else now
    expires = int(math.ceil((now + ttl) / _STEP_SECONDS) * _STEP_SECONDS)
    mac = _mac(image_id=image_id, rendition=rendition, owner_id=owner_id, expires=expires)
    return f"{owner_id.hex}.{expires}.{mac}", expires


def rendition_signature_owner(
    *, token: str, image_id: uuid.UUID, rendition: str, now: float | None = None
) -> uuid.UUID | None:
    """The owner a valid, unexpired token names for this image and rendition; else ``None``."""
    now = time.time() if now is None else now
    try:
        owner_hex, expires_text, mac = token.split(".")
        owner_id = uuid.UUID(hex=owner_hex)
        expires = int(expires_text)
    except ValueError:
        return None
    if expires < now:
        return None
    expected = _mac(image_id=image_id, rendition=rendition, owner_id=owner_id, expires=expires)
    if not constant_time_compare(mac, expected):
        return None
    return owner_id


def _mac(*, image_id: uuid.UUID, rendition: str, owner_id: uuid.UUID, expires: int) -> str:
    message = f"{image_id.hex}:{rendition}:{owner_id.hex}:{expires}"
    return salted_hmac(_SALT, message, algorithm="sha256").hexdigest()[:40]
