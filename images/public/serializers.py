"""Shapes of a share link's public side: what a visitor sends and sees, and nothing more.

An image as a visitor sees it names no owner and no file name; what else it shows (camera
metadata, the original's size, an original URL) is the access policy's answer for the
visitor (``images.access``), and its URLs are the one builder's (``images.links``).
"""

from typing import Any

from rest_framework import serializers

from core.serializers import StrictFieldsMixin
from images import access, links
from images.fields import (
    DATETIME,
    TAKEN_AT_LOCAL_HELP,
    TAKEN_AT_OFFSET_HELP,
    PhotoMetadataSerializer,
    StrictCharField,
    taken_at_local,
)
from images.models import Image
from images.serializers import PLACEHOLDER_HELP


class ShareUnlockSerializer(StrictFieldsMixin, serializers.Serializer):
    """The link's password."""

    password = StrictCharField(
        max_length=128,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
    )


class ShareGrantSerializer(serializers.Serializer):
    """Proof that the link's password was given: send it with every request to the link."""

    grant = serializers.CharField(help_text="Send it in the X-Share-Grant header.")
    expires_at = serializers.DateTimeField()


class SharedImageUrlsSerializer(serializers.Serializer):
    """Signed URLs of an image's renditions through this link; they name the link, and stop
    working when it is revoked, expires or gets a new password. The files are streamed by
    this server (never a redirect to the storage), so they name nothing but the link."""

    processed = serializers.URLField()
    preview = serializers.URLField(help_text="Screen-sized: for showing one picture.")
    thumbnail = serializers.URLField()
    original = serializers.URLField(
        required=False, help_text="Only where the link allows the original."
    )
    video = serializers.URLField(
        required=False, help_text="A video's web-playable MP4 (no metadata): only for a video."
    )
    motion = serializers.URLField(
        required=False, help_text="A Live Photo's or motion photo's moving part, where it has one."
    )
    expires_at = serializers.DateTimeField()


class SharedImageSerializer(serializers.Serializer):
    """An image as a share's visitor sees it: no owner, no file name, no metadata unless
    the link shows it."""

    id = serializers.UUIDField()
    title = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size = serializers.IntegerField(
        required=False,
        help_text="Bytes of the original as this link serves it: only where the link serves "
        "the original as stored (`allow_original` and `show_metadata`). Absent elsewhere: a "
        "link that does not serve the original says nothing of it, and one that removes its "
        "metadata serves fewer bytes than the original has.",
    )
    taken_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Only where the link shows metadata."
    )
    taken_at_local = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=f"Only where the link shows metadata. {TAKEN_AT_LOCAL_HELP}",
    )
    taken_at_offset = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=f"Only where the link shows metadata. {TAKEN_AT_OFFSET_HELP}",
    )
    metadata = PhotoMetadataSerializer(
        required=False, help_text="Only where the link shows metadata."
    )
    placeholder = serializers.CharField(help_text=PLACEHOLDER_HELP)
    kind = serializers.ChoiceField(
        choices=Image.Kind.choices, help_text="`photo` or `video` (then `urls.video` plays it)."
    )
    duration = serializers.FloatField(
        allow_null=True, help_text="A video's length in seconds; null for a photo."
    )
    urls = SharedImageUrlsSerializer()

    def to_representation(self, image: Image) -> dict[str, Any]:
        visitor = _visitor(self.context)
        request = self.context.get("request")
        body: dict[str, Any] = {
            "id": str(image.pk),
            "title": image.title,
            "width": image.width,
            "height": image.height,
            "placeholder": image.placeholder,
            "kind": image.kind,
            "duration": image.duration,
        }
        metadata = access.access_allows(
            principal=visitor, action=access.Action.METADATA_VIEW, target=image
        )
        urls = links.rendition_urls(request=request, image=image, signer=visitor)
        if metadata and access.ORIGINAL in urls:
            body["size"] = image.size  # the original is served as stored: its size is true
        if metadata:
            body["taken_at"] = (
                DATETIME.to_representation(image.taken_at) if image.taken_at else None
            )
            body["taken_at_local"], body["taken_at_offset"] = taken_at_local(image)
            body["metadata"] = PhotoMetadataSerializer(image.metadata).data
        body["urls"] = urls
        return body


class SharedAlbumSerializer(serializers.Serializer):
    """The words of the album a link shares (never its id, owner or other albums)."""

    title = serializers.CharField()
    description = serializers.CharField()


class SharedPageSerializer(serializers.Serializer):
    """Describes a share's public page for the schema (built in the view)."""

    title = serializers.CharField()
    album = SharedAlbumSerializer(
        allow_null=True, help_text="The album a link to an album shows; null for a link to images."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SharedImageSerializer(many=True)


def _visitor(context: dict[str, Any]) -> access.ShareVisitor:
    """The visitor the body is for: ``context["visitor"]`` (``access.share_principal``, let
    in by ``access.access_check``), as the API's shared page and the web's share pages hand
    it in."""
    visitor: access.ShareVisitor = context["visitor"]
    return visitor
