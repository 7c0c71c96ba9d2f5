"""Read-side queries of partner sharing: the partnerships an account is on either side of,
and the partners whose libraries it may mix into its own gallery.

Every query starts from the caller: a partnership between two other accounts is never read.
What a partner may see of a library is the access policy's (``images.access``: ``Partner``).
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


def partnerships_accepted_received(*, user: User) -> QuerySet[Partnership]:
    """The partnerships ``user`` accepted whose grantor is an active account: the libraries
    ``user`` may mix into their gallery (each opened through ``access.partner_principal``'s
    rule, read by this one query for a whole page)."""
    return Partnership.objects.filter(
        grantee=user, accepted_at__isnull=False, grantor__is_active=True
    ).select_related("grantor")


def display_name(user: User) -> str:
    """How another account is shown: its full name, else its username."""
    return user.get_full_name() or user.username


__all__ = [
    "display_name",
    "partnership_get",
    "partnerships_accepted_received",
    "partnerships_of",
]
