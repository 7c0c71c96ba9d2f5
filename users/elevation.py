"""Elevation: proof that the account's password was just given again, for a few minutes.

Some things need more than a session or an access token, which a borrowed phone or a stolen
token carry: the locked folder opens only for whoever typed the password moments ago.
``auth/reauth/`` checks the password (``users.services.user_elevate``) and hands out an
elevation token, which the client sends back in the ``X-Atelier-Elevation`` header.

It is a token of the one scheme (``core.tokens``) under a purpose of its own: its subject is
the account, it covers a digest of the account's current password hash (a password change
ends it, as it ends every signed URL), and it expires exactly ``ATELIER_ELEVATION_SECONDS``
after it was made (no rounding up to a step: it is short on purpose). Another account's
elevation names another subject and is refused.
"""

import hashlib
import time
import uuid

from django.conf import settings

from core import tokens
from users.models import User

PURPOSE = "users.elevation"
# The header an elevated request carries (``HTTP_X_ATELIER_ELEVATION`` in Django's META).
ELEVATION_HEADER = "X-Atelier-Elevation"


def elevation_make(*, user: User, now: float | None = None) -> tuple[str, int]:
    """A new elevation for ``user``, and the Unix time it ends."""
    return tokens.token_make(
        purpose=PURPOSE,
        message=_credential(user),
        subject=_subject(user.pk),
        ttl=settings.ATELIER_ELEVATION_SECONDS,
        now=now,
        step=1,
    )


def elevation_expires(*, user: User, token: str | None, now: float | None = None) -> int | None:
    """When ``token`` ends, if it is ``user``'s valid elevation now (made under their current
    password); ``None`` for anything else (absent, expired, forged, another account's)."""
    if not token or not (user and user.is_authenticated and user.is_active):
        return None
    valid = tokens.token_valid(
        purpose=PURPOSE,
        message=_credential(user),
        subject=_subject(user.pk),
        token=token,
        now=time.time() if now is None else now,
    )
    return tokens.token_expires(token=token) if valid else None


def _credential(user: User) -> str:
    """What of the account's credentials an elevation covers: changes with the password."""
    return hashlib.sha256(user.password.encode()).hexdigest()


def _subject(pk: uuid.UUID) -> str:
    return uuid.UUID(str(pk)).hex


__all__ = ["ELEVATION_HEADER", "elevation_expires", "elevation_make"]
