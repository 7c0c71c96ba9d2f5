"""Read-side queries of partner sharing: the partnerships an account is on either side of.

Every query starts from the caller: a partnership between two other accounts is never read.
Who is a partner in which library, and what they may see of it, is the access policy's
(``images.access``: ``partner_principal``, ``partner_principals``, ``Partner``).
"""

import uuid

from django.db.models import Q, QuerySet

from images.models import Partnership
from users.models import User


def partnerships_of(*, user: User) -> QuerySet[Partnership]:
    """Every partnership ``user`` grants or was granted, pending or accepted, with both
    accounts read along."""
    return Partnership.objects.filter(Q(grantor=user) | Q(grantee=user)).select_related(
        "grantor", "grantee"
    )


def partnership_get(*, user: User, partnership_id: uuid.UUID) -> Partnership | None:
    """One partnership ``user`` is on either side of; ``None`` for any other."""
    return partnerships_of(user=user).filter(pk=partnership_id).first()


def display_name(user: User) -> str:
    """How another account is shown: its full name, else its username."""
    return user.get_full_name() or user.username


__all__ = [
    "display_name",
    "partnership_get",
    "partnerships_of",
]
