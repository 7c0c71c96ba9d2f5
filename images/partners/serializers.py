"""Shapes of partner sharing: a partnership as either side sees it, what the grantor sends,
and a partner's picture (in their partner's library and mixed into their own gallery).

A partner's picture has the gallery's shape, so a client shows both in one grid; what the
grantor keeps back (the file name, the camera's metadata, the original's size and checksum,
their favourite marks, why a render failed) is empty or null, by the access policy's
answer (``images.access``), and ``partner`` names whose it is.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictFieldsMixin
from images import access
from images.fields import (
    DATETIME,
    PhotoMetadataSerializer,
    StrictBooleanField,
    StrictCharField,
    place_body,
    taken_at_local,
)
from images.models import Image, Partnership
from images.partners.selectors import display_name
from images.partners.signing import partner_rendition_urls
from images.serializers import ImageSerializer, ImageUrlsSerializer
from users.models import User

GRANTED = "granted"
RECEIVED = "received"


class PartnerAccountSerializer(serializers.Serializer):
    """The account on the other side."""

    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField(help_text="Their full name, else their username.")


class PartnershipSerializer(serializers.ModelSerializer):
    """A partnership as the caller sees it, from either side."""

    direction = serializers.SerializerMethodField(
        help_text="`granted`: the caller shares their library with `account`; `received`: "
        "`account` shares theirs with the caller."
    )
    account = serializers.SerializerMethodField(help_text="The account on the other side.")
    status = serializers.SerializerMethodField(help_text="`pending` until the grantee accepts.")
    since = serializers.DateField(
        allow_null=True,
        help_text="Only pictures taken on this day or later (uploaded, where the date "
        "taken is unknown); null for the whole library.",
    )
    show_originals = serializers.BooleanField(
        help_text="The partner may download the originals (without their metadata unless "
        "`show_metadata`)."
    )
    show_metadata = serializers.BooleanField(
        help_text="The partner sees the camera's metadata (GPS included) and the file names."
    )

    class Meta:
        model = Partnership
        fields = [
            "id",
            "direction",
            "account",
            "status",
            "since",
            "show_originals",
            "show_metadata",
            "created_at",
            "accepted_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[GRANTED, RECEIVED]))
    def get_direction(self, partnership: Partnership) -> str:
        return GRANTED if partnership.grantor_id == self.context["user"].pk else RECEIVED

    @extend_schema_field(PartnerAccountSerializer)
    def get_account(self, partnership: Partnership) -> dict[str, str]:
        granted = partnership.grantor_id == self.context["user"].pk
        other: User = partnership.grantee if granted else partnership.grantor
        return {
            "id": str(other.pk),
            "username": other.username,
            "display_name": display_name(other),
        }

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "accepted"]))
    def get_status(self, partnership: Partnership) -> str:
        return "pending" if partnership.accepted_at is None else "accepted"


class PartnershipCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Offer the caller's library to another account."""

    user = StrictCharField(max_length=254, help_text="Their username or email.")
    since = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Only pictures from this day on."
    )
    show_originals = StrictBooleanField(required=False, default=False)
    show_metadata = StrictBooleanField(required=False, default=False)


class PartnershipUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """What the grantor changes; the fields not sent stay as they are."""

    since = serializers.DateField(required=False, allow_null=True)
    show_originals = StrictBooleanField(required=False)
    show_metadata = StrictBooleanField(required=False)


# The gallery's images and a partner's are one shape: ``ImageSerializer`` carries ``partner``
# (null for one's own), nullable ``size``/``checksum`` and the optional ``urls.original``.
GalleryImageSerializer = ImageSerializer
PartnerImageUrlsSerializer = ImageUrlsSerializer


class PartnerImageSerializer(serializers.Serializer):
    """A picture of a partner's library: the gallery's shape, keeping back what the grantor
    does not show. ``context["partner"]``: the ``access.Partner`` it is shown to."""

    def to_representation(self, image: Image) -> dict[str, Any]:
        partner: access.Partner = self.context["partner"]
        return partner_image_body(
            image=image, partner=partner, request=self.context.get("request"), cache=self.context
        )


def partner_image_body(
    *, image: Image, partner: access.Partner, request: Any, cache: dict[str, Any]
) -> dict[str, Any]:
    """A partner's picture as ``partner`` may see it, in the gallery's shape."""
    metadata = access.access_allows(
        principal=partner, action=access.Action.METADATA_VIEW, target=image
    )
    urls = partner_rendition_urls(request=request, image=image, partner=partner, cache=cache)
    # The original is served as stored (so its size and checksum are true of what the
    # partner gets) only where both the original and its metadata are theirs to see.
    as_stored = metadata and access.access_allows(
        principal=partner,
        action=access.Action.ORIGINAL_DOWNLOAD,
        target=access.Rendition(image=image, name=access.ORIGINAL),
    )
    local, offset = taken_at_local(image)
    grantor = partner.partnership.grantor
    return {
        "id": str(image.pk),
        "owner": str(image.owner_id),
        "title": image.title,
        "description": image.description,
        "style": image.style,
        "status": image.status,
        "kind": image.kind,
        "original_filename": image.original_filename if metadata else "",
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "duration": image.duration,
        "size": image.size if as_stored else None,
        "checksum": image.checksum if as_stored else None,
        "is_favorite": False,
        "taken_at": DATETIME.to_representation(image.taken_at) if image.taken_at else None,
        "taken_at_local": local,
        "taken_at_offset": offset,
        # timeline (issue 22, item 1): the date taken or the upload's, both shown here anyway
        "timeline_at": DATETIME.to_representation(image.timeline_at),
        "metadata": PhotoMetadataSerializer(image.metadata if metadata else {}).data,
        # Named from the GPS: shown with the rest of the camera's metadata, or not at all.
        "place": place_body(image) if metadata else None,
        "created_at": DATETIME.to_representation(image.created_at),
        "updated_at": DATETIME.to_representation(image.updated_at),
        "error": None,
        "placeholder": image.placeholder,
        "urls": urls,
        "partner": {"id": str(grantor.pk), "display_name": display_name(grantor)},
    }


# Only for the schema: a partner library's page of pictures (``PartnerImageSerializer``
# writes it; its shape is the gallery's).
PartnerImageSchemaSerializer = GalleryImageSerializer

__all__ = [
    "GalleryImageSerializer",
    "PartnerImageSerializer",
    "PartnershipCreateSerializer",
    "PartnershipSerializer",
    "PartnershipUpdateSerializer",
    "partner_image_body",
]
