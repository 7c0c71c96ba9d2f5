"""The timeline's query parameters and answers."""

from datetime import date
from typing import Any

from rest_framework import serializers

from images.serializers import ImageSerializer
from images.timeline import periods


class _PeriodField(serializers.CharField):
    """A day, month or year as ``images.timeline.periods`` spells it, parsed by ``parse``."""

    def __init__(self, *, parse: Any, **kwargs: Any) -> None:
        self.parse = parse
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        text = super().to_internal_value(data)
        try:
            return self.parse(text)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None


class TimelineQuerySerializer(serializers.Serializer):
    """``timeline/``'s query: months or days, the whole timeline or one year or month."""

    group = serializers.ChoiceField(
        choices=["month", "day"],
        default="month",
        help_text="`month` (the default): one bucket per month; `day`: one per day.",
    )
    year = _PeriodField(
        parse=periods.year_parse,
        required=False,
        help_text="Only this year's buckets (YYYY).",
    )
    month = _PeriodField(
        parse=periods.month_parse,
        required=False,
        help_text="Only this month's buckets (YYYY-MM): with `group=day`, its days.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "year" in attrs and "month" in attrs:
            raise serializers.ValidationError(
                {"month": ["Give a year or a month, not both."]}, code="invalid"
            )
        return attrs


class BucketSerializer(serializers.Serializer):
    """One bucket: a month (``month``) or a day (``day``), and its live pictures."""

    month = serializers.CharField(
        required=False, help_text="The month, YYYY-MM (month buckets only)."
    )
    day = serializers.DateField(required=False, help_text="The day (day buckets only).")
    count = serializers.IntegerField(help_text="Its pictures, out of the trash and locked folder.")


class TimelineSerializer(serializers.Serializer):
    """The timeline's buckets, newest first."""

    group = serializers.ChoiceField(choices=["month", "day"])
    total = serializers.IntegerField(help_text="The sum of the buckets' counts.")
    buckets = BucketSerializer(many=True)


def timeline_body(timeline: Any) -> dict[str, Any]:
    """The answer for a ``selectors.Timeline`` (built directly: thousands of day buckets
    through a serializer's fields would cost more than the query)."""
    if timeline.group == "month":
        buckets = [
            {"month": periods.month_text(b.start), "count": b.count} for b in timeline.buckets
        ]
    else:
        buckets = [{"day": b.start.isoformat(), "count": b.count} for b in timeline.buckets]
    return {"group": timeline.group, "total": timeline.total, "buckets": buckets}


class OnThisDayQuerySerializer(serializers.Serializer):
    """``timeline/on_this_day/``'s query."""

    date = _PeriodField(
        parse=periods.day_parse,
        required=False,
        help_text="Today as the client's calendar has it (YYYY-MM-DD); today in UTC if not given.",
    )


class YearAgoSerializer(serializers.Serializer):
    """One earlier year's same day."""

    year = serializers.IntegerField()
    years_ago = serializers.IntegerField()
    day = serializers.DateField()
    count = serializers.IntegerField(help_text="All of that day's pictures.")
    images = ImageSerializer(many=True, help_text="Its first pictures, newest first.")


class OnThisDaySerializer(serializers.Serializer):
    """Pictures of this month and day in earlier years, the latest year first."""

    date = serializers.DateField()
    years = YearAgoSerializer(many=True)


def on_this_day_body(*, today: date, years: list[Any], context: dict[str, Any]) -> dict[str, Any]:
    """The answer for ``selectors.timeline_on_this_day``'s years."""
    return OnThisDaySerializer(
        {
            "date": today,
            "years": [
                {
                    "year": year.day.year,
                    "years_ago": today.year - year.day.year,
                    "day": year.day,
                    "count": year.count,
                    "images": year.images,
                }
                for year in years
            ],
        },
        context=context,
    ).data
