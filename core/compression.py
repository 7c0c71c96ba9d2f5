"""Compresses pages and API answers for clients that accept gzip, and nothing else.

Django's ``GZipMiddleware`` (with its mitigation of BREACH: random bytes in each gzip
header, so the length of a page holding a CSRF token says nothing) would also compress
streamed files: a picture's bytes, already compressed, lose their ``Content-Length`` and
their byte ranges. Only documents built in memory with a textual type are compressed here:
HTML, JSON (the API, GeoJSON, the schema), text, JavaScript, CSS, SVG.
"""

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/geo+json",
    "application/problem+json",
    "application/vnd.oai.openapi",
    "application/javascript",
    "image/svg+xml",
)


class TextCompressionMiddleware(GZipMiddleware):
    """``GZipMiddleware`` for in-memory responses of a textual type only."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        content_type = response.get("Content-Type", "")
        if response.streaming or not content_type.startswith(COMPRESSIBLE_TYPES):
            return response
        return super().process_response(request, response)
