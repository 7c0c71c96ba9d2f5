"""Object permissions for images: only an image's owner may act on it."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

SIGNATURE_PARAM = "sig"


class IsOwner(BasePermission):
    """Allows access only to the object's owner.

    The second layer: every queryset is already filtered by ``request.user``, so a stranger's
    object is a 404 long before this runs. If that filter is ever lost, this still refuses.
    """

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and (
            obj.owner_id == request.user.pk
        )


class IsAuthenticatedOrSigned(BasePermission):
    """Allows authenticated users, or anyone holding a signed URL (checked by the view)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if SIGNATURE_PARAM in request.query_params:
            return True
        return bool(request.user and request.user.is_authenticated)
