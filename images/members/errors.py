"""What the members services raise: application errors (``core.errors``) that
``core.handlers`` maps to responses, each with a stable code."""

from core.errors import InvalidInput

__all__ = ["AlreadyMember", "NoSuchAccount", "OwnerCannotLeave", "SelfInvite"]


class NoSuchAccount(InvalidInput):
    """No active account has this username or email (an inactive one answers the same, so
    an invitation tells nothing about accounts that cannot be invited)."""

    def __init__(self) -> None:
        super().__init__(
            "No account has this username or email.", code="no_such_account", field="user"
        )


class SelfInvite(InvalidInput):
    """The owner named their own account."""

    def __init__(self) -> None:
        super().__init__(
            "You own this album; invite someone else.", code="self_invite", field="user"
        )


class AlreadyMember(InvalidInput):
    """The account is a member of the album already, or invited to it."""

    def __init__(self) -> None:
        super().__init__(
            "This account is already a member of the album, or invited to it.",
            code="already_member",
            field="user",
        )


class OwnerCannotLeave(InvalidInput):
    """An album's owner asked to leave it: they delete it instead."""

    def __init__(self) -> None:
        super().__init__(
            "The owner cannot leave their own album; delete it instead.",
            code="owner_cannot_leave",
        )
