"""Issue 22: each album's live pictures, counted by the database (as migration 0011's
counters are): a membership added or removed, or one of its pictures going to or coming back
from the trash or the locked folder, changes the count in the same transaction.
"""

from django.db import migrations, models

_SQLITE = [
    """
    CREATE TRIGGER images_albumimage_counted_insert AFTER INSERT ON images_albumimage
    WHEN EXISTS (SELECT 1 FROM images_image WHERE id = NEW.image_id AND trashed_at IS NULL AND locked_at IS NULL)
    BEGIN
        UPDATE images_album SET live_image_count = live_image_count + 1
        WHERE id = NEW.album_id;
    END
    """,
    """
    CREATE TRIGGER images_albumimage_counted_delete AFTER DELETE ON images_albumimage
    WHEN EXISTS (SELECT 1 FROM images_image WHERE id = OLD.image_id AND trashed_at IS NULL AND locked_at IS NULL)
    BEGIN
        UPDATE images_album SET live_image_count = live_image_count - 1
        WHERE id = OLD.album_id;
    END
    """,
    """
    CREATE TRIGGER images_image_album_counted AFTER UPDATE ON images_image
    WHEN (OLD.trashed_at IS NULL AND OLD.locked_at IS NULL)
        <> (NEW.trashed_at IS NULL AND NEW.locked_at IS NULL)
    BEGIN
        UPDATE images_album SET live_image_count = live_image_count
            + CASE WHEN NEW.trashed_at IS NULL AND NEW.locked_at IS NULL THEN 1 ELSE -1 END
        WHERE id IN (SELECT album_id FROM images_albumimage WHERE image_id = NEW.id);
    END
    """,
]

_POSTGRESQL = [
    """
    CREATE FUNCTION images_albumimage_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE images_album SET live_image_count = live_image_count + 1
            WHERE id = NEW.album_id
                AND EXISTS (SELECT 1 FROM images_image WHERE id = NEW.image_id AND trashed_at IS NULL AND locked_at IS NULL);
        ELSE
            UPDATE images_album SET live_image_count = live_image_count - 1
            WHERE id = OLD.album_id
                AND EXISTS (SELECT 1 FROM images_image WHERE id = OLD.image_id AND trashed_at IS NULL AND locked_at IS NULL);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER images_albumimage_counted AFTER INSERT OR DELETE ON images_albumimage
    FOR EACH ROW EXECUTE FUNCTION images_albumimage_counted()
    """,
    """
    CREATE FUNCTION images_image_album_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE images_album SET live_image_count = live_image_count
            + CASE WHEN NEW.trashed_at IS NULL AND NEW.locked_at IS NULL THEN 1 ELSE -1 END
        WHERE id IN (SELECT album_id FROM images_albumimage WHERE image_id = NEW.id);
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER images_image_album_counted AFTER UPDATE ON images_image
    FOR EACH ROW WHEN (
        (OLD.trashed_at IS NULL AND OLD.locked_at IS NULL)
        IS DISTINCT FROM (NEW.trashed_at IS NULL AND NEW.locked_at IS NULL)
    )
    EXECUTE FUNCTION images_image_album_counted()
    """,
]

_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS images_albumimage_counted_insert",
        "DROP TRIGGER IF EXISTS images_albumimage_counted_delete",
        "DROP TRIGGER IF EXISTS images_image_album_counted",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS images_albumimage_counted ON images_albumimage",
        "DROP FUNCTION IF EXISTS images_albumimage_counted()",
        "DROP TRIGGER IF EXISTS images_image_album_counted ON images_image",
        "DROP FUNCTION IF EXISTS images_image_album_counted()",
    ],
}

_BACKFILL = """
    UPDATE images_album SET live_image_count = (
        SELECT COUNT(*) FROM images_albumimage m JOIN images_image i ON i.id = m.image_id
        WHERE m.album_id = images_album.id AND i.trashed_at IS NULL AND i.locked_at IS NULL
    )
"""


def _vendor(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in _DROP:
        raise NotImplementedError(f"No counter triggers for {vendor}.")
    return vendor


def album_counters_install(apps, schema_editor):
    vendor = _vendor(schema_editor)
    for statement in _SQLITE if vendor == "sqlite" else _POSTGRESQL:
        schema_editor.execute(statement)
    schema_editor.execute(_BACKFILL)


def album_counters_remove(apps, schema_editor):
    for statement in _DROP[_vendor(schema_editor)]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0011_timeline_places_counters"),
    ]

    operations = [
        migrations.AddField(
            model_name="album",
            name="live_image_count",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="albumimage",
            index=models.Index(fields=["album", "added_at", "id"], name="album_image_added_idx"),
        ),
        migrations.RunPython(album_counters_install, album_counters_remove, elidable=False),
    ]
