"""Serving an image's files: media type, content negotiation, ETags and safe headers.

The media type of every file comes from the format the server decided when it wrote the file
(never from ``mimetypes``, whose answer depends on the host's ``/etc/mime.types``: WebP was
``application/octet-stream`` on some). A rendition is served to any ``Accept`` that admits
its type, including ``image/*`` and ``*/*`` and a browser's ``image/avif,image/webp,*/*``,
and refused with a JSON 406 only when the client excludes it. The processed rendition, the
preview and the thumbnail are each stored in several formats (JPEG or PNG, WebP, and AVIF
for the preview and thumbnail: ``imaging.encoding``): the same URL answers AVIF to a client
that names ``image/avif``, else WebP to one that names ``image/webp``, else the JPEG or PNG
that every client reads (``*/*`` or no header), with ``Vary: Accept`` and an ETag per format.

Once the caller and the ``Accept`` header have passed, ``ATELIER_FILE_DELIVERY`` decides who
sends the owner's bytes: this process (``stream``), the S3 server through a short-lived
presigned URL (``redirect``, a 302), or nginx from its internal location (``accel``,
``X-Accel-Redirect``). A mode the storage cannot do falls back to streaming: there are no
presigned URLs on disk, and nginx cannot read an S3 bucket's files from a folder.

A share link's visitor is always streamed, whatever the mode. A presigned URL names the
storage key (``{owner id}/{image id}/...``: any two links could be tied to one account) and
keeps working for its whole lifetime after the link is revoked or the image trashed; an
``X-Accel-Redirect`` names the same key to anything between this process and nginx. Streamed,
nothing a visitor receives names the owner, and every byte is sent only after the link was
checked on that very request.

Streamed files answer range requests (RFC 9110 §14; ``images.ranges`` plans them): a video
player seeks, a download resumes. Every byte is read from storage as it is sent, a chunk at a
time (``files.file_chunks``): a 1 GB video never sits whole in this process's memory or on
its disk. In the other modes S3 or nginx answers the ``Range`` itself.
"""

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.request import MediaType
from django.utils.http import http_date, parse_etags
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from core.errors import NotFound, RangeNotSatisfiable, Unavailable
from images import files, ranges, shares
from images.errors import RenditionAbsent, RenditionNotReady
from images.models import Image
from images.storage_errors import STORAGE_ERRORS
from imaging.media import MEDIA_TYPE_BY_EXTENSION as _MEDIA_TYPE_BY_EXTENSION
from imaging.media import MEDIA_TYPES

# The server names each stored file after the format it encoded (``imaging.media``), so the
# extension of a server-made key is the server's own record of that format.
CACHE_CONTROL = "private, max-age=3600"
# A link's visitor revalidates every time (a 304 costs one ETag comparison): the link is
# checked on each use, so a revoke or a trash ends what a browser would otherwise show from
# its cache for another hour.
VISITOR_CACHE_CONTROL = "private, no-cache"
# A redirect is never stored: its Location is a bearer credential that expires within
# minutes, and it names one rendition's key, which a restyle deletes; a cached redirect could
# outlive either and lead to a 403 or a 404. Nothing is lost by it, since every redirect signs
# a new URL and a browser could not reuse the bytes cached under the last one anyway.
REDIRECT_CACHE_CONTROL = "private, no-store"
DELIVERY_MODES = ("stream", "redirect", "accel")
# Every file an image can be fetched as; ``preview`` is the processed rendition for images
# rendered before previews existed.
# ``video`` is a video's web-playable version, ``motion`` a Live Photo's or motion photo's.
RENDITIONS = ("original", "processed", "preview", "thumbnail", "video", "motion")
# The renditions stored in several formats, and those formats (``<rendition>_<variant>_key``)
# best first; a request's ``Accept`` picks one (``rendition_variant``).
VARIANT_RENDITIONS = ("processed", "preview", "thumbnail")
VARIANTS = ("avif", "webp")
# The field naming each rendition's file, where it is not ``<rendition>_key``.
_RENDITION_FIELDS = {"video": "playback_key"}
# A download's name for a link's visitor when the image has no title: never the upload's
# file name, which may say more than the owner meant to share.
VISITOR_DEFAULT_NAME = "photo"
CRLF = "\r\n"


class FileContentNegotiation(DefaultContentNegotiation):
    """Negotiation for file downloads: the only thing DRF renders there is an error, as JSON.

    The file itself is negotiated by ``rendition_response``, once its type is known; DRF
    would refuse ``Accept: image/jpeg`` up front (406) because no renderer makes images, and
    would answer a browser's ``text/html`` with the browsable API's page instead of JSON.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return JSONRenderer(), JSONRenderer.media_type


def rendition_key(image: Image, rendition: str, variant: str = "") -> str:
    """The storage key a rendition is served from; empty while there is none.

    ``variant``: ``avif`` or ``webp`` for that format of a sized rendition (empty where the
    image was rendered before variants existed); empty for the JPEG or PNG every client reads.
    An image rendered before previews existed has no ``preview_key``: its processed
    rendition stands in, so ``preview`` is there wherever ``processed`` is.
    """
    if rendition == "preview" and not image.preview_key:
        rendition = "processed"
    if variant:
        if rendition not in VARIANT_RENDITIONS:
            return ""
        return str(getattr(image, f"{rendition}_{variant}_key"))
    return str(getattr(image, _RENDITION_FIELDS.get(rendition, f"{rendition}_key")))


def rendition_media_type(image: Image, rendition: str, variant: str = "") -> str:
    """The media type of one of the image's files, from the format the server recorded."""
    if rendition == "original":
        return MEDIA_TYPES.get(image.format, "application/octet-stream")
    extension = PurePosixPath(rendition_key(image, rendition, variant)).suffix
    return _MEDIA_TYPE_BY_EXTENSION.get(extension.lstrip(".").lower(), "application/octet-stream")


def _accept_ranges(request: HttpRequest | Request) -> list[MediaType] | None:
    """The ``Accept`` header's media ranges; ``None`` where there is none (admits anything)."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return None
    return [MediaType(token) for token in header.split(",") if token.strip()]


def _quality(media_range: MediaType) -> float:
    try:
        return float(media_range.quality)
    except ValueError:  # an unreadable q counts as 1, as Django's own parser does elsewhere
        return 1.0


def _admission(ranges: list[MediaType] | None, media_type: str) -> tuple[float, bool]:
    """The q the most specific matching range gives ``media_type`` (RFC 9110 §12.5.1), and
    whether that range names it exactly (not through ``image/*`` or ``*/*``)."""
    if ranges is None:
        return 1.0, False
    candidate = MediaType(media_type)
    # Django's MediaType.match takes a MediaType as well as a str; django-stubs says str.
    matching = [r for r in ranges if candidate.match(r)]  # type: ignore[arg-type]
    if not matching:
        return 0.0, False
    best = max(matching, key=lambda r: r.specificity)
    named = best.main_type == candidate.main_type and best.sub_type == candidate.sub_type
    return _quality(best), named


def accepts(request: HttpRequest | Request, media_type: str) -> bool:
    """Whether the ``Accept`` header admits ``media_type`` (RFC 9110 §12.5.1).

    The most specific range that matches decides, so ``image/jpeg;q=0, */*`` excludes JPEG
    although ``*/*`` would admit it. No header admits everything.
    """
    return _admission(_accept_ranges(request), media_type)[0] > 0


def rendition_variant(request: HttpRequest | Request, image: Image, rendition: str) -> str | None:
    """Which file of a rendition answers this request: ``avif``, ``webp``, ``""`` (the JPEG or
    PNG), or ``None`` where the ``Accept`` header admits none of them (a 406).

    AVIF or WebP only where the client names it (``image/avif``, as browsers that decode it
    send: ``image/avif,image/webp,*/*``), the higher q first and AVIF (the smaller) on a tie;
    ``*/*``, ``image/*`` or no header get the JPEG or PNG, which every client reads. Should
    the client exclude the fallback yet admit a variant only through a wildcard, it gets the
    variant rather than a 406. An image rendered before variants existed has only its fallback.
    """
    ranges = _accept_ranges(request)
    present = [v for v in VARIANTS if rendition_key(image, rendition, v)]
    named: list[tuple[float, int, str]] = []
    wildcard: list[str] = []
    for order, variant in enumerate(present):
        quality, exact = _admission(ranges, rendition_media_type(image, rendition, variant))
        if quality > 0 and exact:
            named.append((quality, -order, variant))
        elif quality > 0:
            wildcard.append(variant)
    fallback_quality, _ = _admission(ranges, rendition_media_type(image, rendition))
    if named:
        quality, _, variant = max(named)
        if quality >= fallback_quality:
            return variant
    if fallback_quality > 0:
        return ""
    return wildcard[0] if wildcard else None


def rendition_response_shared(
    request: Request, image: Image, rendition: str, *, metadata_shown: bool
) -> HttpResponseBase:
    """One rendition of a picture served to an account it is shared with (an album's member,
    a partner), once the access policy allowed it: a missing file answers as the owner's
    does (absent once rendered, else not ready yet); it is always streamed (a redirect would
    name the owner's storage key and outlive the sharing); the original without its metadata
    unless that is shown (stripped once, then stored)."""
    if not rendition_key(image, rendition):
        if image.status == image.Status.READY:
            raise RenditionAbsent(rendition=rendition)
        raise RenditionNotReady(image=image, rendition=rendition)
    stripped = rendition == "original" and not metadata_shown
    return rendition_response(
        request,
        image,
        rendition,
        visitor=True,
        stripped_key=(lambda: shares.share_original_stripped_key(image=image))
        if stripped
        else None,
    )


def rendition_response(
    request: HttpRequest | Request,
    image: Image,
    rendition: str,
    *,
    visitor: bool = False,
    stripped_key: Callable[[], str] | None = None,
) -> HttpResponseBase:
    """The file of one rendition, with its ETag, or 304, or a JSON 406.

    ``visitor``: the caller holds a share link, not the account; the file is streamed by
    this process in every delivery mode, and named without the upload's file name.
    ``stripped_key``: the original is served without its metadata, from the stored copy
    this returns (made the first time it is asked for); it is called only once ``Accept``
    and ``If-None-Match`` have passed, so neither a 406 nor a 304 ever strips a file.
    """
    variant = (
        rendition_variant(request, image, rendition) if rendition in VARIANT_RENDITIONS else ""
    )
    media_type = rendition_media_type(image, rendition, variant or "")
    if variant is None or not accepts(request, media_type):
        raise NotAcceptable(
            f"This file is {media_type}; send an Accept header that admits it "
            f"(e.g. {media_type}, image/* or */*).",
            code="not_acceptable",
        )
    # Each format is its own file, so its own ETag (the key names it): a cache that keeps one
    # per Accept (Vary) never revalidates the AVIF with the JPEG's tag.
    key = rendition_key(image, rendition, variant)
    digest = image.checksum if rendition == "original" else hashlib.sha256(key.encode()).hexdigest()
    if stripped_key is not None:
        digest = hashlib.sha256(f"stripped:{digest}".encode()).hexdigest()
    etag = f'"{digest[:40]}"'
    # If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x"; * matches any.
    offered = {
        tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))
    }
    filename = download_filename(image, rendition, key, visitor=visitor)
    cache_control = VISITOR_CACHE_CONTROL if visitor else CACHE_CONTROL
    response: HttpResponseBase
    if etag in offered or "*" in offered:
        response = HttpResponseNotModified()
    else:
        if stripped_key is not None:
            key = stripped_key()
        mode = "stream" if visitor else delivery_mode()
        if mode == "redirect":
            response = _redirect(key, media_type, filename)
            # No ETag: a cache that revalidated a stored redirect with it would get a 304 and
            # follow the old, expired Location again.
            response["Cache-Control"] = REDIRECT_CACHE_CONTROL
            response["Vary"] = "Accept"
            return response
        if mode == "accel":
            response = _accel(key, media_type)
        else:
            response = _stream(request, key, media_type, etag=etag, visitor=visitor)
        response["Content-Disposition"] = content_disposition(filename)
        # The bytes are an image to show, never a document to run.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["Vary"] = "Accept"
    return response


def delivery_mode() -> str:
    """How the configured storage's files are handed out: ``ATELIER_FILE_DELIVERY``, if it can.

    ``redirect`` needs a storage that presigns URLs (S3) and ``accel`` one on the file
    system (which nginx reads too); otherwise the files are streamed.
    """
    mode = settings.ATELIER_FILE_DELIVERY
    if mode not in DELIVERY_MODES:
        raise ImproperlyConfigured(
            f"ATELIER_FILE_DELIVERY is {mode!r}; it must be one of {', '.join(DELIVERY_MODES)}."
        )
    if mode == "redirect" and not files.storage_presigns():
        return "stream"
    if mode == "accel" and not files.storage_on_filesystem():
        return "stream"
    return mode


def _stream(
    request: HttpRequest | Request, key: str, media_type: str, *, etag: str, visitor: bool
) -> HttpResponseBase:
    """The bytes, read from storage by this process a chunk at a time: the whole file (200),
    the ranges a ``Range`` header asks for (206), or a JSON 416 if none is in the file.

    Only a GET's ``Range`` counts (§14.2), and only while ``If-Range`` holds against this
    response's ETag or ``Last-Modified``. A HEAD answers the GET's headers without reading a
    byte. A visitor is not sent ``Last-Modified`` (when the owner uploaded or the server
    rendered is not the link's to tell), so only the ETag can make a visitor's range conditional.
    """
    try:
        stored = files.file_stat(key=key)
    except FileNotFoundError as exc:
        raise NotFound("The file of this image is not available.") from exc
    except STORAGE_ERRORS as exc:
        raise Unavailable("The file could not be read; try again.") from exc
    last_modified = None if visitor else stored.modified_at
    plan = ranges.FULL
    if request.method == "GET" and ranges.if_range_holds(
        request.headers.get("If-Range"), etag=etag, last_modified=last_modified
    ):
        plan = ranges.range_plan(request.headers.get("Range"), size=stored.size)
    if plan.outcome is ranges.Outcome.UNSATISFIABLE:
        raise RangeNotSatisfiable(
            f"No range asked for is within the file, which has {stored.size:,} bytes.",
            size=stored.size,
        )
    body: Iterable[bytes]
    if plan.outcome is ranges.Outcome.FULL:
        length, body = stored.size, files.file_chunks(stored=stored)
        response = StreamingHttpResponse(content_type=media_type)
    elif len(plan.ranges) == 1:
        [part] = plan.ranges
        length = part.length
        body = files.file_chunks(stored=stored, start=part.start, stop=part.stop)
        response = StreamingHttpResponse(content_type=media_type, status=HTTPStatus.PARTIAL_CONTENT)
        response["Content-Range"] = part.content_range(stored.size)
    else:
        boundary = secrets.token_hex(16)
        length, body = _multipart(stored, plan.ranges, media_type, boundary)
        response = StreamingHttpResponse(
            content_type=f"multipart/byteranges; boundary={boundary}",
            status=HTTPStatus.PARTIAL_CONTENT,
        )
    # A HEAD's body is never read: nothing is fetched from storage for it.
    response.streaming_content = () if request.method == "HEAD" else body
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    return response


def _multipart(
    stored: files.StoredFile, parts: tuple[ranges.ByteRange, ...], media_type: str, boundary: str
) -> tuple[int, Iterator[bytes]]:
    """A ``multipart/byteranges`` body (RFC 9110 §14.6) of the ranges, and its exact length.

    Each part has its own ``Content-Type`` and ``Content-Range``; the CRLF before each
    delimiter belongs to the delimiter (RFC 2046 §5.1.1), not to the part's bytes.
    """
    heads = [
        (
            f"{CRLF if index else ''}--{boundary}{CRLF}Content-Type: {media_type}{CRLF}"
            f"Content-Range: {part.content_range(stored.size)}{CRLF}{CRLF}"
        ).encode("ascii")
        for index, part in enumerate(parts)
    ]
    tail = f"{CRLF}--{boundary}--{CRLF}".encode("ascii")
    length = sum(map(len, heads)) + sum(part.length for part in parts) + len(tail)

    def body() -> Iterator[bytes]:
        for head, part in zip(heads, parts, strict=True):
            yield head
            yield from files.file_chunks(stored=stored, start=part.start, stop=part.stop)
        yield tail

    return length, body()


def _redirect(key: str, media_type: str, filename: str) -> HttpResponseBase:
    """A 302 to a presigned URL that answers with this file's type and name.

    The URL lives as long as the storage's ``querystring_expire`` (``ATELIER_S3_URL_TTL``).
    Signing is local (no request to S3), so whether the object exists is for S3 to say when
    the client follows the redirect.
    """
    location = files.file_url(
        key=key,
        parameters={
            "ResponseContentType": media_type,
            "ResponseContentDisposition": content_disposition(filename),
        },
    )
    return HttpResponseRedirect(location)


def _accel(key: str, media_type: str) -> HttpResponseBase:
    """An empty 200 whose ``X-Accel-Redirect`` has nginx send the file from its internal location.

    nginx keeps this response's headers (type, name, ETag, caching) and replaces the body.
    """
    try:
        present = files.file_exists(key=key)
    except STORAGE_ERRORS as exc:
        raise Unavailable("The file could not be read; try again.") from exc
    if not present:
        raise NotFound("The file of this image is not available.")
    response = HttpResponse(content_type=media_type)
    # nginx answers Range requests for the file itself (its ``max_ranges`` bounds them).
    response["Accept-Ranges"] = "bytes"
    prefix = settings.ATELIER_ACCEL_PREFIX.rstrip("/")
    response["X-Accel-Redirect"] = f"{prefix}/{quote(key)}"
    return response


def download_filename(image: Image, rendition: str, key: str, *, visitor: bool = False) -> str:
    """The name a download is saved under: the image's title, else the upload's file name.

    A link's visitor never gets the upload's file name (``VISITOR_DEFAULT_NAME`` instead).
    Renditions are marked (``-sepia``, ``-preview``, ``-thumbnail``); the extension is the
    served file's own (``key``: the negotiated format's, ``.avif`` for an AVIF).
    """
    suffix = PurePosixPath(key).suffix
    stem = _name_part(image.title)
    if not stem:
        stem = (
            VISITOR_DEFAULT_NAME
            if visitor
            else _name_part(PurePosixPath(image.original_filename).stem)
        )
    stem = stem or VISITOR_DEFAULT_NAME
    if rendition == "original":
        return f"{stem}{suffix}"
    marker = image.style if rendition == "processed" else rendition
    return f"{stem}-{marker}{suffix}"


# Characters no file name may hold on some system a download lands on.
_NAME_RESERVED = re.compile(r'[\\/:*?"<>|]+')
_NAME_MAX = 120


def _name_part(text: str) -> str:
    """``text`` made safe as a file name's stem: no controls, invisible or bidirectional
    characters, no path separators or reserved characters, one space at a time, bounded."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "C")
    text = " ".join(_NAME_RESERVED.sub(" ", text).split())
    return text[:_NAME_MAX].strip(" .")


def content_disposition(filename: str) -> str:
    """``inline`` with the name twice: an ASCII ``filename`` every client reads, and the
    exact name as ``filename*`` (RFC 6266, UTF-8, percent-encoded) for those that read it."""
    ascii_name = (
        unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode().strip(" .")
    )
    ascii_name = "".join(ch for ch in ascii_name if 0x20 <= ord(ch) < 0x7F and ch not in '"\\')
    if not PurePosixPath(ascii_name).stem.strip(" .-"):
        ascii_name = f"{VISITOR_DEFAULT_NAME}{PurePosixPath(filename).suffix}"
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


__all__ = [
    "FileContentNegotiation",
    "accepts",
    "content_disposition",
    "delivery_mode",
    "download_filename",
    "rendition_key",
    "rendition_media_type",
    "rendition_response",
    "rendition_variant",
]
