"""Idempotency keys: claim one for a request, store its answer, give it back, purge old ones.

The protocol, as ``decorators.idempotent`` runs it on a view's create method
(``ImageViewSet.create``). A request without the header is not touched. With one, for the
caller's account:

- The first request *claims* the key: it inserts an ``IdempotencyKey`` row (``in_progress``)
  in a transaction of its own, committed before the view runs, so the unique constraint on
  (owner, key) lets exactly one of any number of concurrent requests through, on SQLite and
  PostgreSQL alike. Then the view runs.
- A 2xx answer is stored (status, JSON body, ``Location``) and the claim is ``completed``.
  Any other answer, or an exception, deletes the claim: the client may fix the request and
  send it again with the same key. That is safe here because every write service in Atelier
  commits whole or keeps nothing (README, "Nothing lost"): a 4xx or a 503 has created
  nothing, so there is nothing a retry could duplicate. Storing refusals instead (as Stripe
  does for errors raised once the endpoint has started executing) would make a phone that
  hit a momentary 503 or a full quota pick a new key, and lose the protection exactly when
  it retries. The exceptions are a bug that raises after the view's service committed (a
  500: the retry runs again) and a process stopped mid-request (a worker timeout's
  ``SystemExit``), which keeps its claim (below).
- The same key and the same request within ``KEY_TTL`` (24 h) of the first answer the stored
  response again, with ``Idempotent-Replayed: true``; nothing runs and nothing is created.
  The body is the first one verbatim: its signed URLs may have expired and its ``status``
  may be stale, so a client wanting the present state follows ``Location``.
- The same key with another request is a 422 (``idempotency_key_reused``), checked before
  anything else, even while the first is still running.
- A request that finds the key claimed by one still running waits up to ``WAIT_SECONDS`` for
  it, then answers with its outcome (a replay, or a run of its own if the first failed and
  gave the key back); if the first is still running it is a 409
  (``idempotency_key_in_progress``) with ``Retry-After``.
- A key older than ``KEY_TTL`` is new again: its row is replaced. So is a claim still
  ``in_progress`` after ``CLAIM_STALE_AFTER``, far longer than any request may run (gunicorn
  kills a worker after 60 s): the process that held it died. If it died after the view
  committed but before the answer was stored, the retry runs the view again; no design
  without a transaction spanning the view and the key can close that window, and the view's
  services commit on their own (files, render jobs queued after the commit).

"Same request" is an HMAC-SHA-256 (keyed with ``SECRET_KEY``: a body may hold a secret,
such as a share's password) over the *parsed* request: method, path, query, and either the
canonical JSON of the body or the sorted form fields with each file's name and the SHA-256
of its bytes. A multipart body's boundary changes on every attempt, so its raw bytes never
match. ``idempotency_keys_purge`` deletes expired keys (the periodic sweep calls it).
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from idempotency.constants import (
    CLAIM_STALE_AFTER,
    FINGERPRINT_SALT,
    HEADER,
    KEY_PATTERN,
    KEY_RE,
    KEY_TTL,
    MAX_KEY_LENGTH,
    POLL_SECONDS,
    WAIT_SECONDS,
)
from idempotency.errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidIdempotencyKey
from idempotency.models import IdempotencyKey
from users.errors import AccountGone
from users.models import User

logger = logging.getLogger(__name__)

__all__ = [
    "KEY_PATTERN",
    "KEY_TTL",
    "idempotency_key_claim",
    "idempotency_key_complete",
    "idempotency_key_release",
    "idempotency_key_validate",
    "idempotency_keys_purge",
    "request_fingerprint",
]


def idempotency_key_validate(*, key: str) -> str:
    """The key if it is 1 to 255 printable ASCII characters, else ``InvalidIdempotencyKey``."""
    problem = None
    if not key:
        problem = "it is empty"
    elif len(key) > MAX_KEY_LENGTH:
        problem = f"it has {len(key):,}"
    elif not KEY_RE.match(key):
        bad = next((c for c in key if not "\x20" <= c <= "\x7e"), None)
        problem = (
            f"it has {bad!r}, which is not printable ASCII"
            if bad is not None
            else "it starts or ends with a space"
        )
    if problem:
        raise InvalidIdempotencyKey(
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
            f"with no space at either end; {problem}."
        )
    return key


def request_fingerprint(*, request: Request) -> str:
    """HMAC-SHA-256 (hex) of what the request asks for, stable across a client's retries."""
    data = request.data
    if isinstance(data, QueryDict):
        fields: dict[str, list[str]] = {}
        files: dict[str, list[list[str]]] = {}
        for name, values in data.lists():
            for value in values:
                if isinstance(value, File):
                    files.setdefault(name, []).append([value.name or "", _file_sha256(value)])
                else:
                    fields.setdefault(name, []).append(str(value))
        body: dict[str, Any] = {"form": fields, "files": files}
    else:
        body = {"json": data}
    described = {
        "method": request.method,
        "path": request.path,
        "query": sorted(request.query_params.lists()),
        **body,
    }
    canonical = json.dumps(
        described, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    # Keyed: a body may hold a secret (a share's password), and a plain hash of it would let
    # whoever reads the table test guesses offline.
    return salted_hmac(
        FINGERPRINT_SALT, canonical.encode("utf-8", "surrogatepass"), algorithm="sha256"
    ).hexdigest()


def _file_sha256(upload: File) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class KeyClaim:
    """The outcome of claiming a key: our own claim to run under, or an answer to replay."""

    row: IdempotencyKey
    ours: bool


def idempotency_key_claim(*, owner: User, key: str, fingerprint: str) -> KeyClaim:
    """Claims ``key`` for this request, or finds the stored answer to replay.

    Raises ``IdempotencyKeyReused`` for another request's key, and
    ``IdempotencyKeyInProgress`` if the request holding it is still running after
    ``WAIT_SECONDS``.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    row: IdempotencyKey | None
    while True:
        try:
            # Committed before the view runs, so a concurrent request sees the claim; durable,
            # so a request-wide transaction (ATOMIC_REQUESTS) fails loudly instead.
            with transaction.atomic(durable=True):
                row = IdempotencyKey.objects.create(owner=owner, key=key, fingerprint=fingerprint)
            return KeyClaim(row, ours=True)
        except IntegrityError:
            row = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if row is None:
            # The first request failed and gave the key back (claim it now), or the insert
            # failed for want of its account.
            if not User.objects.filter(pk=owner.pk).exists():
                raise AccountGone()
        elif _expired(row):
            # Conditional, so of two requests replacing one row, only one deletes it.
            IdempotencyKey.objects.filter(
                pk=row.pk, state=row.state, created_at=row.created_at
            ).delete()
        elif row.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        elif row.state == IdempotencyKey.State.COMPLETED:
            return KeyClaim(row, ours=False)
        elif time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        else:
            raise IdempotencyKeyInProgress()
        # The other ways round make progress; this bounds them whatever other requests do.
        if time.monotonic() >= deadline + WAIT_SECONDS:
            raise IdempotencyKeyInProgress()


def _expired(row: IdempotencyKey) -> bool:
    age = timezone.now() - row.created_at
    stale = row.state == IdempotencyKey.State.IN_PROGRESS and age > CLAIM_STALE_AFTER
    return age > KEY_TTL or stale


def idempotency_key_complete(*, claim: IdempotencyKey, response: Response) -> None:
    """Stores the view's 2xx answer on its claim, for retries to replay."""
    body = "" if response.data is None else JSONRenderer().render(response.data).decode()
    updated = IdempotencyKey.objects.filter(
        pk=claim.pk, state=IdempotencyKey.State.IN_PROGRESS
    ).update(
        state=IdempotencyKey.State.COMPLETED,
        response_status=response.status_code,
        response_body=body,
        response_location=response.headers.get("Location", ""),
    )
    if not updated:
        # The account went, or the claim was taken over as stale: nothing left to answer.
        logger.warning("Idempotency key %s vanished before its answer was stored.", claim.pk)


def idempotency_key_release(*, claim: IdempotencyKey) -> None:
    """Gives the key back after a failed request, so a retry runs again."""
    IdempotencyKey.objects.filter(pk=claim.pk, state=IdempotencyKey.State.IN_PROGRESS).delete()


def idempotency_keys_purge(*, older_than: timedelta) -> int:
    """Deletes the keys created more than ``older_than`` ago; returns how many."""
    cutoff = timezone.now() - older_than
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
