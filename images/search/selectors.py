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

Partners (``include_partners``): each accepted partnership's grantor's pictures that the
partner scope lets through (``access.images_visible`` of the ``Partner``: live, unlocked,
since ``since``) are searched beside the caller's own, in the same query and the same rank.
What a word or a filter may read of a partner's picture is what the grantor shows: where the
partnership shows the metadata, everything (as for one's own); where it does not, words
match the title only (the description shares its folded column, ``search_other``, with the
file name and the lens, which are metadata), and the ``place``, ``camera`` and
``has_location`` filters find none of that partner's pictures (a search for "Paris" must not
say where they were). The ``album`` filter, ``is_favorite=true`` (the grantor's favourite
marks are kept back) and album-title matches are about the caller's own pictures only,
as in the gallery's mix (``images.partners.gallery``).
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Case, F, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.db.models.lookups import Contains

from images import access, selectors
from images.errors import AlbumNotFound
from images.models import Album, AlbumImage, Image
from images.search import index
from images.search.text import SearchQuery, fold_words, query_parse

__all__ = [
    "AlbumTitle",
    "PartnerScope",
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


@dataclass(frozen=True)
class PartnerScope:
    """A partner's pictures to search: the partner scope (``access.images_visible`` of an
    accepted ``Partner``), and whether the grantor shows them its metadata."""

    images: QuerySet[Image]
    metadata_shown: bool


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
    padded = Concat(Value(" "), F(column), Value(" "), output_field=TextField())
    found = Q()
    for word in words:
        found &= Q(Contains(padded, f" {word} "))
    return found


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def images_search(
    *,
    images: QuerySet[Image],
    query: SearchQuery,
    filters: SearchFilters,
    albums: Sequence[AlbumTitle] = (),
    partners: Sequence[PartnerScope] = (),
) -> QuerySet[Image]:
    """``images`` that match ``query`` and ``filters``, annotated with ``search_tier``.

    ``albums``: the caller's albums (id, title), whose titles the query's words may match.
    ``partners``: partners' scopes searched beside ``images`` (see the module docstring).
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
    found = _filtered(_in_range(found, query), filters)
    for partner in partners:
        theirs = _partner_found(partner, query=query, words=words, filters=filters)
        if theirs is not None:
            # One query whatever the number of partners: the scopes' conditions OR'ed.
            found = found | theirs
    if not words:
        return found.annotate(search_tier=Value(0, output_field=IntegerField()))
    # A partner's picture hidden from its metadata matched every word in its title, so it is
    # first whatever its place: the rank says nothing the body does not.
    primary = Q(index.matches_primary(words))
    hit_albums = sorted({album_id for ids in in_albums for album_id in ids})
    if hit_albums:
        primary |= _in_albums(hit_albums)
    return found.annotate(
        search_tier=Case(
            When(primary, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )


def _in_range(images: QuerySet[Image], query: SearchQuery) -> QuerySet[Image]:
    if query.start is not None:
        images = images.filter(timeline_at__gte=query.start)
    if query.end is not None:
        images = images.filter(timeline_at__lt=query.end)
    return images


def _partner_found(
    partner: PartnerScope,
    *,
    query: SearchQuery,
    words: Sequence[tuple[str, bool]],
    filters: SearchFilters,
) -> QuerySet[Image] | None:
    """A partner's pictures that match, as far as the grantor shows them; ``None``: none can."""
    if filters.album_id is not None or filters.is_favorite is True:
        return None  # the caller's own albums and favourite marks
    about_metadata = (filters.camera, filters.place, filters.has_location)
    if not partner.metadata_shown and any(value is not None for value in about_metadata):
        return None
    images = partner.images
    if words:
        images = images.filter(
            index.matches(words) if partner.metadata_shown else index.matches_title(words)
        )
    # ``is_favorite=false``: every partner's picture is shown as not a favourite of theirs.
    return _filtered(_in_range(images, query), replace(filters, is_favorite=None))


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
        images = images.filter(_has_words("search_camera", fold_words(filters.camera)))
    if filters.place is not None:
        named = _has_words("search_place", fold_words(filters.place))
        code = filters.place.strip()
        if len(code) == 2 and code.isascii() and code.isalpha():
            named |= Q(place_country_code__iexact=code)
        images = images.filter(named)
    return images


def album_titles(albums: QuerySet[Album]) -> list[AlbumTitle]:
    """``(id, title)`` of ``albums`` (the caller's, from the access policy): what a search and
    the suggestions match the words against. One query; an account has few albums."""
    return list(albums.values_list("pk", "title"))


def images_search_for(
    *,
    principal: access.Owner,
    params: Mapping[str, Any],
    partners: Sequence[access.Partner] = (),
) -> QuerySet[Image]:
    """The ``principal``'s live pictures that match ``params`` (``SearchParamsSerializer``'s
    validated data), with those of ``partners`` (``access.partner_principals`` of the same
    account, read by the caller once: it marks each picture by them), ranked (unordered: the
    pagination orders). ``AlbumNotFound`` for an album that is not theirs, exactly as for one
    that does not exist; ``QueryTooLong`` for a query past the bounds (the serializer holds
    them first)."""
    query = query_parse(params.get("q", ""))
    albums = access.albums_visible(principal=principal)
    album_id = params.get("album")
    if album_id is not None and not albums.filter(pk=album_id).exists():
        raise AlbumNotFound()
    fields = (*selectors.LIST_FIELDS, "timeline_at")
    live = selectors.images_live(access.images_visible(principal=principal))
    scopes = [
        PartnerScope(
            images=access.images_visible(principal=partner).only(*fields),
            metadata_shown=access.partner_metadata_shown(principal=partner),
        )
        for partner in partners
        if partner.user.pk == principal.user.pk
    ]
    return images_search(
        images=live.only(*fields),
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
        partners=scopes,
    )
