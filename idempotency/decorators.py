"""``@idempotent``: a create method that honours ``Idempotency-Key`` (``services``' protocol).

A request without the header is not touched. With one, the key is validated and claimed
before the view runs; a 2xx answer is stored for retries to replay, anything else gives the
key back. The decorator also documents the header and its 409 and 422 in the schema.
"""

import functools
import json
import logging
from collections.abc import Callable
from copy import deepcopy
from inspect import isclass
from typing import Any

from django.db import DatabaseError
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import Unauthenticated
from core.schema import ErrorSerializer
from idempotency.constants import HEADER, KEY_PATTERN, MAX_KEY_LENGTH, REPLAYED_HEADER
from idempotency.models import IdempotencyKey
from idempotency.services import (
    idempotency_key_claim,
    idempotency_key_complete,
    idempotency_key_release,
    idempotency_key_validate,
    request_fingerprint,
)

logger = logging.getLogger(__name__)

__all__ = ["IDEMPOTENCY_KEY_PARAMETER", "idempotent"]


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
        idempotency_key_validate(key=key)
        if not request.user.is_authenticated:
            raise Unauthenticated(f"An {HEADER} needs an authenticated request.")
        fingerprint = request_fingerprint(request=request)
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
