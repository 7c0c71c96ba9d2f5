"""Invitations and memberships: every change to who takes part in an album.

Locks are taken as every album writer takes them (``images.albums``): the album owner's
account first (``owner_lock``), then the album's row, then the membership row. A membership
that ends (removed, left) takes the member's pictures out of the album in the same
transaction, so no moment exists where a former member's pictures are still shown to the
others, or the album's cover is one of them. The member's own account is not locked: a
deletion of one of their pictures locks their account and then the album (to clear a
cover), and taking them the other way round here would make the two wait on each other.
"""

import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from images import access
from images.access import AccessRefused
from images.activity import activity_record, album_likes_clear, album_likes_of_user_clear
from images.locks import owner_lock
from images.members.errors import AlreadyMember, NoSuchAccount, OwnerCannotLeave, SelfInvite
from images.models import Album, AlbumActivity, AlbumImage, AlbumMember
from users.models import User, canonical_name

__all__ = [
    "invitation_accept",
    "invitation_decline",
    "member_invite",
    "member_remove",
    "member_update",
    "membership_leave",
]


def member_invite(*, owner: User, album: Album, identifier: str, role: str) -> AlbumMember:
    """Invites the account named by ``identifier`` (its username or email, in any spelling
    that folds to the same canonical form) into ``album`` in ``role``: a pending row."""
    invitee = _account_named(identifier)
    if invitee is None:
        raise NoSuchAccount()
    if invitee.pk == owner.pk:
        raise SelfInvite()
    with transaction.atomic():
        _album_locked(owner=owner, album_id=album.pk)
        # Under the album's lock: two invitations of one account queue, the second sees the
        # first.
        if AlbumMember.objects.filter(album_id=album.pk, user=invitee).exists():
            raise AlreadyMember()
        member = AlbumMember.objects.create(album_id=album.pk, user=invitee, role=role)
    return _member_get(album_id=album.pk, member_id=member.pk)


def member_update(*, owner: User, album: Album, member_id: uuid.UUID, role: str) -> AlbumMember:
    """Changes the role of a member or of a pending invitation."""
    with transaction.atomic():
        _album_locked(owner=owner, album_id=album.pk)
        updated = AlbumMember.objects.filter(album_id=album.pk, pk=member_id).update(role=role)
        if not updated:
            raise AccessRefused()
    return _member_get(album_id=album.pk, member_id=member_id)


def member_remove(*, owner: User, album: Album, member_id: uuid.UUID) -> None:
    """Removes a member (their pictures leave the album) or withdraws an invitation."""
    with transaction.atomic():
        current = _album_locked(owner=owner, album_id=album.pk)
        member = (
            AlbumMember.objects.select_for_update().filter(album_id=album.pk, pk=member_id).first()
        )
        if member is None:
            raise AccessRefused()
        _membership_end(album=current, member=member, actor=owner)


def invitation_accept(*, user: User, invitation_id: uuid.UUID) -> AlbumMember:
    """Accepts one of ``user``'s pending invitations: from now on they are a member."""
    with transaction.atomic():
        invitation = _invitation_locked(user=user, invitation_id=invitation_id)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        activity_record(
            album=invitation.album, actor=user, kind=AlbumActivity.Kind.JOINED, always=True
        )
    return _member_get(album_id=invitation.album_id, member_id=invitation.pk)


def invitation_decline(*, user: User, invitation_id: uuid.UUID) -> None:
    """Declines one of ``user``'s pending invitations: its row is deleted."""
    with transaction.atomic():
        invitation = _invitation_locked(user=user, invitation_id=invitation_id)
        _membership_end(album=invitation.album, member=invitation, actor=user)


def membership_leave(*, user: User, album_id: uuid.UUID) -> None:
    """``user`` leaves an album they are a member of; their pictures leave with them.

    Asked of the policy as the album's ``Member``: leaving is no action of the owner's
    (``OwnerCannotLeave``: they delete the album), and anyone else is refused as if the album
    did not exist.
    """
    principal = access.member_principal(user=user, album_id=album_id)
    if principal is None:
        raise AccessRefused()
    album = principal.album
    if not access.access_allows(
        principal=principal, action=access.Action.MEMBERSHIP_LEAVE, target=album
    ):
        raise OwnerCannotLeave() if principal.role == access.Role.OWNER else AccessRefused()
    with transaction.atomic():
        current = _album_locked(owner=album.owner, album_id=album.pk)
        member = (
            AlbumMember.objects.select_for_update()
            .filter(album_id=album.pk, user=user, accepted_at__isnull=False)
            .first()
        )
        if member is None:  # removed meanwhile
            raise AccessRefused()
        _membership_end(album=current, member=member, actor=user)
        activity_record(album=current, actor=user, kind=AlbumActivity.Kind.LEFT, always=True)


def _membership_end(*, album: Album, member: AlbumMember, actor: User) -> int:
    """Deletes ``member``'s row and takes their pictures out of ``album`` (whose row the
    caller has locked); records how many left, if any. Returns that count."""
    pictures = AlbumImage.objects.filter(album_id=album.pk, image__owner_id=member.user_id)
    image_ids = list(pictures.values_list("image_id", flat=True))
    if image_ids:
        AlbumImage.objects.filter(album_id=album.pk, image_id__in=image_ids).delete()
        changed = ["updated_at"]
        album.updated_at = timezone.now()
        if album.cover_id in image_ids:
            album.cover_id = None
            changed.append("cover")
        album.save(update_fields=changed)
        # No ``image``, even for one: the picture is no longer the others' to see.
        activity_record(
            album=album,
            actor=actor,
            kind=AlbumActivity.Kind.REMOVED,
            count=len(image_ids),
            always=True,
        )
    # Their pictures' likes in this album go with them, and so do their own likes: nothing
    # of an ended membership stays behind.
    album_likes_clear(album_id=album.pk, image_ids=image_ids)
    album_likes_of_user_clear(album_id=album.pk, user_id=member.user_id)
    member.delete()
    return len(image_ids)


def _account_named(identifier: str) -> User | None:
    """The active account whose username, else whose email, folds to ``identifier``'s form."""
    canonical = canonical_name(identifier.strip())
    if not canonical:
        return None
    found = list(
        User.objects.filter(
            Q(username_canonical=canonical) | Q(email_canonical=canonical), is_active=True
        )[:2]
    )
    # A username may look like an email: the account whose username it is comes first.
    found.sort(key=lambda user: user.username_canonical != canonical)
    return found[0] if found else None


def _album_locked(*, owner: User, album_id: uuid.UUID) -> Album:
    """Locks the owner's account, then the album's row; the album, or ``AccessRefused``."""
    owner_lock(owner=owner)
    album = Album.objects.select_for_update().filter(pk=album_id, owner=owner).first()
    if album is None:
        raise AccessRefused()
    return album


def _invitation_locked(*, user: User, invitation_id: uuid.UUID) -> AlbumMember:
    """``user``'s pending invitation, locked after its album (and its owner's account); an
    invitation of someone else's, an accepted one and a missing one are all ``AccessRefused``."""
    pending = AlbumMember.objects.filter(
        pk=invitation_id, user=user, accepted_at__isnull=True, album__owner__is_active=True
    )
    found = pending.select_related("album__owner").first()
    if found is None:
        raise AccessRefused()
    album = _album_locked(owner=found.album.owner, album_id=found.album_id)
    invitation = (
        AlbumMember.objects.select_for_update()
        .filter(pk=invitation_id, user=user, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:  # withdrawn or declined meanwhile
        raise AccessRefused()
    invitation.album = album
    return invitation


def _member_get(*, album_id: uuid.UUID, member_id: uuid.UUID) -> AlbumMember:
    member = (
        AlbumMember.objects.select_related("user", "album__owner")
        .filter(album_id=album_id, pk=member_id)
        .first()
    )
    if member is None:
        raise AccessRefused()
    return member
