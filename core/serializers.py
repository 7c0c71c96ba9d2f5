"""Serializer pieces shared by every app: refusing input an endpoint does not take."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

# mypy reads the mixin as the Serializer it is always mixed into (its fields, its
# to_internal_value); at run time it is a plain class ahead of that Serializer in the MRO.
if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object

# Form fields a browser adds on its own: Django's CSRF token and the browsable API's
# method and content overrides. They are not input to the endpoint.
BROWSER_FORM_FIELDS = frozenset({"csrfmiddlewaretoken", "_method", "_content", "_content_type"})


class StrictFieldsMixin(_SerializerBase):
    """Answers 400 for every field the endpoint does not take, naming it.

    DRF drops unknown keys in silence, so `PATCH {"tags": [...]}` or a new file on an image
    answered 200 and changed nothing: the client believes a change was made. Read-only
    fields (an id, a size) are refused the same way, with a message that says so.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = sorted(name for name, field in self.fields.items() if not field.read_only)
            errors: dict[str, list[str]] = {}
            for key in data:
                if hasattr(data, "getlist") and len(data.getlist(key)) > 1:
                    # A form field given twice: using the last would answer a question the
                    # client did not ask (the query string is held to the same rule).
                    errors[str(key)[:64]] = ["Given more than once; send it once."]
                    continue
                if key in BROWSER_FORM_FIELDS or key in writable:
                    continue
                name = str(key)[:64]
                if name in self.fields:
                    errors[name] = ["This field is read-only."]
                else:
                    errors[name] = [f"Unknown field; this endpoint takes: {', '.join(writable)}."]
            if errors:
                raise serializers.ValidationError(errors, code="unknown_field")
        return super().to_internal_value(data)
