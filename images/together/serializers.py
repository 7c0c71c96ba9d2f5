"""Shapes of a shared album as its members see it: the album, its pictures, their URLs.

What a body shows beyond a picture's record (the date taken and the camera's metadata, the
original's URL) is the access policy's answer for the member (``images.access``), and every
URL is one of the member's own signed URLs (``images.together.links``).
"""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from core.tokens import token_expiry
from images import access, delivery
from images.fields import (
    DATETIME,
    TAKEN_AT_LOCAL_HELP,
    TAKEN_AT_OFFSET_HELP,
    PhotoMetadataSerializer,
    taken_at_local,
)
from images.models import Image
from images.serializers import PLACEHOLDER_HELP
from images.together.links import expires_at, member_rendition_url
from images.together.selectors import AlbumSummary, PolicyAnswers
from users.models import User

# Every rendition a member may be handed a URL of, the original last.
_RENDITIONS = (*access.METADATA_FREE_RENDITIONS, access.ORIGINAL)


def display_name(user: User) -> str:
    """How an account is named to the others in an album: its full name, else its username."""
    return user.get_full_name() or user.username


class AlbumPersonSerializer(serializers.Serializer):
    """An account as the others in an album see it."""

    id = serializers.UUIDField()
    display_name = serializers.CharField(help_text="The full name, else the username.")


class AlbumOwnerSerializer(AlbumPersonSerializer):
    """The album's owner."""

    username = serializers.CharField()


class MemberAlbumImageUrlsSerializer(serializers.Serializer):
    """Signed URLs of the picture's renditions through this album, for the caller only. They
    stop working the moment the caller leaves the album or is removed, the picture leaves
    it or goes to the trash, or the album is deleted."""

    processed = serializers.URLField(required=False)
    preview = serializers.URLField(required=False, help_text="Screen-sized.")
    thumbnail = serializers.URLField(required=False)
    video = serializers.URLField(required=False, help_text="A video's web-playable MP4.")
    motion = serializers.URLField(
        required=False, help_text="A Live Photo's or motion photo's moving part."
    )
    original = serializers.URLField(
        required=False,
        help_text="Only where the album lets its members download originals (or the picture "
        "is yours); without its metadata unless they may see metadata too.",
    )
    expires_at = serializers.DateTimeField()


class MemberAlbumImageSerializer(serializers.Serializer):
    """A picture in a shared album, as the caller sees it."""

    id = serializers.UUIDField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Image.Kind.choices)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    duration = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=Image.Status.choices)
    placeholder = serializers.CharField(help_text=PLACEHOLDER_HELP)
    created_at = serializers.DateTimeField()
    owner = AlbumPersonSerializer(help_text="Whose picture it is.")
    mine = serializers.BooleanField(help_text="Whether it is the caller's own picture.")
    like_count = serializers.IntegerField()
    liked = serializers.BooleanField(help_text="Whether the caller likes it.")
    taken_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Only where you may see its metadata."
    )
    taken_at_local = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=f"Only where you may see its metadata. {TAKEN_AT_LOCAL_HELP}",
    )
    taken_at_offset = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=f"Only where you may see its metadata. {TAKEN_AT_OFFSET_HELP}",
    )
    metadata = PhotoMetadataSerializer(
        required=False, help_text="Only where you may see its metadata."
    )
    urls = MemberAlbumImageUrlsSerializer()

    def to_representation(self, image: Image) -> dict[str, Any]:
        principal: access.Member = self.context["principal"]
        answers: PolicyAnswers = self.context["answers"]
        body: dict[str, Any] = {
            "id": str(image.pk),
            "title": image.title,
            "kind": image.kind,
            "width": image.width,
            "height": image.height,
            "duration": image.duration,
            "status": image.status,
            "placeholder": image.placeholder,
            "created_at": DATETIME.to_representation(image.created_at),
            "owner": {"id": str(image.owner_id), "display_name": display_name(image.owner)},
            "mine": image.owner_id == principal.user.pk,
            "like_count": getattr(image, "like_count", 0),
            "liked": bool(getattr(image, "liked", False)),
        }
        if answers.allows(access.Action.METADATA_VIEW, image):
            body["taken_at"] = (
                DATETIME.to_representation(image.taken_at) if image.taken_at else None
            )
            body["taken_at_local"], body["taken_at_offset"] = taken_at_local(image)
            body["metadata"] = PhotoMetadataSerializer(image.metadata).data
        body["urls"] = self._urls(principal, answers, image)
        return body

    def _urls(
        self, principal: access.Member, answers: PolicyAnswers, image: Image
    ) -> dict[str, str]:
        urls: dict[str, str] = {}
        expires = 0
        for name in _RENDITIONS:
            if not delivery.rendition_key(image, name):
                continue  # not rendered yet, or none of its kind: no URL that would only fail
            if not answers.allows(access.rendition_action(name), image, name):
                continue
            urls[name], expires = member_rendition_url(
                request=self.context.get("request"),
                user=principal.user,
                album_id=principal.album.pk,
                image_id=image.pk,
                rendition=name,
                cache=self.context,
            )
        if not expires:
            expires = token_expiry(ttl=settings.ATELIER["SIGNED_URL_TTL"])
        urls["expires_at"] = expires_at(expires)
        return urls


class MemberAlbumSerializer(serializers.Serializer):
    """A shared album as the caller sees it: its words, its owner, the caller's role and
    what that role lets them do."""

    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    owner = AlbumOwnerSerializer()
    role = serializers.ChoiceField(choices=[role.value for role in access.Role])
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=[action.value for action in access.Action]),
        help_text="What the caller's role lets them do in this album.",
    )
    image_count = serializers.IntegerField(help_text="The pictures you see in the album.")
    cover_image = serializers.UUIDField(
        allow_null=True,
        help_text="The chosen cover while you see it in the album, else the picture added "
        "last of those you see; null for an empty album.",
    )
    cover_thumbnail = serializers.URLField(
        allow_null=True, help_text="A signed URL of the cover's thumbnail, or null."
    )
    members_see_originals = serializers.BooleanField(
        help_text="Whether members may download the originals (set by the owner)."
    )
    members_see_metadata = serializers.BooleanField(
        help_text="Whether members see the date taken, the camera and the GPS position "
        "(set by the owner)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, summary: AlbumSummary) -> dict[str, Any]:
        principal: access.Member = self.context["principal"]
        album = principal.album
        cover = summary.cover
        thumbnail = None
        if (
            cover is not None
            and delivery.rendition_key(cover, access.THUMBNAIL)
            and access.access_allows(
                principal=principal,
                action=access.Action.RENDITION_VIEW,
                target=access.Rendition(image=cover, name=access.THUMBNAIL),
            )
        ):
            thumbnail, _ = member_rendition_url(
                request=self.context.get("request"),
                user=principal.user,
                album_id=album.pk,
                image_id=cover.pk,
                rendition=access.THUMBNAIL,
            )
        return {
            "id": str(album.pk),
            "title": album.title,
            "description": album.description,
            "owner": {
                "id": str(album.owner_id),
                "username": album.owner.username,
                "display_name": display_name(album.owner),
            },
            "role": principal.role.value,
            "permissions": sorted(action.value for action in access.ROLE_ACTIONS[principal.role]),
            "image_count": summary.image_count,
            "cover_image": str(cover.pk) if cover is not None else None,
            "cover_thumbnail": thumbnail,
            "members_see_originals": album.members_see_originals,
            "members_see_metadata": album.members_see_metadata,
            "created_at": DATETIME.to_representation(album.created_at),
            "updated_at": DATETIME.to_representation(album.updated_at),
        }
