"""Cursor pagination over a unique key: (the ordering field, then the id), nulls last.

DRF's ``CursorPagination`` positions a cursor on the ordering field alone and steps over
ties with an offset, which drifts when rows with the same value come and go, and cannot
place a row whose value is null at all. Here the position is the whole key, ``(value, id)``,
so every row has its own, no offset is ever needed, and a date taken that is unknown
sorts after every known one in either direction ("images without a date last").
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from images.filters import datetime_to_utc
from images.timeline import periods

_SEPARATOR = "|"


class KeysetCursorPagination(CursorPagination):
    """Newest first by default, by an opaque cursor: stable as rows come and go, no COUNT(*).

    The view's ordering (from ``StrictOrderingFilter``) names one date-time field; the id
    breaks ties in the same direction.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering: str | list[str] | tuple[str, ...] = "-created_at"
    # Our own cursors never carry an offset; a forged one is bounded all the same.
    offset_cutoff = 100
    # An opaque position names only the row (its id); its value is looked up again. For pages
    # shown to people who must not learn the value (when a shared image was uploaded).
    opaque_position = False
    invalid_cursor_message = "The cursor is not valid; start again from the first page."

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        field = self.ordering[0].lstrip("-")
        descending = self.ordering[0].startswith("-")
        self.cursor = self.decode_cursor(request)
        offset, reverse, raw_position = self.cursor or (0, False, None)
        # DRF's positions are text (drf-stubs types them int): ours is "<value>|<id hex>".
        position = None if raw_position is None else str(raw_position)
        # Walking backwards (a "previous" link) reads the same sequence in reverse.
        forward_descending = descending != reverse
        nullable = _nullable(queryset, field)
        queryset = queryset.order_by(
            *_order_by(field, descending=descending, reverse=reverse, nullable=nullable)
        )
        if position is not None:
            value, pk = _position_parse(position)
            if self.opaque_position:
                value = self._value_of(queryset, field, pk)
            queryset = queryset.filter(
                _after(field, value, pk, descending=forward_descending, nulls_after=not reverse)
            )
        results = list(queryset[offset : offset + self.page_size + 1])
        self.page = results[: self.page_size]
        following = (
            self._get_position_from_instance(results[-1], self.ordering)
            if len(results) > len(self.page)
            else None
        )
        if reverse:
            self.page.reverse()
            self.has_next = position is not None or offset > 0
            self.has_previous = following is not None
            self.next_position = position
            self.previous_position = following
        else:
            self.has_next = following is not None
            self.has_previous = position is not None or offset > 0
            self.next_position = following
            self.previous_position = position
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        # The next page starts after this page's last row (or, for an empty page reached
        # backwards, at the position it was asked for).
        position = (
            self._get_position_from_instance(self.page[-1], self.ordering)
            if self.page
            else self.next_position
        )
        return self.encode_cursor(cursor_at(reverse=False, position=position))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        position = (
            self._get_position_from_instance(self.page[0], self.ordering)
            if self.page
            else self.previous_position
        )
        return self.encode_cursor(cursor_at(reverse=True, position=position))

    def _value_of(self, queryset: QuerySet, field: str, pk: uuid.UUID) -> datetime | None:
        """The value an opaque position's row has now; an invalid cursor if it is gone."""
        found = list(queryset.filter(pk=pk).values_list(field, flat=True)[:1])
        if not found:
            raise NotFound(self.invalid_cursor_message, code="invalid_cursor")
        return found[0]

    def _get_position_from_instance(self, instance: Any, ordering: Sequence[str]) -> str:
        if self.opaque_position:
            return f"{_SEPARATOR}{instance.pk.hex}"
        value = getattr(instance, ordering[0].lstrip("-"))
        text = datetime_to_utc(value).isoformat() if value is not None else ""
        return f"{text}{_SEPARATOR}{instance.pk.hex}"

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF checks a cursor's offset but would hand its position to the database as it is;
        # a forged position ("p=garbage") must be a 404 naming the cursor, never a 500.
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise NotFound(self.invalid_cursor_message, code="invalid_cursor") from exc
        if cursor is None or cursor.position is None:
            return cursor
        try:
            self.position_check(str(cursor.position))
        except ValueError as exc:
            raise NotFound(self.invalid_cursor_message, code="invalid_cursor") from exc
        return cursor

    def position_check(self, position: str) -> None:
        """``ValueError`` unless ``position`` is one this pagination makes (a subclass with
        positions of its own shape checks them here)."""
        _position_parse(position)

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
                    f"Items per page (default {self.page_size}); "
                    f"more than {self.max_page_size} gives {self.max_page_size}."
                )
        return parameters


# --- timeline (issue 22, item 1): a walk of the timeline may start at a day or a month ---

TIMELINE_JUMP_PARAM = "timeline_from"
# The lowest id: a position naming it sits just before (walking up) or just after (walking
# down) every row that has the position's value.
_LOWEST_ID = "0" * 32


def timeline_jump_position(*, period: str, descending: bool) -> str | None:
    """Where a walk of ``timeline_at`` starts to begin at ``period`` (``YYYY-MM-DD`` or
    ``YYYY-MM``): newest first, after the period's last instant (its newest picture comes
    first); oldest first, before its first. None for the top of the walk (a period at the
    calendar's end). ``ValueError`` naming the spelling if ``period`` is neither."""
    first, after = periods.period_parse(period)
    boundary = periods.midnight(after if descending else first)
    if boundary is None:
        return None
    return f"{boundary.isoformat()}{_SEPARATOR}{_LOWEST_ID}"


class ImageCursorPagination(KeysetCursorPagination):
    """The image list's pages; by the timeline (``ordering=-timeline_at`` or
    ``timeline_at``), the first page may start at a day or a month (``timeline_from``).

    A jump is a position like any other: its page has the previous link (the pictures just
    newer) and the next, and those links' cursors walk on from it (a cursor, once given,
    takes over from ``timeline_from``).
    """

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        raw = request.query_params.get(TIMELINE_JUMP_PARAM)
        if raw is None:
            return cursor
        order = self.ordering[0]
        if order.lstrip("-") != "timeline_at":
            raise ValidationError(
                {TIMELINE_JUMP_PARAM: ["Only with ordering=-timeline_at or timeline_at."]}
            )
        try:
            position = timeline_jump_position(period=raw, descending=order.startswith("-"))
        except ValueError as exc:
            raise ValidationError({TIMELINE_JUMP_PARAM: [str(exc)]}) from None
        if cursor is not None or position is None:
            return cursor
        return cursor_at(reverse=False, position=position)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": TIMELINE_JUMP_PARAM,
                "required": False,
                "in": "query",
                "description": "With `ordering=-timeline_at` (or `timeline_at`): the first page "
                "starts at this day (YYYY-MM-DD) or month (YYYY-MM) of the timeline, its "
                "newest picture first (oldest first going up); the page's `previous` and "
                "`next` links walk on from there. Ignored once a `cursor` is given.",
                "schema": {"type": "string"},
            },
        ]


# --- end timeline


class TrashCursorPagination(KeysetCursorPagination):
    """The trash, most recently trashed first."""

    ordering = "-trashed_at"


class SharedCursorPagination(KeysetCursorPagination):
    """A share's images, newest upload first (the order the owner sees them in).

    Its cursors name an image, never when it was uploaded: that is not the visitor's to know.
    An image that left the link meanwhile makes its cursor invalid (start again).
    """

    opaque_position = True


def cursor_at(*, reverse: bool, position: str | None) -> Cursor:
    """A cursor at ``position``, with no offset (our positions never need one)."""
    # DRF's cursor positions are text (it joins and parses them as strings); drf-stubs 3.16
    # types ``Cursor.position`` as ``int | None``.
    return Cursor(offset=0, reverse=reverse, position=position)  # type: ignore[arg-type]


def _nullable(queryset: QuerySet, field: str) -> bool:
    """Whether ``field`` of the rows may be null (an annotation is taken to be)."""
    try:
        return bool(queryset.model._meta.get_field(field).null)
    except FieldDoesNotExist:
        return True


def _order_by(field: str, *, descending: bool, reverse: bool, nullable: bool = True) -> list[Any]:
    """The ORDER BY for walking ``field`` (nulls last) then id, forwards or backwards.

    Each walk matches an index of ``images.models.Image`` exactly, so a page reads its rows
    in order instead of sorting the whole library. A field that cannot be null names no null
    placement: PostgreSQL's plain order is then what a plain index (read either way) gives.
    """
    walk_descending = descending != reverse
    if not nullable:
        return (
            [F(field).desc(), F("pk").desc()]
            if walk_descending
            else [F(field).asc(), F("pk").asc()]
        )
    if walk_descending:
        # Backwards the nulls come first, so that they are still "after" in the sequence.
        primary = F(field).desc(nulls_last=(not reverse) or None, nulls_first=reverse or None)
        return [primary, F("pk").desc()]
    primary = F(field).asc(nulls_last=(not reverse) or None, nulls_first=reverse or None)
    return [primary, F("pk").asc()]


def _after(
    field: str, value: datetime | None, pk: uuid.UUID, *, descending: bool, nulls_after: bool
) -> Q:
    """Rows strictly after ``(value, pk)`` in a walk of ``field`` then id (nulls at the end
    of the walk when ``nulls_after``, else at its start)."""
    beyond = "lt" if descending else "gt"
    is_null = Q(**{f"{field}__isnull": True})
    if value is None:
        tie = is_null & Q(**{f"pk__{beyond}": pk})
        return tie if nulls_after else tie | ~is_null
    after = Q(**{f"{field}__{beyond}": value}) | Q(**{field: value, f"pk__{beyond}": pk})
    return after | is_null if nulls_after else after


def _position_parse(position: str) -> tuple[datetime | None, uuid.UUID]:
    """``"<ISO date-time in UTC or empty>|<32 hex id>"`` → its parts; ``ValueError`` if not.

    The value goes to the database in UTC: a forged offset PostgreSQL cannot represent
    (``+21:44``) never reaches it.
    """
    text, separator, pk_hex = position.partition(_SEPARATOR)
    if not separator or len(pk_hex) != 32 or pk_hex != pk_hex.lower():
        raise ValueError("malformed position")
    pk = uuid.UUID(hex=pk_hex)
    if not text:
        return None, pk
    parsed = parse_datetime(text)
    if parsed is None or parsed.tzinfo is None:
        raise ValueError("malformed position")
    return datetime_to_utc(parsed), pk
