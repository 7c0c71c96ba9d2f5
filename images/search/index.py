"""The database's side of search: the index over the folded columns and the SQL that asks it.

Both databases index the same four folded columns of ``images_image`` (``search_title``,
``search_place``, ``search_camera``, ``search_other``; ``images.models.SearchTextField``):

- SQLite: an FTS5 table, ``images_image_search``, one row per picture with one column per
  folded column, kept by triggers on ``images_image`` (insert, update of a folded column,
  delete) in the same transaction as the change. FTS5 rows are keyed by an integer and a
  picture's key is a UUID, so ``images_image_search_rowid`` maps each picture to its FTS
  row (an ``INTEGER PRIMARY KEY``, which ``VACUUM`` keeps, unlike an implicit rowid).
- PostgreSQL: a GIN index on ``to_tsvector('simple', <the four columns joined>)`` over the
  live pictures (the keyset indexes' condition); a query repeats that exact expression.

A query reaches the SQL only as words of letters and digits (``images.search.text``), each
quoted (FTS5: ``"word"``, with ``*`` for a prefix; PostgreSQL: ``'word'``, ``:*``) and passed
as a parameter: no query syntax a person types (``NEAR``, ``-``, ``:``, ``^``, quotes,
parentheses) is ever the database's to read.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

__all__ = ["INSTALL", "REMOVE", "matches", "matches_primary", "matches_title"]

# The document PostgreSQL indexes, and the part a hit in ranks first; a query repeats the
# indexed expression exactly, or the index does not serve it.
_PG_DOCUMENT = (
    "to_tsvector('simple'::regconfig, \"images_image\".\"search_title\" || ' ' || "
    '"images_image"."search_place" || \' \' || "images_image"."search_camera" '
    '|| \' \' || "images_image"."search_other")'
)
_PG_PRIMARY = (
    "to_tsvector('simple'::regconfig, \"images_image\".\"search_title\" || ' ' || "
    '"images_image"."search_place")'
)
_PG_MATCH = _PG_DOCUMENT + " @@ to_tsquery('simple'::regconfig, %s)"
_PG_MATCH_PRIMARY = _PG_PRIMARY + " @@ to_tsquery('simple'::regconfig, %s)"
_PG_MATCH_TITLE = (
    'to_tsvector(\'simple\'::regconfig, "images_image"."search_title") '
    "@@ to_tsquery('simple'::regconfig, %s)"
)
# The pictures whose FTS row matches (through the map from FTS rows to pictures).
_SQLITE_MATCH = (
    '"images_image"."id" IN (SELECT m.image_id FROM images_image_search_rowid m '
    "WHERE m.id IN (SELECT rowid FROM images_image_search WHERE images_image_search MATCH %s))"
)

INSTALL = {
    "sqlite": [
        "CREATE TABLE images_image_search_rowid "
        "(id INTEGER PRIMARY KEY, image_id char(32) NOT NULL UNIQUE)",
        # Diacritics kept: the text is folded already, and the query is folded the same way;
        # PostgreSQL's "simple" folds nothing either, so both see the same words.
        "CREATE VIRTUAL TABLE images_image_search USING fts5("
        "title, place, camera, other, tokenize = 'unicode61 remove_diacritics 0')",
        """
        CREATE TRIGGER images_image_search_insert AFTER INSERT ON images_image
        BEGIN
            INSERT INTO images_image_search_rowid (image_id) VALUES (NEW.id);
            INSERT INTO images_image_search (rowid, title, place, camera, other)
            SELECT id, NEW.search_title, NEW.search_place, NEW.search_camera, NEW.search_other
            FROM images_image_search_rowid WHERE image_id = NEW.id;
        END
        """,
        """
        CREATE TRIGGER images_image_search_update
        AFTER UPDATE OF search_title, search_place, search_camera, search_other ON images_image
        WHEN OLD.search_title IS NOT NEW.search_title OR OLD.search_place IS NOT NEW.search_place
            OR OLD.search_camera IS NOT NEW.search_camera
            OR OLD.search_other IS NOT NEW.search_other
        BEGIN
            UPDATE images_image_search SET title = NEW.search_title, place = NEW.search_place,
                camera = NEW.search_camera, other = NEW.search_other
            WHERE rowid = (SELECT id FROM images_image_search_rowid WHERE image_id = NEW.id);
        END
        """,
        """
        CREATE TRIGGER images_image_search_delete AFTER DELETE ON images_image
        BEGIN
            DELETE FROM images_image_search
            WHERE rowid = (SELECT id FROM images_image_search_rowid WHERE image_id = OLD.id);
            DELETE FROM images_image_search_rowid WHERE image_id = OLD.id;
        END
        """,
        # The rows already there.
        "INSERT INTO images_image_search_rowid (image_id) SELECT id FROM images_image",
        """
        INSERT INTO images_image_search (rowid, title, place, camera, other)
        SELECT m.id, i.search_title, i.search_place, i.search_camera, i.search_other
        FROM images_image_search_rowid m JOIN images_image i ON i.id = m.image_id
        """,
    ],
    "postgresql": [
        "CREATE INDEX image_live_search_idx ON images_image USING gin ("
        + _PG_DOCUMENT
        + ") WHERE trashed_at IS NULL AND locked_at IS NULL"
    ],
}
REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS images_image_search_insert",
        "DROP TRIGGER IF EXISTS images_image_search_update",
        "DROP TRIGGER IF EXISTS images_image_search_delete",
        "DROP TABLE IF EXISTS images_image_search",
        "DROP TABLE IF EXISTS images_image_search_rowid",
    ],
    "postgresql": ["DROP INDEX IF EXISTS image_live_search_idx"],
}


def _fts_word(word: str, *, prefix: bool) -> str:
    # Words are letters and digits only; the quotes are doubled all the same.
    quoted = '"' + word.replace('"', '""') + '"'
    return quoted + "*" if prefix else quoted


def _pg_word(word: str, *, prefix: bool) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + ":*" if prefix else quoted


def _condition(sql: str, query: str) -> RawSQL:
    # Constant SQL; the only value, the words, is a parameter.
    return RawSQL(sql, [query], output_field=BooleanField())  # noqa: S611


def matches(words: Sequence[tuple[str, bool]]) -> Q:
    """Pictures whose folded text has every one of ``words`` (``(word, is_prefix)``)."""
    if not words:
        return Q()
    if connection.vendor == "postgresql":
        query = " & ".join(_pg_word(w, prefix=p) for w, p in words)
        return Q(_condition(_PG_MATCH, query))
    query = " AND ".join(_fts_word(w, prefix=p) for w, p in words)
    return Q(_condition(_SQLITE_MATCH, query))


def matches_primary(words: Sequence[tuple[str, bool]]) -> RawSQL:
    """Whether a picture's title or place has any one of ``words``: a boolean for ranking,
    read for the rows a search found (no index needed)."""
    if connection.vendor == "postgresql":
        return _condition(_PG_MATCH_PRIMARY, " | ".join(_pg_word(w, prefix=p) for w, p in words))
    inner = " OR ".join(_fts_word(w, prefix=p) for w, p in words)
    return _condition(_SQLITE_MATCH, "{title place} : (" + inner + ")")


def matches_title(words: Sequence[tuple[str, bool]]) -> Q:
    """Pictures whose folded title alone has every one of ``words``: what a partner who is
    not shown the metadata may search by (read for one grantor's rows; no index needed)."""
    if not words:
        return Q()
    if connection.vendor == "postgresql":
        query = " & ".join(_pg_word(w, prefix=p) for w, p in words)
        return Q(_condition(_PG_MATCH_TITLE, query))
    inner = " AND ".join(_fts_word(w, prefix=p) for w, p in words)
    return Q(_condition(_SQLITE_MATCH, "{title} : (" + inner + ")"))
