"""The one scheme every signed, expiring token is made and checked by.

A token is ``[<subject>.]<expires>.<mac>``: an optional subject (32 lower-case hex digits, e.g.
the owner a rendition URL claims, read back before verifying so the caller can look up what
the MAC must cover), the Unix time it expires (ASCII decimal, no leading zero), and 40
lower-case hex digits of an HMAC-SHA256 (Django's ``salted_hmac``, keyed by ``SECRET_KEY``)
over the subject, the caller's message and the expiry. Each *purpose* has a salt of its own,
so a token made for one purpose (a share's grant) is never valid for another (a rendition
URL), even over the same message.

Only that canonical spelling is accepted (``fullmatch`` over ASCII classes): ``int`` and
``uuid.UUID`` would each take a dozen other spellings of one token (``+``, ``_``, full-width
digits, braces, ``urn:uuid:``), making one URL many. Expiry times are rounded up to a step,
so the same thing signed twice within it gets the same token and browsers can cache the bytes
its URL serves. What a token covers (credentials, so that a password change revokes it; the
object and the rendition, so that it cannot be moved) is the caller's message: this module
knows no app.
"""

import math
import re
import time

from django.utils.crypto import constant_time_compare, salted_hmac

# Expiries are rounded up to this step: a page listed twice within it has the same URLs.
STEP_SECONDS = 600
_MAC_LENGTH = 40
_SALT_PREFIX = "atelier."
_TOKEN = re.compile(
    r"(?:(?P<subject>[0-9a-f]{32})\.)?(?P<expires>[1-9][0-9]{0,11})\.(?P<mac>[0-9a-f]{40})",
    re.ASCII,
)
_SUBJECT = re.compile(r"[0-9a-f]{32}", re.ASCII)


def token_make(
    *,
    purpose: str,
    message: str,
    ttl: int,
    subject: str | None = None,
    now: float | None = None,
    step: int = STEP_SECONDS,
) -> tuple[str, int]:
    """A token for ``message`` under ``purpose``, and the Unix time it expires.

    It lives at least ``ttl`` seconds: the expiry is ``now + ttl`` rounded up to ``step``
    (``STEP_SECONDS``; 1 for a token that must end when it says, such as an elevation, whose
    few minutes a step would double). ``subject`` (32 lower-case hex digits) is carried in
    the token itself and covered by the MAC; ``token_subject`` reads it back.
    """
    if subject is not None and not _SUBJECT.fullmatch(subject):
        raise ValueError("A token's subject is 32 lower-case hex digits.")
    expires = token_expiry(ttl=ttl, now=now, step=step)
    mac = _mac(purpose=purpose, subject=subject, message=message, expires=expires)
    prefix = f"{subject}." if subject is not None else ""
    return f"{prefix}{expires}.{mac}", expires


def token_expiry(*, ttl: int, now: float | None = None, step: int = STEP_SECONDS) -> int:
    """When a token made now for ``ttl`` seconds expires: ``now + ttl`` rounded up to ``step``.

    What a response says its URLs expire at, even where it hands out none.
    """
    now = time.time() if now is None else now
    return int(math.ceil((now + ttl) / step) * step)


def token_valid(
    *,
    purpose: str,
    message: str,
    token: str,
    subject: str | None = None,
    now: float | None = None,
) -> bool:
    """Whether ``token`` is the canonical, unexpired token of ``message`` under ``purpose``
    (and of ``subject``: a token with a subject is never valid without it, nor the reverse).

    The MAC is compared in constant time.
    """
    match = _TOKEN.fullmatch(token)
    if match is None or match["subject"] != subject:
        return False
    now = time.time() if now is None else now
    expires = int(match["expires"])
    if expires < now:
        return False
    expected = _mac(purpose=purpose, subject=subject, message=message, expires=expires)
    return constant_time_compare(match["mac"], expected)


def token_subject(*, token: str, now: float | None = None) -> str | None:
    """The subject a canonical, unexpired token claims; ``None`` otherwise. Not verified:
    only a hint of what to look up before ``token_valid`` decides."""
    match = _TOKEN.fullmatch(token)
    now = time.time() if now is None else now
    if match is None or int(match["expires"]) < now:
        return None
    return match["subject"]


def token_expires(*, token: str) -> int:
    """The expiry a canonical token states (Unix time); 0 for any other string. Not verified."""
    match = _TOKEN.fullmatch(token)
    return int(match["expires"]) if match else 0


def _mac(*, purpose: str, subject: str | None, message: str, expires: int) -> str:
    covered = f"{subject}:{message}:{expires}" if subject is not None else f"{message}:{expires}"
    digest = salted_hmac(f"{_SALT_PREFIX}{purpose}", covered, algorithm="sha256").hexdigest()
    return digest[:_MAC_LENGTH]


__all__ = [
    "STEP_SECONDS",
    "token_expires",
    "token_expiry",
    "token_make",
    "token_subject",
    "token_valid",
]
