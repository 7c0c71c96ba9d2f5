"""An image's life in the gallery: created from an upload, retitled or restyled, deleted.

Files and rows move together. Files are written inside the database transaction and removed
again if anything fails before it commits; files a change makes obsolete are removed only
after it commits. So a failure leaves either the old state or the new one, never a row without
its files or a file without its row. Rendering is the render job's (``rendering``): a create
or restyle sets a render token and dispatches the job once it has committed.
"""

import unicodedata
import uuid
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import QuerySet

from core.errors import ApplicationError
from core.metrics import UPLOADS
from images import files, rendering, video_render
from images.errors import AccountGone, ImageNotFound, ImageRejected, UploadTooLarge
from images.locks import album_covers_lock, owner_lock
from images.models import Image
from images.quota import quota_check
from imaging import media, processing
from users.models import User

__all__ = [
    "account_files_delete_on_commit",
    "filename_sanitize",
    "image_create",
    "image_delete",
    "image_update",
    "images_delete",
]


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
    if size == 0:
        raise ImageRejected("empty", "The file is empty.")
    # A video, sniffed from its first bytes, is probed where it lies and stored as it came,
    # streamed: never read whole. Its size limit is its own, as is a photo's.
    container = video_render.upload_video_format(upload)
    if container is not None:
        if size > video_render.video_max_upload_bytes():
            raise UploadTooLarge(limit=video_render.video_max_upload_bytes())
        info = video_render.upload_video_probe(upload, container=container)
        checksum = video_render.video_checksum(upload)
        original: File = upload
        end, media_format, kind = size, container, Image.Kind.VIDEO
        width, height, duration = info.width, info.height, info.duration
    else:
        if size > limits["MAX_UPLOAD_BYTES"]:
            raise UploadTooLarge(limit=limits["MAX_UPLOAD_BYTES"])
        header = processing.image_header(
            # A Django File proxies read/seek/tell to its file; imaging types its input BinaryIO.
            upload,  # type: ignore[arg-type]
            max_pixels=limits["MAX_PIXELS"],
            max_edge_px=limits["MAX_EDGE"],
        )
        upload.seek(0)
        data = upload.read()
        end = processing.image_original_end(data, header.format)
        # The original is kept byte for byte, up to the end of the image itself: a trailer
        # (the second half of a polyglot) is dropped rather than stored and served. A motion
        # photo's clip is the one trailer kept: declared by the file's own XMP or Samsung
        # trailer, every byte after the image accounted for, and opening as a video.
        original = upload if end == len(data) else ContentFile(data[:end])
        # The same function the importer uses, so "already imported" means the same thing.
        checksum = processing.image_checksum(data, header.format)
        del data
        media_format, kind = header.format, Image.Kind.PHOTO
        width, height, duration = header.width, header.height, None
    image_id = uuid.uuid4()
    token = uuid.uuid4()
    written: list[str] = []
    with (
        files.files_removed_on_failure(written=written, image_id=image_id),
        transaction.atomic(),
    ):
        quota_check(locked_owner=owner_lock(owner=owner), add_bytes=end, add_images=1)
        original.seek(0)
        original_key = files.file_store(
            key=files.image_file_key(
                owner_id=owner.pk,
                image_id=image_id,
                kind="original",
                extension=media.EXTENSIONS[media_format],
                fresh=False,
            ),
            content=original,
            written=written,
        )
        Image.objects.create(
            id=image_id,
            owner=owner,
            title=title,
            style=style,
            status=Image.Status.PENDING,
            original_filename=filename_sanitize(filename or upload.name or ""),
            format=media_format,
            kind=kind,
            duration=duration,
            width=width,
            height=height,
            size=end,
            stored_bytes=end,
            checksum=checksum,
            original_key=original_key,
            render_token=token,
        )
    rendering.render_dispatch(image_id=image_id, token=token)
    created = Image.objects.filter(pk=image_id).first()
    if created is None:
        # A Live Photo's clip rendered here and absorbed by its photo (``images.live``): the
        # upload is that photo now. Otherwise only the deletion of the account removes it.
        absorbed_by = Image.objects.filter(owner=owner, motion_original_key=original_key).first()
        if absorbed_by is None:
            raise AccountGone()
        return absorbed_by
    return created


def image_update(
    *,
    owner: User,
    image: Image,
    title: str | None,
    style: str | None,
    is_favorite: bool | None = None,
    description: str | None = None,
) -> Image:
    """Changes the title, the description or the favourite mark and, for a new style, queues
    a render in it.

    A restyle sets ``pending`` and a new render token; the previous renditions keep being
    served until the render job replaces them (new storage names, the old files removed after
    that commit), so a failure keeps them intact.
    """
    # A failed image is rendered again in the style asked for, even its own.
    restyle = style is not None and (style != image.style or image.status == Image.Status.FAILED)
    token = uuid.uuid4() if restyle else None
    with files.files_removed_on_failure(written=[], image_id=image.pk), transaction.atomic():
        # Locks in the order every writer takes them (account, then image), so a restyle and
        # an account deletion queue instead of deadlocking.
        locked_owner = owner_lock(owner=owner)
        current = (
            Image.objects.select_for_update()
            .filter(pk=image.pk, owner=owner, trashed_at__isnull=True, locked_at__isnull=True)
            .first()
        )
        if current is None:
            raise ImageNotFound()
        fields = ["updated_at"]
        if title is not None:
            current.title = title
            fields.append("title")
        if description is not None:
            current.description = description
            fields.append("description")
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
            quota_check(locked_owner=locked_owner, add_bytes=1, add_images=0)
            assert style is not None  # restyle is never set without one
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
        rendering.render_dispatch(image_id=current.pk, token=token)
        rendered = Image.objects.filter(pk=current.pk).first()
        if rendered is None:  # deleted (or its account) while it rendered
            raise ImageNotFound()
        return rendered
    return current


def image_delete(*, owner: User, image_id: uuid.UUID, trashed_only: bool = False) -> None:
    """Deletes one of ``owner``'s images for good (``images_delete``); ``ImageNotFound`` if
    there is no such image, or a parallel deletion took it first.

    ``trashed_only`` limits it to an image in the trash (purging from the trash must not
    reach a live image).
    """
    scope = Image.objects.filter(pk=image_id, owner=owner)
    if trashed_only:
        scope = scope.filter(trashed_at__isnull=False)
    if not images_delete(queryset=scope):
        raise ImageNotFound()


def images_delete(*, queryset: QuerySet[Image]) -> int:
    """Deletes the images of ``queryset`` for good; their files go once the deletion commits.

    The albums they are covers of, then the rows, are locked before the file names are read
    (the order every writer takes them): a restyle that commits meanwhile either finished
    first (and its new files are the ones read here) or waits and then finds no image. Of
    two parallel deletions of one image exactly one deletes it. The rows' holds on shared
    files (``StoredFileHolder``) go with them by cascade, so ``files.files_delete`` keeps
    exactly what a saved copy still holds. Returns how many went.
    """
    with transaction.atomic():
        album_covers_lock(image_ids=queryset.values_list("pk", flat=True))
        rows = list(queryset.select_for_update().values_list("pk", *Image.FILE_KEY_FIELDS))
        if not rows:
            return 0
        Image.objects.filter(pk__in=[row[0] for row in rows]).delete()
        keys = [key for row in rows for key in row[1:] if key]
        transaction.on_commit(lambda: files.files_delete(keys=keys))
    return len(rows)


def account_files_delete_on_commit(sender: type, instance: User, **kwargs: object) -> None:
    """Schedules removal of every file of an account's images, for when its deletion commits.

    Connected to the account's ``pre_delete`` (``ImagesConfig.ready``): the rows go by
    cascade, the files here, after commit, so a rolled-back deletion loses nothing. Account
    deletion locks the account's row first, as every upload and restyle does, so no file can
    be added between this read and the deletion.
    """
    rows = Image.objects.filter(owner=instance).values_list(*Image.FILE_KEY_FIELDS)
    keys = [key for row in rows for key in row if key]
    transaction.on_commit(lambda: files.files_delete(keys=keys))


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
