"""The OpenAPI description of the timeline (tag ``timeline``)."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view

from core.schema import UNAUTHENTICATED, error, field_errors
from images.timeline.serializers import (
    OnThisDayQuerySerializer,
    OnThisDaySerializer,
    TimelineQuerySerializer,
    TimelineSerializer,
)

_TAGS = ["timeline"]


class TimelineSchema(AutoSchema):
    """The timeline's routes each answer one object: its ``list`` is not a list of items."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


_REFUSED = error("A signed URL, or any credential but the account's own, reads no timeline.")

TIMELINE_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="timeline_list",
        summary="My timeline, by month or by day",
        description="How many of the caller's own pictures (not in the trash, not locked) "
        "each month or day of the timeline holds, newest first: enough to draw the whole "
        "scroll height and jump anywhere without loading a picture. A picture's place is its "
        "`timeline_at`: the camera's local date, else the upload's (UTC). Empty months and "
        "days are left out. Two statements however large the library. A bucket's pictures: "
        "`images/?ordering=-timeline_at&month=2024-07` (or `day=2024-07-14`); to scroll on "
        "from a bucket into older ones, `images/?ordering=-timeline_at&timeline_from=2024-07`.",
        tags=_TAGS,
        parameters=[TimelineQuerySerializer],
        responses={
            200: TimelineSerializer,
            400: field_errors("A parameter is invalid (it is named)."),
            401: UNAUTHENTICATED,
            404: _REFUSED,
        },
    ),
    on_this_day=extend_schema(
        operation_id="timeline_on_this_day",
        summary="On this day in earlier years",
        description="The caller's own pictures taken on today's month and day (`date`, else "
        "today in UTC) in each of the 30 years before, that has any: the latest year first, "
        "the first 10 of each day (newest first) and how many the day holds. A 29 February "
        "looks at leap years only. Empty when there are none.",
        tags=_TAGS,
        parameters=[OnThisDayQuerySerializer],
        responses={
            200: OnThisDaySerializer,
            400: field_errors("`date` is not a day (YYYY-MM-DD)."),
            401: UNAUTHENTICATED,
            404: _REFUSED,
        },
    ),
)
