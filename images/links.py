"""The one builder of signed rendition URLs, for the owner's API, a link's page and the web.

An ``<img src>`` cannot send a token or a share's grant header, so every rendition handed to
a browser is a URL that carries its own signature (``?sig=``). Whose signature depends on who
asks: an ``Owner`` gets URLs under ``images/{id}/`` signed under their credentials
(``images.signing``), a ``ShareVisitor`` gets URLs under ``shared/{token}/images/{id}/``
signed through the link (``images.shares``). A picture of the locked folder gets its URLs only
on the locked list (``locked_rendition_urls``): under ``locked/{id}/``, ending with the
owner's elevation (``images.locked``). Which renditions get a URL is the access
policy's answer (``images.access``), never this module's; a rendition not rendered yet gets
none (it would only answer 409).
"""

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from rest_framework import serializers

from core.tokens import token_expiry
from images import access, locked, shares
from images.delivery import rendition_key
from images.models import Image
from images.signing import credential_digest, rendition_signature
from users.models import User

SIGNATURE_PARAM = "sig"
_IMAGE_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
_TOKEN_PLACEHOLDER = "share-token-placeholder"  # noqa: S105 (a path placeholder)
# Formats like every other timestamp in the API (ISO 8601 with "Z").
_DATETIME = serializers.DateTimeField()

Signer = access.Owner | access.ShareVisitor


def rendition_url_build(
    *,
    request: Any,
    image_id: uuid.UUID,
    rendition: str,
    signer: Signer,
    credential: str | None = None,
) -> tuple[str, int]:
    """The signed URL of one rendition for ``signer``, and when it expires (Unix time).

    ``credential``: the owner's ``credential_digest``, where the caller already has it (a
    page computes it once); read from ``signer`` otherwise. Absolute where ``request`` is
    given. It does not ask the policy: callers build URLs for what it allowed.
    """
    if isinstance(signer, access.ShareVisitor):
        share = signer.share
        token, expires = shares.share_rendition_signature(
            share=share, image_id=image_id, rendition=rendition
        )
        path = _path(f"shared-{rendition}").replace(_TOKEN_PLACEHOLDER, share.token)
    else:
        token, expires = rendition_signature(
            image_id=image_id,
            rendition=rendition,
            owner_id=signer.user.pk,
            credential=credential or credential_digest(signer.user.password),
            ttl=settings.ATELIER["SIGNED_URL_TTL"],
        )
        path = _path(f"image-{rendition}")
    url = f"{path.replace(_IMAGE_PLACEHOLDER, str(image_id))}?{SIGNATURE_PARAM}={token}"
    return (request.build_absolute_uri(url) if request is not None else url), expires


def rendition_urls(
    *, request: Any, image: Image, signer: Signer | None, cache: dict[str, Any] | None = None
) -> dict[str, str]:
    """The ``urls`` of an image's body: a signed URL per rendition the policy lets
    ``signer`` open (and that exists now), and ``expires_at``. ``None``: the image's owner
    (a body made without a request).

    ``cache``: a dict that lives as long as one response (a serializer's context), so a
    page of images computes the owner's credential digest once.
    """
    credential = None
    if isinstance(signer, access.ShareVisitor):
        ttl = shares.RENDITION_TTL_SECONDS
        names = access.renditions_allowed(
            principal=signer,
            image=image,
            renditions=(*access.METADATA_FREE_RENDITIONS, access.ORIGINAL),
        )
    else:
        ttl = settings.ATELIER["SIGNED_URL_TTL"]
        signer = _owner_of(image, signer, cache)
        credential = _credential(signer.user, cache)
        names = tuple(
            name
            for name in access.METADATA_FREE_RENDITIONS
            if access.access_allows(
                principal=signer,
                action=access.rendition_action(name),
                target=access.Rendition(image=image, name=name),
            )
        )
    urls: dict[str, str] = {}
    expires = token_expiry(ttl=ttl)
    for name in names:
        if not rendition_key(image, name):
            continue  # not rendered yet, or failed: no URL that would only answer 409
        urls[name], expires = rendition_url_build(
            request=request, image_id=image.pk, rendition=name, signer=signer, credential=credential
        )
    urls["expires_at"] = _DATETIME.to_representation(datetime.fromtimestamp(expires, tz=UTC))
    return urls


def _owner_of(
    image: Image, signer: access.Owner | None, cache: dict[str, Any] | None
) -> access.Owner:
    """The owner whose credentials sign ``image``'s URLs: the caller, or where there is none
    (a body made without a request) the owner's row, read once per response."""
    if signer is not None:
        return signer
    key = f"links.owner:{image.owner_id}"
    if cache is not None and key in cache:
        return cache[key]
    owner = access.Owner(user=User.objects.only("password", "is_active").get(pk=image.owner_id))
    if cache is not None:
        cache[key] = owner
    return owner


def _credential(user: User, cache: dict[str, Any] | None) -> str:
    key = f"links.credential:{user.pk}"
    if cache is not None and key in cache:
        return cache[key]
    credential = credential_digest(user.password)
    if cache is not None:
        cache[key] = credential
    return credential


def locked_rendition_urls(
    *, request: Any, image: Image, user: User, expires: int, cache: dict[str, Any] | None = None
) -> dict[str, str]:
    """The ``urls`` of a locked picture on the locked list: a signed URL per metadata-free
    rendition it has, under ``locked/{id}/``, each ending at ``expires`` (the end of the
    elevation the list was read with: such a URL never outlives it), and ``expires_at``."""
    owner = access.Owner(user=user, elevated=True)
    credential = _credential(user, cache)
    urls: dict[str, str] = {}
    for name in access.METADATA_FREE_RENDITIONS:
        if not rendition_key(image, name) or not access.access_allows(
            principal=owner,
            action=access.rendition_action(name),
            target=access.Rendition(image=image, name=name),
        ):
            continue
        token, _ = locked.locked_signature(
            image_id=image.pk,
            rendition=name,
            owner_id=user.pk,
            credential=credential,
            expires=expires,
        )
        path = _path(f"locked-{name}").replace(_IMAGE_PLACEHOLDER, str(image.pk))
        url = f"{path}?{SIGNATURE_PARAM}={token}"
        urls[name] = request.build_absolute_uri(url) if request is not None else url
    urls["expires_at"] = _DATETIME.to_representation(datetime.fromtimestamp(expires, tz=UTC))
    return urls


@functools.lru_cache(maxsize=64)
def _path_template(url_name: str, prefix: str, urlconf: Any, root: str) -> str:
    kwargs = {"pk": _IMAGE_PLACEHOLDER}
    if url_name.startswith("shared-"):
        kwargs = {"token": _TOKEN_PLACEHOLDER, "image_id": _IMAGE_PLACEHOLDER}
    return reverse(url_name, kwargs=kwargs, urlconf=urlconf)


def _path(url_name: str) -> str:
    """A rendition's path with placeholders, reversed once per process and script prefix
    (reversing per image was a large part of a 100-image page's time, bench/RESULTS.md)."""
    return _path_template(url_name, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)


__all__ = ["SIGNATURE_PARAM", "locked_rendition_urls", "rendition_url_build", "rendition_urls"]
