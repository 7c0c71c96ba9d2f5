"""Errors about accounts that other apps raise too: one definition, whoever notices first.

An account deleted while a request about it was under way is noticed by the accounts app
(a write about the account), the images app (an upload or restyle taking the owner's lock)
and the idempotency app (a claim on a key of an account that is gone); all three answer the
same 401 in the same words.
"""

from core.errors import Gone

__all__ = ["AccountGone"]


class AccountGone(Gone):
    """The account was deleted while a change about it was under way; nothing was kept."""

    def __init__(self) -> None:
        super().__init__("The account no longer exists; nothing was saved.")
