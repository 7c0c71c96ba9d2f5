"""Signed rendition URLs of a shared album's pictures, on the one token scheme (``core.tokens``).

A member's ``<img>`` cannot send a token, so each rendition a member is shown is a URL that
carries its own signature. The token names the member (its subject) and binds the album, the
picture, the rendition and a digest of the member's password hash (``images.signing``): moved
to another album, picture, rendition or member it fails, and a password change ends it. The
signature only says who asks; whether they may is read afresh on every request (their
membership, the album, the picture), so removing a member ends their URLs at once.
"""

import uuid

from django.conf import settings

from core import tokens
from images.signing import credential_digest

PURPOSE = "images.member-rendition"


def member_rendition_signature(
    *,
    user_id: uuid.UUID,
    credential: str,
    album_id: uuid.UUID,
    image_id: uuid.UUID,
    rendition: str,
    now: float | None = None,
) -> tuple[str, int]:
    """A token for one rendition of one picture in one album, for one member, and its expiry.

    ``credential`` is ``credential_digest`` of the member's password hash.
    """
    return tokens.token_make(
        purpose=PURPOSE,
        message=_message(album_id, image_id, rendition, credential),
        subject=user_id.hex,
        ttl=settings.ATELIER["SIGNED_URL_TTL"],
        now=now,
    )


def member_rendition_signer(*, token: str) -> uuid.UUID | None:
    """The member a canonical, unexpired token claims; ``None`` otherwise. Not verified."""
    subject = tokens.token_subject(token=token)
    return uuid.UUID(hex=subject) if subject is not None else None


def member_rendition_signature_valid(
    *,
    token: str,
    user_id: uuid.UUID,
    password_hash: str,
    album_id: uuid.UUID,
    image_id: uuid.UUID,
    rendition: str,
) -> bool:
    """Whether ``token`` signs this rendition for this member under their current password."""
    return tokens.token_valid(
        purpose=PURPOSE,
        message=_message(album_id, image_id, rendition, credential_digest(password_hash)),
        subject=user_id.hex,
        token=token,
    )


def _message(album_id: uuid.UUID, image_id: uuid.UUID, rendition: str, credential: str) -> str:
    return f"{album_id.hex}:{image_id.hex}:{rendition}:{credential}"
