"""What a storage backend raises when it cannot do its job, whichever backend it is.

The file system raises ``OSError``; django-storages' S3 backend lets botocore's errors through
(a refused connection, a timeout, an error answer). Code that talks to storage catches this
tuple, so an S3 outage is a 503 or a retried render like a full disk, never a 500.
"""

from botocore.exceptions import BotoCoreError, ClientError

STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, BotoCoreError, ClientError)


def storage_missing(*, exc: BaseException) -> bool:
    """Whether the error says the object is not there (as opposed to storage failing)."""
    if isinstance(exc, FileNotFoundError):
        return True
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")
    return False
