"""Shared pieces of the OpenAPI contract: the error body and the responses that use it."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from core.middleware import MAX_QUERY_VALUE_LENGTH


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
    """Documents the 400 the middleware gives a query it refuses, and what it refuses.

    Any API request whose query has a NUL character, a value over 2,048 characters or a
    parameter given twice is a 400 (``core.middleware``); every string parameter says so
    with a pattern and a length, so a generated client or a fuzzer knows the real contract.
    """
    for path_item in result["paths"].values():
        for operation in path_item.values():
            operation["responses"].setdefault(
                "400",
                {
                    "description": "A query parameter is refused (NUL, too long, repeated).",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            )
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if (
                    parameter["in"] == "query"
                    and schema.get("type") == "string"
                    and "enum" not in schema
                ):
                    if "format" not in schema:
                        schema.setdefault("pattern", "^[^\\u0000]*$")
                    schema.setdefault("maxLength", MAX_QUERY_VALUE_LENGTH)
    return result


def forbid_unknown_request_fields(result: dict, **kwargs: object) -> dict:
    """Every request body refuses fields it does not name (``StrictFieldsMixin``): say so.

    And its text fields refuse NUL characters (DRF's ``CharField`` does, for every database's
    sake): say that too, so a generated client or a fuzzer knows before the server does.
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
            for field in component.get("properties", {}).values():
                plain = not ({"format", "enum", "pattern", "$ref", "allOf"} & set(field))
                if field.get("type") == "string" and plain:
                    field["pattern"] = "^[^\\u0000]*$"
    return result


# Names for enum members where the values do not make identifiers ("-created_at" would be
# VALUE_0 in a generated client).
_ORDERING_ENUM = {
    "type": "string",
    "enum": ["-created_at", "created_at", "-taken_at", "taken_at"],
    "x-enum-varnames": [
        "NEWEST_FIRST",
        "OLDEST_FIRST",
        "LATEST_TAKEN_FIRST",
        "EARLIEST_TAKEN_FIRST",
    ],
    "description": "* `-created_at` - newest first (the default)\n* `created_at` - oldest first"
    "\n* `-taken_at` - latest taken first, undated last\n* `taken_at` - earliest taken first, "
    "undated last",
}
# Query parameters that take the values of an enum component: one type in every client.
_PARAMETER_ENUMS = {"style": "StyleEnum", "status": "ImageStatusEnum", "ordering": "OrderingEnum"}


def name_enums(result: dict, **kwargs: object) -> dict:
    """One component per enum, referenced everywhere, with member names for generated SDKs.

    drf-spectacular gives a filter's choices an inline enum of its own, so a client got two
    types for one list of styles (``StyleEnum`` and ``ImagesListStyle``).
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["OrderingEnum"] = _ORDERING_ENUM
    for name in ("StyleEnum", "ImageStatusEnum"):
        component = schemas.get(name)
        if component is not None:
            component["x-enum-varnames"] = [value.upper() for value in component["enum"]]
    for path_item in result["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                component = _PARAMETER_ENUMS.get(parameter["name"])
                if parameter["in"] == "query" and component and "enum" in parameter["schema"]:
                    parameter["schema"] = {"$ref": f"#/components/schemas/{component}"}
    return result
