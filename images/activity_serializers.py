"""Request and response shapes of a shared album's activity, comments and likes.

An event names its picture only where the caller can see it (``image_visible``, from
``images.activity.activity_for_member``), and says whether the caller may delete it as the
access policy decides. A comment's text is returned exactly as it was stored: JSON carries it
as text, and every page that shows it escapes it.
"""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import InvalidInput
from core.serializers import StrictFieldsMixin
from images import access
from images.activity import actor_display_name, comment_text_clean
from images.fields import StrictCharField, StrictUUIDField
from images.models import AlbumActivity
from users.models import User


class ActorSerializer(serializers.Serializer):
    """Who did it: an account as the album's people see it (never more of it)."""

    id = serializers.UUIDField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.SerializerMethodField(
        help_text="Their full name, or their username where they gave none."
    )

    def get_display_name(self, user: User) -> str:
        return actor_display_name(user=user)


class AlbumActivitySerializer(serializers.ModelSerializer):
    """One event of a shared album's activity, a comment included, as the caller sees it."""

    actor = ActorSerializer(read_only=True)
    image = serializers.SerializerMethodField(
        help_text="The picture the event is about (a comment's, or the one added or "
        "removed), while you can still see it in the album; else null."
    )
    can_delete = serializers.SerializerMethodField(
        help_text="Whether you may delete it: a comment of yours, or any comment in an album "
        "you own."
    )

    class Meta:
        model = AlbumActivity
        fields = ["id", "kind", "actor", "image", "count", "text", "created_at", "can_delete"]
        read_only_fields = fields
        extra_kwargs = {
            "text": {"help_text": "A comment's text, as typed (escape it to show it); else empty."}
        }

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_image(self, event: AlbumActivity) -> uuid.UUID | None:
        return event.image_id if getattr(event, "image_visible", False) else None

    def get_can_delete(self, event: AlbumActivity) -> bool:
        member: access.Member = self.context["member"]
        return access.access_allows(
            principal=member, action=access.Action.COMMENT_DELETE, target=event
        )


class ActivityFilterSerializer(serializers.Serializer):
    """The activity list's one filter: a picture of the album."""

    image = StrictUUIDField(required=False, help_text="Only this picture's events (comments).")


class CommentTextField(StrictCharField):
    """A comment's text: line breaks as ``\\n``, trimmed, 1 to 2,000 characters, no control
    character but newline and tab (``images.activity.comment_text_clean`` is the rule)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return comment_text_clean(text=text)
        except InvalidInput as refused:
            raise serializers.ValidationError(refused.message, code=refused.code) from None


class CommentCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new comment on the album, or on one of its pictures."""

    text = CommentTextField(
        help_text="1 to 2,000 characters once trimmed; newlines and tabs are kept, other "
        "control characters refused. Stored as typed: HTML is text, never markup.",
    )
    image = StrictUUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A picture of the album you can see; null (or absent) for the album.",
    )


class LikeSerializer(serializers.Serializer):
    """A picture's likes in the album after the change."""

    like_count = serializers.IntegerField(
        read_only=True, help_text="How many of the album's people like it."
    )
    liked = serializers.BooleanField(read_only=True, help_text="Whether you do.")
