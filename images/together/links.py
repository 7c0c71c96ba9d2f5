"""Signed rendition URLs of a shared album's pictures, for the member who asks.

Under ``shared-albums/{album}/images/{image}/{rendition}/``, signed for that member
(``images.together.signing``): an ``<img>`` or an SDK fetches them without headers, and they
open nothing their member could not open with their own token at that moment. Which
renditions get a URL is the policy's answer (asked by the caller), never this module's.
"""

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from rest_framework import serializers

from images.links import SIGNATURE_PARAM
from images.signing import credential_digest
from images.together.authentication import URL_NAME_PREFIX
from images.together.signing import member_rendition_signature
from users.models import User

_ALBUM_PLACEHOLDER = "00000000-0000-4000-8000-00000000000a"
_IMAGE_PLACEHOLDER = "00000000-0000-4000-8000-00000000000b"
_DATETIME = serializers.DateTimeField()


def member_rendition_url(
    *,
    request: Any,
    user: User,
    album_id: uuid.UUID,
    image_id: uuid.UUID,
    rendition: str,
    cache: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """The signed URL of one rendition for ``user``, and when it expires (Unix time).

    ``cache``: a dict that lives as long as one response, so a page computes the member's
    credential digest once. Absolute where ``request`` is given.
    """
    key = f"together.credential:{user.pk}"
    credential = cache.get(key) if cache is not None else None
    if credential is None:
        credential = credential_digest(user.password)
        if cache is not None:
            cache[key] = credential
    token, expires = member_rendition_signature(
        user_id=user.pk,
        credential=credential,
        album_id=album_id,
        image_id=image_id,
        rendition=rendition,
    )
    path = (
        _path(rendition)
        .replace(_ALBUM_PLACEHOLDER, str(album_id))
        .replace(_IMAGE_PLACEHOLDER, str(image_id))
    )
    url = f"{path}?{SIGNATURE_PARAM}={token}"
    return (request.build_absolute_uri(url) if request is not None else url), expires


def expires_at(expires: int) -> str:
    """An expiry as every timestamp of the API is written."""
    return str(_DATETIME.to_representation(datetime.fromtimestamp(expires, tz=UTC)))


@functools.lru_cache(maxsize=64)
def _path_template(rendition: str, prefix: str, urlconf: Any, root: str) -> str:
    return reverse(
        f"{URL_NAME_PREFIX}{rendition}",
        kwargs={"album_id": _ALBUM_PLACEHOLDER, "image_id": _IMAGE_PLACEHOLDER},
        urlconf=urlconf,
    )


def _path(rendition: str) -> str:
    """A rendition's path with placeholders, reversed once per process and script prefix."""
    return _path_template(rendition, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
