"""Request and response shapes for images."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from images.authentication import SIGNATURE_PARAM, SIGNED_RENDITIONS
from images.models import Image
from images.signing import credential_digest, rendition_signature
from images.styles import DEFAULT_STYLE, STYLE_CHOICES, STYLES
from project.serializers import StrictFieldsMixin
from users.models import User

# The renditions handed out as signed URLs (``images.authentication``).
RENDITIONS = SIGNED_RENDITIONS
# One wording for a wrong style, on upload, restyle and the list filter alike.
STYLE_ERROR = '"{input}" is not a valid style. Valid styles: ' + ", ".join(STYLES) + "."


class StyleChoiceField(serializers.ChoiceField):
    """A style name; an empty value in a form is a wrong style, not a missing one.

    DRF reads an empty HTML-form value of an optional field as "not sent" and quietly uses
    the default, so `style=` (a typo, an unset variable in a script) would render in `none`.
    """

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


def style_field(**kwargs: Any) -> serializers.ChoiceField:
    """The style choice, whose error lists every valid name."""
    return StyleChoiceField(
        choices=STYLE_CHOICES,
        error_messages={"invalid_choice": STYLE_ERROR},
        help_text="The artistic style to render the image in. See GET /api/v1/styles/.",
        **kwargs,
    )


# Formats like every other timestamp in the API (ISO 8601 with "Z").
_DATETIME = serializers.DateTimeField()
_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


def _path_templates() -> dict[str, str]:
    """Each rendition's path with a placeholder id, to fill in per image.

    Reversing three URLs per image was a large part of a 100-image page's time
    (bench/RESULTS.md).
    """
    return {
        rendition: reverse(f"image-{rendition}", kwargs={"pk": _PLACEHOLDER})
        for rendition in RENDITIONS
    }


class StrictCharField(serializers.CharField):
    """A text field that refuses numbers and booleans instead of quietly turning them to text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ImageUrlsSerializer(serializers.Serializer):
    """Signed, expiring URLs of the renditions the image has now; they work without a token.

    A rendition still being rendered for the first time is absent, as is every rendition of
    an image that failed. (Only describes the schema; ``ImageSerializer.get_urls`` builds it.)
    """

    processed = serializers.URLField(
        required=False, help_text="Styled, upright, size-capped, without metadata."
    )
    thumbnail = serializers.URLField(required=False, help_text="A small preview.")
    expires_at = serializers.DateTimeField(help_text="When these URLs expire.")


class ImageErrorSerializer(serializers.Serializer):
    """Why an image's last render failed."""

    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `corrupt`.")
    detail = serializers.CharField(help_text="A sentence for a person.")


class PhotoMetadataSerializer(serializers.Serializer):
    """What the camera recorded, read from the photo's EXIF; absent values are null.

    Only the owner sees it (and a share's visitors where the owner let it show metadata).
    """

    camera_make = serializers.CharField(allow_null=True, required=False)
    camera_model = serializers.CharField(allow_null=True, required=False)
    lens = serializers.CharField(allow_null=True, required=False)
    exposure_time = serializers.FloatField(
        allow_null=True, required=False, help_text="Seconds."
    )
    f_number = serializers.FloatField(allow_null=True, required=False)
    iso = serializers.IntegerField(allow_null=True, required=False)
    focal_length = serializers.FloatField(allow_null=True, required=False, help_text="mm.")
    latitude = serializers.FloatField(
        allow_null=True, required=False, help_text="Decimal degrees, north positive."
    )
    longitude = serializers.FloatField(
        allow_null=True, required=False, help_text="Decimal degrees, east positive."
    )


class ImageSerializer(serializers.ModelSerializer):
    """An image in the caller's gallery."""

    owner = serializers.UUIDField(source="owner_id", read_only=True)
    taken_at = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="When the photo was taken, from its EXIF (with the camera's offset); null "
        "when the file does not say, or until it is rendered.",
    )
    metadata = PhotoMetadataSerializer(
        read_only=True, help_text="Camera, exposure and GPS from the photo's EXIF."
    )
    urls = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField(
        help_text="Why the last render failed: a `failed` image's reason, or a failed "
        "restyle's (the image keeps its previous style); null otherwise."
    )

    class Meta:
        model = Image
        fields = [
            "id",
            "owner",
            "title",
            "style",
            "status",
            "original_filename",
            "format",
            "width",
            "height",
            "size",
            "checksum",
            "is_favorite",
            "taken_at",
            "metadata",
            "created_at",
            "updated_at",
            "error",
            "urls",
        ]
        read_only_fields = fields

    @extend_schema_field(ImageErrorSerializer(allow_null=True))
    def get_error(self, image: Image) -> dict[str, str] | None:
        if not image.error_code:
            return None
        return {"code": image.error_code, "detail": image.error_detail}

    @extend_schema_field(ImageUrlsSerializer)
    def get_urls(self, image: Image) -> dict[str, str]:
        request = self.context.get("request")
        ttl = settings.ATELIER["SIGNED_URL_TTL"]
        urls: dict[str, str] = {}
        expires = 0
        # The context is shared by every item of a page, so this reverses once per page.
        templates = self.context.get("rendition_path_templates")
        if templates is None:
            templates = self.context["rendition_path_templates"] = _path_templates()
        credential = self._signing_credential(image)
        expires = rendition_signature(
            image_id=image.pk, rendition="", owner_id=image.owner_id, credential="", ttl=ttl
        )[1]
        for rendition, template in templates.items():
            if not getattr(image, f"{rendition}_key"):
                continue  # not rendered yet, or failed: no URL that would only answer 409
            token, expires = rendition_signature(
                image_id=image.pk,
                rendition=rendition,
                owner_id=image.owner_id,
                credential=credential,
                ttl=ttl,
            )
            url = f"{template.replace(_PLACEHOLDER, str(image.pk))}?{SIGNATURE_PARAM}={token}"
            urls[rendition] = request.build_absolute_uri(url) if request else url
        urls["expires_at"] = _DATETIME.to_representation(datetime.fromtimestamp(expires, tz=UTC))
        return urls

    def _signing_credential(self, image: Image) -> str:
        """The owner's credential digest: the caller's own, computed once per page."""
        cached = self.context.get("signing_credential")
        if cached is not None and cached[0] == image.owner_id:
            return cached[1]
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.pk == image.owner_id:
            password = user.password
        else:
            password = User.objects.only("password").get(pk=image.owner_id).password
        credential = credential_digest(password)
        self.context["signing_credential"] = (image.owner_id, credential)
        return credential


class ImageCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """An upload: the file, and optionally a style and a title."""

    file = serializers.FileField(
        help_text="A JPEG, PNG, WebP or GIF image (GIF: first frame). The format is read "
        "from the bytes, not the name.",
    )
    style = style_field(default=DEFAULT_STYLE)
    title = StrictCharField(max_length=200, required=False, default="", allow_blank=True)


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false``: JSON booleans, or those two words in a form; nothing else.

    DRF's own field also takes ``"yes"``, ``"on"``, ``1`` and a dozen more, so a typo'd value
    could mean the opposite of what was meant and still be accepted.
    """

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data in ("true", "false"):
            return data == "true"
        self.fail("invalid", input=data)


class ImageUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Changes to an image: a new title, the favourite mark, a new style that re-renders it."""

    title = StrictCharField(max_length=200, required=False, allow_blank=True)
    style = style_field(required=False)
    is_favorite = StrictBooleanField(required=False)


class StyleSerializer(serializers.Serializer):
    """A style a person can pick."""

    name = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)


class PermanentDeleteSerializer(serializers.Serializer):
    """``DELETE images/{id}/``'s query: to the trash (the default), or gone for good."""

    permanent = StrictBooleanField(
        required=False,
        default=False,
        help_text="true deletes the image and its files at once instead of moving it to "
        "the trash.",
    )
