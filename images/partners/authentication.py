"""A partner's signed rendition URL as an authentication class: a ``sig`` yields a narrow
grant for the grantee.

It says whose signature it is and what it names, nothing more: the view then makes the
``Partner`` principal (``images.access.partner_principal``, which reads the partnership
afresh) with the grant, reads through its scope and asks the policy. A signature that is
forged, expired, moved (to another image, rendition or grantor), made before the grantee's
last password change or through a partnership that has ended is a 404 at once, exactly like
a missing image.
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
from images.models import Partnership
from images.partners.signing import (
    URL_NAME_PREFIX,
    partner_rendition_signature_grantee,
    partner_rendition_signature_valid,
)
from images.signing import credential_digest
from users.models import User


class PartnerSignatureAuthentication(BaseAuthentication):
    """Authenticates ``?sig=`` on a partner's rendition URL as a grant for that rendition."""

    def authenticate(self, request: Request) -> tuple[User, Grant] | None:
        token = request.query_params.get(SIGNATURE_PARAM)
        match = getattr(request._request, "resolver_match", None)
        if token is None or match is None:
            return None
        rendition = (match.url_name or "").removeprefix(URL_NAME_PREFIX)
        if rendition not in RENDITIONS:
            return None  # a sig elsewhere is no credential; the other classes decide
        grantor_id = _uuid_or_none(match.kwargs.get("grantor_id"))
        image_id = _uuid_or_none(match.kwargs.get("image_id"))
        grantee_id = partner_rendition_signature_grantee(token=token)
        partnership = (
            Partnership.objects.filter(
                grantor_id=grantor_id,
                grantee_id=grantee_id,
                accepted_at__isnull=False,
                grantee__is_active=True,
            )
            .select_related("grantee")
            .first()
            if grantor_id is not None and image_id is not None and grantee_id is not None
            else None
        )
        if (
            partnership is None
            or image_id is None
            or not partner_rendition_signature_valid(
                token=token,
                partnership=partnership,
                image_id=image_id,
                rendition=rendition,
                credential=credential_digest(partnership.grantee.password),
            )
        ):
            raise NotFound("Not found.")
        grant = Grant(
            owner_id=partnership.grantor_id,
            object_id=image_id,
            actions=frozenset({rendition}),
            expires=token_expires(token=token),
        )
        return partnership.grantee, grant

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
