"""Request and response shapes of ``places/`` and ``places/clusters/`` (``images.places``)."""

import math
import uuid
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictFieldsMixin
from images import access, links
from images.fields import COUNTRY_CODE_HELP, StrictCharField
from images.places import ZOOM_MAX, BoundingBox, PlaceLevel
from images.signing import credential_digest

PLACES_PAGE_DEFAULT = 100
PLACES_PAGE_MAX = 500
# Past this, a client is not paging through places but scanning: it takes the whole list in
# pages of 500 long before (a library has a few thousand places, not a hundred thousand).
PLACES_OFFSET_MAX = 100_000


class PlaceListQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    """``places/``'s query: the level, and a country or region to narrow to."""

    level = serializers.ChoiceField(
        choices=[level.value for level in PlaceLevel],
        default=PlaceLevel.CITY.value,
        help_text="Group by `country`, by `region` (within its country) or by `city` (within "
        "its region).",
    )
    country_code = StrictCharField(
        required=False,
        min_length=2,
        max_length=2,
        help_text=f"Only this country: {COUNTRY_CODE_HELP}",
    )
    region = StrictCharField(
        required=False, max_length=100, help_text="Only this region (as `places/` names it)."
    )

    limit = serializers.IntegerField(
        min_value=1,
        max_value=PLACES_PAGE_MAX,
        default=PLACES_PAGE_DEFAULT,
        help_text="Places per page.",
    )
    offset = serializers.IntegerField(
        min_value=0, max_value=PLACES_OFFSET_MAX, default=0, help_text="Places to skip."
    )

    def validate_country_code(self, value: str) -> str:
        if not value.isascii() or not value.isalpha():
            raise serializers.ValidationError("Two letters, e.g. FR.", code="invalid")
        return value.upper()


class PlaceCoverSerializer(serializers.Serializer):
    """A place's cover: its most recently taken picture."""

    id = serializers.UUIDField()
    thumbnail = serializers.URLField(
        allow_null=True, help_text="A signed URL of its thumbnail; null until it is rendered."
    )


class PlaceSerializer(serializers.Serializer):
    """A place in the caller's library; the names coarser than ``level`` are blank."""

    country_code = serializers.CharField(help_text=COUNTRY_CODE_HELP)
    country = serializers.CharField()
    region = serializers.CharField(help_text="Blank at `level=country`.")
    city = serializers.CharField(help_text="Blank at `level=country` and `level=region`.")
    count = serializers.IntegerField(
        help_text="Pictures taken there, not counting the trash or the locked folder."
    )
    cover = serializers.SerializerMethodField()

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        """``instance``: a row of ``images.places.places_list``; ``context["signer"]``: the
        owner whose credentials sign the cover's URL."""
        return {
            "country_code": instance["place_country_code"],
            "country": instance["place_country"],
            "region": instance.get("place_region", ""),
            "city": instance.get("place_city", ""),
            "count": instance["count"],
            "cover": self.get_cover(instance),
        }

    @extend_schema_field(PlaceCoverSerializer)
    def get_cover(self, row: dict[str, Any]) -> dict[str, Any]:
        value = row["cover_id"]
        image_id = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        thumbnail = None
        signer: access.Owner = self.context["signer"]
        if row.get("cover_thumbnail_key"):
            # The credential digest once per response, not once per row.
            credential = self.context.setdefault(
                "credential", credential_digest(signer.user.password)
            )
            thumbnail, _expires = links.rendition_url_build(
                request=self.context.get("request"),
                image_id=image_id,
                rendition="thumbnail",
                signer=signer,
                credential=credential,
            )
        return {"id": str(image_id), "thumbnail": thumbnail}


class PlacePageSerializer(serializers.Serializer):
    """A page of places, the most pictured first (only describes the schema)."""

    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = PlaceSerializer(many=True)


def _bbox(value: str) -> BoundingBox:
    parts = value.split(",")
    if len(parts) != 4:
        raise serializers.ValidationError(
            "Four numbers: west,south,east,north (min longitude, min latitude, max longitude, "
            "max latitude).",
            code="invalid",
        )
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError as exc:
        raise serializers.ValidationError(
            "Each of the four must be a number.", code="invalid"
        ) from exc
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise serializers.ValidationError("Each of the four must be finite.", code="invalid")
    if not (-180.0 <= west <= 180.0 and -180.0 <= east <= 180.0):
        raise serializers.ValidationError("Longitudes run from -180 to 180.", code="out_of_range")
    if not (-90.0 <= south <= 90.0 and -90.0 <= north <= 90.0):
        raise serializers.ValidationError("Latitudes run from -90 to 90.", code="out_of_range")
    if south > north:
        raise serializers.ValidationError(
            "The south edge is north of the north edge.", code="invalid"
        )
    return BoundingBox(west=west, south=south, east=east, north=north)


class ClusterQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    """``places/clusters/``'s query."""

    bbox = StrictCharField(
        max_length=200,
        help_text="west,south,east,north in degrees (WGS 84). A west edge greater than the east "
        "one crosses the antimeridian (170,-20,-170,0 is the 40° around it).",
    )
    zoom = serializers.IntegerField(
        min_value=0,
        max_value=ZOOM_MAX,
        help_text="The map's zoom level (the world is 256 × 2^zoom px wide): a cluster is a grid "
        "cell of 360 / 2^(zoom+2) degrees, a quarter of a tile.",
    )

    def validate_bbox(self, value: str) -> BoundingBox:
        return _bbox(value)


class ClusterPropertiesSerializer(serializers.Serializer):
    """What one cluster holds."""

    count = serializers.IntegerField(help_text="Located pictures in this grid cell.")
    image_id = serializers.UUIDField(help_text="One of them (the same for the same cell).")


class ClusterGeometrySerializer(serializers.Serializer):
    """A GeoJSON Point at the mean position of the cluster's pictures."""

    type = serializers.ChoiceField(choices=["Point"])
    coordinates = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        help_text="[longitude, latitude]",
    )


class ClusterFeatureSerializer(serializers.Serializer):
    """A GeoJSON Feature: one cluster."""

    type = serializers.ChoiceField(choices=["Feature"])
    geometry = ClusterGeometrySerializer()
    properties = ClusterPropertiesSerializer()


class ClusterCollectionSerializer(serializers.Serializer):
    """A GeoJSON FeatureCollection (RFC 7946) of the clusters in the box, largest first."""

    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = ClusterFeatureSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text="More clusters were in the box than the 1,000 given: zoom in for the rest."
    )


def cluster_collection(*, clusters: list[dict[str, Any]], truncated: bool) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of ``images.places.places_clusters``' answer."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [cluster["longitude"], cluster["latitude"]],
                },
                "properties": {"count": cluster["count"], "image_id": str(cluster["image_id"])},
            }
            for cluster in clusters
        ],
        "truncated": truncated,
    }
