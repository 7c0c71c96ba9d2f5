"""The object permission of the owned API: it asks the access policy, and decides nothing.

Each owned viewset names the policy's ``Action`` of each of its view actions
(``access_actions``); an action it does not name is refused. The queryset is already scoped
to the caller (``core.ownership.OwnerScopedViewSet``), so a stranger's object is a 404 long
before this runs; if that scope is ever lost, the policy still refuses, with the same 404.
"""

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from images import access


class HasAccess(BasePermission):
    """Allows what ``images.access`` allows the caller (the owner, or a signed URL's grant)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = access.principal_of(user=request.user, auth=request.auth)
        if principal is None:
            return False  # IsAuthenticated, listed first, has already answered 401
        if getattr(view, "action", None) is None:
            return True  # a method the view does not route: DRF answers 405, reading nothing
        action = _action(view)
        if action is None or not access.access_possible(principal=principal, action=action):
            raise access.AccessRefused()
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        principal = access.principal_of(user=request.user, auth=request.auth)
        action = _action(view)
        if principal is None or action is None:
            raise exceptions.NotFound("Not found.", code="not_found")
        target = obj
        if action in (access.Action.RENDITION_VIEW, access.Action.ORIGINAL_DOWNLOAD):
            target = access.Rendition(image=obj, name=view.action)
        try:
            access.access_check(principal=principal, action=action, target=target)
        except access.AccessRefused as refused:
            # The same 404, as DRF's own exception: DRF's HTML renderer asks this permission
            # while drawing its forms, and only a DRF exception there means "no form".
            raise exceptions.NotFound(refused.message, code=refused.code) from None
        return True


def _action(view: Any) -> access.Action | None:
    """The policy's action for the view's; OPTIONS (DRF's ``metadata``) describes the
    endpoint as viewing it does."""
    actions = getattr(view, "access_actions", {})
    name = getattr(view, "action", None)
    if name == "metadata":
        name = "retrieve" if "retrieve" in actions else "list"
    return actions.get(name)
