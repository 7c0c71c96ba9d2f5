"""Videos in the gallery: the limits from settings, the upload's probe, and the render's part.

The imaging package does the work (``imaging.video``); this module ties it to settings and
storage. An upload is sniffed and probed where it lies (Django's temporary file, or the
small in-memory one), never read whole. The render job copies the original from storage to a
temporary file on the worker, in chunks, takes the poster from it for the stills a photo
would have, and writes the playback MP4 next to it before storing it.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import File

from images import files
from images.models import Image
from imaging import exif, motion, processing, video, video_playback

__all__ = [
    "VIDEO_DEFAULTS",
    "VideoSource",
    "playback_settings",
    "upload_video_format",
    "upload_video_probe",
    "video_checksum",
    "video_limits",
    "video_max_upload_bytes",
    "video_playback_store",
    "video_source",
]

# ``settings.ATELIER_VIDEO`` (``ATELIER_VIDEO_*`` environment variables) overrides these.
VIDEO_DEFAULTS: dict[str, Any] = {
    "MAX_UPLOAD_BYTES": 1024**3,
    "MAX_SECONDS": video.DEFAULT_LIMITS.max_seconds,
    "MAX_PIXELS": video.DEFAULT_LIMITS.max_pixels,
    "MAX_EDGE": video.DEFAULT_LIMITS.max_edge,
    "MAX_FPS": video.DEFAULT_LIMITS.max_fps,
    "MAX_STREAMS": video.DEFAULT_LIMITS.max_streams,
    "PLAYBACK_LONG_EDGE": video_playback.DEFAULT_PLAYBACK.long_edge,
    "PLAYBACK_SHORT_EDGE": video_playback.DEFAULT_PLAYBACK.short_edge,
    "PLAYBACK_CRF": video_playback.DEFAULT_PLAYBACK.crf,
    "PLAYBACK_PRESET": video_playback.DEFAULT_PLAYBACK.preset,
    "PLAYBACK_MAX_BITRATE": video_playback.DEFAULT_PLAYBACK.max_bitrate,
}
_CHUNK = 1024 * 1024


def _setting(name: str) -> Any:
    configured = getattr(settings, "ATELIER_VIDEO", None) or {}
    return configured.get(name, VIDEO_DEFAULTS[name])


def video_max_upload_bytes() -> int:
    """The largest video upload accepted (``ATELIER_VIDEO_MAX_UPLOAD_BYTES``, 1 GiB)."""
    return int(_setting("MAX_UPLOAD_BYTES"))


def video_limits() -> video.VideoLimits:
    """What a video may be at most, from settings."""
    return video.VideoLimits(
        max_seconds=float(_setting("MAX_SECONDS")),
        max_pixels=int(_setting("MAX_PIXELS")),
        max_edge=int(_setting("MAX_EDGE")),
        max_fps=float(_setting("MAX_FPS")),
        max_streams=int(_setting("MAX_STREAMS")),
    )


def playback_settings() -> video_playback.PlaybackSettings:
    """The playback file's caps, from settings."""
    max_bitrate = int(_setting("PLAYBACK_MAX_BITRATE"))
    return video_playback.PlaybackSettings(
        long_edge=int(_setting("PLAYBACK_LONG_EDGE")),
        short_edge=int(_setting("PLAYBACK_SHORT_EDGE")),
        crf=int(_setting("PLAYBACK_CRF")),
        preset=str(_setting("PLAYBACK_PRESET")),
        max_bitrate=max_bitrate,
        buffer_bits=2 * max_bitrate,
    )


def _source(upload: File) -> video.Source:
    """Where PyAV reads the upload: its temporary file's path, else the file object itself."""
    path = getattr(upload, "temporary_file_path", None)
    if callable(path):
        return str(path())
    # A Django File proxies read/seek/tell to its file; imaging types its input BinaryIO.
    return upload.file if upload.file is not None else upload  # type: ignore[return-value]


def upload_video_format(upload: File) -> str | None:
    """``MP4``, ``MOV`` or ``WEBM`` if the upload's bytes start as one, else None."""
    return video.video_sniff(upload)  # type: ignore[arg-type]


def upload_video_probe(upload: File, *, container: str) -> video.VideoInfo:
    """The upload probed within the limits (``ImageRejected`` with a ``code`` otherwise)."""
    return video.video_probe(_source(upload), container=container, limits=video_limits())


def video_checksum(upload: File) -> str:
    """The hex SHA-256 of the whole file, read in chunks."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(_CHUNK), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class VideoSource:
    """A video original copied to the worker: the poster decoded, what the probe found."""

    path: str
    info: video.VideoInfo
    decoded: processing.DecodedImage
    photo: exif.PhotoMetadata
    # The content identifier an iPhone writes into a Live Photo's clip ("" for any other).
    live_photo_id: str


@contextmanager
def video_source(*, key: str, container: str) -> Iterator[VideoSource]:
    """The original copied from storage to a temporary file (in chunks), probed, its poster
    taken; the file is removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="atelier-video-") as folder:
        path = os.path.join(folder, f"original.{container.lower()}")
        # Chunk by chunk from storage (a ranged GET on S3, never a whole-object spool).
        stored = files.file_stat(key=key)
        with open(path, "wb") as local:
            for chunk in files.file_chunks(stored=stored):
                local.write(chunk)
        info = video.video_probe(path, container=container, limits=video_limits())
        poster = video.video_poster(path, info=info)
        decoded = processing.DecodedImage(
            image=poster, format=container, width=info.width, height=info.height
        )
        photo = exif.PhotoMetadata(
            taken_at=info.taken_at,
            taken_at_offset_known=info.taken_at_offset_known,
            metadata=_metadata(info),
        )
        yield VideoSource(
            path=path,
            info=info,
            decoded=decoded,
            photo=photo,
            live_photo_id=motion.live_photo_id_from_video(path) or "",
        )


def _metadata(info: video.VideoInfo) -> dict[str, Any]:
    """A video's metadata: the camera where the container names it, and its streams."""
    return {
        **info.metadata,
        "duration": info.duration,
        "frame_rate": info.fps,
        "video_codec": info.video_codec,
        "audio_codec": info.audio_codec,
    }


def video_playback_store(
    *, source: VideoSource, image: Image, written: list[str]
) -> tuple[str, int]:
    """The playback MP4's key and size: the image's own where it has one (a restyle changes
    the stills, not the playback), else made beside the original and stored."""
    if image.playback_key:
        with files.file_open(key=image.playback_key) as stored:
            return image.playback_key, int(stored.size)
    path = os.path.join(os.path.dirname(source.path), "playback.mp4")
    video_playback.video_playback(
        source.path,
        path,
        info=source.info,
        settings=playback_settings(),
        max_seconds=video_limits().max_seconds,
    )
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        key = files.file_store(
            key=files.image_file_key(
                owner_id=image.owner_id, image_id=image.pk, kind="playback", extension="mp4"
            ),
            content=File(handle),
            written=written,
        )
    return key, size
