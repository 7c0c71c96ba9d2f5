"""Render jobs: claim a render, decode and render it, store its files; or fail it, or hand it on.

A render is asked for by an upload or a restyle (``lifecycle``) as a render token on the
image; ``render_dispatch`` sends the job once that has committed: to the Celery workers by
task name when a broker is configured, else it runs here in-process. The job is safe to run
twice or late: it acts only while its token is the image's and the image is pending, under
a lease it renews while it works, counting attempts, and its writes commit together with the
check that the lease is still its own. ``image_render_sweep`` hands on renders whose worker
died or whose job was lost.

This module never imports the tasks module (which imports it): jobs are sent by name.
"""

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import TypedDict

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.metrics import RENDERS
from images import files, live, video_render
from images.errors import AccountGone, ImageRejected, QuotaExceeded, StorageFailed
from images.locks import owner_lock
from images.models import Image
from images.quota import quota_check
from imaging import exif, motion, places, processing
from users.models import User

logger = logging.getLogger(__name__)

__all__ = ["RENDER_TASK", "image_render", "image_render_sweep", "render_dispatch"]

# The Celery task that runs ``image_render`` on a worker (``images.tasks``), by name.
RENDER_TASK = "images.render"


def render_dispatch(*, image_id: uuid.UUID, token: uuid.UUID) -> None:
    """Queues the render, or runs it now where no broker is configured.

    Called after the change that asks for the render has committed, so a worker never looks
    for a row that is not there yet. If the broker cannot be reached, the image stays
    ``pending`` (nothing is lost) and the sweep queues it again later.
    """
    if not settings.CELERY_BROKER_URL:
        try:
            image_render(image_id=image_id, token=token)
        except StorageFailed:
            logger.exception("In-process render of %s failed; the sweep will retry", image_id)
        return
    try:
        soft, hard = _time_limits(image_id)
        current_app.send_task(
            RENDER_TASK,
            args=[str(image_id), str(token)],
            retry=False,
            soft_time_limit=soft,
            time_limit=hard,
        )
    except Exception:  # kombu's connection errors vary by transport; the sweep recovers all
        logger.exception("Could not queue the render of %s; the sweep will retry", image_id)


def _time_limits(image_id: uuid.UUID) -> tuple[int | None, int | None]:
    """A video's render job runs under longer time limits (``ATELIER_VIDEO_RENDER_SECONDS``: a
    transcode takes minutes where a photo takes a second); a photo's keeps the task's own."""
    kind = Image.objects.filter(pk=image_id).values_list("kind", flat=True).first()
    if kind != Image.Kind.VIDEO:
        return None, None  # the task's own
    seconds: int = settings.ATELIER_VIDEO_RENDER_SECONDS
    return seconds, seconds + 30


def image_render(
    *,
    image_id: uuid.UUID,
    token: uuid.UUID,
    interrupted_by: tuple[type[BaseException], ...] = (),
) -> str:
    """The render job: decodes the original, renders processed, preview and thumbnail (each
    as JPEG or PNG and as WebP, the preview and thumbnail as AVIF too: ``imaging.encoding``)
    and the thumbnail's ThumbHash placeholder.

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
            render_dispatch(image_id=image_id, token=token)
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


class _Failure(TypedDict):
    """How a render ends in failure: ``_render_fail_locked``'s arguments."""

    code: str
    detail: str
    keep_original: bool


def _attempts_used_up(attempts: int) -> _Failure:
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
    with files.files_removed_on_failure(written=written, image_id=image_id):
        try:
            with (
                _lease_renewed(image_id=image_id, token=token, attempt=attempt),
                ExitStack() as sources,
            ):
                clip = None
                motion_clip = None
                if image.kind == Image.Kind.VIDEO:
                    # Copied to a temporary file (a video is never read whole); its poster
                    # makes the stills.
                    clip = sources.enter_context(
                        video_render.video_source(key=image.original_key, container=image.format)
                    )
                    decoded, photo = clip.decoded, clip.photo
                    live_photo_id = clip.live_photo_id
                else:
                    # Read whole (at most ATELIER_MAX_UPLOAD_BYTES): WebP and PNG may keep
                    # their EXIF after the pixels; an object store is better read once.
                    data = files.file_read(key=image.original_key)
                    decoded = _decode(ContentFile(data))
                    photo = exif.exif_read(data=data)
                    live_photo_id = motion.live_photo_id_from_photo(data) or ""
                    # A motion photo's clip, made playable once (a restyle keeps it).
                    motion_clip = None if image.motion_key else _motion_photo_playable(data)
                    del data
                # Where it was taken, before any lock: the first lookup in a process loads the
                # place and zone data (under a second). The zone fills in a missing offset.
                photo = places.photo_localized(photo=photo)
                place = _place_of(photo)
                renditions = _render(decoded, image.style)
                rendered = renditions.files()
                # Stored under fresh names before the transaction (which then only writes
                # rows), removed again if it does not commit; keyed by the field naming each
                # (``processed_key``, ``preview_key``, ``thumbnail_key``, and each size's
                # ``_avif_key`` and ``_webp_key``). A variant this render did not make (the
                # processed rendition's AVIF; any AVIF without an encoder) is emptied, never
                # left naming a file of an older style.
                keys = {f"{name}_key": "" for name in _VARIANT_NAMES}
                for name, rendition in rendered.items():
                    keys[f"{name}_key"] = files.file_store(
                        key=files.image_file_key(
                            owner_id=image.owner_id,
                            image_id=image.pk,
                            kind=name.partition("_")[0],
                            extension=rendition.extension,
                        ),
                        content=ContentFile(rendition.data),
                        written=written,
                    )
                extra_bytes = 0
                if clip is not None:
                    playback, extra_bytes = video_render.video_playback_store(
                        source=clip, image=image, written=written
                    )
                    if playback != image.playback_key:  # a restyle keeps the one it has
                        keys["playback_key"] = playback
                if motion_clip is not None:
                    keys["motion_key"] = files.file_store(
                        key=files.image_file_key(
                            owner_id=image.owner_id,
                            image_id=image.pk,
                            kind="motion",
                            extension="mp4",
                        ),
                        content=ContentFile(motion_clip),
                        written=written,
                    )
        except ImageRejected as exc:
            return _render_fail(
                image_id=image_id, token=token, attempt=attempt, code=exc.code, detail=exc.message
            )
        except files.STORAGE_ERRORS as exc:
            if not files.storage_missing(exc=exc) or written:
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
                locked_owner = owner_lock(owner=owner)
                current = (
                    _render_job_image(image_id=image_id, token=token, attempt=attempt)
                    .select_for_update()
                    .first()
                )
                if current is None:
                    raise _Superseded()
                # Every rendition in every format counts, and a Live Photo's or motion photo's
                # motion part too: kept by a restyle (``live_motion_bytes``), or made by this
                # render (``motion_clip``).
                new_bytes = (
                    current.size
                    + sum(len(r.data) for r in rendered.values())
                    + extra_bytes
                    + live.live_motion_bytes(image=current)
                    + (len(motion_clip) if motion_clip is not None else 0)
                )
                quota_check(
                    locked_owner=locked_owner,
                    add_bytes=new_bytes - current.stored_bytes,
                    add_images=0,
                )
                replaced = [getattr(current, name) for name in keys if getattr(current, name)]
                for name, key in keys.items():
                    setattr(current, name, key)
                # A saved copy may keep a replaced rendition as its original: that one stays.
                obsolete = [key for key in replaced if key not in current.storage_keys]
                files.keys_release(image_id=current.pk, keys=obsolete)
                current.placeholder = renditions.placeholder
                current.rendered_style = current.style
                current.stored_bytes = new_bytes
                current.width, current.height = decoded.width, decoded.height
                current.taken_at, current.metadata = photo.taken_at, photo.metadata
                current.taken_at_offset = _offset_minutes(photo)
                current.latitude = photo.metadata.get("latitude")
                current.longitude = photo.metadata.get("longitude")
                current.place_city = place.city if place else ""
                current.place_region = place.region if place else ""
                current.place_country = place.country if place else ""
                current.place_country_code = place.country_code if place else ""
                current.live_photo_id = live_photo_id
                current.status = Image.Status.READY
                current.error_code = current.error_detail = ""
                current.render_lease_expires_at = None
                current.save()
                transaction.on_commit(lambda: files.files_delete(keys=obsolete))
                # In this transaction, so a landing and its pairing commit together: a
                # worker dying between the two can never leave a Live Photo unpaired.
                live.live_photo_pair(image=current)
        except (_Superseded, AccountGone):
            files.files_delete(keys=written)
            return "skipped"
        except QuotaExceeded as exc:
            files.files_delete(keys=written)
            return _render_fail(
                image_id=image_id, token=token, attempt=attempt, code=exc.code, detail=exc.message
            )
    return "ready"


def _motion_photo_playable(data: bytes) -> bytes | None:
    """The web-playable version of a motion photo's clip, if the original is one.

    The original holds its clip only where the upload found it declared and opening as a
    video (``processing.image_original_end``). Its streams are copied into a fresh MP4
    without the clip's own tags; a clip the video render would transcode (HEVC, say) goes
    through the same transcode as a video's playback version once that is wired here.
    """
    found = motion.motion_photo_video(data)
    if found is None:
        return None
    return motion.motion_clip_remux(data[found[0] : found[1]])


def _place_of(photo: exif.PhotoMetadata) -> places.Place | None:
    """The named place nearest the photo's GPS position, or None (no GPS, none near)."""
    latitude, longitude = photo.metadata.get("latitude"), photo.metadata.get("longitude")
    if latitude is None or longitude is None:
        return None
    place = places.place_at(latitude=latitude, longitude=longitude)
    if place is None:
        return None
    # The columns' widths (a GeoNames name is rarely longer, never by much).
    return places.Place(
        city=place.city[:100],
        region=place.region[:100],
        country=place.country[:100],
        country_code=place.country_code[:2],
        distance_km=place.distance_km,
    )


def _offset_minutes(photo: exif.PhotoMetadata) -> int | None:
    """The camera's offset from UTC in minutes, where the photo says it."""
    if photo.taken_at is None or not photo.taken_at_offset_known:
        return None
    offset = photo.taken_at.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


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
        files.keys_release(image_id=current.pk, keys=obsolete)
        current.stored_bytes = 0
        current.status = Image.Status.FAILED
        transaction.on_commit(lambda: files.files_delete(keys=obsolete))
    current.save()


class _Superseded(Exception):
    """The render job found its image deleted, restyled again, rendered, or handed on."""


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
        token = current.render_token
        assert token is not None  # excluded above: the filter mypy cannot see
        render_dispatch(image_id=image_id, token=token)
        queued += 1
    return queued


def _decode(fp: File) -> processing.DecodedImage:
    limits = settings.ATELIER
    return processing.image_decode(
        # A Django File proxies read/seek/tell to its file; imaging types its input BinaryIO.
        fp,  # type: ignore[arg-type]
        max_pixels=limits["MAX_PIXELS"],
        max_edge=limits["PROCESSED_MAX_EDGE"],
        max_edge_px=limits["MAX_EDGE"],
    )


# The fields of the AVIF and WebP renditions, less ``_key``.
_VARIANT_NAMES = tuple(
    f"{size}_{fmt}" for size in ("processed", "preview", "thumbnail") for fmt in ("avif", "webp")
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
        avif_speed=limits.get("AVIF_MIN_SPEED"),
    )
