"""Signed rendition URLs as an authentication class: a ``sig`` yields a narrow grant.

A valid signature authenticates the request as the image's owner *with a grant* for one
rendition of one image (``core.grants``); the owned viewset then scopes it, and the access
policy (``images.access``, as a ``SignedGrant``) decides it, on the same path as a token or
a session. This class only says whose the signature is and what it names; it decides
nothing. A signature that is forged, expired, moved to another image or rendition, or made
before the owner's last password change is answered 404 at once: exactly like a missing
image, so it reveals nothing.
"""

import uuid
from typing import Any

from rest_framework.authentication import BaseAuthentication

# DRF's own NotFound: raised from an authenticator, DRF then marks the request anonymous.
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from core.grants import Grant
from core.tokens import token_expires
from images import selectors
from images.access import METADATA_FREE_RENDITIONS
from images.links import SIGNATURE_PARAM
from images.signing import (
    credential_digest,
    rendition_signature_owner,
    rendition_signature_valid,
)
from users.models import User

# Renditions that may be opened by a signed URL: metadata-free. The original keeps the
# camera's EXIF and GPS, so it needs the owner's own credentials (``images.access``).
SIGNED_RENDITIONS = METADATA_FREE_RENDITIONS


class SignedRenditionAuthentication(BaseAuthentication):
    """Authenticates ``?sig=`` on a signed rendition's URL as a grant for that rendition."""

    def authenticate(self, request: Request) -> tuple[User, Grant] | None:
        token = request.query_params.get(SIGNATURE_PARAM)
        match = getattr(request._request, "resolver_match", None)
        if token is None or match is None:
            return None
        rendition = (match.url_name or "").removeprefix("image-")
        if rendition not in SIGNED_RENDITIONS:
            return None  # a sig elsewhere is no credential; the other classes decide
        image_id = _uuid_or_none(match.kwargs.get("pk"))
        owner_id = rendition_signature_owner(token=token)
        image = (
            selectors.image_get_signed(owner_id=owner_id, image_id=image_id)
            if owner_id is not None and image_id is not None
            else None
        )
        if image is None or not rendition_signature_valid(
            token=token,
            image_id=image.pk,
            rendition=rendition,
            owner_id=image.owner_id,
            credential=credential_digest(image.owner.password),
        ):
            raise NotFound("Not found.")
        grant = Grant(
            owner_id=image.owner_id,
            object_id=image.pk,
            actions=frozenset({rendition}),
            expires=token_expires(token=token),
        )
        return image.owner, grant

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
