"""The fields and small shapes every image body shares, the owner's and a link visitor's.

Strict scalars (a UUID as text only, text that is text, ``true``/``false`` only), the style
choice with its one error wording, the camera's metadata and the date taken on the camera's
own clock.
"""

from datetime import UTC, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from images.models import Image
from imaging.styles import STYLE_CHOICES, STYLES

# Formats like every other timestamp in the API (ISO 8601 with "Z").
DATETIME = serializers.DateTimeField()
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


TAKEN_AT_LOCAL_HELP = (
    "When the photo was taken as the camera's clock showed it (ISO 8601): with its offset "
    'where the file gave one ("2024-05-01T18:32:00+02:00"), without one where it did not '
    '("2024-05-01T18:32:00"); null without a date.'
)
TAKEN_AT_OFFSET_HELP = (
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


COUNTRY_CODE_HELP = "ISO 3166-1 alpha-2, upper case (`FR`)."


class PlaceNameSerializer(serializers.Serializer):
    """Where a picture was taken, named offline from its GPS (GeoNames): the nearest place of
    1,000 people or more within 100 km; null where there is none (at sea, no GPS)."""

    city = serializers.CharField()
    region = serializers.CharField(help_text="The first-level division: state, region, county.")
    country = serializers.CharField()
    country_code = serializers.CharField(help_text=COUNTRY_CODE_HELP)


def place_body(image: Any) -> dict[str, str] | None:
    """An image's ``place``, or None where it has none."""
    if not getattr(image, "place_country_code", ""):
        return None
    return {
        "city": image.place_city,
        "region": image.place_region,
        "country": image.place_country,
        "country_code": image.place_country_code,
    }


class TakenAtLocalMixin(serializers.Serializer):
    """``taken_at_local`` and ``taken_at_offset`` of an image body (see ``taken_at_local``)."""

    taken_at_local = serializers.SerializerMethodField(help_text=TAKEN_AT_LOCAL_HELP)
    taken_at_offset = serializers.SerializerMethodField(help_text=TAKEN_AT_OFFSET_HELP)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_taken_at_local(self, image: Image) -> str | None:
        return taken_at_local(image)[0]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_taken_at_offset(self, image: Image) -> str | None:
        return taken_at_local(image)[1]


__all__ = [
    "COUNTRY_CODE_HELP",
    "DATETIME",
    "STYLE_ERROR",
    "TAKEN_AT_LOCAL_HELP",
    "TAKEN_AT_OFFSET_HELP",
    "PhotoMetadataSerializer",
    "PlaceNameSerializer",
    "StrictBooleanField",
    "StrictCharField",
    "StrictUUIDField",
    "StyleChoiceField",
    "TakenAtLocalMixin",
    "place_body",
    "style_field",
    "taken_at_local",
]
