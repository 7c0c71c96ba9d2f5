"""A resumable upload: how much is declared, how much has arrived, where it is staged."""

import uuid

from django.conf import settings
from django.db import models


class ResumableUpload(models.Model):
    """One tus upload of one file by its owner, from creation until it becomes an image."""

    class State(models.TextChoices):
        RECEIVING = "receiving"
        # The last byte arrived; the image is being created from the staged file.
        COMPLETING = "completing"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resumable_uploads"
    )
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    # The decoded Upload-Metadata this server reads: filename, style, title.
    metadata = models.JSONField(default=dict)
    # The staging folder (``images.files.staging_prefix``) and the storage's own state in it
    # (an S3 multipart upload's id, parts and tail).
    staging_prefix = models.CharField(max_length=200)
    staging = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVING)
    # The image the upload became (it may since have been deleted: no constraint).
    image_id = models.UUIDField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_detail = models.CharField(max_length=500, blank=True, default="")
    # Held by the one request writing to the upload (or completing it) until it commits.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "state"], name="resumable_owner_state")]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.offset}/{self.length}, {self.state})"
