"""Images in the Django admin, filterable by owner and style."""

from django.contrib import admin

from images.models import Image


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    """Read-mostly view of images: files are managed by the API, not edited here."""

    list_display = ("id", "owner", "title", "style", "status", "format", "size", "created_at")
    list_filter = ("style", "status", "format", ("owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "original_filename", "owner__username", "checksum")
    list_select_related = ("owner",)
    readonly_fields = (
        "id",
        "owner",
        "status",
        "original_filename",
        "format",
        "width",
        "height",
        "size",
        "stored_bytes",
        "checksum",
        *Image.FILE_KEY_FIELDS,
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: object) -> bool:
        # Images only enter through the upload pipeline, which validates and renders them.
        return False
