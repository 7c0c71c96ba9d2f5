"""Upload size limits enforced while the body is read, not after it has all arrived.

The parser refuses a request whose declared ``Content-Length`` is already over the limit
before reading a byte of it; the upload handler stops a body that grows past the limit as it
streams (chunked uploads or a lying ``Content-Length``). Either way the client gets a 413.

The body's limit is the larger of a photo's and a video's (``upload_body_limit``): what a
file is shows only in its bytes, once they are in, and nothing the client says (a name, a
type, a header) may raise it. The service then holds each kind to its own limit.
"""

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from rest_framework.parsers import MultiPartParser

from core.errors import TooLarge
from images.video_render import video_max_upload_bytes

# Room for multipart boundaries and the other form fields around the file.
_FORM_OVERHEAD = 64 * 1024


def upload_body_limit() -> int:
    """The most bytes any upload may have: a photo's or a video's limit, the larger."""
    return max(settings.ATELIER["MAX_UPLOAD_BYTES"], video_max_upload_bytes())


def upload_too_large(limit: int) -> TooLarge:
    """The 413 error for a body over ``limit`` bytes, with the limit in the body."""
    return TooLarge(
        f"The file is too large; the limit is {limit:,} bytes.",
        code="file_too_large",
        extra={"max_bytes": limit},
    )


class LimitedMultiPartParser(MultiPartParser):
    """DRF's multipart parser, refusing early a body declared larger than uploads may be."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        limit = upload_body_limit()
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit + _FORM_OVERHEAD:
                raise upload_too_large(limit)
        return super().parse(stream, media_type, parser_context)


class SizeLimitUploadHandler(FileUploadHandler):
    """Counts each uploaded file's bytes as they stream and stops past the limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = start + len(raw_data)
        limit = upload_body_limit()
        if self.received > limit:
            raise upload_too_large(limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
