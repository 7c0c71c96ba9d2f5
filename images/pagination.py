"""The image list's pagination: an opaque cursor, newest first, and strict about its input."""

from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from images.filters import cursor_position_in_utc


class ImageCursorPagination(CursorPagination):
    """Newest first, by an opaque cursor: stable while images are added, and no COUNT(*)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
    invalid_cursor_message = "The cursor is not valid; start again from the first page."

    def decode_cursor(self, request: Request) -> Any:
        # DRF checks a cursor's offset but hands its position to the database as it is; a
        # forged position ("p=garbage") would fail there as a 500.
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise NotFound(self.invalid_cursor_message, code="invalid_cursor") from exc
        if cursor is None or cursor.position is None:
            return cursor
        position = cursor_position_in_utc(cursor.position)
        if position is None:
            raise NotFound(self.invalid_cursor_message, code="invalid_cursor")
        return cursor._replace(position=position)

    def get_page_size(self, request: Request) -> int:
        # DRF quietly falls back to the default for a page_size it cannot read; say so instead.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number, 1 or more."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Images per page (default {self.page_size}); "
                    f"more than {self.max_page_size} gives {self.max_page_size}."
                )
        return parameters
