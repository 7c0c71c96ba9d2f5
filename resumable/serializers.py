"""The resumable upload as JSON, and the Upload-Metadata a creation may carry."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from images.fields import StrictCharField, style_field
from imaging.styles import DEFAULT_STYLE
from resumable.models import ResumableUpload


class UploadMetadataSerializer(serializers.Serializer):
    """What this server reads of a creation's ``Upload-Metadata`` (other keys are ignored)."""

    filename = StrictCharField(max_length=1024, required=False, default="", allow_blank=True)
    style = style_field(default=DEFAULT_STYLE)  # type: ignore[assignment]
    title = StrictCharField(max_length=200, required=False, default="", allow_blank=True)


class UploadErrorSerializer(serializers.Serializer):
    """Why a failed upload made no image: the final PATCH's error."""

    code = serializers.CharField()
    detail = serializers.CharField()


class ResumableUploadSerializer(serializers.ModelSerializer):
    """An upload's progress, and the image it became."""

    image = serializers.UUIDField(source="image_id", read_only=True, allow_null=True)
    filename = serializers.SerializerMethodField()
    style = serializers.SerializerMethodField()  # type: ignore[assignment]
    title = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = ResumableUpload
        fields = [
            "id",
            "state",
            "length",
            "offset",
            "filename",
            "style",
            "title",
            "image",
            "error",
            "created_at",
            "expires_at",
        ]
        read_only_fields = fields

    def get_filename(self, upload: ResumableUpload) -> str:
        return str(upload.metadata.get("filename", ""))

    def get_style(self, upload: ResumableUpload) -> str:
        return str(upload.metadata.get("style", ""))

    def get_title(self, upload: ResumableUpload) -> str:
        return str(upload.metadata.get("title", ""))

    @extend_schema_field(UploadErrorSerializer(allow_null=True))
    def get_error(self, upload: ResumableUpload) -> dict[str, Any] | None:
        """Why a failed upload made no image (the final PATCH's error), else null."""
        if upload.state != ResumableUpload.State.FAILED:
            return None
        return {"code": upload.error_code, "detail": upload.error_detail}
