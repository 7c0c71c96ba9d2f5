"""The OpenAPI description of ``places/`` and ``places/clusters/``."""

from drf_spectacular.utils import extend_schema

from core.schema import UNAUTHENTICATED, field_errors
from images.place_serializers import (
    ClusterCollectionSerializer,
    ClusterQuerySerializer,
    PlaceListQuerySerializer,
    PlacePageSerializer,
)

PLACES_TAG = "places"

PLACE_LIST_SCHEMA = extend_schema(
    operation_id="places_list",
    tags=[PLACES_TAG],
    summary="List the places of my pictures",
    description="Where your pictures were taken, named offline from their GPS when they were "
    "rendered: by `country`, `region` or `city`, the most pictured first, each with its count "
    "and a cover (its most recently taken picture). The trash and the locked folder are "
    "never counted. A picture without GPS, or taken more than 100 km from any named place "
    "(at sea), is in no place. List a place's pictures with the gallery's `country_code`, "
    "`region` and `city` filters (`images/?country_code=FR&city=Paris`).",
    parameters=[PlaceListQuerySerializer],
    responses={
        200: PlacePageSerializer,
        400: field_errors(
            "An unknown level, a country code that is not two letters, a limit "
            "or offset out of range, or a parameter this endpoint does not take."
        ),
        401: UNAUTHENTICATED,
    },
)

PLACE_CLUSTERS_SCHEMA = extend_schema(
    operation_id="places_clusters",
    tags=[PLACES_TAG],
    summary="Cluster my located pictures for a map",
    description="Your live pictures with a GPS position inside `bbox`, grouped on a grid whose "
    "cell is a quarter of a map tile at `zoom`: a GeoJSON FeatureCollection (RFC 7946) of "
    "Points at the mean position of each cell's pictures, each with its `count` and one "
    "`image_id`, the largest first, at most 1,000 (`truncated` says when more were left "
    "out). A `bbox` whose west edge is east of its east edge crosses the antimeridian.",
    parameters=[ClusterQuerySerializer],
    responses={
        200: ClusterCollectionSerializer,
        400: field_errors(
            "`bbox` is not four finite numbers within range with its south edge "
            "south of its north edge, `zoom` is not a whole number from 0 to 22, or a parameter "
            "this endpoint does not take."
        ),
        401: UNAUTHENTICATED,
    },
)
