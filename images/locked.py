"""The locked folder: pictures an owner keeps out of sight until they give their password again.

Locking a picture sets its ``locked_at``; from then on it is out of every list, album (its
count and cover), search, member's view, share link and signed gallery URL: every read path
reads through ``images.selectors.images_live`` or the access policy's scopes, and both leave
locked pictures out. Only the locked folder's own endpoints (``images.locked_views``) show
them, to their owner *elevated*: the request carries a valid ``X-Atelier-Elevation`` (the
password given again at ``auth/reauth/``, ``users.elevation``), or a signed URL of the locked
list, which ends when that elevation does. Anyone else finds nothing (404, as if missing).

Moving a picture in needs no elevation (hiding more is always allowed); taking it out does.
A trashed picture cannot be locked and a locked one cannot be trashed (``not_found``, as
for a missing one): it is unlocked first. A locked picture still counts against the quota.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import tokens
from core.errors import Forbidden
from core.grants import Grant
from images import access
from images.locks import owner_lock
from images.models import Image
from users.elevation import ELEVATION_HEADER, elevation_expires
from users.models import User

# At most this many ids per lock or unlock call: one request, one bounded transaction.
MAX_IDS_PER_CALL = 500
PURPOSE = "images.locked-rendition-url"


class ElevationRequired(Forbidden):
    """The locked folder needs the password given again (a 403: the owner knows it exists)."""

    def __init__(self) -> None:
        super().__init__(
            f"The locked folder needs your password again: POST it to auth/reauth/ and send "
            f"the elevation it returns in the {ELEVATION_HEADER} header.",
            code="elevation_required",
        )


@dataclass(frozen=True)
class ElevatedGrant(Grant):
    """A signed URL of the locked list: one rendition of one locked picture, until the
    elevation it was made under ends."""


# --- who is asking ------------------------------------------------------------------------------


def request_elevation(request: Any) -> int | None:
    """When the request's elevation (its ``X-Atelier-Elevation`` header) ends, if it is the
    caller's and valid now; ``None`` otherwise."""
    return elevation_expires(user=request.user, token=request.headers.get(ELEVATION_HEADER))


def locked_principal(
    *, user: Any, auth: Any, elevation: int | None
) -> access.Owner | access.SignedGrant | None:
    """The principal a request to the locked folder is: the owner elevated (a valid
    ``elevation``), a locked list's signed URL, or ``None`` (not elevated)."""
    if not (user and user.is_authenticated):
        return None
    if isinstance(auth, ElevatedGrant):
        return access.SignedGrant(user=user, grant=auth, elevated=True)
    if isinstance(auth, Grant) or elevation is None:
        return None  # a gallery's signed URL never opens the locked folder
    return access.Owner(user=user, elevated=True)


# --- moving pictures in and out -------------------------------------------------------------------


def images_lock(*, owner: User, image_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """Moves the owner's pictures into the locked folder; per id ``locked``,
    ``already_locked`` or ``not_found`` (another account's, missing, or in the trash)."""
    return _move(owner=owner, image_ids=image_ids, lock=True)


def images_unlock(*, owner: User, image_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """Takes the owner's pictures out of the locked folder (the caller checked the
    elevation); per id ``unlocked``, ``not_locked`` or ``not_found``."""
    return _move(owner=owner, image_ids=image_ids, lock=False)


# --- the web app's locked folder (issue 20, part 6) -------------------------------------------


def images_unlock_elevated(
    *, principal: access.Owner, image_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """``images_unlock`` for a principal the caller built from a valid elevation (the web
    app's pages, from the session's): ``ElevationRequired`` unless it is ``elevated``."""
    if not principal.elevated:
        raise ElevationRequired()
    return images_unlock(owner=principal.user, image_ids=image_ids)


# --- end the web app's locked folder


def _move(*, owner: User, image_ids: Sequence[uuid.UUID], lock: bool) -> list[dict[str, Any]]:
    ids = list(dict.fromkeys(image_ids))
    now = timezone.now()
    with transaction.atomic():
        # Account, then images: the order every writer takes them (``images.locks``).
        owner_lock(owner=owner)
        rows = dict(
            Image.objects.select_for_update()
            .filter(owner=owner, pk__in=ids, trashed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "locked_at")
        )
        changed = [pk for pk, at in rows.items() if (at is None) == lock]
        if changed:
            Image.objects.filter(pk__in=changed).update(
                locked_at=now if lock else None, updated_at=now
            )
    done, unchanged = ("locked", "already_locked") if lock else ("unlocked", "not_locked")
    moved = set(changed)
    return [
        {
            "image_id": pk,
            "result": "not_found" if pk not in rows else done if pk in moved else unchanged,
        }
        for pk in ids
    ]


# --- the locked list's signed URLs ---------------------------------------------------------------


def locked_signature(
    *,
    image_id: uuid.UUID,
    rendition: str,
    owner_id: uuid.UUID,
    credential: str,
    expires: int,
    now: float | None = None,
) -> tuple[str, int]:
    """A token for one rendition of one locked picture, ending exactly at ``expires`` (the
    elevation's end: never later). ``credential`` is the owner's ``credential_digest``."""
    start = int(timezone.now().timestamp() if now is None else now)
    return tokens.token_make(
        purpose=PURPOSE,
        message=_message(image_id=image_id, rendition=rendition, credential=credential),
        subject=owner_id.hex,
        ttl=max(expires - start, 0),
        now=start,
        step=1,
    )


def locked_signature_owner(*, token: str) -> uuid.UUID | None:
    """The owner a canonical, unexpired locked token claims (not yet verified)."""
    subject = tokens.token_subject(token=token)
    return uuid.UUID(hex=subject) if subject is not None else None


def locked_signature_valid(
    *,
    token: str,
    image_id: uuid.UUID,
    rendition: str,
    owner_id: uuid.UUID,
    credential: str,
    now: float | None = None,
) -> bool:
    """Whether ``token`` signs this rendition of this locked picture, unexpired, under the
    owner's current credentials."""
    return tokens.token_valid(
        purpose=PURPOSE,
        message=_message(image_id=image_id, rendition=rendition, credential=credential),
        subject=owner_id.hex,
        token=token,
        now=now,
    )


def _message(*, image_id: uuid.UUID, rendition: str, credential: str) -> str:
    return f"{image_id.hex}:{rendition}:{credential}"


__all__ = [
    "MAX_IDS_PER_CALL",
    "ElevatedGrant",
    "ElevationRequired",
    "images_lock",
    "images_unlock",
    "images_unlock_elevated",
    "locked_principal",
    "locked_signature",
    "locked_signature_owner",
    "locked_signature_valid",
    "request_elevation",
]
