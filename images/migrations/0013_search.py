"""Issue 22, item 2: one search box. The folded columns a picture is found by, filled for the
rows already there, and the index over them: an FTS5 table kept by triggers on SQLite, a GIN
expression index on PostgreSQL (``images.search.index`` holds both and says why).

On SQLite, adding a NOT NULL column with a default remakes ``images_image`` (a new table, the
rows copied, the old one dropped), and a table's triggers go with it: the counters' triggers
of ``0011`` are installed again here, after the columns. Any later migration that remakes the
table on SQLite must do the same for those and for the search triggers.
"""

import importlib

from django.db import migrations

import images.models
from images.search import index


def search_text_backfill(apps, schema_editor):
    Image = apps.get_model("images", "Image")
    rows = Image.objects.using(schema_editor.connection.alias).order_by("pk")
    batch = []
    for image in rows.iterator(chunk_size=500):
        for column, sources in images.models.SEARCH_SOURCES.items():
            setattr(image, column, images.models.image_search_text(image, sources))
        batch.append(image)
        if len(batch) == 500:
            Image.objects.bulk_update(batch, list(images.models.SEARCH_SOURCES))
            batch = []
    if batch:
        Image.objects.bulk_update(batch, list(images.models.SEARCH_SOURCES))


def counter_triggers_reinstall(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL adds a column in place; its triggers stay
    counters = importlib.import_module("images.migrations.0011_timeline_places_counters")
    for statement in [*counters._DROP["sqlite"], *counters._SQLITE]:
        schema_editor.execute(statement)


def search_index_install(apps, schema_editor):
    for statement in index.INSTALL.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def search_index_remove(apps, schema_editor):
    for statement in index.REMOVE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def _field(sources):
    return images.models.SearchTextField(blank=True, default="", editable=False, sources=sources)


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0012_album_image_added_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="search_title",
            field=_field(("title",)),
        ),
        migrations.AddField(
            model_name="image",
            name="search_place",
            field=_field(("place_city", "place_region", "place_country")),
        ),
        migrations.AddField(
            model_name="image",
            name="search_camera",
            field=_field(("metadata.camera_make", "metadata.camera_model")),
        ),
        migrations.AddField(
            model_name="image",
            name="search_other",
            field=_field(("description", "original_filename", "metadata.lens")),
        ),
        migrations.RunPython(counter_triggers_reinstall, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(search_text_backfill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(search_index_install, search_index_remove, elidable=False),
    ]
