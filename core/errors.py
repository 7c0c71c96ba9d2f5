"""The application's errors: one small hierarchy every service raises, free of HTTP.

Services say *what* went wrong (a code for programs, a message for people, and the facts a
client needs, such as a quota's limit); ``core.handlers`` alone decides which HTTP status
and body that becomes. Plain Python, no Django: the image processing module raises these too.
"""

from typing import Any


class ApplicationError(Exception):
    """A refusal a client can understand: ``code``, ``message`` and ``extra`` facts.

    ``field`` names the request field the error is about, if any (an upload's ``file``).
    """

    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.extra = extra or {}


class InvalidInput(ApplicationError):
    """The request's content is not acceptable (a 400)."""

    default_code = "invalid"


class TooLarge(ApplicationError):
    """The request, or what it would store, is larger than allowed (a 413)."""

    default_code = "too_large"


class LimitReached(ApplicationError):
    """A count limit (not a size) would be passed (a 403)."""

    default_code = "limit_reached"


class Forbidden(ApplicationError):
    """The caller is known and the thing exists for them, but this needs more first (a 403):
    e.g. their password again (``elevation_required``)."""

    default_code = "forbidden"


class NotFound(ApplicationError):
    """No such object for this caller (a 404, identical for missing and someone else's)."""

    default_code = "not_found"


class Conflict(ApplicationError):
    """The object is not in a state to do this yet (a 409); ``retry_after`` if it will be."""

    default_code = "conflict"

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RangeNotSatisfiable(ApplicationError):
    """No byte range a request asked for lies within the file (a 416); ``size`` is the file's."""

    default_code = "range_not_satisfiable"

    def __init__(self, message: str, *, size: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.size = size


class Unprocessable(ApplicationError):
    """The request is well formed but cannot be carried out as sent (a 422)."""

    default_code = "unprocessable"


class Unauthenticated(ApplicationError):
    """The credentials presented cannot be used (a 401)."""

    default_code = "not_authenticated"


class Gone(Unauthenticated):
    """The caller's account went away mid-request (a 401: its credentials name no one)."""

    default_code = "user_not_found"


class Unavailable(ApplicationError):
    """A backing service failed; nothing of the change was kept (a 503)."""

    default_code = "service_unavailable"
