"""Write-side operations on images: create, restyle, retitle, delete, and their files.

Files and rows move together. Files are written inside the database transaction and removed
again if anything fails before it commits; files a change makes obsolete are removed only
after it commits. So a failure leaves either the old state or the new one, never a row without
its files or a file without its row.
"""

import logging
import os
import posixpath
import secrets
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, transaction

from images import processing
from images.models import Image
from images.processing import ImageRejected, Rendition
from images.selectors import image_storage_usage
from project.errors import (
    ApplicationError,
    Gone,
    LimitReached,
    NotFound,
    TooLarge,
    Unavailable,
)
from users.models import User
from users.selectors import user_quota_limits

logger = logging.getLogger(__name__)

__all__ = [
    "AccountGone",
    "ImageNotFound",
    "ImageRejected",
    "QuotaExceeded",
    "StorageFailed",
    "UploadTooLarge",
    "account_files_delete_on_commit",
    "image_create",
    "image_delete",
    "image_update",
]


class UploadTooLarge(TooLarge):
    """The upload has more bytes than the server accepts."""

    def __init__(self, *, limit: int) -> None:
        super().__init__(
            f"The file is too large; the limit is {limit:,} bytes.",
            code="file_too_large",
            extra={"max_bytes": limit},
        )
        self.limit = limit


class QuotaExceeded(ApplicationError):
    """Storing this would take the owner over one of their quotas (``bytes`` or ``images``)."""

    default_code = "quota_exceeded"

    def __init__(self, quota: str, used: int, limit: int, requested: int) -> None:
        noun = "stored bytes" if quota == "bytes" else "images"
        super().__init__(
            f"Quota exceeded: {noun} would be {used + requested:,}, the limit is {limit:,}.",
            extra={"quota": quota, "used": used, "limit": limit},
        )
        self.quota = quota


class StorageQuotaExceeded(QuotaExceeded, TooLarge):
    """The owner's stored bytes would pass their quota."""


class ImageQuotaExceeded(QuotaExceeded, LimitReached):
    """The owner's image count would pass their quota."""


class StorageFailed(Unavailable):
    """Storage or the database failed mid-change; nothing of the change was kept."""

    def __init__(self, message: str = "") -> None:
        super().__init__("The service is temporarily unavailable; nothing was saved. Try again.")
        self.cause = message


class ImageNotFound(NotFound):
    """No such image in this owner's gallery (or it was deleted meanwhile)."""

    def __init__(self) -> None:
        super().__init__("Not found.")


class AccountGone(Gone):
    """The owner's account was deleted while the change was under way; nothing was kept."""

    def __init__(self) -> None:
        super().__init__("The account no longer exists; nothing was saved.")


def image_create(
    *,
    owner: User,
    upload: File,
    style: str,
    title: str = "",
    filename: str | None = None,
) -> Image:
    """Validates, renders and stores an upload as a new image in ``owner``'s gallery.

    Raises ``UploadTooLarge``, ``ImageRejected`` or ``QuotaExceeded`` for input the server
    refuses, and ``StorageFailed`` if storage or the database fails; in every case no row
    and no file is left behind.
    """
    limits = settings.ATELIER
    size = upload.size or 0
    if size > limits["MAX_UPLOAD_BYTES"]:
        raise UploadTooLarge(limit=limits["MAX_UPLOAD_BYTES"])
    if size == 0:
        raise ImageRejected("empty", "The file is empty.")
    decoded = _decode(upload)
    upload.seek(0)
    data = upload.read()
    end = processing.image_payload_end(data, decoded.format)
    # The original is kept byte for byte, up to the end of the image itself: a trailer
    # (the second half of a polyglot) is dropped rather than stored and served.
    original: File = upload if end == len(data) else ContentFile(data[:end])
    size = end
    # The same function the importer uses, so "already imported" means the same thing.
    checksum = processing.image_checksum(data, decoded.format)
    del data
    processed, thumbnail = _render(decoded, style)
    image_id = uuid.uuid4()
    prefix = f"{owner.pk}/{image_id}"
    written: list[str] = []
    with _written_files_removed_on_failure(written, image_id), transaction.atomic():
        stored_bytes = size + len(processed.data) + len(thumbnail.data)
        _quota_check(owner=owner, add_bytes=stored_bytes, add_images=1)
        original.seek(0)
        original_key = _store(
            f"{prefix}/original.{processing.EXTENSIONS[decoded.format]}", original, written
        )
        processed_key = _store_rendition(prefix, "processed", processed, written)
        thumbnail_key = _store_rendition(prefix, "thumbnail", thumbnail, written)
        image = Image.objects.create(
            id=image_id,
            owner=owner,
            title=title,
            style=style,
            status=Image.Status.READY,
            original_filename=filename_sanitize(filename or upload.name or ""),
            format=decoded.format,
            width=decoded.width,
            height=decoded.height,
            size=size,
            stored_bytes=stored_bytes,
            checksum=checksum,
            original_key=original_key,
            processed_key=processed_key,
            thumbnail_key=thumbnail_key,
        )
    return image


def image_update(*, owner: User, image: Image, title: str | None, style: str | None) -> Image:
    """Changes the title and, for a new style, re-renders processed and thumbnail.

    The new renditions get new storage names; the old files are removed once the change
    commits, so a failure keeps the previous renditions intact.
    """
    restyle = style is not None and style != image.style
    rendered: tuple[Rendition, Rendition] | None = None
    if restyle:
        try:
            with default_storage.open(image.original_key, "rb") as original:
                decoded = _decode(original)
        except FileNotFoundError as exc:
            # A delete that committed meanwhile removes the original: the truth is a 404.
            if not Image.objects.filter(pk=image.pk, owner=owner).exists():
                raise ImageNotFound() from exc
            logger.exception("The original of image %s is missing", image.pk)
            raise StorageFailed(str(exc)) from exc
        except OSError as exc:
            logger.exception("Could not read the original of image %s", image.pk)
            raise StorageFailed(str(exc)) from exc
        rendered = _render(decoded, style)
    written: list[str] = []
    with _written_files_removed_on_failure(written, image.pk), transaction.atomic():
        # Locks in the order every writer takes them (account, then image), so a restyle and
        # an account deletion queue instead of deadlocking.
        _owner_lock(owner)
        current = Image.objects.select_for_update().filter(pk=image.pk, owner=owner).first()
        if current is None:
            raise ImageNotFound()
        fields = ["updated_at"]
        if title is not None:
            current.title = title
            fields.append("title")
        if rendered is not None:
            processed, thumbnail = rendered
            new_bytes = current.size + len(processed.data) + len(thumbnail.data)
            _quota_check(owner=owner, add_bytes=new_bytes - current.stored_bytes, add_images=0)
            obsolete = [current.processed_key, current.thumbnail_key]
            prefix = f"{owner.pk}/{current.pk}"
            current.processed_key = _store_rendition(prefix, "processed", processed, written)
            current.thumbnail_key = _store_rendition(prefix, "thumbnail", thumbnail, written)
            current.style = style
            current.stored_bytes = new_bytes
            fields += ["processed_key", "thumbnail_key", "style", "stored_bytes"]
            transaction.on_commit(lambda: _files_delete(obsolete))
        current.save(update_fields=fields)
    return current


def image_delete(*, owner: User, image_id: uuid.UUID) -> None:
    """Deletes one of ``owner``'s images; its files go once the deletion commits.

    The row is locked before its file names are read: a restyle that commits meanwhile
    either finished first (and its new files are the ones read here) or waits and then finds
    no image. Two parallel deletes of one image: exactly one removes the row, the other sees
    nothing to delete and raises ``ImageNotFound``.
    """
    with transaction.atomic():
        keys = list(
            Image.objects.select_for_update()
            .filter(pk=image_id, owner=owner)
            .values_list("original_key", "processed_key", "thumbnail_key")
        )
        if not keys:
            raise ImageNotFound()
        deleted, _ = Image.objects.filter(pk=image_id, owner=owner).delete()
        if not deleted:
            raise ImageNotFound()
        files = [key for row in keys for key in row if key]
        transaction.on_commit(lambda: _files_delete(files))


def account_files_delete_on_commit(sender: type, instance: User, **kwargs: object) -> None:
    """Schedules removal of every file of an account's images, for when its deletion commits.

    Connected to the account's ``pre_delete`` (``ImagesConfig.ready``): the rows go by
    cascade, the files here, after commit, so a rolled-back deletion loses nothing. Account
    deletion locks the account's row first, as every upload and restyle does, so no file can
    be added between this read and the deletion.
    """
    rows = Image.objects.filter(owner=instance).values_list(
        "original_key", "processed_key", "thumbnail_key"
    )
    files = [key for row in rows for key in row if key]
    transaction.on_commit(lambda: _files_delete(files))


def filename_sanitize(name: str) -> str:
    """A display-only file name: no directories, control, NUL or bidirectional characters.

    It never becomes part of a storage path; it only names downloads.
    """
    name = unicodedata.normalize("NFC", name)
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(
        ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\\/"
    )
    name = name.strip(" .")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 254 - len(ext)]}.{ext}" if dot and len(ext) <= 16 else name[:255]
    return name


def _decode(fp: File) -> processing.DecodedImage:
    limits = settings.ATELIER
    return processing.image_decode(
        fp,
        max_pixels=limits["MAX_PIXELS"],
        max_edge=limits["PROCESSED_MAX_EDGE"],
        max_edge_px=limits["MAX_EDGE"],
    )


def _render(decoded: processing.DecodedImage, style: str) -> tuple[Rendition, Rendition]:
    limits = settings.ATELIER
    return processing.renditions_render(
        decoded,
        style=style,
        max_edge=limits["PROCESSED_MAX_EDGE"],
        thumbnail_edge=limits["THUMBNAIL_EDGE"],
    )


@contextmanager
def _written_files_removed_on_failure(written: list[str], image_id: object) -> Iterator[None]:
    """Removes the files in ``written`` if the block fails; storage and database failures
    become ``StorageFailed`` (nothing of the change was kept), anything else propagates.

    Used outside the transaction, so it also catches a failure of the commit itself.
    """
    try:
        yield
    except (OSError, DatabaseError) as exc:
        _files_delete(written)
        logger.exception("Change to image %s failed; removed %d new files", image_id, len(written))
        raise StorageFailed(str(exc)) from exc
    except BaseException:
        _files_delete(written)
        raise


def _quota_check(*, owner: User, add_bytes: int, add_images: int) -> None:
    """Raises ``QuotaExceeded`` if the change would take ``owner`` over a quota.

    Locks the owner's row first, so that parallel uploads by one user queue here and each
    sees the usage the previous one committed: they cannot overshoot together.
    """
    locked = _owner_lock(owner)
    limits = user_quota_limits(user=locked)
    usage = image_storage_usage(owner=locked)
    if add_images and usage["images"] + add_images > limits["images"]:
        raise ImageQuotaExceeded("images", usage["images"], limits["images"], add_images)
    if add_bytes > 0 and usage["bytes"] + add_bytes > limits["bytes"]:
        raise StorageQuotaExceeded("bytes", usage["bytes"], limits["bytes"], add_bytes)


def _owner_lock(owner: User) -> User:
    """Locks the owner's row for the rest of the transaction; ``AccountGone`` if deleted.

    Every change to an owner's images takes this lock first, and account deletion takes it
    too, so an upload or restyle racing the deletion of its account either commits before it
    (and its files are deleted with the account) or finds no account and keeps nothing.
    """
    locked = (
        User.objects.select_for_update()
        .only("id", "quota_bytes", "quota_images")
        .filter(pk=owner.pk)
        .first()
    )
    if locked is None:
        raise AccountGone()
    return locked


def _store(key: str, content: File, written: list[str]) -> str:
    """Saves ``content`` under ``key`` and records the name actually used."""
    name = default_storage.save(key, content)
    written.append(name)
    return name


def _store_rendition(prefix: str, kind: str, rendition: Rendition, written: list[str]) -> str:
    # A fresh suffix per render: a restyle never overwrites the files the old row points to.
    key = f"{prefix}/{kind}-{secrets.token_hex(4)}.{rendition.extension}"
    return _store(key, ContentFile(rendition.data), written)


def _files_delete(keys: Iterable[str]) -> None:
    """Removes files, logging (not raising) failures: the rows are already consistent.

    On a file-system storage the folders they leave empty (``<owner>/<image>/``, then
    ``<owner>/``) go too; object stores have no folders to leave behind.
    """
    folders: set[str] = set()
    for key in keys:
        try:
            default_storage.delete(key)
        except OSError:
            logger.exception("Could not delete stored file %s", key)
        parent = posixpath.dirname(key)
        while parent:
            folders.add(parent)
            parent = posixpath.dirname(parent)
    if isinstance(default_storage, FileSystemStorage):
        # Deepest first; rmdir refuses a folder that is not empty (another image, or an
        # upload writing into it right now), which is exactly when it must stay.
        for folder in sorted(folders, key=lambda name: name.count("/"), reverse=True):
            with suppress(OSError):
                os.rmdir(default_storage.path(folder))
