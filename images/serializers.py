"""Request and response shapes for images."""

import uuid
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from core.serializers import StrictFieldsMixin
from images import shares
from images.authentication import SIGNATURE_PARAM, SIGNED_RENDITIONS
from images.delivery import rendition_key
from images.models import Album, Image, Share
from images.signing import credential_digest, rendition_signature
from imaging.styles import DEFAULT_STYLE, STYLE_CHOICES, STYLES
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


class StrictUUIDField(serializers.UUIDField):
    """A UUID given as text; DRF's own field also takes an integer (``1`` → ``…0001``)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


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
    preview = serializers.URLField(
        required=False,
        help_text="Styled, screen-sized (long edge 1440 px by default), without metadata: "
        "for showing one picture. Wherever `processed` is given.",
    )
    thumbnail = serializers.URLField(required=False, help_text="A small rendition for grids.")
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
    exposure_time = serializers.FloatField(allow_null=True, required=False, help_text="Seconds.")
    f_number = serializers.FloatField(allow_null=True, required=False)
    iso = serializers.IntegerField(allow_null=True, required=False)
    focal_length = serializers.FloatField(allow_null=True, required=False, help_text="mm.")
    latitude = serializers.FloatField(
        allow_null=True, required=False, help_text="Decimal degrees, north positive."
    )
    longitude = serializers.FloatField(
        allow_null=True, required=False, help_text="Decimal degrees, east positive."
    )
    altitude = serializers.FloatField(
        allow_null=True, required=False, help_text="Metres, negative below sea level."
    )


_TAKEN_AT_LOCAL_HELP = (
    "When the photo was taken as the camera's clock showed it (ISO 8601): with its offset "
    'where the file gave one ("2024-05-01T18:32:00+02:00"), without one where it did not '
    '("2024-05-01T18:32:00"); null without a date.'
)
_TAKEN_AT_OFFSET_HELP = (
    'The camera\'s offset from UTC when the photo was taken ("+02:00"); null where the file '
    "does not say."
)


def taken_at_local(image: Image) -> tuple[str | None, str | None]:
    """``taken_at`` on the camera's wall clock, and the camera's offset, as the API writes them.

    ``taken_at`` is the UTC instant; ``taken_at_offset`` the camera's offset in minutes east
    of UTC where EXIF gave one. Without it, the camera's clock was read as UTC, so the UTC
    time, written without an offset, is the camera's wall time.
    """
    if image.taken_at is None:
        return None, None
    minutes = image.taken_at_offset
    if minutes is None:
        return image.taken_at.astimezone(UTC).replace(tzinfo=None).isoformat(), None
    local = image.taken_at.astimezone(dt_timezone(timedelta(minutes=minutes)))
    sign = "-" if minutes < 0 else "+"
    offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return local.isoformat(), offset


class TakenAtLocalMixin(serializers.Serializer):
    """``taken_at_local`` and ``taken_at_offset`` of an image body (see ``taken_at_local``)."""

    taken_at_local = serializers.SerializerMethodField(help_text=_TAKEN_AT_LOCAL_HELP)
    taken_at_offset = serializers.SerializerMethodField(help_text=_TAKEN_AT_OFFSET_HELP)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_taken_at_local(self, image: Image) -> str | None:
        return taken_at_local(image)[0]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_taken_at_offset(self, image: Image) -> str | None:
        return taken_at_local(image)[1]


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
            "taken_at_local",
            "taken_at_offset",
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
            if not rendition_key(image, rendition):
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
        purge_at = image.trashed_at + timedelta(days=settings.ATELIER_TRASH_DAYS)
        return _DATETIME.to_representation(purge_at)


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
        user = getattr(request, "user", None)
        if user is None or user.pk != album.owner_id:
            return None
        token, _expires = rendition_signature(
            image_id=image_id,
            rendition="thumbnail",
            owner_id=album.owner_id,
            credential=credential_digest(user.password),
            ttl=settings.ATELIER["SIGNED_URL_TTL"],
        )
        url = f"{reverse('image-thumbnail', kwargs={'pk': image_id})}?{SIGNATURE_PARAM}={token}"
        return request.build_absolute_uri(url)


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


class AlbumUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Changes to an album; the fields not sent stay as they are."""

    title = StrictCharField(max_length=200, required=False)
    description = StrictCharField(max_length=2000, required=False, allow_blank=True)
    cover_image = StrictUUIDField(
        required=False, allow_null=True, help_text="An image in the album, or null for automatic."
    )


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
    expires_at = serializers.DateTimeField()


# The renditions a link hands out URLs of, the original only where it allows it.
SHARED_RENDITIONS = ("processed", "preview", "thumbnail")


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
        help_text=f"Only where the link shows metadata. {_TAKEN_AT_LOCAL_HELP}",
    )
    taken_at_offset = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=f"Only where the link shows metadata. {_TAKEN_AT_OFFSET_HELP}",
    )
    metadata = PhotoMetadataSerializer(
        required=False, help_text="Only where the link shows metadata."
    )
    urls = SharedImageUrlsSerializer()

    def to_representation(self, image: Image) -> dict[str, Any]:
        share: Share = self.context["share"]
        request = self.context.get("request")
        renditions = SHARED_RENDITIONS + (("original",) if share.allow_original else ())
        urls: dict[str, str] = {}
        expires = 0
        for rendition in renditions:
            if not rendition_key(image, rendition):
                continue
            token, expires = shares.share_rendition_signature(
                share=share, image_id=image.pk, rendition=rendition
            )
            path = reverse(
                f"shared-{rendition}", kwargs={"token": share.token, "image_id": image.pk}
            )
            url = f"{path}?{SIGNATURE_PARAM}={token}"
            urls[rendition] = request.build_absolute_uri(url) if request else url
        urls["expires_at"] = _DATETIME.to_representation(datetime.fromtimestamp(expires, tz=UTC))
        body: dict[str, Any] = {
            "id": str(image.pk),
            "title": image.title,
            "width": image.width,
            "height": image.height,
        }
        if share.allow_original and share.show_metadata:
            body["size"] = image.size
        if share.show_metadata:
            body["taken_at"] = (
                _DATETIME.to_representation(image.taken_at) if image.taken_at else None
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


class EmptySerializer(StrictFieldsMixin, serializers.Serializer):
    """No fields: what an action that takes no body shows the browsable API and OPTIONS."""
