"""Signed URLs of a partner's renditions: one builder and one check, on ``core.tokens``.

An ``<img src>`` cannot send a token, so a partner's pages and gallery hand out URLs under
``partner-libraries/{grantor}/images/{image}/{rendition}/`` that carry their own signature.
It binds the partnership (so one ended and granted again opens nothing handed out before),
the grantor, the image, the rendition and the *grantee's* credentials (a digest of their
password hash, ``images.signing.credential_digest``): the URL works for that partner only,
and their password change revokes it. The token's subject is the grantee, read back to know
whose credentials to check. What a URL then opens is the access policy's answer on every
request (``images.access.Partner`` with a grant): an ended partnership, a picture trashed,
locked or moved before ``since``, or an original the grantor no longer shows is a 404.
"""

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from rest_framework import serializers

from core import tokens
from images import access
from images.delivery import RENDITIONS, rendition_key
from images.links import SIGNATURE_PARAM
from images.models import Image, Partnership
from images.signing import credential_digest

PURPOSE = "images.partner-rendition-url"
URL_NAME_PREFIX = "partner-image-"
_GRANTOR_PLACEHOLDER = "00000000-0000-4000-8000-000000000001"
_IMAGE_PLACEHOLDER = "00000000-0000-4000-8000-000000000002"
_DATETIME = serializers.DateTimeField()


def partner_rendition_signature(
    *,
    partnership: Partnership,
    image_id: uuid.UUID,
    rendition: str,
    credential: str,
    now: float | None = None,
) -> tuple[str, int]:
    """A token for one rendition of one of the grantor's images, for the grantee only, and
    the Unix time it expires. ``credential``: ``credential_digest`` of the grantee's password
    hash."""
    return tokens.token_make(
        purpose=PURPOSE,
        message=_message(partnership, image_id, rendition, credential),
        subject=partnership.grantee_id.hex,
        ttl=settings.ATELIER["SIGNED_URL_TTL"],
        now=now,
    )


def partner_rendition_signature_grantee(*, token: str) -> uuid.UUID | None:
    """The grantee a canonical, unexpired token claims (not yet verified)."""
    subject = tokens.token_subject(token=token)
    return uuid.UUID(hex=subject) if subject is not None else None


def partner_rendition_signature_valid(
    *,
    token: str,
    partnership: Partnership,
    image_id: uuid.UUID,
    rendition: str,
    credential: str,
) -> bool:
    """Whether ``token`` signs this rendition through this partnership, under the grantee's
    current credentials, and has not expired."""
    return tokens.token_valid(
        purpose=PURPOSE,
        message=_message(partnership, image_id, rendition, credential),
        subject=partnership.grantee_id.hex,
        token=token,
    )


def partner_rendition_urls(
    *, request: Any, image: Image, partner: access.Partner, cache: dict[str, Any] | None = None
) -> dict[str, str]:
    """A signed URL per rendition the policy lets ``partner`` open (and that exists now),
    and ``expires_at``. ``cache`` (a serializer's context) keeps the grantee's credential
    digest for a whole response."""
    credential = _credential(partner, cache)
    urls: dict[str, str] = {}
    expires = tokens.token_expiry(ttl=settings.ATELIER["SIGNED_URL_TTL"])
    for name in (*access.METADATA_FREE_RENDITIONS, access.ORIGINAL):
        if not access.access_allows(
            principal=partner,
            action=access.rendition_action(name),
            target=access.Rendition(image=image, name=name),
        ):
            continue
        if not rendition_key(image, name):
            continue  # not rendered yet, or failed: no URL that would only answer 409
        token, expires = partner_rendition_signature(
            partnership=partner.partnership,
            image_id=image.pk,
            rendition=name,
            credential=credential,
        )
        path = (
            _path(name)
            .replace(_GRANTOR_PLACEHOLDER, str(partner.partnership.grantor_id))
            .replace(_IMAGE_PLACEHOLDER, str(image.pk))
        )
        url = f"{path}?{SIGNATURE_PARAM}={token}"
        urls[name] = request.build_absolute_uri(url) if request is not None else url
    urls["expires_at"] = _DATETIME.to_representation(datetime.fromtimestamp(expires, tz=UTC))
    return urls


def _credential(partner: access.Partner, cache: dict[str, Any] | None) -> str:
    key = f"partners.credential:{partner.user.pk}"
    if cache is not None and key in cache:
        return str(cache[key])
    credential = credential_digest(partner.user.password)
    if cache is not None:
        cache[key] = credential
    return credential


def _message(partnership: Partnership, image_id: uuid.UUID, rendition: str, credential: str) -> str:
    return (
        f"{partnership.pk.hex}:{partnership.grantor_id.hex}:{image_id.hex}:{rendition}:{credential}"
    )


@functools.lru_cache(maxsize=64)
def _path_template(rendition: str, prefix: str, urlconf: Any, root: str) -> str:
    return reverse(
        f"{URL_NAME_PREFIX}{rendition}",
        kwargs={"grantor_id": _GRANTOR_PLACEHOLDER, "image_id": _IMAGE_PLACEHOLDER},
        urlconf=urlconf,
    )


def _path(rendition: str) -> str:
    """A rendition's path with placeholders, reversed once per process and script prefix."""
    assert rendition in RENDITIONS
    return _path_template(rendition, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)


__all__ = [
    "PURPOSE",
    "partner_rendition_signature",
    "partner_rendition_signature_grantee",
    "partner_rendition_signature_valid",
    "partner_rendition_urls",
]
