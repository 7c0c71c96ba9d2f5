"""Query filters for the image list: style, status, creation window and checksum."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

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


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering filter, answering 400 for an unknown ordering instead of ignoring it.

    A client that asks for an order and silently gets another would page through the wrong
    sequence without knowing.
    """

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",")]
            valid = {name for name, _label in self.get_valid_fields(queryset, view, {})}
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown:
                allowed = ", ".join(sorted(f"{p}{name}" for name in valid for p in ("", "-")))
                raise ValidationError(
                    {self.ordering_param: [f"Unknown ordering {unknown[0]!r}; use {allowed}."]}
                )
        return super().get_ordering(request, queryset, view)
