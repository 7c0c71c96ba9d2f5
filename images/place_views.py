"""The caller's places: ``places/`` (where their pictures were taken, with counts and covers)
and ``places/clusters/`` (their located pictures on a map, as GeoJSON).

Both answer for the caller's own live pictures only (``images.places`` reads through the
access policy's owner scope); anonymous is a 401. Each answer costs the same few SQL
statements whatever the library's size.
"""

from typing import Any

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from images import access, places
from images.place_schema import PLACE_CLUSTERS_SCHEMA, PLACE_LIST_SCHEMA
from images.place_serializers import (
    ClusterQuerySerializer,
    PlaceListQuerySerializer,
    PlaceSerializer,
    cluster_collection,
)
from users.authentication import request_user


class PlaceListView(APIView):
    """The caller's places, the most pictured first, a page at a time."""

    permission_classes = [IsAuthenticated]

    @PLACE_LIST_SCHEMA
    def get(self, request: Request) -> Response:
        query = PlaceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        limit, offset = params["limit"], params["offset"]
        owner = request_user(request)
        rows, more = places.places_page(
            owner=owner,
            level=places.PlaceLevel(params["level"]),
            country_code=params.get("country_code"),
            region=params.get("region"),
            offset=offset,
            limit=limit,
        )
        context = {"request": request, "signer": access.Owner(user=owner)}
        results = PlaceSerializer(rows, many=True, context=context).data
        return Response(
            {
                "next": _page_url(request, offset + limit) if more else None,
                "previous": _page_url(request, max(0, offset - limit)) if offset else None,
                "results": results,
            }
        )


class PlaceClusterView(APIView):
    """The caller's located pictures in a bounding box, clustered for a map's zoom."""

    permission_classes = [IsAuthenticated]

    @PLACE_CLUSTERS_SCHEMA
    def get(self, request: Request) -> Response:
        query = ClusterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        clusters, truncated = places.places_clusters(
            owner=request_user(request),
            bbox=query.validated_data["bbox"],
            zoom=query.validated_data["zoom"],
        )
        body: dict[str, Any] = cluster_collection(clusters=clusters, truncated=truncated)
        return Response(body)


def _page_url(request: Request, offset: int) -> str:
    url = request.build_absolute_uri()
    return (
        replace_query_param(url, "offset", offset) if offset else remove_query_param(url, "offset")
    )
