"""Share links: the one deliberate hole in the wall, and nothing more.

The owner's side (create, change, revoke) works like every other owned object. The public
side answers to whoever holds a link's token, and checks the link on *every* request: that
it exists (deleting it revokes it), has not expired, its owner is active, and, for a link
with a password, that the caller holds a grant from ``unlock`` (or a rendition URL signed
after one). What a link shows is computed from its source at that moment: an image trashed
or taken out of the album, or an album deleted, is gone from the link at once.

What a link never shows: its owner (no name, no id, no storage key), any image it does not
name, the original unless ``allow_original``, and the date taken, the camera and the GPS
position unless ``show_metadata`` (without it the original is served with its EXIF/XMP
removed, pixels untouched, from a copy stripped once and stored). Unknown, expired and
revoked tokens are one and the same 404.

This module keeps the link's rows and tokens (its grant and rendition URLs, on
``core.tokens``); *what* a visitor may see or fetch is decided by ``images.access`` alone,
where a link's visitor is one kind of principal.
"""

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core import tokens
from core.errors import InvalidInput, NotFound, Unauthenticated, Unavailable
from core.throttling import share_unlock_attempt
from images.files import file_read, file_store, files_delete, image_file_key
from images.locks import owner_lock
from images.models import Album, Image, Share, ShareImage
from images.signing import credential_digest
from images.storage_errors import STORAGE_ERRORS
from imaging import strip
from users.models import User

# How long an unlock lasts, and a share's rendition URL.
GRANT_TTL_SECONDS = 24 * 3600
RENDITION_TTL_SECONDS = 3600
MAX_IMAGES_PER_SHARE = 500
# The purposes of a link's tokens (``core.tokens``): one salt each, so neither opens the other.
GRANT_PURPOSE = "images.share-grant"
RENDITION_PURPOSE = "images.share-rendition"
_UNSET: Any = object()
# What ``secrets.token_urlsafe`` makes: URL-safe base64, no padding.
_SHARE_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ShareNotFound(NotFound):
    """Unknown, expired or revoked: the same answer for each, so none can be told apart."""

    def __init__(self) -> None:
        super().__init__("Not found.", code="not_found")


class SharePasswordRequired(Unauthenticated):
    def __init__(self) -> None:
        super().__init__(
            "This link is protected by a password: POST it to the link's unlock/ endpoint "
            "and send the grant it returns in the X-Share-Grant header.",
            code="share_password_required",
        )


class SharePasswordInvalid(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("The password is not this link's.", code="share_password_invalid")


# --- the owner's side -------------------------------------------------------------------------


def share_create(
    *,
    owner: User,
    album_id: uuid.UUID | None = None,
    image_ids: Sequence[uuid.UUID] | None = None,
    title: str = "",
    expires_at: datetime | None = None,
    password: str | None = None,
    allow_original: bool = False,
    show_metadata: bool = False,
) -> Share:
    """A new link to one of ``owner``'s albums, or to a list of their images."""
    if (album_id is None) == (image_ids is None):
        raise InvalidInput("Share either an album or a list of image_ids, not both or neither.")
    _expiry_check(expires_at)
    with transaction.atomic():
        owner_lock(owner=owner)
        album = None
        ids: list[uuid.UUID] = []
        if album_id is not None:
            album = Album.objects.select_for_update().filter(pk=album_id, owner=owner).first()
            if album is None:
                raise InvalidInput("No such album.", field="album", code="not_found")
        else:
            ids = list(dict.fromkeys(image_ids or []))
            if not ids:
                raise InvalidInput("Name at least one image.", field="image_ids")
            found = set(
                Image.objects.select_for_update()
                .filter(owner=owner, pk__in=ids, trashed_at__isnull=True, locked_at__isnull=True)
                .values_list("pk", flat=True)
            )
            missing = [str(pk) for pk in ids if pk not in found]
            if missing:
                raise InvalidInput(
                    f"Not found: {', '.join(missing[:20])}.", field="image_ids", code="not_found"
                )
        share = Share.objects.create(
            owner=owner,
            token=secrets.token_urlsafe(32),  # 256 bits from the OS's CSPRNG
            album=album,
            title=title,
            expires_at=expires_at,
            password=make_password(password) if password else "",
            allow_original=allow_original,
            show_metadata=show_metadata,
        )
        ShareImage.objects.bulk_create([ShareImage(share=share, image_id=pk) for pk in ids])
    return share_get(owner=owner, share_id=share.pk)


def share_update(
    *,
    owner: User,
    share: Share,
    title: str | None = None,
    expires_at: datetime | None = _UNSET,
    password: str | None = _UNSET,
    allow_original: bool | None = None,
    show_metadata: bool | None = None,
) -> Share:
    """Changes a link; a new (or removed) password ends every grant and URL made before."""
    with transaction.atomic():
        current = Share.objects.select_for_update().filter(pk=share.pk, owner=owner).first()
        if current is None:
            raise ShareNotFound()
        if title is not None:
            current.title = title
        if expires_at is not _UNSET:
            _expiry_check(expires_at)
            current.expires_at = expires_at
        if password is not _UNSET:
            current.password = make_password(password) if password else ""
        if allow_original is not None:
            current.allow_original = allow_original
        if show_metadata is not None:
            current.show_metadata = show_metadata
        current.save()
    return share_get(owner=owner, share_id=current.pk)


def share_delete(*, owner: User, share_id: uuid.UUID) -> None:
    """Revokes a link at once: its token, grants and rendition URLs all stop working."""
    deleted, _ = Share.objects.filter(pk=share_id, owner=owner).delete()
    if not deleted:
        raise ShareNotFound()


def share_get(*, owner: User, share_id: uuid.UUID) -> Share:
    share = shares_for_listing(queryset=Share.objects.filter(owner=owner, pk=share_id)).first()
    if share is None:
        raise ShareNotFound()
    return share


def shares_for_listing(*, queryset: QuerySet[Share]) -> QuerySet[Share]:
    """Shares with the ids of the images they list (one more query per page, not per row)."""
    return queryset.prefetch_related("entries")


def _expiry_check(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry must be in the future.", field="expires_at")


# --- the public side --------------------------------------------------------------------------


def share_open(*, token: str) -> Share:
    """The live share a token names, with its owner's password hash; else ``ShareNotFound``."""
    if not _SHARE_TOKEN.fullmatch(token):
        raise ShareNotFound()  # not a token we make (a NUL would reach PostgreSQL as one)
    share = (
        Share.objects.filter(token=token, owner__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("owner", "album")
        .only(
            "id",
            "token",
            "album_id",
            "album__title",
            "album__description",
            "title",
            "expires_at",
            "password",
            "allow_original",
            "show_metadata",
            "owner_id",
            "owner__password",
        )
        .first()
    )
    if share is None:
        raise ShareNotFound()
    return share


def share_grant_valid(*, share: Share, grant: str | None) -> bool:
    """Whether ``grant`` is a live grant of this link's, made under its current password and
    its owner's current credentials."""
    return grant is not None and tokens.token_valid(
        purpose=GRANT_PURPOSE, message=_grant_message(share), token=grant
    )


def share_unlock(*, share: Share, password: str, request: Any) -> tuple[str, int]:
    """Checks the link's password; returns a grant and when it expires (Unix time).

    Wrong passwords are limited per (link, client address) and per address, in counters of
    their own (``core.throttling.share_unlock_attempt``): a refused try raises
    ``ShareUnlockLocked`` (429 with Retry-After) before the password is even checked.
    """
    if share.password:
        with share_unlock_attempt(request, share.pk.hex) as attempt:
            if not check_password(password, share.password):
                raise SharePasswordInvalid()
            attempt.succeeded = True
    return tokens.token_make(
        purpose=GRANT_PURPOSE, message=_grant_message(share), ttl=GRANT_TTL_SECONDS
    )


def share_images(*, share: Share) -> QuerySet[Image]:
    """The images the link shows now: named by it, of its owner, out of the trash and the
    locked folder, rendered."""
    images = Image.objects.filter(
        owner_id=share.owner_id, trashed_at__isnull=True, locked_at__isnull=True
    ).exclude(processed_key="")
    if share.album_id is not None:
        return images.filter(memberships__album_id=share.album_id)
    return images.filter(share_entries__share_id=share.pk)


def share_image_get(*, share: Share, image_id: uuid.UUID) -> Image:
    image = share_images(share=share).filter(pk=image_id).first()
    if image is None:
        raise ShareNotFound()
    return image


def share_original_stripped_key(*, image: Image) -> str:
    """The key of ``image``'s original without its metadata: stripped once, then stored.

    Stripping walks the whole file (a PNG of 300,000 empty chunks took 6.6 s of CPU), so
    it is never done per request: the first request that needs it stores the copy beside
    the image's other files (``Image.stripped_key``), later ones stream that copy, and it
    is deleted with the image (``Image.FILE_KEY_FIELDS``). First requests that race each
    make a copy; only the first to set the key keeps it, the others delete theirs, so no
    copy is ever left that no row names.

    The copy is not counted against the owner's quota: the server makes it on a visitor's
    request, at most one per image and never larger than the original (it is the original
    less some bytes), and a visitor must not be able to push the owner over a quota. The
    original's own bytes stay counted.
    """
    if image.stripped_key:
        return image.stripped_key
    try:
        data = file_read(key=image.original_key)
    except FileNotFoundError as exc:
        raise NotFound("The file of this image is not available.") from exc
    except STORAGE_ERRORS as exc:
        raise Unavailable("The file could not be read; try again.") from exc
    try:
        stripped = strip.metadata_strip(data=data, image_format=image.format)
    except strip.MetadataStripError as exc:
        raise Unavailable("This file cannot be served without its metadata.") from exc
    suffix = PurePosixPath(image.original_key).suffix
    key = image_file_key(
        owner_id=image.owner_id, image_id=image.pk, kind="original-stripped", extension=suffix
    )
    try:
        key = file_store(key=key, content=ContentFile(stripped))
    except STORAGE_ERRORS as exc:
        raise Unavailable("The file could not be stored; try again.") from exc
    # Only while no copy is recorded and the original is the one stripped; an image deleted
    # meanwhile matches nothing, and its copy goes here as any loser's does.
    won = Image.objects.filter(
        pk=image.pk, stripped_key="", original_key=image.original_key
    ).update(stripped_key=key)
    if won:
        image.stripped_key = key
        return key
    files_delete(keys=[key])
    current = Image.objects.filter(pk=image.pk).values_list("stripped_key", flat=True).first()
    if not current:
        raise ShareNotFound()
    image.stripped_key = current
    return current


def share_viewed(*, share: Share) -> None:
    """Counts one view of the link (its first page), atomically."""
    Share.objects.filter(pk=share.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )


def share_rendition_signature(
    *, share: Share, image_id: uuid.UUID, rendition: str
) -> tuple[str, int]:
    """A token for one rendition of one image through one share, and when it expires."""
    return tokens.token_make(
        purpose=RENDITION_PURPOSE,
        message=_rendition_message(share, image_id, rendition),
        ttl=RENDITION_TTL_SECONDS,
    )


def share_rendition_signature_valid(
    *, share: Share, image_id: uuid.UUID, rendition: str, token: str
) -> bool:
    return tokens.token_valid(
        purpose=RENDITION_PURPOSE,
        message=_rendition_message(share, image_id, rendition),
        token=token,
    )


def _credentials(share: Share) -> str:
    # A new link password, or a new owner password, ends every grant and URL made before.
    return hashlib.sha256(
        f"{share.password}:{credential_digest(share.owner.password)}".encode()
    ).hexdigest()


def _grant_message(share: Share) -> str:
    return f"{share.pk.hex}:{_credentials(share)}"


def _rendition_message(share: Share, image_id: uuid.UUID, rendition: str) -> str:
    return f"{share.pk.hex}:{image_id.hex}:{rendition}:{_credentials(share)}"


__all__ = [
    "ShareNotFound",
    "SharePasswordInvalid",
    "SharePasswordRequired",
    "share_create",
    "share_delete",
    "share_open",
    "share_original_stripped_key",
    "share_unlock",
    "share_update",
]
