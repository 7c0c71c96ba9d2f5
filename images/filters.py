"""Query filters for the image list: style, status, creation window and checksum."""

import django_filters
from django.db.models import QuerySet

from images.models import Image
from images.styles import STYLE_CHOICES


class ImageFilter(django_filters.FilterSet):
    """Filters that narrow the caller's own images (the queryset is already theirs)."""

    style = django_filters.ChoiceFilter(choices=STYLE_CHOICES)
    status = django_filters.ChoiceFilter(choices=Image.Status.choices)
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601)."
    )
    checksum = django_filters.CharFilter(
        method="filter_checksum", label="SHA-256 of the original, hex."
    )

    class Meta:
        model = Image
        fields = ["style", "status", "created_after", "created_before", "checksum"]

    def filter_checksum(self, queryset: QuerySet[Image], name: str, value: str) -> QuerySet[Image]:
        # Stored lower-case; an exact match keeps the (owner, checksum) index usable.
        return queryset.filter(checksum=value.strip().lower())
