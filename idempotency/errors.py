"""What idempotency refuses: a malformed key, a key reused for another request, a key busy.

``AccountGone`` (a claim for an account deleted meanwhile) is the accounts app's.
"""

from core.errors import Conflict, InvalidInput, Unprocessable
from idempotency.constants import HEADER, RETRY_AFTER_SECONDS

__all__ = ["IdempotencyKeyInProgress", "IdempotencyKeyReused", "InvalidIdempotencyKey"]


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
