"""Query filters for the image list: style, status, dates, checksum, album, place and search.

Every filter refuses what it cannot use with a 400 naming the parameter: an out-of-range
date, an empty date, an overlong search. A filter that quietly ignored a value would hand the
client a different list from the one it asked for.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request

from images import access
from images.models import Image
from images.serializers import STYLE_ERROR
from images.timeline import periods
from imaging.styles import STYLE_CHOICES
from users.authentication import request_user

# The image list's orders (``?ordering=``) and its default: newest upload first. The API's
# view and the web's pages both read these, so a page never offers an order the API refuses.
IMAGE_ORDERING_FIELDS = ("created_at", "taken_at", "timeline_at")
IMAGE_DEFAULT_ORDERING = "-created_at"
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 10


def datetime_to_utc(value: datetime) -> datetime:
    """``value`` in UTC; ``ValueError`` if it falls off the calendar there.

    RFC 3339 allows any offset up to ±23:59, but PostgreSQL refuses displacements beyond
    ±15:59: comparing in UTC keeps the database from ever seeing one. A date at the edge of
    the calendar (year 1 or 9999) that falls off it in UTC is refused here, not in the driver.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("The date-time is out of range once converted to UTC.") from exc


class StrictIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time that must not be empty when given, returned in UTC."""

    def clean(self, value: Any) -> datetime | None:
        if value == "":
            raise DjangoValidationError(
                "Enter a date-time; an empty value filters nothing.", code="empty"
            )
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return datetime_to_utc(cleaned)
        except ValueError as exc:
            raise DjangoValidationError(str(exc), code="out_of_range") from exc


class StrictIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` with ``StrictIsoDateTimeField``."""

    field_class = StrictIsoDateTimeField


# --- timeline (issue 22, item 1): a day's or a month's pictures, as ranges of timeline_at ---


class TimelinePeriodField(forms.CharField):
    """A day (``YYYY-MM-DD``) or a month (``YYYY-MM``, where ``months`` allows) of the
    timeline, cleaned to the half-open range of ``timeline_at`` it covers."""

    def __init__(self, *args: Any, months: bool = False, **kwargs: Any) -> None:
        self.months = months
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> tuple[datetime, datetime | None] | None:
        if value is None:
            return None
        if value == "":
            raise DjangoValidationError("Enter a date; an empty value filters nothing.", "empty")
        try:
            first, after = periods.month_of(value) if self.months else periods.day_of(value)
        except ValueError as exc:
            raise DjangoValidationError(str(exc), code="invalid") from exc
        start = periods.midnight(first)
        assert start is not None  # a day always has its midnight
        return start, periods.midnight(after)


class TimelinePeriodFilter(django_filters.Filter):
    """Pictures whose ``timeline_at`` falls in the period given (half-open: the day's first
    instant on, the next day's excluded), which the timeline's index reads in order."""

    field_class = TimelinePeriodField

    def filter(self, qs: QuerySet, value: tuple[datetime, datetime | None] | None) -> QuerySet:
        if value is None:
            return qs
        start, end = value
        within = Q(timeline_at__gte=start)
        if end is not None:
            within &= Q(timeline_at__lt=end)
        return qs.filter(within)


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
class TimelineDayFilter(TimelinePeriodFilter):
    """One day of the timeline (``YYYY-MM-DD``)."""


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"})
class TimelineMonthFilter(TimelinePeriodFilter):
    """One month of the timeline (``YYYY-MM``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, months=True, **kwargs)


class TimelineFilterMixin(django_filters.FilterSet):
    """The image list's timeline filters: one day, or one month."""

    day = TimelineDayFilter(
        label="Only the pictures of this day of the timeline (YYYY-MM-DD): the camera's "
        "local date, else the upload's (UTC)."
    )
    month = TimelineMonthFilter(label="Only the pictures of this month of the timeline (YYYY-MM).")


# --- end timeline


class ImageFilter(TimelineFilterMixin, django_filters.FilterSet):
    """Filters that narrow the caller's own images (the queryset is already theirs)."""

    style = django_filters.ChoiceFilter(
        choices=STYLE_CHOICES,
        error_messages={"invalid_choice": STYLE_ERROR.replace("{input}", "%(value)s")},
    )
    status = django_filters.ChoiceFilter(choices=Image.Status.choices)
    created_after = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after (ISO 8601)."
    )
    created_before = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601)."
    )
    checksum = django_filters.CharFilter(
        method="filter_checksum", label="SHA-256 of the original, hex.", max_length=64
    )
    is_favorite = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_is_favorite",
        label="Only favourites (true) or only the others (false).",
    )
    album = django_filters.UUIDFilter(
        method="filter_album", label="Only the images in this album of yours (its id)."
    )
    taken_after = StrictIsoDateTimeFilter(
        field_name="taken_at", lookup_expr="gte", label="Taken at or after (ISO 8601)."
    )
    taken_before = StrictIsoDateTimeFilter(
        field_name="taken_at", lookup_expr="lt", label="Taken before (ISO 8601)."
    )

    # Places (issue 22, item 3): exact names as ``places/`` gives them, so the
    # (owner, country code, region, city) index answers.
    country_code = django_filters.CharFilter(
        method="filter_country_code",
        min_length=2,
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}\Z", "Two letters, e.g. FR.", code="invalid")],
        label="Only the pictures taken in this country: ISO 3166-1 alpha-2 (FR, any case), "
        "as `places/` gives it.",
    )
    region = django_filters.CharFilter(
        field_name="place_region",
        max_length=100,
        label="Only the pictures taken in this region, exactly as `places/` names it.",
    )
    city = django_filters.CharFilter(
        field_name="place_city",
        max_length=100,
        label="Only the pictures taken in this city, exactly as `places/` names it (combine "
        "with `country_code`: more than one country has a Paris).",
    )
    has_location = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_has_location",
        label="Only the pictures with a GPS position (true) or only those without (false).",
    )

    class Meta:
        model = Image
        fields = [
            "style",
            "status",
            "created_after",
            "created_before",
            "taken_after",
            "taken_before",
            "checksum",
            "is_favorite",
            "album",
            "country_code",
            "region",
            "city",
            "has_location",
            # timeline (issue 22, item 1)
            "day",
            "month",
        ]

    def filter_checksum(self, queryset: QuerySet[Image], name: str, value: str) -> QuerySet[Image]:
        # Stored lower-case; an exact match keeps the (owner, checksum) index usable.
        return queryset.filter(checksum=value.strip().lower())

    def filter_is_favorite(
        self, queryset: QuerySet[Image], name: str, value: str
    ) -> QuerySet[Image]:
        return queryset.filter(is_favorite=value == "true")

    def filter_country_code(
        self, queryset: QuerySet[Image], name: str, value: str
    ) -> QuerySet[Image]:
        return queryset.filter(place_country_code=value.strip().upper())

    def filter_has_location(
        self, queryset: QuerySet[Image], name: str, value: str
    ) -> QuerySet[Image]:
        located = value == "true"
        return queryset.filter(latitude__isnull=not located, longitude__isnull=not located)

    def filter_album(
        self, queryset: QuerySet[Image], name: str, value: uuid.UUID | None
    ) -> QuerySet[Image]:
        if value is None:
            return queryset
        # The caller's own album only: another account's is a 404, exactly like a missing one
        # (as at albums/{id}/), never an empty list that would pass for "no images in it".
        assert self.request is not None  # a filter runs inside a request
        owner = access.Owner(user=request_user(self.request))
        if not access.albums_visible(principal=owner).filter(pk=value).exists():
            raise NotFound("No album with this id.", code="not_found")
        return queryset.filter(memberships__album_id=value)


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
            if len(fields) > 1:
                # The cursor pages on one field (then the id); a second one would be ignored.
                raise ValidationError(
                    {self.ordering_param: ["One ordering at a time, e.g. -taken_at."]}
                )
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown:
                allowed = ", ".join(sorted(f"{p}{name}" for name in valid for p in ("", "-")))
                raise ValidationError(
                    {self.ordering_param: [f"Unknown ordering {unknown[0]!r}; use {allowed}."]}
                )
        return super().get_ordering(request, queryset, view)


class BoundedSearchFilter(SearchFilter):
    """DRF's search, refusing a query too long or with too many terms for the database.

    Each term becomes one ``LIKE`` per searched field; SQLite's parser gives up near a thousand
    of them, and one 50,000-character pattern is as bad.
    """

    def get_search_terms(self, request: Request) -> list[str]:
        raw = request.query_params.get(self.search_param, "")
        if len(raw) > SEARCH_MAX_LENGTH:
            raise ValidationError(
                {self.search_param: [f"At most {SEARCH_MAX_LENGTH} characters."]},
                code="too_long",
            )
        terms = super().get_search_terms(request)
        if len(terms) > SEARCH_MAX_TERMS:
            raise ValidationError(
                {self.search_param: [f"At most {SEARCH_MAX_TERMS} search terms."]},
                code="too_many_terms",
            )
        return terms

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.search_param:
                parameter["schema"]["maxLength"] = SEARCH_MAX_LENGTH
                parameter["description"] = (
                    "Words to find in the title or file name (all must match, any case); "
                    f"at most {SEARCH_MAX_TERMS} words, {SEARCH_MAX_LENGTH} characters."
                )
        return parameters
