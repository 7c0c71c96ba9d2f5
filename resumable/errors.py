"""What the resumable upload services raise: application errors, mapped by ``core.handlers``."""

from core.errors import Conflict, InvalidInput, NotFound, TooLarge

__all__ = [
    "UploadBusy",
    "UploadEmpty",
    "UploadNotFound",
    "UploadNotReceiving",
    "UploadOffsetMismatch",
    "UploadPastLength",
]


class UploadNotFound(NotFound):
    """No such upload of this caller's (someone else's, expired and swept, or never made)."""

    def __init__(self) -> None:
        super().__init__("Not found.")


class UploadOffsetMismatch(Conflict):
    """The PATCH starts elsewhere than where the stored bytes end."""

    def __init__(self, *, offset: int) -> None:
        super().__init__(
            f"Upload-Offset does not match: the upload has {offset:,} bytes; HEAD it and "
            "send from there.",
            code="offset_mismatch",
            extra={"offset": offset},
        )


class UploadBusy(Conflict):
    """Another request is writing to (or completing) this upload right now."""

    RETRY_SECONDS = 1

    def __init__(self) -> None:
        super().__init__(
            "Another request is writing to this upload; HEAD it and try again shortly.",
            code="upload_busy",
            retry_after=self.RETRY_SECONDS,
        )


class UploadNotReceiving(Conflict):
    """The upload is complete or failed: it takes no more bytes."""

    def __init__(self, *, state: str) -> None:
        super().__init__(f"This upload is {state}; it takes no more bytes.", code=f"upload_{state}")


class UploadPastLength(TooLarge):
    """The PATCH would take the upload past its declared Upload-Length."""

    def __init__(self, *, length: int) -> None:
        super().__init__(
            f"The bytes sent go past the upload's length of {length:,} bytes.",
            code="past_upload_length",
            extra={"length": length},
        )


class UploadEmpty(InvalidInput):
    """An Upload-Length of zero: there is no file to make an image of."""

    def __init__(self) -> None:
        super().__init__("Upload-Length must be at least 1: the file is empty.", code="empty")
