"""Grants: narrow access that a credential other than an account's own login carries.

A signed rendition URL authenticates as a *grant*: it names the
owner whose object it opens, the one object, the actions it allows and when it ends. The
authentication class puts it in ``request.auth``; the owned viewset's queryset narrows to the
object, and the object permission checks the action. So every kind of caller goes through the
same ``get_object`` path, and no request gets through because a parameter is merely present.

A share link is not a grant of this kind: it opens no account's endpoints at all. A link's
visitor is a principal of its own in the images app's access policy, answered by the public
share endpoints, which read only what the link names.
"""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """Access to one object of one owner, for some actions, until ``expires`` (Unix time)."""

    owner_id: uuid.UUID
    object_id: uuid.UUID
    actions: frozenset[str]
    expires: int

    def allows(self, action: str | None) -> bool:
        return action in self.actions
