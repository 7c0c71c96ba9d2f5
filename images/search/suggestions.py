"""What to search, offered as a person types: places, cameras, album titles and titles.

A candidate is offered when every word typed begins one of its words (folded as the index
folds them), so "par" offers "Paris, France" and "eos r" offers "Canon EOS R5". Each comes with
the search it stands for (``params``: the query string of ``search/``): a place or a camera is
a filter, an album the album filter, a title the title as words. One query per kind, a
bounded number of rows each, whatever the size of the library.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Concat

from images.models import Image
from images.search.selectors import AlbumTitle
from images.search.text import fold_words

__all__ = ["MAX_SUGGESTIONS", "Suggestion", "search_suggestions"]

MAX_SUGGESTIONS = 10
# Of each kind, at most this many, so one kind cannot crowd out the others.
_PER_KIND = 4


@dataclass(frozen=True)
class Suggestion:
    """One thing to search: its kind, what to show, and the search's parameters."""

    kind: str
    label: str
    params: dict[str, str] = field(default_factory=dict)


def _starts_words(words: Sequence[str], typed: Sequence[str]) -> bool:
    return all(any(word.startswith(t) for word in words) for t in typed)


def _column_starts(images: QuerySet[Image], column: str, typed: Sequence[str]) -> QuerySet:
    padded = images.annotate(
        **{f"_padded_{column}": Concat(Value(" "), column, output_field=TextField())}
    )
    condition = Q()
    for word in typed:
        condition &= Q(**{f"_padded_{column}__contains": f" {word}"})
    return padded.filter(condition)


def _places(images: QuerySet[Image], typed: Sequence[str]) -> list[Suggestion]:
    rows = (
        _column_starts(images, "search_place", typed)
        .order_by("place_country", "place_region", "place_city")
        .values_list("place_city", "place_region", "place_country")
        .distinct()[: _PER_KIND * 4]
    )
    found: dict[str, Suggestion] = {}
    for city, region, country in rows:
        # The narrowest name the words reach: "par" is Paris, "fra" France.
        for name, label in (
            (city, ", ".join(p for p in (city, country) if p)),
            (region, ", ".join(p for p in (region, country) if p)),
            (country, country),
        ):
            if name and _starts_words(fold_words(name), typed):
                found.setdefault(label, Suggestion("place", label, {"place": name}))
                break
    return list(found.values())[:_PER_KIND]


def _cameras(images: QuerySet[Image], typed: Sequence[str]) -> list[Suggestion]:
    rows = (
        _column_starts(images, "search_camera", typed)
        .order_by("search_camera")
        .values_list("search_camera", "metadata__camera_make", "metadata__camera_model")
        .distinct()[: _PER_KIND * 2]
    )
    found: dict[str, Suggestion] = {}
    for _folded, make, model in rows:
        make = make if isinstance(make, str) else ""
        model = model if isinstance(model, str) else ""
        label = model if model.casefold().startswith(make.casefold()) else f"{make} {model}"
        label = label.strip()
        if label:
            found.setdefault(label.casefold(), Suggestion("camera", label, {"camera": label}))
    return list(found.values())[:_PER_KIND]


def _albums(albums: Sequence[AlbumTitle], typed: Sequence[str]) -> list[Suggestion]:
    found = [
        Suggestion("album", title, {"album": str(album_id)})
        for album_id, title in albums
        if _starts_words(fold_words(title), typed)
    ]
    return sorted(found, key=lambda s: s.label.casefold())[:_PER_KIND]


def _titles(images: QuerySet[Image], typed: Sequence[str]) -> list[Suggestion]:
    titles = (
        _column_starts(images, "search_title", typed)
        .order_by("title")
        .values_list("title", flat=True)
        .distinct()[:_PER_KIND]
    )
    return [Suggestion("title", title, {"q": title}) for title in titles if title]


def search_suggestions(
    *, images: QuerySet[Image], albums: Sequence[AlbumTitle], text: str
) -> list[Suggestion]:
    """Up to ``MAX_SUGGESTIONS`` searches for what is typed in ``text``, over ``images`` (the
    caller's live pictures) and ``albums`` (the caller's)."""
    typed = list(dict.fromkeys(fold_words(text)))
    if not typed:
        return []
    found = [
        *_places(images, typed),
        *_cameras(images, typed),
        *_albums(albums, typed),
        *_titles(images, typed),
    ]
    return found[:MAX_SUGGESTIONS]
