"""The timeline's API: the buckets of the caller's own timeline, and "on this day".

Thin views: each parses its query with a serializer, calls one selector with the caller as
the policy's principal (``access.Owner``) and shapes the answer. What each route needs is the
policy's ``Action`` (``access_actions``, asked by ``HasAccess``): a signed rendition URL is
refused before anything is read, as everywhere in the owner's API. A picture's list by day
or month, and the jump into the timeline, are the image list's (``images/``).
"""

from typing import Any

from django.utils import timezone
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from images.access import Action, Owner
from images.permissions import HasAccess
from images.timeline import selectors
from images.timeline.schema import TIMELINE_VIEWSET_SCHEMA, TimelineSchema
from images.timeline.serializers import (
    OnThisDayQuerySerializer,
    TimelineQuerySerializer,
    on_this_day_body,
    timeline_body,
)
from users.authentication import request_user


@TIMELINE_VIEWSET_SCHEMA
class TimelineViewSet(viewsets.GenericViewSet):
    """The caller's own timeline: counts by month or day, and "on this day"."""

    permission_classes = [IsAuthenticated, HasAccess]
    access_actions = {
        "list": Action.IMAGE_VIEW,
        "on_this_day": Action.IMAGE_VIEW,
    }
    pagination_class = None
    filter_backends: list = []
    schema = TimelineSchema()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = TimelineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        timeline = selectors.timeline_buckets(
            principal=Owner(user=request_user(request)),
            group=query.validated_data["group"],
            year=query.validated_data.get("year"),
            month=query.validated_data.get("month"),
        )
        return Response(timeline_body(timeline))

    @action(detail=False, methods=["get"], url_path="on_this_day", url_name="on-this-day")
    def on_this_day(self, request: Request) -> Response:
        query = OnThisDayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = query.validated_data.get("date") or timezone.now().date()
        years = selectors.timeline_on_this_day(
            principal=Owner(user=request_user(request)), today=today
        )
        body = on_this_day_body(today=today, years=years, context=self.get_serializer_context())
        return Response(body)
