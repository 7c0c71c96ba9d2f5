"""An account's private gallery: its images (and their renditions), albums and share links,
and the accounts an album is shared with (members, their activity and likes).

Everything here belongs to exactly one owner. A share link names images of its own owner only;
the services check that on every write and the share's public side checks it again on every
read, so a link can never reach beyond what it names. An album holds its owner's images and,
once it has members, those its contributors added (each still theirs: their quota, their
trash); a link made from the album shows only the owner's.
"""

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from images.search.text import fold
from imaging.styles import DEFAULT_STYLE, STYLE_CHOICES


class TimelineField(models.DateTimeField):
    """When a picture belongs on the timeline: the camera's wall clock, else the upload's.

    Stored as a wall-clock time read as UTC (the camera's local time where it is known, so
    a picture taken at 23:30 in Sydney is on the day Sydney had), and computed from the row on
    every save that writes it: ``taken_at`` plus ``taken_at_offset``, else ``taken_at`` as it
    is (the wall clock itself where no offset was known), else ``created_at`` (the upload's
    time, UTC). Declared after both, so their own ``pre_save`` has run. A write that does not
    go through ``save`` (``QuerySet.update``) must not change either; none does.
    """

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = image_timeline_at(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def image_timeline_at(image: "Image") -> Any:
    """``Image.timeline_at`` for these field values (see ``TimelineField``)."""
    if image.taken_at is not None:
        return image.taken_at + timedelta(minutes=image.taken_at_offset or 0)
    return image.created_at


# --- search (issue 22, item 2) -----------------------------------------------------------------


class SearchTextField(models.TextField):
    """Folded words a picture is found by (``images.search.text.fold``), computed from the row
    on every save that writes it, like ``TimelineField``; ``Image.save`` adds these columns to
    an ``update_fields`` that names one of their sources, so a partial save never leaves them
    stale. The database indexes them (migration ``0012``): an FTS5 table kept by triggers on
    SQLite, a GIN expression index on PostgreSQL. A write that does not go through ``save``
    (``QuerySet.update``) must not change a source; none does.
    """

    def __init__(self, *args: Any, sources: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.sources = sources
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        return name, path, args, kwargs

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = image_search_text(model_instance, self.sources)
        setattr(model_instance, self.attname, value)
        return value


# The folded search columns and the fields (or ``metadata`` keys) each is made of.
SEARCH_SOURCES = {
    "search_title": ("title",),
    "search_place": ("place_city", "place_region", "place_country"),
    "search_camera": ("metadata.camera_make", "metadata.camera_model"),
    "search_other": ("description", "original_filename", "metadata.lens"),
}


def image_search_text(image: "Image", sources: tuple[str, ...]) -> str:
    """The folded words of ``sources`` (fields, or ``metadata.<key>``) of ``image``."""
    values = []
    for source in sources:
        if source.startswith("metadata."):
            metadata = image.metadata if isinstance(image.metadata, dict) else {}
            value = metadata.get(source.removeprefix("metadata."))
        else:
            value = getattr(image, source)
        values.append(value if isinstance(value, str) else None)
    return fold(*values)


# --- end search ----------------------------------------------------------------------------------


class NullsLastIndex(models.Index):
    """An index whose descending nullable columns put nulls last on PostgreSQL too, as the
    keyset walk does (``images.pagination``); SQLite's descending order already does, and
    refuses the words in an index."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        statement = super().create_sql(model, schema_editor, using=using, **kwargs)
        if schema_editor.connection.vendor == "postgresql":
            # An IndexColumns (django-stubs types the part as a plain Table).
            columns: Any = statement.parts["columns"]
            # Only where a column may hold nulls: on one that cannot, PostgreSQL's plain
            # ``DESC`` is what the walk's ORDER BY says (it names no null placement there).
            columns.col_suffixes = [
                f"{suffix} NULLS LAST"
                if suffix == "DESC" and model._meta.get_field(name).null
                else suffix
                for (name, _order), suffix in zip(
                    self.fields_orders, columns.col_suffixes, strict=True
                )
            ]
        return statement


# What lists, albums, shares and the timeline show: neither in the trash nor locked away
# (``images.selectors.images_live``). The keyset indexes cover exactly these rows.
LIVE = Q(trashed_at__isnull=True, locked_at__isnull=True)


class Image(models.Model):
    """One uploaded image: the original bytes plus a processed rendition and a thumbnail.

    The ``*_key`` fields are storage names made by the server (never from the client's file
    name), so files can live on any Django storage backend.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        VIDEO = "video", "Video"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(max_length=2000, blank=True)
    style = models.CharField(max_length=32, choices=STYLE_CHOICES, default=DEFAULT_STYLE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # A video's renditions are stills of its poster frame plus ``playback_key``; a photo may
    # still move (a Live Photo's or a motion photo's ``motion_key``).
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PHOTO)
    duration = models.FloatField(
        null=True, blank=True, help_text="A video's length in seconds; null for a photo."
    )
    original_filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField(help_text="Bytes of the original.")
    stored_bytes = models.PositiveBigIntegerField(
        default=0, help_text="Bytes of all renditions together, counted against the quota."
    )
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the original, hex.")
    original_key = models.CharField(max_length=255, blank=True)
    # Empty until the first render lands; a restyle keeps serving these until it replaces them.
    processed_key = models.CharField(max_length=255, blank=True)
    thumbnail_key = models.CharField(max_length=255, blank=True)
    # The same three renditions in AVIF and WebP, chosen by a request's ``Accept`` (the
    # ``*_key`` above are JPEG, or PNG where there is transparency, which every client reads).
    processed_avif_key = models.CharField(max_length=255, blank=True)
    processed_webp_key = models.CharField(max_length=255, blank=True)
    preview_avif_key = models.CharField(max_length=255, blank=True)
    preview_webp_key = models.CharField(max_length=255, blank=True)
    thumbnail_avif_key = models.CharField(max_length=255, blank=True)
    thumbnail_webp_key = models.CharField(max_length=255, blank=True)
    # A few dozen bytes that paint a blurred stand-in before the thumbnail arrives (ThumbHash,
    # base64); empty until the first render lands.
    placeholder = models.CharField(max_length=64, blank=True)
    # A video's web-playable version (H.264/AAC in MP4, faststart, metadata dropped), made by
    # the render job from every video, so what is played never carries the original's tags.
    playback_key = models.CharField(max_length=255, blank=True)
    # A Live Photo's or motion photo's motion part: the original clip as it arrived (a Live
    # Photo's MOV, kept byte for byte), and its web-playable version.
    motion_original_key = models.CharField(max_length=255, blank=True)
    motion_key = models.CharField(max_length=255, blank=True)
    # The content identifier an iPhone writes into both halves of a Live Photo: the photo and
    # its clip become one item whichever arrives first. Empty for anything else.
    live_photo_id = models.CharField(max_length=64, blank=True)
    # A screen-sized rendition (long edge ATELIER_PREVIEW_EDGE) for a picture's page.
    preview_key = models.CharField(max_length=255, blank=True)
    # The original with its metadata stripped, made once the first time a share link serves
    # it (never on every request); it goes with the image's other files.
    stripped_key = models.CharField(max_length=255, blank=True)
    rendered_style = models.CharField(
        max_length=32, blank=True, help_text="The style the current renditions are in."
    )
    # The render job that may write this image's renditions: a newer upload or restyle
    # replaces it, so a job that runs late (or twice) finds itself superseded and writes nothing.
    render_token = models.UUIDField(null=True, blank=True, editable=False)
    # Attempts at the current render token (a render that dies or times out counts one); past
    # the limit the image is failed and the sweep leaves it alone.
    render_attempts = models.PositiveSmallIntegerField(default=0)
    # While a worker renders, it holds a lease it renews; a lease that runs out means the
    # worker died, and the sweep hands the render to another worker.
    render_lease_expires_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)
    is_favorite = models.BooleanField(default=False)
    # From the photo's EXIF when it is rendered: when it was taken (with the camera's offset,
    # stored in UTC), and camera, exposure and GPS. Only the owner ever sees ``metadata``.
    taken_at = models.DateTimeField(null=True, blank=True)
    # The camera's offset from UTC in minutes when it was known (EXIF OffsetTimeOriginal):
    # ``taken_at`` in this offset is the camera's local time. Null where it is unknown.
    taken_at_offset = models.SmallIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Set while the image is in the trash: out of lists, albums and shares, files kept, still
    # counted against the quota until purged.
    trashed_at = models.DateTimeField(null=True, blank=True)
    # Set while the image is in its owner's locked folder (``images.locked``): out of every
    # list, album, share and member's view, served only to its owner with an elevation (their
    # password given again); still counted against the quota. Never set on a trashed image.
    locked_at = models.DateTimeField(null=True, blank=True)
    # Where it was taken, from the GPS in its EXIF (``metadata`` keeps what the camera
    # wrote), and the place there, named offline when it is rendered (``images.places``).
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    place_city = models.CharField(max_length=100, blank=True)
    place_region = models.CharField(max_length=100, blank=True)
    place_country = models.CharField(max_length=100, blank=True)
    place_country_code = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # After ``created_at`` and ``taken_at``: computed from them (``TimelineField``).
    timeline_at = TimelineField(
        help_text="The camera's local date-time (as UTC), else the upload's: the timeline."
    )
    # --- search (issue 22, item 2): after their sources, so theirs have run (``SearchTextField``).
    # Album titles are not folded in here: a search matches them by a join (``images.search``).
    search_title = SearchTextField(sources=SEARCH_SOURCES["search_title"])
    search_place = SearchTextField(sources=SEARCH_SOURCES["search_place"])
    search_camera = SearchTextField(sources=SEARCH_SOURCES["search_camera"])
    search_other = SearchTextField(sources=SEARCH_SOURCES["search_other"])
    # --- end search

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # One index per keyset walk of the live pictures (``images.pagination``), in its
            # exact order: owner, the field (nulls last), the id. A walk backwards reads one
            # backwards; ``taken_at`` ascending needs its own (nulls last that way too).
            models.Index(
                fields=["owner", "-created_at", "-id"],
                condition=LIVE,
                name="image_live_created_idx",
            ),
            NullsLastIndex(
                fields=["owner", "-taken_at", "-id"], condition=LIVE, name="image_live_taken_idx"
            ),
            models.Index(
                fields=["owner", "taken_at", "id"], condition=LIVE, name="image_live_taken_asc_idx"
            ),
            models.Index(
                fields=["owner", "-timeline_at", "-id"],
                condition=LIVE,
                name="image_live_timeline_idx",
            ),
            models.Index(
                fields=[
                    "owner",
                    "place_country_code",
                    "place_region",
                    "place_city",
                    "-timeline_at",
                    "-id",
                ],
                condition=LIVE,
                name="image_live_place_idx",
            ),
            models.Index(
                fields=["owner", "latitude", "longitude"],
                condition=LIVE & Q(latitude__isnull=False),
                name="image_live_position_idx",
            ),
            # The purge job's question: what has been in the trash too long?
            models.Index(fields=["trashed_at"], name="image_trashed_idx"),
            models.Index(fields=["owner", "checksum"], name="image_owner_checksum_idx"),
            # The sweep's question: what has been pending too long?
            models.Index(fields=["status", "updated_at"], name="image_status_updated_idx"),
            # Pairing a Live Photo's halves: the other half of this one, in this gallery.
            models.Index(fields=["owner", "live_photo_id"], name="image_owner_live_idx"),
            # The locked folder's list: one owner's locked images, most recently locked first.
            models.Index(fields=["owner", "locked_at", "id"], name="image_owner_locked_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.original_filename or str(self.id)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Search: a partial save of a source writes the folded column made from it too.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            names = set(update_fields)
            kwargs["update_fields"] = names | {
                column
                for column, sources in SEARCH_SOURCES.items()
                if names.intersection(source.partition(".")[0] for source in sources)
            }
        super().save(*args, **kwargs)

    # Every field that names a stored file of this image: deletion, purge and the storage
    # audit read exactly these, so a new kind of file is added here once.
    FILE_KEY_FIELDS = (
        "original_key",
        "processed_key",
        "preview_key",
        "thumbnail_key",
        "stripped_key",
        "processed_avif_key",
        "processed_webp_key",
        "preview_avif_key",
        "preview_webp_key",
        "thumbnail_avif_key",
        "thumbnail_webp_key",
        "playback_key",
        "motion_original_key",
        "motion_key",
    )

    @property
    def storage_keys(self) -> list[str]:
        """Every storage name this image's files live under."""
        return [key for key in (getattr(self, f) for f in self.FILE_KEY_FIELDS) if key]


class Album(models.Model):
    """A named set of one owner's images; an image may be in many albums, or none."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    # Shown only while it is a live member of the album (``images.albums.albums_with_summary``).
    cover = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Quoted: ManyToManyField is not subscriptable at run time (no django_stubs_ext).
    images: "models.ManyToManyField[Image, AlbumImage]" = models.ManyToManyField(
        Image, through="AlbumImage", related_name="albums"
    )
    # What the album's members (never its link's visitors: a link has its own switches) get
    # beyond the styled renditions: the uploaded bytes, and the camera's metadata (GPS).
    members_see_originals = models.BooleanField(default=False)
    members_see_metadata = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at", "id"], name="album_owner_created_idx")
        ]

    def __str__(self) -> str:
        return self.title


class AlbumImage(models.Model):
    """One image's membership of one album."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="memberships")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["album", "image"], name="album_image_unique")
        ]
        indexes = [
            # An album's cover when none is chosen: its latest live addition, read backwards.
            models.Index(fields=["album", "added_at", "id"], name="album_image_added_idx")
        ]

    def __str__(self) -> str:
        return f"{self.image_id} in {self.album_id}"


class Share(models.Model):
    """A link that shows an album, or a fixed list of images, to whoever holds its token.

    The token is the link's only credential: 256 random bits, stored as given (it is looked
    up, like a session key), never derived from anything. The password, if any, is stored
    hashed by Django's password hashers and never returned. Deleting the share revokes it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares"
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    # The source: an album (the link follows it as it changes), or the images listed.
    album = models.ForeignKey(
        Album, on_delete=models.CASCADE, null=True, blank=True, related_name="shares"
    )
    images: "models.ManyToManyField[Image, ShareImage]" = models.ManyToManyField(
        Image, through="ShareImage", related_name="shares"
    )
    title = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    password = models.CharField(max_length=128, blank=True)
    allow_original = models.BooleanField(default=False)
    show_metadata = models.BooleanField(default=False)
    view_count = models.PositiveBigIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at", "id"], name="share_owner_created_idx")
        ]

    def __str__(self) -> str:
        return self.title or str(self.id)


class ShareImage(models.Model):
    """One image named by a share made from a list of images."""

    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="entries")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="share_entries")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["share", "image"], name="share_image_unique")
        ]

    def __str__(self) -> str:
        return f"{self.image_id} in {self.share_id}"


class AlbumMember(models.Model):
    """An account an album is shared with, in a role; an invitation until it is accepted.

    A pending row (``accepted_at`` null) lets the invitee see the album's title and who
    invited them, nothing more. Declining, withdrawing, removing and leaving delete the row,
    so nothing of an ended membership is left to grant anything.
    """

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        CONTRIBUTOR = "contributor", "Contributor"
        EDITOR = "editor", "Editor"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="album_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["album", "user"], name="album_member_unique")
        ]
        indexes = [
            # "Albums shared with me" and "my invitations": a user's rows, newest first.
            models.Index(fields=["user", "accepted_at"], name="album_member_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.album_id} as {self.role}"


class AlbumActivity(models.Model):
    """One thing that happened in a shared album, as its members see it in its activity.

    Comments are activity too (``kind`` comment, with ``text``): one time-ordered list, as
    Google Photos shows it. Text is what a person typed: bounded here, escaped wherever shown.
    """

    class Kind(models.TextChoices):
        ADDED = "added", "Added pictures"
        REMOVED = "removed", "Removed pictures"
        JOINED = "joined", "Joined"
        LEFT = "left", "Left"
        COMMENT = "comment", "Comment"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The picture a comment is on, or the one picture added or removed; null for many.
    image = models.ForeignKey(
        Image, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=0, help_text="Pictures added or removed.")
    text = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["album", "created_at", "id"], name="album_activity_idx"),
            models.Index(fields=["album", "image", "created_at"], name="album_comment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in {self.album_id}"


class AlbumLike(models.Model):
    """A member's like of a picture in a shared album (one per person, picture and album)."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="likes")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["album", "image", "user"], name="album_like_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.image_id} in {self.album_id}"


class Partnership(models.Model):
    """One account (the grantor) letting another (the grantee) see its whole library.

    Pending until the grantee accepts (``accepted_at``). The grantee then sees the grantor's
    live pictures taken on or after ``since`` (or uploaded then, where the date taken is
    unknown), never the trash or the locked folder, as styled renditions without metadata;
    the originals and the camera's metadata only where the grantor says so. Either side ends
    it by deleting the row, so nothing of an ended partnership is left to grant anything.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    grantor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partnerships_granted"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partnerships_received"
    )
    since = models.DateField(null=True, blank=True)
    show_originals = models.BooleanField(default=False)
    show_metadata = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["grantor", "grantee"], name="partnership_unique"),
            models.CheckConstraint(
                condition=~models.Q(grantor=models.F("grantee")), name="partnership_not_self"
            ),
        ]
        indexes = [
            # "Whose libraries may I see?": a grantee's accepted rows.
            models.Index(fields=["grantee", "accepted_at"], name="partnership_grantee_idx")
        ]

    def __str__(self) -> str:
        return f"{self.grantor_id} shares with {self.grantee_id}"


class StoredFileHolder(models.Model):
    """One image's claim on a stored file that more than one image references.

    A saved copy (``images.saving``) points at its source's files instead of storing them
    again; both images then hold a row for each shared key, and ``files.files_delete`` skips
    a key while any row holds it. Rows go with their image (cascade, in the deleting
    transaction), or when an image stops referencing a key (a restyle, a Live Photo's
    pairing). A key no other image shares has no row at all.
    """

    key = models.CharField(max_length=255, db_index=True)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="held_files")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "image"], name="stored_file_holder_unique")
        ]

    def __str__(self) -> str:
        return f"{self.image_id} holds {self.key}"


class LibraryUsage(models.Model):
    """What one account stores, kept up to date by the database on every change of an image.

    Triggers on the image table (``images.counters``, installed by a migration on SQLite and
    PostgreSQL alike) add each insert's, update's and delete's difference, in the same
    transaction, so the quota check under the owner's lock and ``users/me/`` read one row
    instead of summing the library. The storage audit recounts and compares.
    """

    # No foreign key constraint in the database: checking one would lock the account's row
    # (FOR KEY SHARE) from inside the trigger of any change to a picture, behind a writer
    # holding it (``images.locks.owner_lock``) that waits for that picture: a deadlock.
    # Django still deletes the row with the account.
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    # Bytes of every file of every image (``Image.stored_bytes``), and the images that are
    # not failed; the same of those in the trash (counted in the first two as well).
    bytes = models.BigIntegerField(default=0)
    images = models.BigIntegerField(default=0)
    trash_bytes = models.BigIntegerField(default=0)
    trash_images = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.images} images, {self.bytes} bytes"


class TimelineDay(models.Model):
    """How many live pictures (out of the trash and the locked folder) one account has on
    one day of its timeline (``Image.timeline_at``'s date), kept by the same triggers.

    A day whose pictures all went keeps its row at zero; reads skip those.
    """

    # No constraint in the database, for the reason ``LibraryUsage.owner`` has none.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "day"], name="timeline_day_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.day}: {self.count}"


class PlaceCount(models.Model):
    """How many live pictures one account has at one place (country, region, city), kept by
    the same triggers as ``TimelineDay``; pictures without a place are not counted.

    ``places/`` groups these rows (a few thousand at most) instead of the library's pictures.
    A place whose pictures all went keeps its row at zero; reads skip those.
    """

    # No constraint in the database, for the reason ``LibraryUsage.owner`` has none.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    country_code = models.CharField(max_length=2)
    country = models.CharField(max_length=100)
    region = models.CharField(max_length=100)
    city = models.CharField(max_length=100)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "country_code", "country", "region", "city"],
                name="place_count_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.city}, {self.country_code}: {self.count}"
