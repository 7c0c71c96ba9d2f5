"""Object permissions for owned objects: only the owner, and a grant only for what it names."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from core.grants import Grant


class IsOwner(BasePermission):
    """Allows access only to the object's owner, and to a grant only within its scope.

    The second layer: every queryset is already scoped to the caller (``OwnerScopedViewSet``),
    so a stranger's object is a 404 long before this runs. If that scope is ever lost, this
    still refuses. A grant (a signed URL) is held to its own action and object, here too.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, Grant):
            return request.auth.allows(getattr(view, "action", None))
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if obj.owner_id != request.user.pk:
            return False
        grant = request.auth
        if isinstance(grant, Grant):
            return grant.object_id == obj.pk and grant.allows(getattr(view, "action", None))
        return True
