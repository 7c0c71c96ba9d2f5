"""Shared pieces of the OpenAPI contract: the error body and the responses that use it."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error: a human-readable ``detail`` and a stable, machine-readable ``code``."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence for a person.")
    code = serializers.CharField(
        help_text="Stable and machine-readable, e.g. `not_found`, `throttled`, `invalid_cursor`."
    )


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
        {
            "type": "object",
            # A body that cannot be parsed at all is answered with a single `detail`.
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        description=description,
    )


UNAUTHENTICATED = error("Missing, invalid or expired credentials.")
NOT_FOUND = error("No such image in your gallery.")
THROTTLED = error("Too many requests; see the Retry-After header.")


def document_query_rejection(result: dict, **kwargs: object) -> dict:
    """Documents the 400 the middleware gives any API request with a NUL in its query."""
    for path_item in result["paths"].values():
        for operation in path_item.values():
            operation["responses"].setdefault(
                "400",
                {
                    "description": "A query parameter contains a NUL character.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            )
    return result


def forbid_unknown_request_fields(result: dict, **kwargs: object) -> dict:
    """Every request body refuses fields it does not name (``StrictFieldsMixin``): say so."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
