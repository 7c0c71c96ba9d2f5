"""Signed, expiring rendition URLs, so an ``<img src>`` works without an Authorization header.

A signature binds one image, one rendition, the image's owner, an expiry time and the owner's
current credentials (a digest of the stored password hash, as simplejwt's revoke claim does),
with an HMAC keyed by the server's secret. The token carries the owner and the expiry; the
image and the rendition come from the URL path, so a token moved to another image or rendition
fails, and a password change revokes every URL handed out before it.

Only the canonical token form is accepted: lower-case hex owner id without hyphens, ASCII
decimal expiry, lower-case hex MAC. ``uuid.UUID`` and ``int`` would each accept a dozen other
spellings (braces, ``urn:uuid:``, ``+``, ``_``, full-width digits), making one URL many.
"""

import hashlib
import math
import re
import time
import uuid

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "atelier.images.rendition-url"
# Expiry times are rounded up to this step so that the same image listed twice within it gets
# the same URL, and browsers can cache the bytes.
_STEP_SECONDS = 600
_TOKEN = re.compile(
    r"(?P<owner>[0-9a-f]{32})\.(?P<expires>[1-9][0-9]{0,11})\.(?P<mac>[0-9a-f]{40})"
)


def credential_digest(password_hash: str) -> str:
    """What of the owner's credentials a signature covers: changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()


def rendition_signature(
    *,
    image_id: uuid.UUID,
    rendition: str,
    owner_id: uuid.UUID,
    credential: str,
    ttl: int,
    now: float | None = None,
) -> tuple[str, int]:
    """A token for one rendition of one image, and the Unix time it expires.

    ``credential`` is ``credential_digest`` of the owner's password hash.
    """
    now = time.time() if now is None else now
    expires = int(math.ceil((now + ttl) / _STEP_SECONDS) * _STEP_SECONDS)
    mac = _mac(
        image_id=image_id,
        rendition=rendition,
        owner_id=owner_id,
        expires=expires,
        credential=credential,
    )
    return f"{owner_id.hex}.{expires}.{mac}", expires


def rendition_signature_parse(*, token: str, now: float | None = None) -> uuid.UUID | None:
    """The owner a canonical, unexpired token claims; ``None`` otherwise. Not yet verified."""
    now = time.time() if now is None else now
    match = _TOKEN.fullmatch(token)
    if match is None or int(match["expires"]) < now:
        return None
    return uuid.UUID(hex=match["owner"])


def rendition_signature_expires(*, token: str) -> int:
    """The expiry a canonical token states (Unix time); 0 for any other string."""
    match = _TOKEN.fullmatch(token)
    return int(match["expires"]) if match else 0


def rendition_signature_valid(
    *, token: str, image_id: uuid.UUID, rendition: str, credential: str, now: float | None = None
) -> bool:
    """Whether ``token`` is a canonical, unexpired signature of this rendition, made under
    the owner's current credentials."""
    owner_id = rendition_signature_parse(token=token, now=now)
    if owner_id is None:
        return False
    match = _TOKEN.fullmatch(token)
    assert match is not None
    expected = _mac(
        image_id=image_id,
        rendition=rendition,
        owner_id=owner_id,
        expires=int(match["expires"]),
        credential=credential,
    )
    return constant_time_compare(match["mac"], expected)


def _mac(
    *, image_id: uuid.UUID, rendition: str, owner_id: uuid.UUID, expires: int, credential: str
) -> str:
    message = f"{image_id.hex}:{rendition}:{owner_id.hex}:{expires}:{credential}"
    return salted_hmac(_SALT, message, algorithm="sha256").hexdigest()[:40]
