"""A resumable upload's life: created against the quota, appended to, completed, removed.

Bytes go to storage as they arrive (``images.files``' staging writer: a file under the media
root, or an S3 multipart upload), never whole in memory. One request at a time writes to an
upload: it takes a lease on the row in a short transaction, streams with no transaction open
(a PATCH may last minutes), and commits the new offset with the lease. The last byte's
commit moves the upload to ``completing`` in the same statement, so exactly one request makes
the image, however the final PATCH is retried or raced. The quota is counted at creation,
for the declared length (``images.quota`` under the owner's lock, open uploads' lengths
included), so a gallery cannot be overfilled by uploads that are still arriving.
"""

import functools
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError
from images import files
from images.errors import StorageFailed, UploadTooLarge
from images.lifecycle import image_create
from images.locks import owner_lock
from images.quota import quota_check
from resumable.errors import (
    UploadBusy,
    UploadEmpty,
    UploadNotFound,
    UploadNotReceiving,
    UploadOffsetMismatch,
    UploadPastLength,
)
from resumable.models import ResumableUpload
from users.models import User

logger = logging.getLogger(__name__)

__all__ = [
    "account_uploads_delete_on_commit",
    "upload_append",
    "upload_complete",
    "upload_create",
    "upload_delete",
    "uploads_sweep",
]

# How much of the request body is read at a time.
CHUNK_BYTES = 64 * 1024
State = ResumableUpload.State


class Body(Protocol):
    """A request body: read at most ``size`` bytes (fewer, or none, once it ends)."""

    def read(self, size: int = -1, /) -> bytes: ...


def upload_create(*, owner: User, length: int, metadata: dict[str, str]) -> ResumableUpload:
    """Creates an upload of ``length`` bytes, its quota reserved and its staging prepared.

    Refused before anything is stored: past ``ATELIER_MAX_RESUMABLE_BYTES`` (413), empty
    (400), or past the owner's quota counting the uploads still open (413 / 403).
    """
    limit = settings.ATELIER_MAX_RESUMABLE_BYTES
    if length > limit:
        raise UploadTooLarge(limit=limit)
    if length < 1:
        raise UploadEmpty()
    upload_id = uuid.uuid4()
    prefix = files.staging_prefix(owner_id=owner.pk, upload_id=upload_id)
    staging: dict[str, Any] | None = None
    try:
        with transaction.atomic():
            locked = owner_lock(owner=owner)
            # The uploads still receiving count as used (``uploads_reserved``, registered
            # with ``images.quota``), so two creations cannot both pass.
            quota_check(locked_owner=locked, add_bytes=length, add_images=1)
            staging = files.staging_begin(prefix=prefix)
            return ResumableUpload.objects.create(
                id=upload_id,
                owner=locked,
                length=length,
                metadata=metadata,
                staging_prefix=prefix,
                staging=staging,
                expires_at=_expiry(),
            )
    except BaseException as exc:
        if staging is not None:
            files.staging_delete(prefix=prefix, state=staging)
        if isinstance(exc, files.STORAGE_ERRORS):
            raise StorageFailed(str(exc)) from exc
        raise


def upload_append(
    *, owner: User, upload_id: uuid.UUID, offset: int, body: Body, body_length: int
) -> ResumableUpload:
    """Appends ``body`` (``body_length`` bytes declared) at ``offset``; completes the upload
    when it holds all its bytes.

    A body that ends early (a dropped connection) keeps what arrived: the client asks the
    offset (HEAD) and goes on from there. Raises ``UploadOffsetMismatch`` (409),
    ``UploadBusy`` (409, another request holds the upload), ``UploadPastLength`` (413,
    checked from the headers before a byte is read), ``UploadNotReceiving`` (409), and on
    the last byte whatever ``upload_complete`` raises.
    """
    token = uuid.uuid4()
    with transaction.atomic():
        upload = _locked(owner=owner, upload_id=upload_id)
        if upload.state == State.COMPLETED and offset == upload.offset and body_length == 0:
            return upload  # a retried final PATCH: the answer it should have had
        if upload.state != State.RECEIVING:
            if upload.state == State.COMPLETING:
                raise UploadBusy()
            raise UploadNotReceiving(state=upload.state)
        if _leased(upload):
            raise UploadBusy()
        if offset != upload.offset:
            raise UploadOffsetMismatch(offset=upload.offset)
        if offset + body_length > upload.length:
            raise UploadPastLength(length=upload.length)
        _lease(upload, token)
    received = 0
    try:
        writer = files.staging_writer(
            state=upload.staging,
            offset=upload.offset,
            part_bytes=settings.ATELIER_RESUMABLE_PART_BYTES,
        )
        try:
            received = _receive(body=body, length=body_length, writer=writer, upload=upload)
            end = upload.offset + received
            staging, obsolete = writer.close(last=end == upload.length)
        except BaseException:
            writer.abort()
            raise
    except BaseException as exc:
        _lease_release(upload.pk, token)
        if isinstance(exc, files.STORAGE_ERRORS):
            raise StorageFailed(str(exc)) from exc
        raise
    complete = end == upload.length
    with transaction.atomic():
        updated = ResumableUpload.objects.filter(pk=upload.pk, lease_token=token).update(
            offset=end,
            staging=staging,
            state=State.COMPLETING if complete else State.RECEIVING,
            # The completion keeps the lease: it is the one request allowed to finish.
            lease_token=token if complete else None,
            lease_expires_at=_lease_end() if complete else None,
            expires_at=_expiry(),
            updated_at=timezone.now(),
        )
    if not updated:  # the lease ran out and another request took the upload over
        raise UploadBusy()
    files.files_delete(keys=obsolete)
    if complete:
        return upload_complete(owner=owner, upload_id=upload.pk, claim=token)
    return _locked(owner=owner, upload_id=upload.pk, lock=False)


def upload_complete(*, owner: User, upload_id: uuid.UUID, claim: uuid.UUID) -> ResumableUpload:
    """Makes the image of an upload that holds all its bytes (``images.lifecycle.image_create``
    over the staged file, streamed), then removes the staging.

    ``claim`` is the lease the request that stored the last byte holds: only it completes.
    If the image is refused (format, limits, quota) the upload ends ``failed``, its staging
    removed, and the refusal is raised; if storage fails it goes back to ``receiving`` with
    every byte kept, so the final PATCH (with no body) can be sent again.
    """
    upload = _locked(owner=owner, upload_id=upload_id, lock=False)
    if upload.state != State.COMPLETING or upload.lease_token != claim:
        raise UploadBusy()
    metadata = upload.metadata
    filename = metadata.get("filename") or "upload"
    staged = files.staging_open(state=upload.staging, size=upload.length, name=filename)
    try:
        image = image_create(
            owner=owner,
            upload=staged,
            style=metadata["style"],
            title=metadata.get("title", ""),
            filename=filename,
        )
    except StorageFailed:
        _finish(upload, claim, state=State.RECEIVING)
        raise
    except ApplicationError as exc:
        _finish(
            upload,
            claim,
            state=State.FAILED,
            error_code=exc.code[:64],
            error_detail=exc.message[:500],
        )
        files.staging_delete(prefix=upload.staging_prefix, state=upload.staging)
        raise
    finally:
        staged.close()
    _finish(upload, claim, state=State.COMPLETED, image_id=image.pk)
    files.staging_delete(prefix=upload.staging_prefix, state=upload.staging)
    return _locked(owner=owner, upload_id=upload.pk, lock=False)


def upload_delete(*, owner: User, upload_id: uuid.UUID) -> None:
    """Cancels an upload (tus termination): its staging goes and its quota is released.

    An upload a request is writing to right now is refused (``UploadBusy``).
    """
    with transaction.atomic():
        upload = _locked(owner=owner, upload_id=upload_id)
        if _leased(upload):
            raise UploadBusy()
        upload.delete()
        prefix, state = upload.staging_prefix, upload.staging
        transaction.on_commit(lambda: files.staging_delete(prefix=prefix, state=state))


def uploads_sweep(*, now: datetime | None = None) -> int:
    """Removes expired uploads (their staging, an S3 multipart upload aborted, and the row);
    returns how many went. An upload a live request holds is left for the next sweep."""
    now = now or timezone.now()
    removed = 0
    for upload_id in ResumableUpload.objects.filter(expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            upload = ResumableUpload.objects.select_for_update().filter(pk=upload_id).first()
            if upload is None or upload.expires_at > now or _leased(upload, now=now):
                continue
            upload.delete()
            prefix, state = upload.staging_prefix, upload.staging
            transaction.on_commit(
                functools.partial(files.staging_delete, prefix=prefix, state=state)
            )
        removed += 1
    return removed


def account_uploads_delete_on_commit(sender: type, instance: User, **kwargs: object) -> None:
    """Schedules removal of an account's staged uploads for when its deletion commits
    (connected to the account's ``pre_delete``: the rows go by cascade)."""
    staged = list(
        ResumableUpload.objects.filter(owner=instance).values_list("staging_prefix", "staging")
    )

    def remove() -> None:
        for prefix, state in staged:
            files.staging_delete(prefix=prefix, state=state)

    transaction.on_commit(remove)


# --- Helpers ----------------------------------------------------------------------------------


def _locked(*, owner: User, upload_id: uuid.UUID, lock: bool = True) -> ResumableUpload:
    """The owner's live upload (locked for the transaction); ``UploadNotFound`` otherwise,
    the same for someone else's, an expired one and none."""
    scope = ResumableUpload.objects.filter(pk=upload_id, owner=owner, expires_at__gt=timezone.now())
    upload = (scope.select_for_update() if lock else scope).first()
    if upload is None:
        raise UploadNotFound()
    return upload


def _expiry() -> datetime:
    return timezone.now() + timedelta(seconds=settings.ATELIER_RESUMABLE_EXPIRY_SECONDS)


def _lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.ATELIER_RESUMABLE_LEASE_SECONDS)


def _leased(upload: ResumableUpload, *, now: datetime | None = None) -> bool:
    expires = upload.lease_expires_at
    return (
        upload.lease_token is not None and expires is not None and expires > (now or timezone.now())
    )


def _lease(upload: ResumableUpload, token: uuid.UUID) -> None:
    upload.lease_token = token
    upload.lease_expires_at = _lease_end()
    upload.save(update_fields=["lease_token", "lease_expires_at", "updated_at"])


def _lease_release(upload_id: uuid.UUID, token: uuid.UUID) -> None:
    ResumableUpload.objects.filter(pk=upload_id, lease_token=token).update(
        lease_token=None, lease_expires_at=None
    )


def _receive(
    *, body: Body, length: int, writer: files.StagingWriter, upload: ResumableUpload
) -> int:
    """Streams up to ``length`` bytes of ``body`` into ``writer``; returns how many arrived.

    Renews the lease as it goes (a third of its time), so a slow upload keeps it and a dead
    process's lapses.
    """
    token = upload.lease_token
    renew_every = settings.ATELIER_RESUMABLE_LEASE_SECONDS / 3
    renewed = time.monotonic()
    received = 0
    while received < length:
        try:
            chunk = body.read(min(CHUNK_BYTES, length - received))
        except OSError:  # the connection dropped (Django's UnreadablePostError is one)
            logger.info("Upload %s: the body ended after %d bytes", upload.pk, received)
            break
        if not chunk:
            break
        writer.write(chunk)
        received += len(chunk)
        if time.monotonic() - renewed > renew_every:
            renewed = time.monotonic()
            if not ResumableUpload.objects.filter(pk=upload.pk, lease_token=token).update(
                lease_expires_at=_lease_end()
            ):
                raise UploadBusy()
    return received


def _finish(upload: ResumableUpload, claim: uuid.UUID, **fields: Any) -> None:
    """Ends the completion ``claim`` holds: the new state, the lease given back."""
    ResumableUpload.objects.filter(pk=upload.pk, lease_token=claim).update(
        lease_token=None, lease_expires_at=None, updated_at=timezone.now(), **fields
    )
