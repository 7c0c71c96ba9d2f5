"""Request and response shapes of the owner's API: images, the trash and albums.

The owner's share links have theirs (``images.share_serializers``), a link visitor's are the
public side's (``images.public.serializers``); the fields all use are in ``images.fields``;
every signed URL is built by ``images.links``.
"""

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictFieldsMixin
from images import access, links
from images.fields import (
    DATETIME,
    STYLE_ERROR,
    PhotoMetadataSerializer,
    PlaceNameSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictUUIDField,
    TakenAtLocalMixin,
    place_body,
    style_field,
)
from images.models import Album, Image
from imaging.styles import DEFAULT_STYLE

PLACEHOLDER_HELP = (
    "A ThumbHash of the thumbnail (https://evanw.github.io/thumbhash/), base64: about 25 bytes "
    "that any ThumbHash decoder turns into a blurred picture of the image's colours, shape "
    "and transparency, to paint its tile before the thumbnail arrives. Empty until the image "
    "is rendered, and for images rendered before placeholders existed."
)


class ImageUrlsSerializer(serializers.Serializer):
    """Signed, expiring URLs of the renditions the image has now; they work without a token.

    A rendition still being rendered for the first time is absent, as is every rendition of
    an image that failed. (Only describes the schema; ``ImageSerializer.get_urls`` builds it.)
    """

    processed = serializers.URLField(
        required=False, help_text="Styled, upright, size-capped, without metadata."
    )
    preview = serializers.URLField(
        required=False,
        help_text="Styled, screen-sized (long edge 1440 px by default), without metadata: "
        "for showing one picture. Wherever `processed` is given.",
    )
    thumbnail = serializers.URLField(required=False, help_text="A small rendition for grids.")
    video = serializers.URLField(
        required=False,
        help_text="A video's web-playable MP4 (H.264/AAC, at most 1080p, no metadata): for "
        "`<video src>`. Only for a video, once rendered.",
    )
    motion = serializers.URLField(
        required=False,
        help_text="A Live Photo's or motion photo's moving part (MP4, no metadata), where "
        "the photo has one.",
    )
    original = serializers.URLField(
        required=False,
        help_text="A partner's picture only (`include_partners`), where its owner shows "
        "originals: the uploaded bytes, without the metadata unless they show that too. "
        "Your own originals are never signed: fetch them with your credentials.",
    )
    expires_at = serializers.DateTimeField(help_text="When these URLs expire.")


class PartnerMarkSerializer(serializers.Serializer):
    """Whose library a picture comes from."""

    id = serializers.UUIDField(help_text="The partner's account id.")
    display_name = serializers.CharField()


class ImageErrorSerializer(serializers.Serializer):
    """Why an image's last render failed."""

    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `corrupt`.")
    detail = serializers.CharField(help_text="A sentence for a person.")


class ImageSerializer(TakenAtLocalMixin, serializers.ModelSerializer):
    """An image in the caller's gallery."""

    owner = serializers.UUIDField(source="owner_id", read_only=True)
    taken_at = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="When the photo was taken, from its EXIF (with the camera's offset), in UTC; "
        "null when the file does not say, or until it is rendered.",
    )
    metadata = PhotoMetadataSerializer(
        read_only=True, help_text="Camera, exposure and GPS from the photo's EXIF."
    )
    place = serializers.SerializerMethodField(
        help_text="Where it was taken, named offline from its GPS: the nearest place of 1,000 "
        "people or more within 100 km; null without GPS or where none is near (at sea)."
    )
    kind = serializers.ChoiceField(
        choices=Image.Kind.choices,
        read_only=True,
        help_text="`photo` or `video`: a video's processed, preview and thumbnail are stills "
        "of its poster frame, and `urls.video` plays it.",
    )
    duration = serializers.FloatField(
        allow_null=True, read_only=True, help_text="A video's length in seconds; null for a photo."
    )
    urls = serializers.SerializerMethodField()
    size = serializers.IntegerField(
        allow_null=True,
        read_only=True,
        help_text="Bytes of the original; null only for a partner's picture whose original "
        "is not served to you as stored.",
    )
    checksum = serializers.CharField(
        allow_null=True,
        read_only=True,
        help_text="SHA-256 of the original, hex; null only for a partner's picture whose "
        "original is not served to you as stored.",
    )
    partner = serializers.SerializerMethodField(
        help_text="Whose library the picture is from when the gallery is listed with "
        "`include_partners`; null for your own pictures (always, elsewhere)."
    )
    placeholder = serializers.CharField(read_only=True, help_text=PLACEHOLDER_HELP)
    error = serializers.SerializerMethodField(
        help_text="Why the last render failed: a `failed` image's reason, or a failed "
        "restyle's (the image keeps its previous style); null otherwise."
    )
    # --- timeline (issue 22, item 1)
    timeline_at = serializers.DateTimeField(
        read_only=True,
        help_text="Where the picture is on the timeline: the camera's local date and time "
        "written as UTC (a photo taken at 23:30 in Sydney reads 23:30Z, on Sydney's day), "
        "else the upload's time. What `ordering=-timeline_at`, `day`, `month` and "
        "`timeline/` go by.",
    )
    # --- end timeline

    class Meta:
        model = Image
        fields = [
            "id",
            "owner",
            "title",
            "description",
            "style",
            "status",
            "kind",
            "original_filename",
            "format",
            "width",
            "height",
            "duration",
            "size",
            "checksum",
            "is_favorite",
            "taken_at",
            "taken_at_local",
            "taken_at_offset",
            "timeline_at",  # timeline (issue 22, item 1)
            "metadata",
            "place",
            "created_at",
            "updated_at",
            "error",
            "placeholder",
            "urls",
            "partner",
        ]
        read_only_fields = fields

    @extend_schema_field(PlaceNameSerializer(allow_null=True))
    def get_place(self, image: Image) -> dict[str, str] | None:
        return place_body(image)

    @extend_schema_field(PartnerMarkSerializer(allow_null=True))
    def get_partner(self, image: Image) -> None:
        return None  # a partner's picture is represented by ``images.partners``

    @extend_schema_field(ImageErrorSerializer(allow_null=True))
    def get_error(self, image: Image) -> dict[str, str] | None:
        if not image.error_code:
            return None
        return {"code": image.error_code, "detail": image.error_detail}

    @extend_schema_field(ImageUrlsSerializer)
    def get_urls(self, image: Image) -> dict[str, str]:
        request = self.context.get("request")
        return links.rendition_urls(
            request=request, image=image, signer=_owner_signer(request), cache=self.context
        )


def _owner_signer(request: Any) -> access.Owner | None:
    """The caller as the signer of its own images' URLs; ``None`` (the image's owner) for a
    body made without a request."""
    principal = access.principal_of(
        user=getattr(request, "user", None), auth=getattr(request, "auth", None)
    )
    return principal if isinstance(principal, access.Owner) else None


class ImageCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """An upload: the file, and optionally a style and a title."""

    file = serializers.FileField(
        help_text="A JPEG, PNG, WebP or GIF image (GIF: first frame), or a HEIC/HEIF or AVIF "
        "photo (its primary picture, turned upright). The format is read from the bytes, not "
        "the name.",
    )
    # A declared field named like a DRF Field attribute; the serializer's metaclass moves
    # declared fields out of the class, so nothing is shadowed at run time.
    style = style_field(default=DEFAULT_STYLE)  # type: ignore[assignment]
    title = StrictCharField(max_length=200, required=False, default="", allow_blank=True)


class ImageUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Changes to an image: a new title or description, the favourite mark, a new style that
    re-renders it."""

    title = StrictCharField(max_length=200, required=False, allow_blank=True)
    # A declared field named like a DRF Field attribute; the serializer's metaclass moves
    # declared fields out of the class, so nothing is shadowed at run time.
    style = style_field(required=False)  # type: ignore[assignment]
    is_favorite = StrictBooleanField(required=False)
    # Search (issue 22, item 2): words about the picture, found by search/.
    description = StrictCharField(max_length=2000, required=False, allow_blank=True)


class StyleSerializer(serializers.Serializer):
    """A style a person can pick."""

    name = serializers.CharField(read_only=True)
    # A declared field named like a DRF Field attribute; the serializer's metaclass moves
    # declared fields out of the class, so nothing is shadowed at run time.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    description = serializers.CharField(read_only=True)


class PermanentDeleteSerializer(serializers.Serializer):
    """``DELETE images/{id}/``'s query: to the trash (the default), or gone for good."""

    permanent = StrictBooleanField(
        required=False,
        default=False,
        help_text="true deletes the image and its files at once instead of moving it to the trash.",
    )


class TrashedImageSerializer(TakenAtLocalMixin, serializers.ModelSerializer):
    """An image in the trash: what it is, when it went there and when it will be purged.

    No rendition URLs: nothing of a trashed image is served until it is restored.
    """

    purge_at = serializers.SerializerMethodField(
        help_text="When the sweep deletes it for good, with its files."
    )

    class Meta:
        model = Image
        fields = [
            "id",
            "title",
            "style",
            "status",
            "original_filename",
            "format",
            "width",
            "height",
            "size",
            "is_favorite",
            "taken_at",
            "taken_at_local",
            "taken_at_offset",
            "created_at",
            "trashed_at",
            "purge_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_purge_at(self, image: Image) -> str:
        assert image.trashed_at is not None  # a trashed image: it has the time it went
        purge_at = image.trashed_at + timedelta(days=settings.ATELIER_TRASH_DAYS)
        return DATETIME.to_representation(purge_at)


class TrashEmptiedSerializer(serializers.Serializer):
    """What emptying the trash did."""

    purged = serializers.IntegerField(help_text="How many images were deleted for good.")


class ImageIdsSerializer(StrictFieldsMixin, serializers.Serializer):
    """Images to add to or remove from an album."""

    image_ids = serializers.ListField(
        child=StrictUUIDField(),
        min_length=1,
        max_length=500,
        help_text="Ids of your images, at most 500 per call.",
    )


class AlbumImageResultSerializer(serializers.Serializer):
    """What happened to one of the ids sent."""

    image_id = serializers.UUIDField()
    result = serializers.ChoiceField(
        choices=["added", "already_in_album", "removed", "not_in_album", "not_found"],
        help_text="What happened to this id. Another account's image, a missing one and one "
        "in the trash are all `not_found`.",
    )


class AlbumImagesResultSerializer(serializers.Serializer):
    """One result per distinct id sent, in the order sent."""

    results = AlbumImageResultSerializer(many=True)


class AlbumSerializer(serializers.ModelSerializer):
    """One of the caller's albums."""

    image_count = serializers.IntegerField(
        read_only=True, help_text="Images in the album, not counting any in the trash."
    )
    cover_image = serializers.SerializerMethodField(
        help_text="The chosen cover while it is in the album, else the image added last."
    )
    cover_thumbnail = serializers.SerializerMethodField(
        help_text="A signed URL of the cover's thumbnail, or null."
    )

    class Meta:
        model = Album
        fields = [
            "id",
            "title",
            "description",
            "image_count",
            "cover_image",
            "cover_thumbnail",
            "members_see_originals",
            "members_see_metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_cover_image(self, album: Album) -> str | None:
        image_id = _cover_id(album)
        return str(image_id) if image_id else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_cover_thumbnail(self, album: Album) -> str | None:
        image_id = _cover_id(album)
        if image_id is None or not getattr(album, "cover_thumbnail_key", ""):
            return None
        request = self.context.get("request")
        signer = _owner_signer(request)
        if signer is None or not access.access_allows(
            principal=signer, action=access.Action.ALBUM_LIST, target=album
        ):
            return None
        url, _expires = links.rendition_url_build(
            request=request, image_id=image_id, rendition="thumbnail", signer=signer
        )
        return url


def _cover_id(album: Album) -> uuid.UUID | None:
    """The cover ``albums_with_summary`` found: a UUID on PostgreSQL, hex text on SQLite."""
    value = getattr(album, "cover_effective_id", None)
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


class AlbumCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new, empty album."""

    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)


class AlbumWordsUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Changes to an album's title, description or cover: what its editors may change too;
    the fields not sent stay as they are."""

    title = StrictCharField(max_length=200, required=False)
    description = StrictCharField(max_length=2000, required=False, allow_blank=True)
    cover_image = StrictUUIDField(
        required=False, allow_null=True, help_text="An image in the album, or null for automatic."
    )


class AlbumUpdateSerializer(AlbumWordsUpdateSerializer):
    """Changes to an album by its owner: its words and what its members may see."""

    members_see_originals = StrictBooleanField(
        required=False,
        help_text="Whether the album's members may download the originals (off: the styled "
        "renditions only).",
    )
    members_see_metadata = StrictBooleanField(
        required=False,
        help_text="Whether the album's members see the camera's metadata (date, camera, GPS).",
    )


class EmptySerializer(StrictFieldsMixin, serializers.Serializer):
    """No fields: what an action that takes no body shows the browsable API and OPTIONS."""


__all__ = ["STYLE_ERROR"]
