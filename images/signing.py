"""What a signed rendition URL covers, on the one token scheme (``core.tokens``).

A rendition token binds one image, one rendition, the image's owner and the owner's current
credentials (a digest of the stored password hash, as simplejwt's revoke claim does). The
token carries the owner (its subject) and the expiry; the image and the rendition come from
the URL path, so a token moved to another image or rendition fails, and a password change
revokes every URL handed out before it. A share's tokens (its grant, its rendition URLs) are
made on the same scheme under purposes of their own (``images.shares``).
"""

import hashlib
import uuid

from core import tokens

PURPOSE = "images.rendition-url"


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
    return tokens.token_make(
        purpose=PURPOSE,
        message=_message(image_id=image_id, rendition=rendition, credential=credential),
        subject=owner_id.hex,
        ttl=ttl,
        now=now,
    )


def rendition_signature_owner(*, token: str, now: float | None = None) -> uuid.UUID | None:
    """The owner a canonical, unexpired rendition token claims; ``None`` otherwise. Not yet
    verified: it says whose credentials ``rendition_signature_valid`` must check against."""
    subject = tokens.token_subject(token=token, now=now)
    return uuid.UUID(hex=subject) if subject is not None else None


def rendition_signature_valid(
    *,
    token: str,
    image_id: uuid.UUID,
    rendition: str,
    owner_id: uuid.UUID,
    credential: str,
    now: float | None = None,
) -> bool:
    """Whether ``token`` is a canonical, unexpired signature of this rendition, made under
    the owner's current credentials."""
    return tokens.token_valid(
        purpose=PURPOSE,
        message=_message(image_id=image_id, rendition=rendition, credential=credential),
        subject=owner_id.hex,
        token=token,
        now=now,
    )


def _message(*, image_id: uuid.UUID, rendition: str, credential: str) -> str:
    return f"{image_id.hex}:{rendition}:{credential}"
