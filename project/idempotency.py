"""Safe retries: an ``Idempotency-Key`` header makes a create request happen at most once.

Put ``@idempotent`` on a view's create method (``ImageViewSet.create``). A request without
the header is not touched. With one, for the caller's account:

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

import functools
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from datetime import timedelta
from inspect import isclass
from typing import Any

from django.core.files import File
from django.db import DatabaseError, IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.crypto import salted_hmac
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import Conflict, Gone, InvalidInput, Unauthenticated, Unprocessable
from core.schema import ErrorSerializer
from users.models import IdempotencyKey, User

logger = logging.getLogger(__name__)

__all__ = [
    "IDEMPOTENCY_KEY_PARAMETER",
    "KEY_TTL",
    "IdempotencyKeyInProgress",
    "IdempotencyKeyReused",
    "InvalidIdempotencyKey",
    "idempotency_keys_purge",
    "idempotent",
    "request_fingerprint",
]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII; no space at either end, since HTTP trims a header value's ends anyway.
KEY_PATTERN = r"^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$"
_KEY_RE = re.compile(KEY_PATTERN)
# How long a key holds its answer: a retry a day later is a new request.
KEY_TTL = timedelta(hours=24)
# A claim still in progress this long has lost its process (see the module docstring).
CLAIM_STALE_AFTER = timedelta(minutes=5)
# How long a request waits for the first one with its key, and how often it looks.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1
RETRY_AFTER_SECONDS = 1
_FINGERPRINT_SALT = "project.idempotency.request_fingerprint"


class AccountGone(Gone):
    """The caller's account was deleted while its request was under way."""

    def __init__(self) -> None:
        super().__init__("The account no longer exists; nothing was saved.")


class InvalidIdempotencyKey(InvalidInput):
    """The ``Idempotency-Key`` header is not 1 to 255 printable ASCII characters."""

    default_code = "invalid_idempotency_key"


class IdempotencyKeyReused(Unprocessable):
    """The key was used for a different request within the last 24 hours."""

    default_code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            f"This {HEADER} was used for a different request in the last 24 hours; "
            "send a new key for a new request."
        )


class IdempotencyKeyInProgress(Conflict):
    """A request with this key is still being processed."""

    default_code = "idempotency_key_in_progress"

    def __init__(self) -> None:
        super().__init__(
            f"A request with this {HEADER} is still being processed; retry shortly.",
            retry_after=RETRY_AFTER_SECONDS,
        )


def idempotency_key_validate(key: str) -> str:
    """The key if it is 1 to 255 printable ASCII characters, else ``InvalidIdempotencyKey``."""
    problem = None
    if not key:
        problem = "it is empty"
    elif len(key) > MAX_KEY_LENGTH:
        problem = f"it has {len(key):,}"
    elif not _KEY_RE.match(key):
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


def request_fingerprint(request: Request) -> str:
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
        _FINGERPRINT_SALT, canonical.encode("utf-8", "surrogatepass"), algorithm="sha256"
    ).hexdigest()


def _file_sha256(upload: File) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Claim:
    """The outcome of claiming a key: our own claim to run under, or an answer to replay."""

    row: IdempotencyKey
    ours: bool


def idempotency_key_claim(*, owner: User, key: str, fingerprint: str) -> _Claim:
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
            return _Claim(row, ours=True)
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
            return _Claim(row, ours=False)
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


def _replay(row: IdempotencyKey) -> Response:
    headers = {REPLAYED_HEADER: "true"}
    if row.response_location:
        headers["Location"] = row.response_location
    data = json.loads(row.response_body) if row.response_body else None
    return Response(data, status=row.response_status, headers=headers)


View = Callable[..., Response]


def idempotent(view: View) -> View:
    """Makes a create method honour ``Idempotency-Key`` (see the module docstring).

    The method must answer a DRF ``Response`` whose data is JSON. The decorator also
    documents the header and the 409 and 422 answers in the operation's schema.
    """

    @functools.wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view(self, request, *args, **kwargs)
        idempotency_key_validate(key)
        if not request.user.is_authenticated:
            raise Unauthenticated(f"An {HEADER} needs an authenticated request.")
        fingerprint = request_fingerprint(request)
        claim = idempotency_key_claim(owner=request.user, key=key, fingerprint=fingerprint)
        if not claim.ours:
            return _replay(claim.row)
        try:
            response = view(self, request, *args, **kwargs)
        except Exception:
            _release_quietly(claim.row)
            raise
        if not 200 <= response.status_code < 300:
            _release_quietly(claim.row)
            return response
        try:
            idempotency_key_complete(claim=claim.row, response=response)
        except DatabaseError:
            # What the view did is done; its answer must reach the client all the same.
            logger.exception("The answer to idempotency key %s was not stored.", claim.row.pk)
        return response

    # functools.wraps shares the view's attribute dict: a copy keeps its schema untouched.
    wrapper.kwargs = {  # type: ignore[attr-defined]
        **getattr(view, "kwargs", {}),
        "schema": _idempotent_schema(view),
    }
    return wrapper


def _release_quietly(claim: IdempotencyKey) -> None:
    # A failure to give the key back must not hide the error being answered; the claim
    # then goes stale and is taken over after CLAIM_STALE_AFTER.
    try:
        idempotency_key_release(claim=claim)
    except DatabaseError:
        logger.exception("Idempotency key %s was not released.", claim.pk)


# --- The OpenAPI description ---------------------------------------------------------------

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes a retry safe: the same key with the same request within 24 hours answers the "
        "first response again (with `Idempotent-Replayed: true`) and creates nothing more. "
        "A unique value (a UUID) per new request; 1 to 255 printable ASCII characters. Keys "
        "belong to the account. A request that failed (not 2xx) does not use up its key."
    ),
)
_REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the key.",
    "schema": {"type": "string", "enum": ["true"]},
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer"},
}


def _idempotent_schema(view: View) -> type:
    """The view's schema class, plus the header, the replay header and the 409 and 422.

    A layer of its own rather than an ``extend_schema``: the operation's ``extend_schema``
    (often on the viewset, applied after this) replaces the responses wholesale, so the
    idempotency answers are added to the finished operation instead.
    """
    base = getattr(view, "kwargs", {}).get("schema") or api_settings.DEFAULT_SCHEMA_CLASS
    if not isclass(base):
        base = base.__class__

    class IdempotentSchema(base):  # type: ignore[misc, valid-type]
        def get_override_parameters(self) -> list:
            return [*super().get_override_parameters(), IDEMPOTENCY_KEY_PARAMETER]

        def get_operation(self, *args: Any, **kwargs: Any) -> dict | None:
            operation = super().get_operation(*args, **kwargs)
            if operation is None:
                return None

            def error() -> dict:
                # A fresh dict each time: a shared one would be written as a YAML alias.
                ref = self.resolve_serializer(ErrorSerializer, "response").ref
                return {"application/json": {"schema": ref}}

            responses = operation["responses"]
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {})[REPLAYED_HEADER] = deepcopy(_REPLAYED)
            responses.setdefault(
                "409",
                {
                    "description": "A request with this Idempotency-Key is still being "
                    "processed (`idempotency_key_in_progress`); retry after Retry-After.",
                    "headers": {"Retry-After": deepcopy(_RETRY_AFTER)},
                    "content": error(),
                },
            )
            responses.setdefault(
                "422",
                {
                    "description": "This Idempotency-Key was used for a different request "
                    "in the last 24 hours (`idempotency_key_reused`).",
                    "content": error(),
                },
            )
            invalid_key = f"the {HEADER} header is invalid (`invalid_idempotency_key`)."
            if "400" in responses:
                responses["400"]["description"] += f" Or {invalid_key}"
            else:
                responses["400"] = {"description": f"T{invalid_key[1:]}", "content": error()}
            operation["responses"] = dict(sorted(responses.items()))
            return operation

    return IdempotentSchema
