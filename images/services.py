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
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.errors import (
    ApplicationError,
    Conflict,
    Gone,
    LimitReached,
    NotFound,
    TooLarge,
    Unavailable,
)
from core.metrics import RENDERS, UPLOADS
from images import audit
from images.models import Album, Image
from images.selectors import image_storage_usage
from images.storage_errors import STORAGE_ERRORS, storage_missing
from imaging import exif, processing
from imaging.processing import ImageRejected, Rendition
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
    "image_restore",
    "image_trash",
    "image_update",
    "trash_empty",
    "trash_purge_expired",
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


class RenditionNotReady(Conflict):
    """The image has no such file (yet): its render is pending, or it failed."""

    # How long a client should wait before asking again about a pending render.
    RETRY_SECONDS = 2

    def __init__(self, *, image: Image, rendition: str) -> None:
        if image.status == Image.Status.FAILED:
            super().__init__(
                f"This image failed to render ({image.error_detail or image.error_code}); "
                f"it has no {rendition} file.",
                code=image.error_code or "failed",
            )
        else:
            super().__init__(
                f"The {rendition} file is not ready yet; ask again shortly.",
                code="not_ready",
                retry_after=self.RETRY_SECONDS,
            )


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
    """Checks what is cheap and certain about an upload, stores the original, queues its render.

    In the request: the size, the format from the bytes, the header's dimensions, the cut of
    any trailer and the quota. Decoding and rendering are the render job's (``image_render``):
    on a worker when a broker is configured (the image comes back ``pending``), else right
    here after the commit (it comes back ``ready`` or ``failed``). Raises ``UploadTooLarge``,
    ``ImageRejected`` or ``QuotaExceeded`` for input refused at the door, and
    ``StorageFailed`` if storage or the database fails; then no row and no file is left.
    """
    try:
        image = _image_create(
            owner=owner, upload=upload, style=style, title=title, filename=filename
        )
    except ApplicationError as exc:
        UPLOADS.labels(outcome=exc.code).inc()
        raise
    UPLOADS.labels(outcome="accepted").inc()
    return image


def _image_create(
    *, owner: User, upload: File, style: str, title: str, filename: str | None
) -> Image:
    limits = settings.ATELIER
    size = upload.size or 0
    if size > limits["MAX_UPLOAD_BYTES"]:
        raise UploadTooLarge(limit=limits["MAX_UPLOAD_BYTES"])
    if size == 0:
        raise ImageRejected("empty", "The file is empty.")
    header = processing.image_header(
        upload, max_pixels=limits["MAX_PIXELS"], max_edge_px=limits["MAX_EDGE"]
    )
    upload.seek(0)
    data = upload.read()
    end = processing.image_payload_end(data, header.format)
    # The original is kept byte for byte, up to the end of the image itself: a trailer
    # (the second half of a polyglot) is dropped rather than stored and served.
    original: File = upload if end == len(data) else ContentFile(data[:end])
    # The same function the importer uses, so "already imported" means the same thing.
    checksum = processing.image_checksum(data, header.format)
    del data
    image_id = uuid.uuid4()
    token = uuid.uuid4()
    written: list[str] = []
    with _written_files_removed_on_failure(written, image_id), transaction.atomic():
        _quota_check(locked_owner=owner_lock(owner), add_bytes=end, add_images=1)
        original.seek(0)
        original_key = _store(
            f"{owner.pk}/{image_id}/original.{processing.EXTENSIONS[header.format]}",
            original,
            written,
        )
        Image.objects.create(
            id=image_id,
            owner=owner,
            title=title,
            style=style,
            status=Image.Status.PENDING,
            original_filename=filename_sanitize(filename or upload.name or ""),
            format=header.format,
            width=header.width,
            height=header.height,
            size=end,
            stored_bytes=end,
            checksum=checksum,
            original_key=original_key,
            render_token=token,
        )
    _render_dispatch(image_id=image_id, token=token)
    created = Image.objects.filter(pk=image_id).first()
    if created is None:  # only the deletion of the whole account can remove it this soon
        raise AccountGone()
    return created


def image_update(
    *,
    owner: User,
    image: Image,
    title: str | None,
    style: str | None,
    is_favorite: bool | None = None,
) -> Image:
    """Changes the title or the favourite mark and, for a new style, queues a render in it.

    A restyle sets ``pending`` and a new render token; the previous renditions keep being
    served until the render job replaces them (new storage names, the old files removed after
    that commit), so a failure keeps them intact.
    """
    # A failed image is rendered again in the style asked for, even its own.
    restyle = style is not None and (style != image.style or image.status == Image.Status.FAILED)
    token = uuid.uuid4() if restyle else None
    with _written_files_removed_on_failure([], image.pk), transaction.atomic():
        # Locks in the order every writer takes them (account, then image), so a restyle and
        # an account deletion queue instead of deadlocking.
        locked_owner = owner_lock(owner)
        current = (
            Image.objects.select_for_update()
            .filter(pk=image.pk, owner=owner, trashed_at__isnull=True)
            .first()
        )
        if current is None:
            raise ImageNotFound()
        fields = ["updated_at"]
        if title is not None:
            current.title = title
            fields.append("title")
        if is_favorite is not None:
            current.is_favorite = is_favorite
            fields.append("is_favorite")
        if restyle:
            if not current.original_key:
                raise ImageRejected(
                    current.error_code or "failed",
                    "This image failed to render and keeps no original; upload it again.",
                )
            # A cheap early answer for a gallery already at its quota (one more byte would
            # not fit); the render job checks the exact sizes when it has them.
            _quota_check(locked_owner=locked_owner, add_bytes=1, add_images=0)
            current.style = style
            current.status = Image.Status.PENDING
            current.render_token = token
            # A new render: its attempts count from zero, and no job holds it yet.
            current.render_attempts = 0
            current.render_lease_expires_at = None
            current.error_code = current.error_detail = ""
            fields += [
                "style",
                "status",
                "render_token",
                "render_attempts",
                "render_lease_expires_at",
                "error_code",
                "error_detail",
            ]
        current.save(update_fields=fields)
    if token is not None:
        _render_dispatch(image_id=current.pk, token=token)
        rendered = Image.objects.filter(pk=current.pk).first()
        if rendered is None:  # deleted (or its account) while it rendered
            raise ImageNotFound()
        return rendered
    return current


def image_render(
    *,
    image_id: uuid.UUID,
    token: uuid.UUID,
    interrupted_by: tuple[type[BaseException], ...] = (),
) -> str:
    """The render job: decodes the original, renders processed, preview and thumbnail.

    Safe to run twice, or late: it acts only while ``token`` is the image's render token and
    the image is pending, and never while another job holds the render's lease (it does
    nothing then). It takes the lease in a locked update, counting an attempt, keeps it
    renewed while it works (``_lease_renewed``) and its writes commit together with the check
    that the lease is still its own. Ends the image ``ready``, or ``failed`` with an error the
    owner can read (a first render refused for its bytes keeps no original and counts nothing
    against the quota; a failed restyle keeps the previous renditions and style).

    ``interrupted_by``: exceptions that mean the job was stopped from outside (a time limit);
    the render is queued again while attempts are left (``ATELIER_RENDER_MAX_ATTEMPTS``), and
    then fails ``too_costly``. Any other unexpected exception fails it ``render_failed`` at
    once; both keep the original, so the owner can try again by restyling. Raises
    ``StorageFailed`` on storage errors, for the job to retry (not counted as an attempt).
    Returns what happened: ``ready``, ``failed``, ``requeued`` or ``skipped``.
    """
    started = time.monotonic()
    outcome, style = _image_render(image_id=image_id, token=token, interrupted_by=interrupted_by)
    seconds = time.monotonic() - started
    if outcome in ("ready", "failed"):
        RENDERS.labels(style=style, outcome=outcome).observe(seconds)
    logger.info("render of image %s: %s in %.0f ms", image_id, outcome, seconds * 1000)
    return outcome


def _image_render(
    *, image_id: uuid.UUID, token: uuid.UUID, interrupted_by: tuple[type[BaseException], ...]
) -> tuple[str, str]:
    """``image_render``'s work; returns what happened and the style it rendered in."""
    claimed = _render_claim(image_id=image_id, token=token)
    if isinstance(claimed, str):
        return claimed, ""
    image, attempt = claimed
    try:
        return _image_render_claimed(image=image, token=token, attempt=attempt), image.style
    except StorageFailed:
        # A passing fault, retried by the job: it does not use up an attempt.
        _render_release(image_id=image_id, token=token, attempt=attempt, refund=True)
        raise
    except interrupted_by:
        logger.warning("Render of image %s stopped at attempt %d", image_id, attempt)
        if attempt < settings.ATELIER_RENDER_MAX_ATTEMPTS:
            _render_release(image_id=image_id, token=token, attempt=attempt, refund=False)
            _render_dispatch(image_id=image_id, token=token)
            return "requeued", image.style
        detail = (
            f"Rendering this image took too long, {attempt} times; choose a style to try again."
        )
        code = "too_costly"
    except Exception:
        logger.exception("Render of image %s failed unexpectedly", image_id)
        detail = "Rendering this image failed unexpectedly; choose a style to try again."
        code = "render_failed"
    outcome = _render_fail(
        image_id=image_id,
        token=token,
        attempt=attempt,
        code=code,
        detail=detail,
        keep_original=True,
    )
    return outcome, image.style


def _render_claim(*, image_id: uuid.UUID, token: uuid.UUID) -> tuple[Image, int] | str:
    """Takes the render's lease for this job, counting an attempt; or says why not.

    Locked, so of two jobs for one render exactly one gets it; the other finds the lease live
    and does nothing (``skipped``). Past ``ATELIER_RENDER_MAX_ATTEMPTS`` the image is failed.
    """
    now = timezone.now()
    with transaction.atomic():
        current = (
            Image.objects.select_for_update()
            .filter(pk=image_id, render_token=token, status=Image.Status.PENDING)
            .first()
        )
        if current is None:
            return "skipped"  # deleted, superseded by a newer render, or already done
        lease = current.render_lease_expires_at
        if lease is not None and lease > now:
            return "skipped"  # another job renders it right now
        if current.render_attempts >= settings.ATELIER_RENDER_MAX_ATTEMPTS:
            _render_fail_locked(current, **_attempts_used_up(current.render_attempts))
            return "failed"
        current.render_attempts += 1
        current.render_lease_expires_at = now + timedelta(
            seconds=settings.ATELIER_RENDER_LEASE_SECONDS
        )
        Image.objects.filter(pk=image_id).update(
            render_attempts=current.render_attempts,
            render_lease_expires_at=current.render_lease_expires_at,
        )
    return current, current.render_attempts


def _attempts_used_up(attempts: int) -> dict[str, object]:
    return {
        "code": "render_failed",
        "detail": (
            f"The render was stopped before it finished, {attempts} times (its worker died "
            "or ran out of time); choose a style to try again."
        ),
        "keep_original": True,
    }


def _render_job_image(*, image_id: uuid.UUID, token: uuid.UUID, attempt: int) -> QuerySet[Image]:
    """The image, while the render is still this job's: its token, its attempt, pending."""
    return Image.objects.filter(
        pk=image_id, render_token=token, render_attempts=attempt, status=Image.Status.PENDING
    )


def _render_release(*, image_id: uuid.UUID, token: uuid.UUID, attempt: int, refund: bool) -> None:
    """Gives the lease up (the render may be taken at once), uncounting the attempt if
    ``refund``; only while it is still this job's."""
    updates: dict[str, object] = {"render_lease_expires_at": None}
    if refund:
        updates["render_attempts"] = max(0, attempt - 1)
    _render_job_image(image_id=image_id, token=token, attempt=attempt).update(**updates)


@contextmanager
def _lease_renewed(*, image_id: uuid.UUID, token: uuid.UUID, attempt: int) -> Iterator[None]:
    """Renews the job's lease every third of ``ATELIER_RENDER_LEASE_SECONDS`` during the block.

    In a thread of its own, so a long decode in the job's thread does not let it run out;
    stopped before the job's final transaction, so the two never write at once. A lease
    that is no longer the job's (the sweep handed the render on) is left alone.
    """
    seconds = settings.ATELIER_RENDER_LEASE_SECONDS
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(seconds / 3):
                try:
                    kept = _render_job_image(
                        image_id=image_id, token=token, attempt=attempt
                    ).update(render_lease_expires_at=timezone.now() + timedelta(seconds=seconds))
                except DatabaseError:
                    logger.warning("Could not renew the render lease of image %s", image_id)
                    continue
                if not kept:
                    return
        finally:
            connections.close_all()

    renewer = threading.Thread(target=renew, name=f"render-lease-{image_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


def _image_render_claimed(*, image: Image, token: uuid.UUID, attempt: int) -> str:
    image_id = image.pk
    written: list[str] = []
    with _written_files_removed_on_failure(written, image_id):
        try:
            with _lease_renewed(image_id=image_id, token=token, attempt=attempt):
                with default_storage.open(image.original_key, "rb") as original:
                    # Read whole (at most ATELIER_MAX_UPLOAD_BYTES): WebP and PNG may keep
                    # their EXIF after the pixels; an object store is better read once.
                    data = original.read()
                decoded = _decode(ContentFile(data))
                photo = exif.exif_read(data=data)
                del data
                renditions = _render(decoded, image.style)
                # Stored under fresh names before the transaction (which then only writes
                # rows), removed again if it does not commit.
                prefix = f"{image.owner_id}/{image.pk}"
                keys = {
                    kind: _store_rendition(prefix, kind, rendition, written)
                    for kind, rendition in renditions._asdict().items()
                }
        except ImageRejected as exc:
            return _render_fail(
                image_id=image_id, token=token, attempt=attempt, code=exc.code, detail=exc.message
            )
        except STORAGE_ERRORS as exc:
            if not storage_missing(exc) or written:
                raise
            if not Image.objects.filter(pk=image_id, render_token=token).exists():
                return "skipped"  # deleted meanwhile; its files went with it
            # Not a passing fault to retry: the bytes are gone. Say so to the owner.
            logger.error("The original of image %s is missing from storage", image_id)
            return _render_fail(
                image_id=image_id,
                token=token,
                attempt=attempt,
                code="original_missing",
                detail="The original file of this image is missing from storage.",
            )
        try:
            with transaction.atomic():
                owner = User(pk=image.owner_id)  # only its id: the account may be gone
                locked_owner = owner_lock(owner)
                current = (
                    _render_job_image(image_id=image_id, token=token, attempt=attempt)
                    .select_for_update()
                    .first()
                )
                if current is None:
                    raise _Superseded()
                new_bytes = current.size + sum(len(r.data) for r in renditions)
                _quota_check(
                    locked_owner=locked_owner,
                    add_bytes=new_bytes - current.stored_bytes,
                    add_images=0,
                )
                obsolete = [
                    key
                    for key in (current.processed_key, current.preview_key, current.thumbnail_key)
                    if key
                ]
                current.processed_key = keys["processed"]
                current.preview_key = keys["preview"]
                current.thumbnail_key = keys["thumbnail"]
                current.rendered_style = current.style
                current.stored_bytes = new_bytes
                current.width, current.height = decoded.width, decoded.height
                current.taken_at, current.metadata = photo.taken_at, photo.metadata
                current.taken_at_offset = _offset_minutes(photo)
                current.status = Image.Status.READY
                current.error_code = current.error_detail = ""
                current.render_lease_expires_at = None
                current.save()
                transaction.on_commit(lambda: _files_delete(obsolete))
        except (_Superseded, AccountGone):
            _files_delete(written)
            return "skipped"
        except QuotaExceeded as exc:
            _files_delete(written)
            return _render_fail(
                image_id=image_id, token=token, attempt=attempt, code=exc.code, detail=exc.message
            )
    return "ready"


def _offset_minutes(photo: exif.PhotoMetadata) -> int | None:
    """The camera's offset from UTC in minutes, where the photo says it."""
    if photo.taken_at is None or not photo.taken_at_offset_known:
        return None
    offset = photo.taken_at.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def image_render_sweep(*, older_than_seconds: int) -> int:
    """Queues again the renders whose job is lost; fails those out of attempts.

    A job is lost when its worker died while rendering (its lease ran out: the worker renews
    it while it lives) or before it started (the broker down when it was queued, a queue
    flushed, a dead worker's reserved job): pending with no lease for longer than
    ``older_than_seconds``. Queuing again is safe: a job checks the render token and the
    lease. A render queued again is marked (``updated_at``), so a long queue does not get it
    once more on every pass. Returns how many were queued.
    """
    now = timezone.now()
    lost = Q(render_lease_expires_at__lt=now) | Q(
        render_lease_expires_at=None, updated_at__lt=now - timedelta(seconds=older_than_seconds)
    )
    candidates = list(
        Image.objects.filter(lost, status=Image.Status.PENDING)
        .exclude(render_token=None)
        .values_list("pk", flat=True)
    )
    queued = 0
    for image_id in candidates:
        with transaction.atomic():
            current = (
                Image.objects.select_for_update()
                .filter(lost, pk=image_id, status=Image.Status.PENDING)
                .exclude(render_token=None)
                .first()
            )
            if current is None:
                continue  # rendered, taken or deleted meanwhile
            if current.render_attempts >= settings.ATELIER_RENDER_MAX_ATTEMPTS:
                _render_fail_locked(current, **_attempts_used_up(current.render_attempts))
                continue
            Image.objects.filter(pk=image_id).update(
                render_lease_expires_at=None, updated_at=timezone.now()
            )
        _render_dispatch(image_id=image_id, token=current.render_token)
        queued += 1
    return queued


def storage_orphans_sweep(*, min_age_seconds: int = 3600) -> int:
    """Removes stored objects no image row points to, once older than ``min_age_seconds``.

    Orphans arise only where a process died between writing a file and committing (or
    between committing a delete and removing its files); the age keeps an upload that is
    still committing safe. Returns how many objects went.
    """
    report = audit.storage_audit(default_storage)
    result = audit.orphans_remove(
        default_storage, report, min_age=timedelta(seconds=min_age_seconds)
    )
    return len(result.removed)


class _Superseded(Exception):
    """The render job found its image deleted, restyled again, rendered, or handed on."""


def _render_fail(
    *,
    image_id: uuid.UUID,
    token: uuid.UUID,
    attempt: int,
    code: str,
    detail: str,
    keep_original: bool = False,
) -> str:
    """Ends this job's render in failure (see ``_render_fail_locked``), while it is its own."""
    with transaction.atomic():
        current = (
            _render_job_image(image_id=image_id, token=token, attempt=attempt)
            .select_for_update()
            .first()
        )
        if current is None:
            return "skipped"
        _render_fail_locked(current, code=code, detail=detail, keep_original=keep_original)
    return "failed"


def _render_fail_locked(current: Image, *, code: str, detail: str, keep_original: bool) -> None:
    """Ends a render in failure, keeping what the owner had before it (see ``image_render``).

    ``current`` is locked by the caller's transaction. A first render refused for its bytes
    keeps nothing; one that failed for another reason (``keep_original``) keeps its original,
    counted as before, so that the owner can try again.
    """
    current.error_code, current.error_detail = code, detail[:500]
    current.render_lease_expires_at = None
    if current.rendered_style:
        # A restyle that failed: the previous renditions and their style stay.
        current.style = current.rendered_style
        current.status = Image.Status.READY
    elif keep_original:
        current.status = Image.Status.FAILED
    else:
        # A first render that failed: nothing of it is kept, nothing counts.
        obsolete = [current.original_key]
        current.original_key = ""
        current.stored_bytes = 0
        current.status = Image.Status.FAILED
        transaction.on_commit(lambda: _files_delete(obsolete))
    current.save()


def _render_dispatch(*, image_id: uuid.UUID, token: uuid.UUID) -> None:
    # Here, not at the top: the tasks module imports this one.
    from images.tasks import image_render_dispatch

    image_render_dispatch(image_id=image_id, token=token)


def image_trash(*, owner: User, image_id: uuid.UUID) -> None:
    """Moves one of ``owner``'s images to the trash.

    It leaves every list, album and share at once (they all read only untrashed images); its
    rows and files stay, and keep counting against the quota, until it is restored or purged.
    Trashing one already in the trash is ``ImageNotFound``, as for a missing image.
    """
    moved = Image.objects.filter(pk=image_id, owner=owner, trashed_at__isnull=True).update(
        trashed_at=timezone.now(), updated_at=timezone.now()
    )
    if not moved:
        raise ImageNotFound()


def image_restore(*, owner: User, image_id: uuid.UUID) -> Image:
    """Takes one of ``owner``'s images out of the trash, back into its albums and shares."""
    restored = Image.objects.filter(pk=image_id, owner=owner, trashed_at__isnull=False).update(
        trashed_at=None, updated_at=timezone.now()
    )
    if not restored:
        raise ImageNotFound()
    return Image.objects.get(pk=image_id)


def image_delete(*, owner: User, image_id: uuid.UUID, trashed_only: bool = False) -> None:
    """Deletes one of ``owner``'s images for good; its files go once the deletion commits.

    ``trashed_only`` limits it to an image in the trash (purging from the trash must not
    reach a live image). The row is locked before its file names are read: a restyle that
    commits meanwhile either finished first (and its new files are the ones read here) or
    waits and then finds no image. Two parallel deletes of one image: exactly one removes
    the row, the other sees nothing to delete and raises ``ImageNotFound``.
    """
    scope = Image.objects.filter(pk=image_id, owner=owner)
    if trashed_only:
        scope = scope.filter(trashed_at__isnull=False)
    with transaction.atomic():
        _covers_lock([image_id])
        keys = list(scope.select_for_update().values_list(*Image.FILE_KEY_FIELDS))
        if not keys:
            raise ImageNotFound()
        deleted, _ = Image.objects.filter(pk=image_id, owner=owner).delete()
        if not deleted:
            raise ImageNotFound()
        files = [key for row in keys for key in row if key]
        transaction.on_commit(lambda: _files_delete(files))


def trash_empty(*, owner: User) -> int:
    """Purges everything in ``owner``'s trash (rows now, files after commit); returns how many."""
    return _images_purge(Image.objects.filter(owner=owner, trashed_at__isnull=False))


def trash_purge_expired(*, older_than: timedelta) -> int:
    """Purges, for every account, what has been in the trash longer than ``older_than``.

    The periodic sweep's job (``ATELIER_TRASH_DAYS``). Purges in batches, each its own
    transaction, so a large backlog never holds locks for long. Returns how many went.
    """
    cutoff = timezone.now() - older_than
    purged = 0
    while True:
        batch = list(Image.objects.filter(trashed_at__lt=cutoff).values_list("pk", flat=True)[:500])
        if not batch:
            return purged
        purged += _images_purge(Image.objects.filter(pk__in=batch, trashed_at__lt=cutoff))


def _images_purge(queryset: QuerySet[Image]) -> int:
    """Deletes the rows of ``queryset`` (locked first) and, after commit, their files."""
    with transaction.atomic():
        _covers_lock(queryset.values_list("pk", flat=True))
        rows = list(queryset.select_for_update().values_list("pk", *Image.FILE_KEY_FIELDS))
        if not rows:
            return 0
        Image.objects.filter(pk__in=[row[0] for row in rows]).delete()
        files = [key for row in rows for key in row[1:] if key]
        transaction.on_commit(lambda: _files_delete(files))
    return len(rows)


def account_files_delete_on_commit(sender: type, instance: User, **kwargs: object) -> None:
    """Schedules removal of every file of an account's images, for when its deletion commits.

    Connected to the account's ``pre_delete`` (``ImagesConfig.ready``): the rows go by
    cascade, the files here, after commit, so a rolled-back deletion loses nothing. Account
    deletion locks the account's row first, as every upload and restyle does, so no file can
    be added between this read and the deletion.
    """
    rows = Image.objects.filter(owner=instance).values_list(*Image.FILE_KEY_FIELDS)
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


def _render(decoded: processing.DecodedImage, style: str) -> processing.Renditions:
    limits = settings.ATELIER
    return processing.renditions_render(
        decoded,
        style=style,
        max_edge=limits["PROCESSED_MAX_EDGE"],
        preview_edge=limits["PREVIEW_EDGE"],
        thumbnail_edge=limits["THUMBNAIL_EDGE"],
        thumbnail_max_edge=limits["THUMBNAIL_MAX_EDGE"],
    )


@contextmanager
def _written_files_removed_on_failure(written: list[str], image_id: object) -> Iterator[None]:
    """Removes the files in ``written`` if the block fails; storage and database failures
    become ``StorageFailed`` (nothing of the change was kept), anything else propagates.

    Used outside the transaction, so it also catches a failure of the commit itself.
    """
    try:
        yield
    except (*STORAGE_ERRORS, DatabaseError) as exc:
        _files_delete(written)
        logger.exception("Change to image %s failed; removed %d new files", image_id, len(written))
        raise StorageFailed(str(exc)) from exc
    except BaseException:
        _files_delete(written)
        raise


def _quota_check(*, locked_owner: User, add_bytes: int, add_images: int) -> None:
    """Raises ``QuotaExceeded`` if the change would take the owner over a quota.

    The caller holds the owner's row lock (``owner_lock``), so parallel changes by one user
    queue there and each sees the usage the previous one committed: they cannot overshoot
    together.
    """
    limits = user_quota_limits(user=locked_owner)
    usage = image_storage_usage(owner=locked_owner)
    if add_images and usage["images"] + add_images > limits["images"]:
        raise ImageQuotaExceeded("images", usage["images"], limits["images"], add_images)
    if add_bytes > 0 and usage["bytes"] + add_bytes > limits["bytes"]:
        raise StorageQuotaExceeded("bytes", usage["bytes"], limits["bytes"], add_bytes)


def _covers_lock(image_ids: Iterable[uuid.UUID]) -> None:
    """Locks the albums whose cover is one of these images, before the images themselves.

    Deleting an image clears the covers that point at it, which writes those albums' rows;
    album writers lock the album first and the image second, so a deletion must too, or the
    two would wait on each other.
    """
    list(
        Album.objects.select_for_update()
        .filter(cover_id__in=list(image_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def owner_lock(owner: User) -> User:
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
        except STORAGE_ERRORS:
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
