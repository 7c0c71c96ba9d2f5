"""Writes of partner sharing: grant, change, accept and end a partnership.

The grantor offers (pending), the grantee accepts, either side ends it (a delete, so nothing
of it is left to grant anything: ``images.access.partner_principal`` reads the row on every
request). Only the grantor changes what it shows; to anyone else a partnership they may not
change is missing, like one that does not exist.
"""

import uuid
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import InvalidInput, NotFound
from core.names import canonical_name
from images.models import Partnership
from images.partners.selectors import partnership_get
from users.models import User


class PartnershipNotFound(NotFound):
    """No partnership of the caller's by that id (or not one they may do this to)."""

    def __init__(self) -> None:
        super().__init__("Not found.", code="not_found")


def partnership_create(
    *,
    grantor: User,
    user: str,
    since: date | None = None,
    show_originals: bool = False,
    show_metadata: bool = False,
) -> Partnership:
    """Offers ``grantor``'s library to the account named ``user`` (its username or email):
    pending until that account accepts.

    An unknown or inactive account, the grantor itself and an account already offered the
    library are each a 400 with a code of its own (the view's throttle bounds how fast
    anyone can ask which accounts exist, as registration already does).
    """
    name = canonical_name(user.strip())
    grantee = (
        User.objects.filter(
            Q(username_canonical=name) | Q(email_canonical=name), is_active=True
        ).first()
        if name
        else None
    )
    if grantee is None:
        raise InvalidInput(
            "There is no account by that name.", field="user", code="no_such_account"
        )
    if grantee.pk == grantor.pk:
        raise InvalidInput(
            "Your library is yours already: name another account.",
            field="user",
            code="partner_self",
        )
    try:
        with transaction.atomic():
            return Partnership.objects.create(
                grantor=grantor,
                grantee=grantee,
                since=since,
                show_originals=show_originals,
                show_metadata=show_metadata,
            )
    except IntegrityError:
        raise InvalidInput(
            "You already share your library with this account.",
            field="user",
            code="partner_exists",
        ) from None


def partnership_update(
    *,
    grantor: User,
    partnership_id: uuid.UUID,
    changes: dict[str, object],
) -> Partnership:
    """Changes what the grantor's partnership shows (``since``, ``show_originals``,
    ``show_metadata``): at once, for every request after it."""
    partnership = partnership_get(user=grantor, partnership_id=partnership_id)
    if partnership is None or partnership.grantor_id != grantor.pk:
        raise PartnershipNotFound()
    fields = [name for name in ("since", "show_originals", "show_metadata") if name in changes]
    for name in fields:
        setattr(partnership, name, changes[name])
    if fields:
        partnership.save(update_fields=fields)
    return partnership


def partnership_accept(*, grantee: User, partnership_id: uuid.UUID) -> Partnership:
    """The grantee accepts a partnership offered to them (again: no change)."""
    partnership = partnership_get(user=grantee, partnership_id=partnership_id)
    if partnership is None or partnership.grantee_id != grantee.pk:
        raise PartnershipNotFound()
    if partnership.accepted_at is None:
        partnership.accepted_at = timezone.now()
        partnership.save(update_fields=["accepted_at"])
    return partnership


def partnership_end(*, user: User, partnership_id: uuid.UUID) -> None:
    """Either side ends a partnership, pending or accepted (declined, withdrawn, ended alike):
    the row goes, and with it every access it gave, signed URLs included."""
    deleted, _ = (
        Partnership.objects.filter(pk=partnership_id)
        .filter(Q(grantor=user) | Q(grantee=user))
        .delete()
    )
    if not deleted:
        raise PartnershipNotFound()


__all__ = [
    "PartnershipNotFound",
    "partnership_accept",
    "partnership_create",
    "partnership_end",
    "partnership_update",
]
