"""A shared album's signed rendition URLs as an authentication class: a ``sig`` names a member.

A valid signature (``images.together.signing``) authenticates the request as the member it
was made for, with a grant for the one rendition of the one picture it signs; the view then
builds the member's principal with that grant (``access.member_principal``), reading the
membership afresh, and the policy decides. A signature that is forged, expired, moved to
another album, picture, rendition or member, or made before the member's last password
change is a 404 at once: exactly like a missing picture.
"""

import uuid
from typing import Any

from rest_framework.authentication import BaseAuthentication

# DRF's own NotFound: raised from an authenticator, DRF then marks the request anonymous.
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from core.grants import Grant
from core.tokens import token_expires
from images.delivery import RENDITIONS
from images.links import SIGNATURE_PARAM
from images.together.signing import member_rendition_signature_valid, member_rendition_signer
from users.models import User

URL_NAME_PREFIX = "shared-album-image-"


class MemberRenditionAuthentication(BaseAuthentication):
    """Authenticates ``?sig=`` on a shared album's rendition URL as its member, with a grant."""

    def authenticate(self, request: Request) -> tuple[User, Grant] | None:
        token = request.query_params.get(SIGNATURE_PARAM)
        match = getattr(request._request, "resolver_match", None)
        if token is None or match is None:
            return None
        rendition = (match.url_name or "").removeprefix(URL_NAME_PREFIX)
        if rendition not in RENDITIONS:
            return None  # a sig elsewhere is no credential; the other classes decide
        album_id = _uuid_or_none(match.kwargs.get("album_id"))
        image_id = _uuid_or_none(match.kwargs.get("image_id"))
        user_id = member_rendition_signer(token=token)
        user = (
            User.objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None
        )
        if (
            user is None
            or album_id is None
            or image_id is None
            or not member_rendition_signature_valid(
                token=token,
                user_id=user.pk,
                password_hash=user.password,
                album_id=album_id,
                image_id=image_id,
                rendition=rendition,
            )
        ):
            raise NotFound("Not found.")
        grant = Grant(
            owner_id=user.pk,
            object_id=image_id,
            actions=frozenset({rendition}),
            expires=token_expires(token=token),
        )
        return user, grant

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
