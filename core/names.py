"""How two names are compared: the canonical form usernames and emails are stored and looked up in.

Unicode NFKC, then case folding, then NFKC again (``toNFKC_Casefold`` in all but name), so
``Émile`` and ``ÉMILE`` are one account on SQLite and PostgreSQL alike. It lives in the core
because both the accounts app and the login throttle (which keys failures by name) need it.
"""

import unicodedata


def canonical_name(text: str) -> str:
    """The form in which two usernames (or two emails) are compared: ``Émile`` → ``émile``."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
