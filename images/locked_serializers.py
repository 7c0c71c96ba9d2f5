"""Request and response shapes of the locked folder (``images.locked``)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictFieldsMixin
from images import links
from images.fields import StrictUUIDField
from images.locked import MAX_IDS_PER_CALL
from images.serializers import ImageSerializer, ImageUrlsSerializer

# What a lock or unlock did to each id (named ``LockResultEnum`` in the schema).
LOCK_RESULTS = ["locked", "already_locked", "unlocked", "not_locked", "not_found"]


class LockedImageSerializer(ImageSerializer):
    """A picture in the caller's locked folder.

    Its ``urls`` are the locked list's own (under ``locked/{id}/``), ending with the
    elevation the list was read with (the serializer's ``elevation_expires`` context).
    """

    locked_at = serializers.DateTimeField(read_only=True, help_text="When it was locked.")

    class Meta(ImageSerializer.Meta):
        fields = [*ImageSerializer.Meta.fields, "locked_at"]
        read_only_fields = fields

    @extend_schema_field(ImageUrlsSerializer)
    def get_urls(self, image: Any) -> dict[str, str]:
        request = self.context["request"]
        expires = self.context["elevation_expires"]
        assert expires is not None, "the locked list is read elevated, never by a signed URL"
        return links.locked_rendition_urls(
            request=request, image=image, user=request.user, expires=expires, cache=self.context
        )


class LockIdsSerializer(StrictFieldsMixin, serializers.Serializer):
    """Pictures to move into or out of the locked folder."""

    image_ids = serializers.ListField(
        child=StrictUUIDField(),
        min_length=1,
        max_length=MAX_IDS_PER_CALL,
        help_text=f"Ids of your images, at most {MAX_IDS_PER_CALL} per call.",
    )


class LockResultSerializer(serializers.Serializer):
    """What happened to one of the ids sent."""

    image_id = serializers.UUIDField()
    result = serializers.ChoiceField(
        choices=LOCK_RESULTS,
        help_text="What happened to this id. Another account's image, a missing one and one "
        "in the trash are all `not_found`.",
    )


class LockResultsSerializer(serializers.Serializer):
    """One result per distinct id sent, in the order sent."""

    results = LockResultSerializer(many=True)
