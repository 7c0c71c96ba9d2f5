"""Words as search compares them, and a search query read into words, dates and a prefix.

Django-free and the same for both databases: the text a picture is found by and the words of
a query are folded here, in Python, so SQLite's FTS5 and PostgreSQL's full-text search only
ever see lower-case letters and digits separated by single spaces. Both tokenise such text
identically (``unicode61`` with diacritics kept; the ``simple`` configuration), which is what
makes their answers the same; no database extension (``unaccent``) is needed.

Folding: compatibility decomposition (NFKD: "ﬁ" is "fi", "²" is "2"), combining marks
dropped ("é" is "e"), a few letters that do not decompose spelled out ("ø" is "o", "ß" is
"ss"), case folded; anything that is not a letter or a digit separates words. A word longer
than ``MAX_WORD`` is cut there, in the document and the query alike.

Dates: a phrase that names a date ("2019", "July 2024", "jul 2024", "14 July 2024",
"summer 2023", "christmas 2022", "2024-07", "2024-07-14") is taken out of the words and
becomes a range of the timeline (``Image.timeline_at``, the camera's local wall clock); two
phrases narrow to what both name. Seasons are the northern hemisphere's meteorological ones
(spring March–May, summer June–August, autumn or fall September–November, winter December to
the February after); Christmas is 24–26 December.
"""

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "MAX_QUERY_LENGTH",
    "MAX_QUERY_WORDS",
    "MAX_WORD",
    "QueryTooLong",
    "SearchQuery",
    "fold",
    "fold_words",
    "query_parse",
]

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 10
MAX_WORD = 100
# Years a bare number is read as: photography's, with room to spare.
YEARS = range(1800, 2200)

# Letters NFKD leaves whole: spelled as a person without the key would type them.
_SPELLED = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ŀ": "l",
        "ħ": "h",
    }
)


def fold_words(text: str) -> list[str]:
    """``text``'s words, folded (see the module docstring), in order, repeats kept."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Casefolding again: a spelled-out or decomposed letter may be upper case ("ǅ").
    spelled = bare.translate(_SPELLED).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in spelled).split()
    return [word[:MAX_WORD] for word in words]


def fold(*texts: str | None) -> str:
    """The texts' folded words, each once, joined by single spaces: a search column."""
    seen: dict[str, None] = {}
    for text in texts:
        if text:
            seen.update(dict.fromkeys(fold_words(text)))
    return " ".join(seen)


class QueryTooLong(ValueError):
    """A query past ``MAX_QUERY_LENGTH`` characters or ``MAX_QUERY_WORDS`` words."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SearchQuery:
    """What a query asks: words that must all match (the last one as a prefix when
    ``prefix``), and the timeline's range ``[start, end)`` its date phrases name.

    ``empty_range``: date phrases that name no common time (the query matches nothing).
    """

    terms: tuple[str, ...] = ()
    prefix: bool = False
    start: datetime | None = None
    end: datetime | None = None
    empty_range: bool = False

    def term_matches(self, index: int, words: Iterable[str]) -> bool:
        """Whether term ``index`` matches one of ``words`` (the reference semantics)."""
        term = self.terms[index]
        if self.prefix and index == len(self.terms) - 1:
            return any(word.startswith(term) for word in words)
        return term in words


_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        calendar.month_name[number].lower(),
        calendar.month_abbr[number].lower(),
    )
}
_MONTHS["sept"] = 9
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")

_Range = tuple[datetime, datetime]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _month(year: int, month: int, months: int = 1) -> _Range:
    last_month = month + months - 1
    end_year, end_month = year + last_month // 12, last_month % 12 + 1
    return _at(date(year, month, 1)), _at(date(end_year, end_month, 1))


def _day(year: int, month: int, day: int) -> _Range | None:
    try:
        start = date(year, month, day)
    except ValueError:
        return None
    return _at(start), _at(start + timedelta(days=1))


def _year(word: str) -> int | None:
    if _YEAR.fullmatch(word) and int(word) in YEARS:
        return int(word)
    return None


def _phrase_at(words: list[str], i: int) -> tuple[int, _Range] | None:
    """The date phrase starting at ``words[i]``: how many words it takes and its range."""
    word = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    third = words[i + 2] if i + 2 < len(words) else ""
    if m := _ISO_DAY.fullmatch(word):
        found = _day(int(m[1]), int(m[2]), int(m[3])) if int(m[1]) in YEARS else None
        return (1, found) if found else None
    if (m := _ISO_MONTH.fullmatch(word)) and int(m[1]) in YEARS and 1 <= int(m[2]) <= 12:
        return 1, _month(int(m[1]), int(m[2]))
    if (year := _year(word)) is not None:
        return 1, (_at(date(year, 1, 1)), _at(date(year + 1, 1, 1)))
    if word in _MONTHS:
        month = _MONTHS[word]
        if (year := _year(nxt)) is not None:
            return 2, _month(year, month)
        if (m := _DAY.fullmatch(nxt)) and (year := _year(third)) is not None:
            found = _day(year, month, int(m[1]))
            return (3, found) if found else None
        return None
    if (m := _DAY.fullmatch(word)) and nxt in _MONTHS and (year := _year(third)) is not None:
        found = _day(year, _MONTHS[nxt], int(m[1]))
        return (3, found) if found else None
    if word in _SEASONS and (year := _year(nxt)) is not None:
        return 2, _month(year, _SEASONS[word], months=3)
    if word in ("christmas", "xmas") and (year := _year(nxt)) is not None:
        return 2, (_at(date(year, 12, 24)), _at(date(year, 12, 27)))
    return None


def query_parse(raw: str) -> SearchQuery:
    """``raw`` read into its words and date range; ``QueryTooLong`` past the bounds.

    Words are separated by white space; each is folded, and one may fold into several
    ("Saint-Émilion" is "saint" and "emilion", all required). The last word of the query is a
    prefix, as a person is still typing it, unless the query ends with white space.
    """
    if len(raw) > MAX_QUERY_LENGTH:
        raise QueryTooLong(f"At most {MAX_QUERY_LENGTH} characters.", "too_long")
    raw_words = raw.split()
    if len(raw_words) > MAX_QUERY_WORDS:
        raise QueryTooLong(f"At most {MAX_QUERY_WORDS} words.", "too_many_terms")
    # Dates are read from the words as typed, less the punctuation around them ("July 14,").
    plain = [word.casefold().strip(".,;:!?()[]\"'") for word in raw_words]
    start: datetime | None = None
    end: datetime | None = None
    kept: list[str] = []
    ends_in_phrase = False
    i = 0
    while i < len(raw_words):
        found = _phrase_at(plain, i)
        if found is None:
            kept.append(raw_words[i])
            ends_in_phrase = False
            i += 1
            continue
        taken, (phrase_start, phrase_end) = found
        start = phrase_start if start is None else max(start, phrase_start)
        end = phrase_end if end is None else min(end, phrase_end)
        ends_in_phrase = True
        i += taken
    terms: dict[str, None] = {}
    for word in kept:
        terms.update(dict.fromkeys(fold_words(word)))
    # A term repeated is asked once; kept in order so that the last one stays last.
    ordered = list(terms)
    if kept:
        last_words = fold_words(kept[-1])
        if last_words and ordered[-1] != last_words[-1]:
            ordered.remove(last_words[-1])
            ordered.append(last_words[-1])
    prefix = bool(ordered) and not ends_in_phrase and not raw[-1:].isspace()
    empty = start is not None and end is not None and start >= end
    return SearchQuery(terms=tuple(ordered), prefix=prefix, start=start, end=end, empty_range=empty)
