"""Search results a page at a time, on a cursor over the whole rank: (tier, timeline, id).

The same keyset style as ``images.pagination``: a cursor names the last row's key, and the
next page is the rows strictly after it in the rank's order, so it is stable as rows come and
go (a picture added or removed elsewhere in the results moves nothing on the pages either
side of it), never skips or repeats, and never counts or offsets. Every key is unique (the id
ends it) and never null (``timeline_at`` always has a value).
"""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.utils.dateparse import parse_datetime
from rest_framework.request import Request

from images.filters import datetime_to_utc
from images.pagination import KeysetCursorPagination, cursor_at

_SEPARATOR = "|"
_Key = tuple[int, datetime, uuid.UUID]


class SearchCursorPagination(KeysetCursorPagination):
    """The best-ranked first (``search_tier``), then newest on the timeline, then by id."""

    ordering = ("search_tier", "-timeline_at", "-pk")

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        _offset, reverse, raw_position = self.cursor or (0, False, None)
        position = None if raw_position is None else _key_parse(str(raw_position))
        # A query without words ranks every row alike: the order is then the timeline's
        # alone, which the live keyset index serves as it is.
        ranked = "search_tier" in queryset.query.annotations and not _constant_tier(queryset)
        order = [F("timeline_at").desc(), F("pk").desc()]
        if ranked:
            order.insert(0, F("search_tier").asc())
        if reverse:
            order = [term.copy() for term in order]
            for term in order:
                term.descending = not term.descending
        queryset = queryset.order_by(*order)
        if position is not None:
            queryset = queryset.filter(_beyond(position, backwards=reverse, ranked=ranked))
        results = list(queryset[: self.page_size + 1])
        self.page = results[: self.page_size]
        more = len(results) > len(self.page)
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = position is not None, more
        else:
            self.has_next, self.has_previous = more, position is not None
        self.next_position = self.previous_position = raw_position  # type: ignore[assignment]
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        position = _key_text(self.page[-1]) if self.page else self.next_position
        return self.encode_cursor(cursor_at(reverse=False, position=position))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        position = _key_text(self.page[0]) if self.page else self.previous_position
        return self.encode_cursor(cursor_at(reverse=True, position=position))

    def position_check(self, position: str) -> None:
        _key_parse(position)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "Where the page starts: a `next` or `previous` link's value, as given."
                )
        return parameters


def _constant_tier(queryset: QuerySet) -> bool:
    return isinstance(queryset.query.annotations["search_tier"], Value)


def _key_text(image: Any) -> str:
    at = datetime_to_utc(image.timeline_at).isoformat()
    return f"{image.search_tier}{_SEPARATOR}{at}{_SEPARATOR}{image.pk.hex}"


def _key_parse(text: str) -> _Key:
    """``"<tier>|<ISO date-time in UTC>|<32 hex id>"`` → the key; ``ValueError`` if not."""
    parts = text.split(_SEPARATOR)
    if len(parts) != 3:
        raise ValueError("malformed position")
    tier, at, pk_hex = parts
    if tier not in ("0", "1") or len(pk_hex) != 32 or pk_hex != pk_hex.lower():
        raise ValueError("malformed position")
    parsed = parse_datetime(at)
    if parsed is None or parsed.tzinfo is None:
        raise ValueError("malformed position")
    return int(tier), datetime_to_utc(parsed), uuid.UUID(hex=pk_hex)


def _beyond(key: _Key, *, backwards: bool, ranked: bool) -> Q:
    """Rows strictly after ``key`` in the rank's order (before it, walking ``backwards``)."""
    tier, at, pk = key
    later, sooner = ("gt", "lt") if backwards else ("lt", "gt")
    within = Q(**{f"timeline_at__{later}": at}) | Q(timeline_at=at, **{f"pk__{later}": pk})
    if not ranked:
        return within
    return Q(**{f"search_tier__{sooner}": tier}) | (Q(search_tier=tier) & within)
