"""An image in one account's private gallery, and where its three renditions are stored."""

import uuid

from django.conf import settings
from django.db import models

from images.styles import DEFAULT_STYLE, STYLE_CHOICES


class Image(models.Model):
    """One uploaded image: the original bytes plus a processed rendition and a thumbnail.

    The ``*_key`` fields are storage names made by the server (never from the client's file
    name), so files can live on any Django storage backend.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    title = models.CharField(max_length=200, blank=True)
    style = models.CharField(max_length=32, choices=STYLE_CHOICES, default=DEFAULT_STYLE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
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
    rendered_style = models.CharField(
        max_length=32, blank=True, help_text="The style the current renditions are in."
    )
    # The render job that may write this image's renditions: a newer upload or restyle
    # replaces it, so a job that runs late (or twice) finds itself superseded and writes nothing.
    render_token = models.UUIDField(null=True, blank=True, editable=False)
    error_code = models.CharField(max_length=64, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at", "id"], name="image_owner_created_idx"),
            models.Index(fields=["owner", "checksum"], name="image_owner_checksum_idx"),
            # The sweep's question: what has been pending too long?
            models.Index(fields=["status", "updated_at"], name="image_status_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.original_filename or str(self.id)

    @property
    def storage_keys(self) -> list[str]:
        """Every storage name this image's files live under."""
        return [key for key in (self.original_key, self.processed_key, self.thumbnail_key) if key]
