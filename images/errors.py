"""What the images app's services raise: one module, so callers import errors, not services.

Each is an application error (``core.errors``) that ``core.handlers`` maps to a response;
none knows about HTTP. ``ImageRejected`` (bytes refused by the imaging package) and
``AccountGone`` (the accounts app's) are raised here too and named for callers' convenience.
"""

from typing import TYPE_CHECKING

from core.errors import (
    ApplicationError,
    Conflict,
    LimitReached,
    NotFound,
    TooLarge,
    Unavailable,
)
from imaging.processing import ImageRejected
from users.errors import AccountGone

if TYPE_CHECKING:  # only a type here: this module stays importable before Django is set up
    from images.models import Image

__all__ = [
    "AccountGone",
    "AlbumNotFound",
    "ImageNotFound",
    "ImageQuotaExceeded",
    "ImageRejected",
    "QuotaExceeded",
    "RenditionAbsent",
    "RenditionNotReady",
    "StorageFailed",
    "StorageQuotaExceeded",
    "UploadTooLarge",
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


class AlbumNotFound(NotFound):
    """No such album in this owner's gallery."""

    def __init__(self) -> None:
        super().__init__("No album with this id.", code="not_found")


class ImageNotFound(NotFound):
    """No such image in this owner's gallery (or it was deleted meanwhile)."""

    def __init__(self) -> None:
        super().__init__("Not found.")


class RenditionAbsent(NotFound):
    """A rendered picture that has no such file and never will: a photo's ``video``, or the
    ``motion`` of a picture that does not move (a 404 its owner can read; never a 409 that
    asks them to come back)."""

    def __init__(self, *, rendition: str) -> None:
        super().__init__(f"This picture has no {rendition} file.", code="no_such_file")


class RenditionNotReady(Conflict):
    """The image has no such file (yet): its render is pending, or it failed."""

    # How long a client should wait before asking again about a pending render.
    RETRY_SECONDS = 2

    def __init__(self, *, image: "Image", rendition: str) -> None:
        if image.status == image.Status.FAILED:
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
