"""Save to my library: a copy of a picture someone shares with the caller, as their own.

Shared by the two ways one account sees another's pictures, an album's member and a partner:
the principal's own answers (``images.access``) decide what may be copied, so the copy is
never more than the caller could download. The copy is a new image of the caller's that
points at the source's stored files rather than storing the bytes again: its renditions
always, and as its original the source's original (where the caller may download it and see
its metadata), the original stripped of its metadata (where they may download it only), or
else what they may see anyway (a photo's processed rendition, a video's playable version).
Both images then hold every shared key (``StoredFileHolder``), so deleting or restyling
either never removes a file the other still uses (``files.files_delete``).

The copy counts against the caller's quota (every byte it references), checked under their
account's lock; a refusal keeps nothing. Lock order: the caller's account
(``locks.owner_lock``), then the source image's row, and nothing after it (the rows it then
inserts point only at rows it holds). The source's owner's writers (deletion, restyle,
render landing, trash, account deletion) lock their own account, then their image: a save
never waits on their account, and they take the caller's account only where the caller is
the owner, in the same order; so the orders cannot cross and nothing deadlocks. Under the
source's lock its keys are read again: a
deletion, trash, lock or restyle landing that committed first is seen (a source gone,
trashed or locked answers 404 like a missing one; new keys are planned again), one that
comes later waits for the save and then finds the holders it made.
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.db import transaction

from images import access, delivery, files, lifecycle, shares, video_render
from images.errors import RenditionNotReady, UploadTooLarge
from images.locks import owner_lock
from images.models import Image, StoredFileHolder
from images.quota import quota_check
from imaging import media, processing

__all__ = ["image_save_copy"]

# Every rendition a copy shares whatever the caller may download: none carries metadata.
RENDITION_FIELDS = (
    "processed_key",
    "preview_key",
    "thumbnail_key",
    "processed_avif_key",
    "processed_webp_key",
    "preview_avif_key",
    "preview_webp_key",
    "thumbnail_avif_key",
    "thumbnail_webp_key",
    "playback_key",
    "motion_key",
)

# How often a save plans again when the source's files changed under it (a restyle landing).
_ATTEMPTS = 3

_FORMAT_BY_EXTENSION = {extension: name for name, extension in media.EXTENSIONS.items()}


@dataclass(frozen=True)
class _Plan:
    """What a copy will reference, and the facts of the file it keeps as its original."""

    keys: dict[str, str]
    original_from: str
    rendition: str
    format: str
    size: int
    checksum: str
    stored_bytes: int


def image_save_copy(*, principal: access.Member | access.Partner, image: Image) -> Image:
    """A new image of ``principal.user``'s that shares what they may download of ``image``:
    the original where they may have it (stripped of its metadata unless they may see that
    too; a video's playable version then, as a video's metadata cannot be stripped in
    place), else the processed rendition, kept as it looks (not styled twice)."""
    access.access_check(principal=principal, action=access.Action.IMAGE_SAVE, target=image)
    metadata = access.access_allows(
        principal=principal, action=access.Action.METADATA_VIEW, target=image
    )
    original_from = _original_from(principal=principal, image=image, metadata=metadata)
    if original_from == "stripped":
        # Stored once beside the source (its own race handled there), before any lock.
        shares.share_original_stripped_key(image=image)
    source = image
    for _ in range(_ATTEMPTS):
        plan = _plan(source=source, original_from=original_from)
        with transaction.atomic():
            locked_owner = owner_lock(owner=principal.user)
            source = _source_lock(image=image)
            if _copy_keys(source=source, original_from=original_from) != plan.keys:
                continue  # a restyle landed meanwhile: plan again with what is there now
            quota_check(locked_owner=locked_owner, add_bytes=plan.stored_bytes, add_images=1)
            return _copy_create(principal=principal, source=source, plan=plan, metadata=metadata)
    raise RenditionNotReady(image=image, rendition=plan.rendition)


def _original_from(
    *, principal: access.Member | access.Partner, image: Image, metadata: bool
) -> str:
    """Which of the source's files the copy keeps as its original."""
    original = access.access_allows(
        principal=principal,
        action=access.Action.ORIGINAL_DOWNLOAD,
        target=access.Rendition(image=image, name=access.ORIGINAL),
    )
    if original and image.original_key:
        if metadata:
            return "original"
        if image.kind == Image.Kind.PHOTO:
            return "stripped"
    if image.kind == Image.Kind.VIDEO:
        if not image.playback_key:
            raise RenditionNotReady(image=image, rendition="video")
        return "playback"
    if not image.processed_key:
        raise RenditionNotReady(image=image, rendition="processed")
    return "processed"


def _copy_keys(*, source: Image, original_from: str) -> dict[str, str]:
    """The copy's ``*_key`` fields: the source's renditions and the chosen original."""
    keys = {name: getattr(source, name) for name in RENDITION_FIELDS if getattr(source, name)}
    if original_from == "original":
        keys["original_key"] = source.original_key
        if source.motion_original_key:
            keys["motion_original_key"] = source.motion_original_key
    else:
        field = {"stripped": "stripped_key", "playback": "playback_key"}.get(
            original_from, "processed_key"
        )
        keys["original_key"] = getattr(source, field)
    return keys


def _plan(*, source: Image, original_from: str) -> _Plan:
    """Reads (unlocked) the sizes of the files a copy would reference and, for an original
    that is not the source's own, its format and checksum; checked again under the lock."""
    keys = _copy_keys(source=source, original_from=original_from)
    original_key = keys.get("original_key", "")
    if not original_key:  # the stripped copy lost with its image, or a render not landed
        raise RenditionNotReady(image=source, rendition=access.ORIGINAL)
    sizes = {key: _stored_size(key) for key in set(keys.values())}
    if original_from == "original":
        media_format, checksum, rendition = source.format, source.checksum, access.ORIGINAL
    elif original_from == "playback":
        if sizes[original_key] > video_render.video_max_upload_bytes():
            raise UploadTooLarge(limit=video_render.video_max_upload_bytes())
        media_format, checksum, rendition = "MP4", _file_sha256(original_key), "video"
    else:
        if sizes[original_key] > settings.ATELIER["MAX_UPLOAD_BYTES"]:
            raise UploadTooLarge(limit=settings.ATELIER["MAX_UPLOAD_BYTES"])
        suffix = PurePosixPath(original_key).suffix.lstrip(".").lower()
        media_format = source.format if original_from == "stripped" else ""
        media_format = media_format or _FORMAT_BY_EXTENSION.get(suffix, source.format)
        checksum = processing.image_checksum(_file_read(original_key), media_format)
        rendition = access.ORIGINAL if original_from == "stripped" else "processed"
    return _Plan(
        keys=keys,
        original_from=original_from,
        rendition=rendition,
        format=media_format,
        size=sizes[original_key],
        checksum=checksum,
        stored_bytes=sum(sizes.values()),
    )


def _source_lock(*, image: Image) -> Image:
    """The source's row, locked for the rest of the transaction; as missing as it now is
    if it was deleted, trashed or locked away meanwhile."""
    source = (
        Image.objects.select_for_update()
        .filter(pk=image.pk, trashed_at__isnull=True, locked_at__isnull=True)
        .first()
    )
    if source is None:
        raise access.AccessRefused()
    return source


def _copy_create(
    *, principal: access.Member | access.Partner, source: Image, plan: _Plan, metadata: bool
) -> Image:
    """The copy's row and both images' holds on every key they now share."""
    name = delivery.download_filename(
        source, plan.rendition, plan.keys["original_key"], visitor=True
    )
    copy = Image.objects.create(
        owner=principal.user,
        title=source.title,
        # The style its files are in (a restyle of the source may be under way).
        style=source.rendered_style or source.style,
        rendered_style=source.rendered_style or source.style,
        status=Image.Status.READY,
        kind=source.kind,
        duration=source.duration,
        original_filename=lifecycle.filename_sanitize(name),
        format=plan.format,
        width=source.width,
        height=source.height,
        size=plan.size,
        stored_bytes=plan.stored_bytes,
        checksum=plan.checksum,
        placeholder=source.placeholder,
        metadata=source.metadata if metadata else {},
        taken_at=source.taken_at if metadata else None,
        taken_at_offset=source.taken_at_offset if metadata else None,
        **plan.keys,
    )
    StoredFileHolder.objects.bulk_create(
        [
            StoredFileHolder(key=key, image_id=holder)
            for key in sorted(set(plan.keys.values()))
            for holder in (source.pk, copy.pk)
        ],
        ignore_conflicts=True,
    )
    return copy


def _stored_size(key: str) -> int:
    try:
        return files.file_stat(key=key).size
    except FileNotFoundError:
        # Deleted by its owner between the read and now: as missing as it now is.
        raise access.AccessRefused() from None


def _file_read(key: str) -> bytes:
    try:
        return files.file_read(key=key)
    except FileNotFoundError:
        raise access.AccessRefused() from None


def _file_sha256(key: str) -> str:
    """The hex SHA-256 of a stored file, read a chunk at a time."""
    digest = hashlib.sha256()
    for chunk in files.file_chunks(stored=files.file_stat(key=key)):
        digest.update(chunk)
    return digest.hexdigest()
