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
- Next (sharing between accounts): an account something is shared with, e.g.
  ``Member(user, album_id, role)`` with a role of viewer, contributor or editor. Add the
  dataclass to ``Principal``, a ``_member_allows`` beside the others, and its scope in
  ``images_visible``/``albums_visible``; every decision point already asks here.
"""

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.errors import NotFound
from core.grants import Grant
from images import shares
from images.models import Album, Image, Share
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


@dataclass(frozen=True)
class Rendition:
    """One file of an image, as the target of ``RENDITION_VIEW`` or ``ORIGINAL_DOWNLOAD``."""

    image: Image
    name: str


@dataclass(frozen=True)
class Owner:
    """An account, acting on its own things with its own credentials."""

    user: User


@dataclass(frozen=True)
class SignedGrant:
    """A signed rendition URL: the owner's grant for one rendition of one image."""

    user: User
    grant: Grant


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


Principal = Owner | SignedGrant | ShareVisitor | ShareRenditionGrant
Target = Image | Album | Share | Rendition


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
    return False


def rendition_action(rendition: str) -> Action:
    """The action fetching ``rendition`` is: the original is a download of its own."""
    return Action.ORIGINAL_DOWNLOAD if rendition == ORIGINAL else Action.RENDITION_VIEW


def _owner_allows(principal: Owner, action: Action, target: Target) -> bool:
    user = principal.user
    if not (user.is_authenticated and user.is_active):
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
    return image.owner_id == share.owner_id and image.trashed_at is None


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


# --- what it can see ---------------------------------------------------------------------------


def images_visible(*, principal: Principal | None) -> QuerySet[Image]:
    """Every image ``principal`` can see anything of (its trash included, for an owner)."""
    match principal:
        case Owner(user=user):
            return Image.objects.filter(owner=user)
        case SignedGrant(user=user, grant=grant):
            return Image.objects.filter(owner=user, pk=grant.object_id)
        case ShareVisitor(share=share) | ShareRenditionGrant(share=share):
            if not _share_live(share):
                return Image.objects.none()
            if isinstance(principal, ShareVisitor) and _locked(principal):
                return Image.objects.none()
            return shares.share_images(share=share)
    return Image.objects.none()


def albums_visible(*, principal: Principal | None) -> QuerySet[Album]:
    """Every album ``principal`` can see."""
    match principal:
        case Owner(user=user):
            return Album.objects.filter(owner=user)
        case ShareVisitor(share=share) if share.album_id is not None and _share_live(share):
            if _locked(principal):
                return Album.objects.none()
            return Album.objects.filter(pk=share.album_id, owner_id=share.owner_id)
    return Album.objects.none()


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
    "AccessRefused",
    "Action",
    "Owner",
    "Principal",
    "Rendition",
    "ShareRenditionGrant",
    "ShareVisitor",
    "SignedGrant",
    "access_allows",
    "access_check",
    "access_possible",
    "albums_visible",
    "images_visible",
    "principal_of",
    "rendition_action",
    "renditions_allowed",
    "share_principal",
    "shares_visible",
]
