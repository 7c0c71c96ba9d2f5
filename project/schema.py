"""Shared pieces of the OpenAPI contract: the error body and the responses that use it."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error: a human-readable ``detail`` and, where useful, a machine-readable ``code``."""

    detail = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True, required=False)


ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False)
    },
)


def error(description: str) -> OpenApiResponse:
    """A documented error response with the standard error body."""
    return OpenApiResponse(ErrorSerializer, description=description)


def field_errors(
    description: str = "Invalid input: each field maps to its problems.",
) -> OpenApiResponse:
    """A 400 whose body maps field names (or ``non_field_errors``) to lists of messages."""
    return OpenApiResponse(
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        description=description,
    )


UNAUTHENTICATED = error("Missing, invalid or expired credentials.")
NOT_FOUND = error("No such image in your gallery.")
THROTTLED = error("Too many requests; see the Retry-After header.")
