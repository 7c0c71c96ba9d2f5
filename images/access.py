"""The one access policy: who may do what to which image, album or share link.

Every place that serves or changes something asks here and decides nothing itself (Immich's
``requireAccess`` is the model, and PostHog's sharing, where a link is a kind of caller rather
than a bypass inside a view). Two questions, always in this order:

1. *What can this principal see at all?* The scope functions (``images_visible``,
   ``albums_visible``, ``shares_visible``) narrow a queryset to it; views and selectors read
   through them, so an object out of scope is simply missing.
2. *May it do this to that object?* ``access_check`` (raises) and ``access_allows`` (answers)
   decide an ``Action`` on an object already read through the scope.

A refusal answers exactly like something missing (``AccessRefused`` is a ``NotFound``), so
nothing tells a forbidden object from an absent one. The one exception is a visitor of a link
with a password who has not given it: they are told to unlock (``SharePasswordRequired``), as
the link's owner meant.

The principals are small frozen dataclasses, one per kind of caller:

- ``Owner``: an account acting on what it owns (a token or a session).
- ``SignedGrant``: a signed rendition URL of the owner's (``images.authentication``): one
  rendition of one image, nothing else.
- ``ShareVisitor``: whoever holds a share link's token; ``unlocked`` once they gave its
  password (or it has none).
- ``ShareRenditionGrant``: a signed URL a link's page handed out: one rendition of one image
  through one link, and only while the link allows it.
- ``Member``: an account acting inside one album it takes part in (``member_principal``
  reads its role afresh on every request, so removing a member, or the member leaving, ends
  everything at once): the album's owner, or a member who accepted an invitation as
  ``viewer``, ``contributor`` or ``editor``. What the role adds is in ``ROLE_ACTIONS``. A
  member sees the album's live pictures, its owner's and its other members', and never any
  other picture of anyone's; the originals and the camera's metadata only where the album
  lets its members see them (or the picture is their own).
- ``Partner``: an account another (the grantor) shares its whole library with, once it
  accepted (``partner_principal`` reads the partnership afresh on every request, so either
  side ending it ends everything at once). A partner sees the grantor's live pictures taken
  on or after the partnership's ``since`` (never the trash, never the locked folder) as the
  styled renditions, which carry no metadata, and may save a copy into their own library. The
  uploaded bytes and the camera's metadata (GPS, camera, the EXIF of the original) are the
  grantor's choice per partnership (``show_originals``, ``show_metadata``), both off unless
  the grantor turns them on: Immich shows a partner everything, which is more than a library
  shared "to see the pictures" should say of where they were taken. An original without the
  metadata is served stripped. The date a picture was taken is part of what a partner sees
  (their gallery mixes it into their own timeline, and ``since`` is one).

The locked folder (``images.locked``): a picture with ``locked_at`` set is out of every scope
and refused by every decision, except for its owner *elevated* (an ``Owner`` or a
``SignedGrant`` with ``elevated``: the password given again moments ago, checked by the
locked folder's views before they build such a principal). No link, member or plain owner
request ever sees anything of it.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, UUIDField, Value
from django.utils import timezone

from core.errors import NotFound
from core.grants import Grant
from images import shares
from images.models import (
    Album,
    AlbumActivity,
    AlbumImage,
    AlbumMember,
    Image,
    Partnership,
    PlaceCount,
    Share,
    TimelineDay,
)
from users.models import User

# Renditions without metadata: what a signed URL may open, and what a link shows. A video's
# playback file and a photo's motion part are written without the original's tags.
METADATA_FREE_RENDITIONS = ("processed", "preview", "thumbnail", "video", "motion")
ORIGINAL = "original"
THUMBNAIL = "thumbnail"


class Action(StrEnum):
    """What a principal may ask to do."""

    IMAGE_CREATE = "image.create"  # upload into one's own gallery
    IMAGE_VIEW = "image.view"  # an image's record (title, size, status)
    RENDITION_VIEW = "rendition.view"  # the bytes of a metadata-free rendition
    ORIGINAL_DOWNLOAD = "original.download"  # the uploaded bytes
    METADATA_VIEW = "metadata.view"  # date taken, camera, GPS; the original with its EXIF
    IMAGE_UPDATE = "image.update"  # title, favourite, restyle, restore
    IMAGE_DELETE = "image.delete"  # to the trash, or for good
    ALBUM_LIST = "album.list"  # an album's words and its images
    ALBUM_MANAGE = "album.manage"  # change, fill, empty or delete an album
    SHARE_VIEW = "share.view"  # open a link's page
    SHARE_MANAGE = "share.manage"  # see, change or revoke a link as its owner
    TRASH_THUMBNAIL_VIEW = "trash.thumbnail.view"  # a trashed image's thumbnail (trash page)
    # Inside an album shared between accounts (``Member``):
    ALBUM_CONTRIBUTE = "album.contribute"  # add one's own pictures; take back what one added
    ALBUM_CURATE = "album.curate"  # remove anyone's picture from the album
    ALBUM_EDIT = "album.edit"  # title, description, cover
    MEMBERS_MANAGE = "members.manage"  # invite, change roles, remove, the members' settings
    MEMBERSHIP_LEAVE = "membership.leave"  # a member leaving (the owner deletes instead)
    ACTIVITY_VIEW = "activity.view"  # who added, removed, joined, left; comments and likes
    COMMENT_CREATE = "comment.create"  # comment on the album or one of its pictures; like
    COMMENT_DELETE = "comment.delete"  # its author, or the album's owner
    IMAGE_SAVE = "image.save"  # copy someone else's picture into one's own gallery


@dataclass(frozen=True)
class Rendition:
    """One file of an image, as the target of ``RENDITION_VIEW`` or ``ORIGINAL_DOWNLOAD``."""

    image: Image
    name: str


@dataclass(frozen=True)
class Owner:
    """An account, acting on its own things with its own credentials."""

    user: User
    # Locked folder: the owner gave their password again (a valid elevation); only then are
    # their locked pictures in scope. Built so by the locked folder's views alone.
    elevated: bool = False


@dataclass(frozen=True)
class SignedGrant:
    """A signed rendition URL: the owner's grant for one rendition of one image."""

    user: User
    grant: Grant
    # Locked folder: a signed URL of the locked list (bound to an elevation), not the gallery's.
    elevated: bool = False


@dataclass(frozen=True)
class ShareVisitor:
    """Whoever holds a live link's token; ``unlocked`` once its password was given (or it has
    none)."""

    share: Share
    unlocked: bool


@dataclass(frozen=True)
class ShareRenditionGrant:
    """A signed URL from a link's page: one rendition of one image through that link."""

    share: Share
    image_id: uuid.UUID
    rendition: str


class Role(StrEnum):
    """Who an account is inside an album: its owner, or a member in one of three roles."""

    OWNER = "owner"
    EDITOR = AlbumMember.Role.EDITOR.value
    CONTRIBUTOR = AlbumMember.Role.CONTRIBUTOR.value
    VIEWER = AlbumMember.Role.VIEWER.value


_EVERY_ROLE = (Action.ALBUM_LIST, Action.IMAGE_VIEW, Action.ACTIVITY_VIEW, Action.COMMENT_CREATE)
# What each role may do to the album itself (its pictures are decided one by one below).
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({*_EVERY_ROLE, Action.MEMBERSHIP_LEAVE}),
    Role.CONTRIBUTOR: frozenset({*_EVERY_ROLE, Action.MEMBERSHIP_LEAVE, Action.ALBUM_CONTRIBUTE}),
    Role.EDITOR: frozenset(
        {
            *_EVERY_ROLE,
            Action.MEMBERSHIP_LEAVE,
            Action.ALBUM_CONTRIBUTE,
            Action.ALBUM_CURATE,
            Action.ALBUM_EDIT,
        }
    ),
    Role.OWNER: frozenset(
        {
            *_EVERY_ROLE,
            Action.ALBUM_CONTRIBUTE,
            Action.ALBUM_CURATE,
            Action.ALBUM_EDIT,
            Action.MEMBERS_MANAGE,
        }
    ),
}


@dataclass(frozen=True)
class Member:
    """An account inside one album: its owner, or a member who accepted, in ``role``.

    ``grant`` narrows it to one rendition of one picture (a signed URL the album's pages
    handed out to this member).
    """

    user: User
    album: Album
    role: Role
    grant: Grant | None = None


# --- partners (issue 20, item 4) ---


@dataclass(frozen=True)
class Partner:
    """An account the grantor shares its whole library with, by an accepted ``partnership``.

    ``grant`` narrows it to one rendition of one picture (a signed URL handed to this
    partner).
    """

    user: User
    partnership: Partnership
    grant: Grant | None = None


# --- end partners ---

Principal = Owner | SignedGrant | ShareVisitor | ShareRenditionGrant | Member | Partner
Target = Image | Album | Share | Rendition | AlbumActivity


class AccessRefused(NotFound):
    """Not allowed: the very answer something missing gets."""

    def __init__(self) -> None:
        super().__init__("Not found.", code="not_found")


# --- the decision ------------------------------------------------------------------------------


def access_allows(*, principal: Principal, action: Action, target: Target) -> bool:
    """Whether ``principal`` may do ``action`` to ``target`` (read through its scope)."""
    match principal:
        case Owner():
            return _owner_allows(principal, action, target)
        case SignedGrant():
            return _signed_grant_allows(principal, action, target)
        case ShareVisitor():
            return _visitor_allows(principal, action, target)
        case ShareRenditionGrant():
            return _share_grant_allows(principal, action, target)
        case Member():
            return _member_allows(principal, action, target)
        case Partner():
            return _partner_allows(principal, action, target)
    return False  # a principal this policy does not know is allowed nothing


def access_check(*, principal: Principal, action: Action, target: Target) -> None:
    """Returns if allowed; raises ``AccessRefused`` (a 404, like something missing) if not,
    or ``SharePasswordRequired`` for a link's visitor who has yet to give its password."""
    if access_allows(principal=principal, action=action, target=target):
        return
    if isinstance(principal, ShareVisitor) and _locked(principal):
        raise shares.SharePasswordRequired()
    raise AccessRefused()


def access_possible(*, principal: Principal, action: Action) -> bool:
    """Whether ``principal`` may do ``action`` to anything at all: what a request is checked
    against before its object is read (the object is then checked with ``access_check``)."""
    match principal:
        case Owner(user=user):
            return bool(user.is_authenticated and user.is_active)
        case SignedGrant():
            return action == Action.RENDITION_VIEW
        case ShareVisitor():
            return action in (Action.SHARE_VIEW, Action.ALBUM_LIST, Action.IMAGE_VIEW)
        case ShareRenditionGrant():
            return action in (Action.RENDITION_VIEW, Action.ORIGINAL_DOWNLOAD)
        case Member(grant=Grant()):
            return action in (Action.RENDITION_VIEW, Action.ORIGINAL_DOWNLOAD)
        case Member(role=role):
            return action in ROLE_ACTIONS[role] or action in _MEMBER_PICTURE_ACTIONS
        case Partner(grant=Grant()):
            return action in (Action.RENDITION_VIEW, Action.ORIGINAL_DOWNLOAD)
        case Partner():
            return action in _PARTNER_ACTIONS
    return False


def rendition_action(rendition: str) -> Action:
    """The action fetching ``rendition`` is: the original is a download of its own."""
    return Action.ORIGINAL_DOWNLOAD if rendition == ORIGINAL else Action.RENDITION_VIEW


def _owner_allows(principal: Owner, action: Action, target: Target) -> bool:
    user = principal.user
    if not (user.is_authenticated and user.is_active):
        return False
    # Locked folder: nothing of a locked picture without the password given again.
    if _locked_out(principal, target):
        return False
    if isinstance(target, Rendition) and action == Action.TRASH_THUMBNAIL_VIEW:
        # The one exception: the owner's trash page shows what they may restore or delete
        # for good (by session; no URL is ever signed for it).
        return (
            target.name == THUMBNAIL
            and _owns(user, target.image)
            and target.image.trashed_at is not None
        )
    if isinstance(target, Rendition):
        # Nothing of a trashed image is served until it is restored.
        return (
            action == rendition_action(target.name)
            and _owns(user, target.image)
            and target.image.trashed_at is None
        )
    if not _owns(user, target):
        return False
    if isinstance(target, Image):
        return action in (
            Action.IMAGE_CREATE,  # the image just created (DRF's HTML forms ask after a POST)
            Action.IMAGE_VIEW,
            Action.METADATA_VIEW,
            Action.IMAGE_UPDATE,
            Action.IMAGE_DELETE,
        )
    if isinstance(target, Album):
        return action in (Action.ALBUM_LIST, Action.ALBUM_MANAGE)
    return action == Action.SHARE_MANAGE


def _signed_grant_allows(principal: SignedGrant, action: Action, target: Target) -> bool:
    grant = principal.grant
    if not isinstance(target, Rendition) or action != Action.RENDITION_VIEW:
        return False  # never the original: it keeps the camera's EXIF and GPS
    image = target.image
    return (
        target.name in METADATA_FREE_RENDITIONS
        and grant.allows(target.name)
        and grant.object_id == image.pk
        and grant.owner_id == image.owner_id == principal.user.pk
        and image.trashed_at is None
        and not _locked_out(principal, target)  # locked folder: its own, elevated URLs only
    )


def _visitor_allows(principal: ShareVisitor, action: Action, target: Target) -> bool:
    share = principal.share
    if not _share_live(share) or (share.password and not principal.unlocked):
        return False
    if isinstance(target, Share):
        return action == Action.SHARE_VIEW and target.pk == share.pk
    if isinstance(target, Album):
        return action == Action.ALBUM_LIST and share.album_id == target.pk
    if isinstance(target, Image):
        if not _shows(share, target):
            return False
        if action == Action.IMAGE_VIEW:
            return True
        return action == Action.METADATA_VIEW and share.show_metadata
    # A link's bytes are opened by the signed URLs its page hands out (an <img> cannot send a
    # grant header), never by the token or the grant alone.
    return False


def _share_grant_allows(principal: ShareRenditionGrant, action: Action, target: Target) -> bool:
    share = principal.share
    if not _share_live(share):
        return False
    if isinstance(target, Share):
        # Signed after the password was given (a new password ends it): the page is past.
        return action == Action.SHARE_VIEW and target.pk == share.pk
    if isinstance(target, Image):
        return (
            action == Action.METADATA_VIEW
            and share.show_metadata
            and target.pk == principal.image_id
            and _shows(share, target)
        )
    if not isinstance(target, Rendition) or action != rendition_action(target.name):
        return False
    if target.name == ORIGINAL and not share.allow_original:
        return False
    return (
        target.name == principal.rendition
        and target.image.pk == principal.image_id
        and _shows(share, target.image)
    )


# What a member may ask of one picture in the album (each decided on the picture).
_MEMBER_PICTURE_ACTIONS = (
    Action.IMAGE_VIEW,
    Action.METADATA_VIEW,
    Action.RENDITION_VIEW,
    Action.ORIGINAL_DOWNLOAD,
    Action.ALBUM_CONTRIBUTE,
    Action.ALBUM_CURATE,
    Action.IMAGE_SAVE,
    Action.COMMENT_DELETE,
)


def _member_allows(principal: Member, action: Action, target: Target) -> bool:
    user, album, role = principal.user, principal.album, principal.role
    if not (user.is_authenticated and user.is_active):
        return False
    if principal.grant is not None:
        # A signed URL: the one rendition of the one picture it names, and nothing else.
        if not (
            isinstance(target, Rendition)
            and principal.grant.allows(target.name)
            and principal.grant.object_id == target.image.pk
        ):
            return False
        return _member_allows(Member(user=user, album=album, role=role), action, target)
    if isinstance(target, Album):
        return target.pk == album.pk and action in ROLE_ACTIONS[role]
    if isinstance(target, AlbumActivity):
        # A comment: deleted by its author, or by the album's owner.
        return (
            action == Action.COMMENT_DELETE
            and target.album_id == album.pk
            and target.kind == AlbumActivity.Kind.COMMENT
            and (target.actor_id == user.pk or role == Role.OWNER)
        )
    image = target.image if isinstance(target, Rendition) else target
    if not isinstance(image, Image):
        return False
    if action == Action.ALBUM_CONTRIBUTE and not isinstance(target, Rendition):
        # Adding one's own live picture (not in the album yet), or taking it back.
        return (
            image.owner_id == user.pk
            and image.trashed_at is None
            and image.locked_at is None
            and Action.ALBUM_CONTRIBUTE in ROLE_ACTIONS[role]
        )
    if not _member_sees(album, image):
        return False
    own = image.owner_id == user.pk
    if isinstance(target, Rendition):
        if action != rendition_action(target.name):
            return False
        if target.name == ORIGINAL:
            return own or role == Role.OWNER or album.members_see_originals
        return target.name in METADATA_FREE_RENDITIONS
    match action:
        case Action.IMAGE_VIEW:
            return True
        case Action.METADATA_VIEW:
            return own or role == Role.OWNER or album.members_see_metadata
        case Action.ALBUM_CURATE:
            return Action.ALBUM_CURATE in ROLE_ACTIONS[role] or (
                own and Action.ALBUM_CONTRIBUTE in ROLE_ACTIONS[role]
            )
        case Action.IMAGE_SAVE:
            return not own
    return False


def _member_sees(album: Album, image: Image) -> bool:
    """Whether ``image`` is in the album's scope: live, out of the locked folder, in the
    album, and its owner's or an accepted member's. An image read through ``images_visible``
    carries the album it was read for (``member_album_id``, annotated by the query, never by
    a client), so a page of them costs no query here; any other image is looked up."""
    # Locked folder: a locked picture is out of every album its owner shares.
    if image.trashed_at is not None or image.locked_at is not None:
        return False
    if getattr(image, "member_album_id", None) == album.pk:
        return True
    return _member_images(album).filter(pk=image.pk).exists()


def _member_images(album: Album) -> QuerySet[Image]:
    members = AlbumMember.objects.filter(album_id=album.pk, accepted_at__isnull=False).values(
        "user_id"
    )
    return Image.objects.filter(
        Q(owner_id=album.owner_id) | Q(owner_id__in=members),
        memberships__album_id=album.pk,
        trashed_at__isnull=True,
        locked_at__isnull=True,  # locked folder: never a member's to see
    )


# --- partners (issue 20, item 4) ---

# What a partner may ask of one of the grantor's pictures (each decided on the picture).
_PARTNER_ACTIONS = (
    Action.IMAGE_VIEW,
    Action.RENDITION_VIEW,
    Action.ORIGINAL_DOWNLOAD,
    Action.METADATA_VIEW,
    Action.IMAGE_SAVE,
)


def _partner_allows(principal: Partner, action: Action, target: Target) -> bool:
    user, partnership = principal.user, principal.partnership
    if not (user.is_authenticated and user.is_active):
        return False
    if partnership.grantee_id != user.pk or partnership.accepted_at is None:
        return False
    if principal.grant is not None:
        # A signed URL: the one rendition of the one picture it names, and nothing else.
        if not (
            isinstance(target, Rendition)
            and principal.grant.allows(target.name)
            and principal.grant.object_id == target.image.pk
            and principal.grant.owner_id == partnership.grantor_id
        ):
            return False
        return _partner_allows(Partner(user=user, partnership=partnership), action, target)
    image = target.image if isinstance(target, Rendition) else target
    if not isinstance(image, Image) or not _partner_sees(partnership, image):
        return False
    if isinstance(target, Rendition):
        if action != rendition_action(target.name):
            return False
        if target.name == ORIGINAL:
            return partnership.show_originals
        return target.name in METADATA_FREE_RENDITIONS
    match action:
        case Action.IMAGE_VIEW | Action.IMAGE_SAVE:
            return True
        case Action.METADATA_VIEW:
            return partnership.show_metadata
    return False


def partner_metadata_shown(*, principal: Partner) -> bool:
    """Whether ``principal`` sees the camera's metadata (date taken, camera, places, file
    names) of every picture in its partnership's scope: what a search may match their
    pictures by. A signed URL's grant sees no more than its rendition."""
    user, partnership = principal.user, principal.partnership
    return bool(
        user.is_authenticated
        and user.is_active
        and principal.grant is None
        and partnership.grantee_id == user.pk
        and partnership.accepted_at is not None
        and partnership.show_metadata
    )


def _partner_sees(partnership: Partnership, image: Image) -> bool:
    """Whether ``image`` is in the partnership's scope, checked on the row itself (no query):
    the grantor's, live, not locked, and taken (else uploaded) on or after ``since``."""
    if image.owner_id != partnership.grantor_id or image.trashed_at is not None:
        return False
    if image.locked_at is not None:  # the locked folder is never a partner's
        return False
    start = _partnership_start(partnership)
    if start is None:
        return True
    when = image.taken_at if image.taken_at is not None else image.created_at
    return when is not None and when >= start


def _partnership_start(partnership: Partnership) -> datetime | None:
    """The first instant ``since`` lets through: its day's midnight in UTC."""
    if partnership.since is None:
        return None
    return datetime.combine(partnership.since, time.min, tzinfo=UTC)


def _partner_images(partnership: Partnership) -> QuerySet[Image]:
    images = Image.objects.filter(
        owner_id=partnership.grantor_id, trashed_at__isnull=True, locked_at__isnull=True
    )
    start = _partnership_start(partnership)
    if start is not None:
        images = images.filter(
            Q(taken_at__gte=start) | Q(taken_at__isnull=True, created_at__gte=start)
        )
    return images


# --- end partners ---


def _owns(user: User, target: Any) -> bool:
    return getattr(target, "owner_id", None) == user.pk


def _locked(visitor: ShareVisitor) -> bool:
    """A live link's visitor who has yet to give its password."""
    share = visitor.share
    return _share_live(share) and bool(share.password) and not visitor.unlocked


def _share_live(share: Share) -> bool:
    return share.expires_at is None or share.expires_at > timezone.now()


def _shows(share: Share, image: Image) -> bool:
    """What the link's scope guarantees, checked again on the object (membership is the
    scope's: ``images_visible``)."""
    # Locked folder: a locked picture is out of every link.
    return image.owner_id == share.owner_id and image.trashed_at is None and image.locked_at is None


def _locked_out(principal: Owner | SignedGrant, target: Target) -> bool:
    """Locked folder: whether ``target`` is (a rendition of) a locked picture and
    ``principal`` not elevated."""
    image = target.image if isinstance(target, Rendition) else target
    return isinstance(image, Image) and image.locked_at is not None and not principal.elevated


# --- who is asking -----------------------------------------------------------------------------


def principal_of(*, user: Any, auth: Any) -> Owner | SignedGrant | None:
    """The principal an account's request is (``request.user``, ``request.auth``)."""
    if not (user and user.is_authenticated):
        return None
    if isinstance(auth, Grant):
        return SignedGrant(user=user, grant=auth)
    return Owner(user=user)


def share_principal(
    *,
    share: Share,
    grant: str | None,
    signature: str | None = None,
    image_id: uuid.UUID | None = None,
    rendition: str | None = None,
) -> ShareVisitor | ShareRenditionGrant:
    """The principal a request to an open link is: a signed rendition URL's grant where
    ``signature`` signs ``rendition`` of ``image_id`` through it, else a visitor, unlocked
    where ``grant`` is the link's (or it has no password)."""
    if (
        signature
        and image_id is not None
        and rendition is not None
        and shares.share_rendition_signature_valid(
            share=share, image_id=image_id, rendition=rendition, token=signature
        )
    ):
        return ShareRenditionGrant(share=share, image_id=image_id, rendition=rendition)
    unlocked = not share.password or shares.share_grant_valid(share=share, grant=grant)
    return ShareVisitor(share=share, unlocked=unlocked)


def member_principal(
    *, user: Any, album_id: uuid.UUID, grant: Grant | None = None
) -> Member | None:
    """The principal an account is inside an album: its owner, a member who accepted, or
    ``None`` (an invitee who has not accepted, a stranger, nobody: all alike)."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    album = Album.objects.filter(pk=album_id).select_related("owner").first()
    if album is None or not album.owner.is_active:
        return None
    if album.owner_id == user.pk:
        return Member(user=user, album=album, role=Role.OWNER, grant=grant)
    role = (
        AlbumMember.objects.filter(album_id=album_id, user=user, accepted_at__isnull=False)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        return None
    return Member(user=user, album=album, role=Role(role), grant=grant)


# --- partners (issue 20, item 4) ---


def partner_principal(
    *, user: Any, grantor_id: uuid.UUID, grant: Grant | None = None
) -> Partner | None:
    """The principal an account is in another's library: a partner by a partnership the
    grantor made and the account accepted, or ``None`` (a pending one, an ended one, a
    stranger, nobody, an inactive grantor: all alike). Read afresh on every request."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    partnership = _partnerships_accepted(user).filter(grantor_id=grantor_id).first()
    if partnership is None:
        return None
    return Partner(user=user, partnership=partnership, grant=grant)


def partner_principals(*, user: Any) -> list[Partner]:
    """``user`` as a partner in every library shared with them (``partner_principal``'s rule,
    read in one query: a gallery page mixing them in costs the same whatever their number)."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    return [
        Partner(user=user, partnership=partnership) for partnership in _partnerships_accepted(user)
    ]


def _partnerships_accepted(user: User) -> QuerySet[Partnership]:
    return Partnership.objects.filter(
        grantee_id=user.pk, accepted_at__isnull=False, grantor__is_active=True
    ).select_related("grantor")


# --- end partners ---


# --- what it can see ---------------------------------------------------------------------------


def images_visible(*, principal: Principal | None) -> QuerySet[Image]:
    """Every image ``principal`` can see anything of (its trash included, for an owner)."""
    match principal:
        case Owner(user=user, elevated=elevated):
            images = Image.objects.filter(owner=user)
            # Locked folder: locked pictures only for the owner elevated.
            return images if elevated else images.filter(locked_at__isnull=True)
        case SignedGrant(user=user, grant=grant, elevated=elevated):
            images = Image.objects.filter(owner=user, pk=grant.object_id)
            return images if elevated else images.filter(locked_at__isnull=True)
        case ShareVisitor(share=share) | ShareRenditionGrant(share=share):
            if not _share_live(share):
                return Image.objects.none()
            if isinstance(principal, ShareVisitor) and _locked(principal):
                return Image.objects.none()
            return shares.share_images(share=share)
        case Member(album=album, grant=grant):
            images = _member_images(album).annotate(
                member_album_id=Value(album.pk, output_field=UUIDField())
            )
            return images.filter(pk=grant.object_id) if grant is not None else images
        case Partner(partnership=partnership, grant=grant):
            # Partners (issue 20, item 4): the grantor's live pictures since ``since``.
            if partnership.accepted_at is None or partnership.grantee_id != principal.user.pk:
                return Image.objects.none()
            shared = _partner_images(partnership)
            return shared.filter(pk=grant.object_id) if grant is not None else shared
    return Image.objects.none()


def timeline_days_visible(*, principal: Principal | None) -> QuerySet[TimelineDay]:
    """The days of ``principal``'s own timeline that hold a live picture (the counters the
    database keeps): an owner's, and nothing for any other kind of caller."""
    match principal:
        case Owner(user=user) if user.is_authenticated and user.is_active:
            return TimelineDay.objects.filter(owner=user, count__gt=0)
    return TimelineDay.objects.none()


def place_counts_visible(*, principal: Principal | None) -> QuerySet[PlaceCount]:
    """The places of ``principal``'s own live pictures with their counts (kept by the
    database): an owner's, and nothing for any other kind of caller (where a partner's or a
    member's pictures were taken is metadata their owner may not show)."""
    match principal:
        case Owner(user=user) if user.is_authenticated and user.is_active:
            return PlaceCount.objects.filter(owner=user, count__gt=0)
    return PlaceCount.objects.none()


def albums_visible(*, principal: Principal | None) -> QuerySet[Album]:
    """Every album ``principal`` can see."""
    match principal:
        case Owner(user=user):
            return Album.objects.filter(owner=user)
        case ShareVisitor(share=share) if share.album_id is not None and _share_live(share):
            if _locked(principal):
                return Album.objects.none()
            return Album.objects.filter(pk=share.album_id, owner_id=share.owner_id)
        case Member(album=album, grant=None):
            return Album.objects.filter(pk=album.pk)
    return Album.objects.none()


def member_principals_listed(*, user: User, albums: list[Album]) -> list[Member]:
    """The principals ``user`` is inside each of ``albums``, read through
    ``albums_shared_with`` with ``role`` annotated from the same accepted membership (so no
    query here: the list's own query read them, afresh)."""
    return [
        Member(user=user, album=album, role=Role(getattr(album, "role", ""))) for album in albums
    ]


def member_pictures(
    *, members: list[Member], image_ids: list[uuid.UUID | None]
) -> dict[uuid.UUID, Image]:
    """``image_ids[i]`` read through ``members[i]``'s scope, for many albums in one query
    (a list of albums shared with someone, each with its cover): by album id, the picture
    where it is in that album's scope (as ``_member_images`` has it: in the album, live, out
    of the locked folder, the owner's or an accepted member's), marked as read through it."""
    pairs = Q()
    for member, image_id in zip(members, image_ids, strict=True):
        if member.grant is None and image_id is not None:
            pairs |= Q(album_id=member.album.pk, image_id=image_id)
    if not pairs:
        return {}
    accepted = AlbumMember.objects.filter(
        album_id=OuterRef("album_id"),
        user_id=OuterRef("image__owner_id"),
        accepted_at__isnull=False,
    )
    rows = (
        AlbumImage.objects.filter(
            pairs, image__trashed_at__isnull=True, image__locked_at__isnull=True
        )
        .filter(Q(image__owner_id=F("album__owner_id")) | Exists(accepted))
        .select_related("image")
    )
    found: dict[uuid.UUID, Image] = {}
    for row in rows:
        image = row.image
        image.member_album_id = row.album_id  # type: ignore[attr-defined]
        found[row.album_id] = image
    return found


def albums_shared_with(*, user: User) -> QuerySet[Album]:
    """The albums other accounts share with ``user`` who accepted (each is then opened
    through ``member_principal``); an invitation not yet accepted shows none of them."""
    if not (user.is_authenticated and user.is_active):
        return Album.objects.none()
    return Album.objects.filter(
        members__user=user, members__accepted_at__isnull=False, owner__is_active=True
    )


def shares_visible(*, principal: Principal | None) -> QuerySet[Share]:
    """Every share link ``principal`` can see as its owner (a link's visitor sees its link
    only through ``share_principal``, never through a list)."""
    match principal:
        case Owner(user=user):
            return Share.objects.filter(owner=user)
    return Share.objects.none()


def renditions_allowed(
    *, principal: ShareVisitor, image: Image, renditions: tuple[str, ...]
) -> tuple[str, ...]:
    """Which of ``renditions`` a URL signed for this visitor would open (none before the
    link's password)."""
    if not access_allows(principal=principal, action=Action.SHARE_VIEW, target=principal.share):
        return ()
    return tuple(
        name
        for name in renditions
        if access_allows(
            principal=ShareRenditionGrant(share=principal.share, image_id=image.pk, rendition=name),
            action=rendition_action(name),
            target=Rendition(image=image, name=name),
        )
    )


__all__ = [
    "ROLE_ACTIONS",
    "AccessRefused",
    "Action",
    "Member",
    "Owner",
    "Partner",
    "Principal",
    "Rendition",
    "Role",
    "ShareRenditionGrant",
    "ShareVisitor",
    "SignedGrant",
    "access_allows",
    "access_check",
    "access_possible",
    "albums_shared_with",
    "albums_visible",
    "images_visible",
    "member_pictures",
    "member_principal",
    "member_principals_listed",
    "partner_principal",
    "partner_principals",
    "principal_of",
    "rendition_action",
    "renditions_allowed",
    "share_principal",
    "shares_visible",
]
