"""Request and response shapes of the owner's share links: make, change and list them.

What a link's *visitor* sends and sees is the public side's (``images.public.serializers``).
"""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictFieldsMixin
from images.fields import StrictBooleanField, StrictCharField, StrictUUIDField
from images.models import Share


class ShareSerializer(serializers.ModelSerializer):
    """One of the caller's share links, as its owner sees it (never its password)."""

    url = serializers.SerializerMethodField(
        help_text="The link's page, for people: open it in a browser, no account needed."
    )
    api_url = serializers.SerializerMethodField(
        help_text="The link's public endpoint in the API, for programs (`shared_retrieve`)."
    )
    album = serializers.UUIDField(source="album_id", read_only=True, allow_null=True)
    image_ids = serializers.SerializerMethodField(
        help_text="The images a link made from a list names; null for an album's link."
    )
    has_password = serializers.SerializerMethodField()
    is_expired = serializers.SerializerMethodField()

    class Meta:
        model = Share
        fields = [
            "id",
            "token",
            "url",
            "api_url",
            "title",
            "album",
            "image_ids",
            "expires_at",
            "is_expired",
            "has_password",
            "allow_original",
            "show_metadata",
            "view_count",
            "last_viewed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, share: Share) -> str:
        return self._absolute(reverse("share", args=[share.token]))

    def get_api_url(self, share: Share) -> str:
        return self._absolute(reverse("shared-detail", kwargs={"token": share.token}))

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(serializers.ListField(child=StrictUUIDField(), allow_null=True))
    def get_image_ids(self, share: Share) -> list[str] | None:
        if share.album_id is not None:
            return None
        return [str(entry.image_id) for entry in share.entries.all()]

    def get_has_password(self, share: Share) -> bool:
        return bool(share.password)

    def get_is_expired(self, share: Share) -> bool:
        return share.expires_at is not None and share.expires_at <= timezone.now()


class ShareCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new link: to an album (it follows the album as it changes) or to a list of images."""

    album = StrictUUIDField(required=False, help_text="One of your albums.")
    image_ids = serializers.ListField(
        child=StrictUUIDField(),
        required=False,
        min_length=1,
        max_length=500,
        help_text="Your images, at most 500; give this or `album`.",
    )
    title = StrictCharField(max_length=200, required=False, default="", allow_blank=True)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="In the future; null: never."
    )
    password = StrictCharField(
        max_length=128,
        required=False,
        allow_blank=True,
        trim_whitespace=False,  # a password is exactly what its owner typed
        default="",
        write_only=True,
        style={"input_type": "password"},
        help_text="Visitors must give it before seeing anything; stored hashed, never shown.",
    )
    allow_original = StrictBooleanField(required=False, default=False)
    show_metadata = StrictBooleanField(
        required=False,
        default=False,
        help_text="Show the date taken and the camera's metadata (GPS included), and serve "
        "the original with its EXIF. False: the original's metadata is removed.",
    )


class ShareUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Changes to a link; what it shows from (album or images) is fixed when it is made."""

    title = StrictCharField(max_length=200, required=False, allow_blank=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    password = StrictCharField(
        max_length=128,
        required=False,
        allow_blank=True,
        trim_whitespace=False,  # a password is exactly what its owner typed
        write_only=True,
        style={"input_type": "password"},
        help_text="A new password; an empty string removes it. Ends every earlier unlock.",
    )
    allow_original = StrictBooleanField(required=False)
    show_metadata = StrictBooleanField(required=False)
