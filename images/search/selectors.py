"""A caller's pictures narrowed by a search query and its filters, ranked.

The caller's scope comes in (``images`` is already the caller's live pictures, from the access
policy); everything here only narrows it. Ranking is a tier, then the timeline, newest first,
then the id (``images.search.pagination`` walks that key): tier 0 for a picture whose title,
place or one of whose albums' titles has one of the query's words, tier 1 for the rest (a
hit only in its description, file name, camera or lens).

Album titles are matched by a join, not folded into each picture's text: an account has few
albums, so their titles are read and matched here, in Python, with the same folding and
word rules as the index (``images.search.text``), and a word that matches an album becomes
"in the index, or in one of these albums". Adding to, removing from or renaming an album
therefore changes nothing to keep up to date, whichever service (``images.albums``,
``images.members``, ``images.together``) does it.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat

from images import access, selectors
from images.errors import AlbumNotFound
from images.models import Album, AlbumImage, Image
from images.search import index
from images.search.text import SearchQuery, fold_words, query_parse

__all__ = [
    "AlbumTitle",
    "SearchFilters",
    "album_titles",
    "images_search",
    "images_search_for",
    "search_words",
]

AlbumTitle = tuple[uuid.UUID, str]


@dataclass(frozen=True)
class SearchFilters:
    """Filters beside the query; ``album_id`` must already be one of the caller's albums."""

    kind: str | None = None
    is_favorite: bool | None = None
    album_id: uuid.UUID | None = None
    camera: str | None = None
    place: str | None = None
    after: date | None = None
    before: date | None = None
    has_location: bool | None = None


def search_words(query: SearchQuery) -> list[tuple[str, bool]]:
    """The query's words as the index reads them: ``(word, is_prefix)``."""
    last = len(query.terms) - 1
    return [(term, query.prefix and i == last) for i, term in enumerate(query.terms)]


def _album_matches(query: SearchQuery, albums: Sequence[AlbumTitle]) -> list[list[uuid.UUID]]:
    """For each word of the query, the albums whose title has it."""
    folded = [(album_id, fold_words(title)) for album_id, title in albums]
    return [
        [album_id for album_id, words in folded if query.term_matches(i, words)]
        for i in range(len(query.terms))
    ]


def _in_albums(album_ids: Sequence[uuid.UUID]) -> Q:
    return Q(pk__in=AlbumImage.objects.filter(album_id__in=album_ids).values("image_id"))


def _has_words(column: str, words: Sequence[str]) -> Q:
    """``column`` (folded words separated by spaces) has each of ``words`` as a whole word."""
    found = Q()
    for word in words:
        found &= Q(**{f"_padded_{column}__contains": f" {word} "})
    return found


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def images_search(
    *,
    images: QuerySet[Image],
    query: SearchQuery,
    filters: SearchFilters,
    albums: Sequence[AlbumTitle] = (),
) -> QuerySet[Image]:
    """``images`` that match ``query`` and ``filters``, annotated with ``search_tier``.

    ``albums``: the caller's albums (id, title), whose titles the query's words may match.
    Unordered: the pagination orders by the rank (``search_tier``, ``timeline_at``, id).
    """
    if query.empty_range:
        return images.none().annotate(search_tier=Value(0, output_field=IntegerField()))
    words = search_words(query)
    in_albums = _album_matches(query, albums)
    # Words no album title has go to the index together: one match, served by its index.
    plain = [word for word, ids in zip(words, in_albums, strict=True) if not ids]
    found = images.filter(index.matches(plain))
    for word, ids in zip(words, in_albums, strict=True):
        if ids:
            found = found.filter(index.matches([word]) | _in_albums(ids))
    if query.start is not None:
        found = found.filter(timeline_at__gte=query.start)
    if query.end is not None:
        found = found.filter(timeline_at__lt=query.end)
    found = _filtered(found, filters)
    if not words:
        return found.annotate(search_tier=Value(0, output_field=IntegerField()))
    primary = Q(index.matches_primary(words))
    hit_albums = sorted({album_id for ids in in_albums for album_id in ids})
    if hit_albums:
        primary |= _in_albums(hit_albums)
    return found.annotate(
        search_tier=Case(
            When(primary, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )


def _filtered(images: QuerySet[Image], filters: SearchFilters) -> QuerySet[Image]:
    if filters.kind is not None:
        images = images.filter(kind=filters.kind)
    if filters.is_favorite is not None:
        images = images.filter(is_favorite=filters.is_favorite)
    if filters.album_id is not None:
        images = images.filter(_in_albums([filters.album_id]))
    if filters.has_location is not None:
        images = images.filter(latitude__isnull=not filters.has_location)
    if filters.after is not None:
        images = images.filter(timeline_at__gte=_at(filters.after))
    if filters.before is not None:
        images = images.filter(timeline_at__lt=_at(filters.before))
    if filters.camera is not None:
        images = images.annotate(
            _padded_search_camera=Concat(
                Value(" "), "search_camera", Value(" "), output_field=TextField()
            )
        ).filter(_has_words("search_camera", fold_words(filters.camera)))
    if filters.place is not None:
        place = images.annotate(
            _padded_search_place=Concat(
                Value(" "), "search_place", Value(" "), output_field=TextField()
            )
        )
        named = _has_words("search_place", fold_words(filters.place))
        code = filters.place.strip()
        if len(code) == 2 and code.isascii() and code.isalpha():
            named |= Q(place_country_code__iexact=code)
        images = place.filter(named)
    return images


def album_titles(albums: QuerySet[Album]) -> list[AlbumTitle]:
    """``(id, title)`` of ``albums`` (the caller's, from the access policy): what a search and
    the suggestions match the words against. One query; an account has few albums."""
    return list(albums.values_list("pk", "title"))


def images_search_for(*, principal: access.Owner, params: Mapping[str, Any]) -> QuerySet[Image]:
    """The ``principal``'s live pictures that match ``params`` (``SearchParamsSerializer``'s
    validated data), ranked (unordered: the pagination orders). ``AlbumNotFound`` for an
    album that is not theirs, exactly as for one that does not exist; ``QueryTooLong`` for a
    query past the bounds (the serializer holds them first)."""
    query = query_parse(params.get("q", ""))
    albums = access.albums_visible(principal=principal)
    album_id = params.get("album")
    if album_id is not None and not albums.filter(pk=album_id).exists():
        raise AlbumNotFound()
    live = selectors.images_live(access.images_visible(principal=principal))
    return images_search(
        images=live.only(*selectors.LIST_FIELDS, "timeline_at"),
        query=query,
        filters=SearchFilters(
            kind=params.get("kind"),
            is_favorite=params.get("is_favorite"),
            album_id=album_id,
            camera=params.get("camera"),
            place=params.get("place"),
            after=params.get("after"),
            before=params.get("before"),
            has_location=params.get("has_location"),
        ),
        albums=album_titles(albums) if query.terms else (),
    )
