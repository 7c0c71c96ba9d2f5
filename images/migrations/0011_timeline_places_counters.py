"""Issue 22: the timeline's date, places, the description, keyset indexes that match each
walk exactly, and counters the database keeps (an account's storage, its pictures per day).

The counters are kept by triggers on ``images_image``, written here for each database: every
insert, update and delete adds its difference in the same transaction, whatever code made
it (a service, a bulk update, a cascade). ``images.counters`` recounts them for the audit.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import images.models

# Whether a row is live (out of the trash and the locked folder) and counts as an image.
_SQLITE = [
    """
    CREATE TRIGGER images_image_counted_insert AFTER INSERT ON images_image
    BEGIN
        INSERT INTO images_libraryusage (owner_id, bytes, images, trash_bytes, trash_images)
        VALUES (
            NEW.owner_id, NEW.stored_bytes, NEW.status <> 'failed',
            CASE WHEN NEW.trashed_at IS NOT NULL THEN NEW.stored_bytes ELSE 0 END,
            NEW.trashed_at IS NOT NULL AND NEW.status <> 'failed'
        )
        ON CONFLICT (owner_id) DO UPDATE SET
            bytes = bytes + excluded.bytes, images = images + excluded.images,
            trash_bytes = trash_bytes + excluded.trash_bytes,
            trash_images = trash_images + excluded.trash_images;
        INSERT INTO images_timelineday (owner_id, day, count)
        SELECT NEW.owner_id, date(NEW.timeline_at), 1
        WHERE NEW.trashed_at IS NULL AND NEW.locked_at IS NULL
        ON CONFLICT (owner_id, day) DO UPDATE SET count = count + 1;
        INSERT INTO images_placecount (owner_id, country_code, country, region, city, count)
        SELECT NEW.owner_id, NEW.place_country_code, NEW.place_country, NEW.place_region,
            NEW.place_city, 1
        WHERE NEW.trashed_at IS NULL AND NEW.locked_at IS NULL AND NEW.place_country_code <> ''
        ON CONFLICT (owner_id, country_code, country, region, city)
            DO UPDATE SET count = count + 1;
    END
    """,
    """
    CREATE TRIGGER images_image_counted_update AFTER UPDATE ON images_image
    WHEN OLD.stored_bytes IS NOT NEW.stored_bytes OR OLD.status IS NOT NEW.status
        OR OLD.trashed_at IS NOT NEW.trashed_at OR OLD.locked_at IS NOT NEW.locked_at
        OR OLD.timeline_at IS NOT NEW.timeline_at OR OLD.owner_id IS NOT NEW.owner_id
        OR OLD.place_country_code IS NOT NEW.place_country_code
        OR OLD.place_country IS NOT NEW.place_country
        OR OLD.place_region IS NOT NEW.place_region OR OLD.place_city IS NOT NEW.place_city
    BEGIN
        UPDATE images_libraryusage SET
            bytes = bytes - OLD.stored_bytes, images = images - (OLD.status <> 'failed'),
            trash_bytes = trash_bytes
                - CASE WHEN OLD.trashed_at IS NOT NULL THEN OLD.stored_bytes ELSE 0 END,
            trash_images = trash_images - (OLD.trashed_at IS NOT NULL AND OLD.status <> 'failed')
        WHERE owner_id = OLD.owner_id;
        INSERT INTO images_libraryusage (owner_id, bytes, images, trash_bytes, trash_images)
        VALUES (
            NEW.owner_id, NEW.stored_bytes, NEW.status <> 'failed',
            CASE WHEN NEW.trashed_at IS NOT NULL THEN NEW.stored_bytes ELSE 0 END,
            NEW.trashed_at IS NOT NULL AND NEW.status <> 'failed'
        )
        ON CONFLICT (owner_id) DO UPDATE SET
            bytes = bytes + excluded.bytes, images = images + excluded.images,
            trash_bytes = trash_bytes + excluded.trash_bytes,
            trash_images = trash_images + excluded.trash_images;
        UPDATE images_timelineday SET count = count - 1
        WHERE owner_id = OLD.owner_id AND day = date(OLD.timeline_at)
            AND OLD.trashed_at IS NULL AND OLD.locked_at IS NULL;
        INSERT INTO images_timelineday (owner_id, day, count)
        SELECT NEW.owner_id, date(NEW.timeline_at), 1
        WHERE NEW.trashed_at IS NULL AND NEW.locked_at IS NULL
        ON CONFLICT (owner_id, day) DO UPDATE SET count = count + 1;
        UPDATE images_placecount SET count = count - 1
        WHERE owner_id = OLD.owner_id AND country_code = OLD.place_country_code
            AND country = OLD.place_country AND region = OLD.place_region
            AND city = OLD.place_city
            AND OLD.trashed_at IS NULL AND OLD.locked_at IS NULL;
        INSERT INTO images_placecount (owner_id, country_code, country, region, city, count)
        SELECT NEW.owner_id, NEW.place_country_code, NEW.place_country, NEW.place_region,
            NEW.place_city, 1
        WHERE NEW.trashed_at IS NULL AND NEW.locked_at IS NULL AND NEW.place_country_code <> ''
        ON CONFLICT (owner_id, country_code, country, region, city)
            DO UPDATE SET count = count + 1;
    END
    """,
    """
    CREATE TRIGGER images_image_counted_delete AFTER DELETE ON images_image
    BEGIN
        UPDATE images_libraryusage SET
            bytes = bytes - OLD.stored_bytes, images = images - (OLD.status <> 'failed'),
            trash_bytes = trash_bytes
                - CASE WHEN OLD.trashed_at IS NOT NULL THEN OLD.stored_bytes ELSE 0 END,
            trash_images = trash_images - (OLD.trashed_at IS NOT NULL AND OLD.status <> 'failed')
        WHERE owner_id = OLD.owner_id;
        UPDATE images_timelineday SET count = count - 1
        WHERE owner_id = OLD.owner_id AND day = date(OLD.timeline_at)
            AND OLD.trashed_at IS NULL AND OLD.locked_at IS NULL;
        UPDATE images_placecount SET count = count - 1
        WHERE owner_id = OLD.owner_id AND country_code = OLD.place_country_code
            AND country = OLD.place_country AND region = OLD.place_region
            AND city = OLD.place_city
            AND OLD.trashed_at IS NULL AND OLD.locked_at IS NULL;
    END
    """,
]

# Once per statement, over its transition tables (``new_rows``, ``old_rows``), summed per
# account and per day: a statement that inserts, changes or deletes 50,000 pictures of one
# account writes its counter rows once, not 50,000 times (row triggers made such a delete
# take 56 s rather than 2 s). Each statement adds what its new rows count and takes off what
# its old rows counted; only a sum that is not zero is written. Deletes only take off, never
# insert: an account being deleted has lost its counter rows already.
_USAGE_TERMS = """
    stored_bytes AS bytes,
    (status <> 'failed')::int AS images,
    CASE WHEN trashed_at IS NOT NULL THEN stored_bytes ELSE 0 END AS trash_bytes,
    (trashed_at IS NOT NULL AND status <> 'failed')::int AS trash_images
"""
_NEGATED_USAGE_TERMS = """
    -stored_bytes,
    -(status <> 'failed')::int,
    -CASE WHEN trashed_at IS NOT NULL THEN stored_bytes ELSE 0 END,
    -(trashed_at IS NOT NULL AND status <> 'failed')::int
"""
_DAY_PG = "(timeline_at AT TIME ZONE 'UTC')::date"
_LIVE_PG = "trashed_at IS NULL AND locked_at IS NULL"
_PLACE_LIVE_PG = "trashed_at IS NULL AND locked_at IS NULL AND place_country_code <> ''"
_PLACE_COLUMNS = "owner_id, place_country_code, place_country, place_region, place_city"
_PLACE_UPSERT = """
    ON CONFLICT (owner_id, country_code, country, region, city)
        DO UPDATE SET count = p.count + EXCLUDED.count
"""
_USAGE_UPSERT = """
    ON CONFLICT (owner_id) DO UPDATE SET
        bytes = u.bytes + EXCLUDED.bytes, images = u.images + EXCLUDED.images,
        trash_bytes = u.trash_bytes + EXCLUDED.trash_bytes,
        trash_images = u.trash_images + EXCLUDED.trash_images
"""
_POSTGRESQL = [
    """
    CREATE FUNCTION images_image_counted_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO images_libraryusage AS u
            (owner_id, bytes, images, trash_bytes, trash_images)
        SELECT owner_id, SUM(bytes), SUM(images), SUM(trash_bytes), SUM(trash_images)
        FROM (SELECT owner_id, """
    + _USAGE_TERMS
    + """ FROM new_rows) AS d
        GROUP BY owner_id
        """
    + _USAGE_UPSERT
    + """;
        INSERT INTO images_timelineday AS t (owner_id, day, count)
        SELECT owner_id, """
    + _DAY_PG
    + """, COUNT(*) FROM new_rows WHERE """
    + _LIVE_PG
    + """
        GROUP BY 1, 2
        ON CONFLICT (owner_id, day) DO UPDATE SET count = t.count + EXCLUDED.count;
        INSERT INTO images_placecount AS p (owner_id, country_code, country, region, city, count)
        SELECT """
    + _PLACE_COLUMNS
    + """, COUNT(*) FROM new_rows WHERE """
    + _PLACE_LIVE_PG
    + """
        GROUP BY 1, 2, 3, 4, 5
        """
    + _PLACE_UPSERT
    + """;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION images_image_counted_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO images_libraryusage AS u
            (owner_id, bytes, images, trash_bytes, trash_images)
        SELECT owner_id, SUM(bytes), SUM(images), SUM(trash_bytes), SUM(trash_images)
        FROM (
            SELECT owner_id, """
    + _USAGE_TERMS
    + """ FROM new_rows
            UNION ALL
            SELECT owner_id, """
    + _NEGATED_USAGE_TERMS
    + """ FROM old_rows
        ) AS d
        GROUP BY owner_id
        HAVING SUM(bytes) <> 0 OR SUM(images) <> 0
            OR SUM(trash_bytes) <> 0 OR SUM(trash_images) <> 0
        """
    + _USAGE_UPSERT
    + """;
        INSERT INTO images_timelineday AS t (owner_id, day, count)
        SELECT owner_id, day, SUM(n) FROM (
            SELECT owner_id, """
    + _DAY_PG
    + """ AS day, 1 AS n FROM new_rows WHERE """
    + _LIVE_PG
    + """
            UNION ALL
            SELECT owner_id, """
    + _DAY_PG
    + """, -1 FROM old_rows WHERE """
    + _LIVE_PG
    + """
        ) AS d
        GROUP BY owner_id, day
        HAVING SUM(n) <> 0
        ON CONFLICT (owner_id, day) DO UPDATE SET count = t.count + EXCLUDED.count;
        INSERT INTO images_placecount AS p (owner_id, country_code, country, region, city, count)
        SELECT owner_id, cc, country, region, city, SUM(n) FROM (
            SELECT """
    + _PLACE_COLUMNS
    + """, 1 AS n FROM new_rows WHERE """
    + _PLACE_LIVE_PG
    + """
            UNION ALL
            SELECT """
    + _PLACE_COLUMNS
    + """, -1 FROM old_rows WHERE """
    + _PLACE_LIVE_PG
    + """
        ) AS d (owner_id, cc, country, region, city, n)
        GROUP BY 1, 2, 3, 4, 5
        HAVING SUM(n) <> 0
        """
    + _PLACE_UPSERT
    + """;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION images_image_counted_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE images_libraryusage AS u SET
            bytes = u.bytes - d.bytes, images = u.images - d.images,
            trash_bytes = u.trash_bytes - d.trash_bytes,
            trash_images = u.trash_images - d.trash_images
        FROM (
            SELECT owner_id, SUM(bytes) AS bytes, SUM(images) AS images,
                SUM(trash_bytes) AS trash_bytes, SUM(trash_images) AS trash_images
            FROM (SELECT owner_id, """
    + _USAGE_TERMS
    + """ FROM old_rows) AS rows
            GROUP BY owner_id
        ) AS d
        WHERE u.owner_id = d.owner_id;
        UPDATE images_timelineday AS t SET count = t.count - d.n
        FROM (
            SELECT owner_id, """
    + _DAY_PG
    + """ AS day, COUNT(*) AS n FROM old_rows
            WHERE """
    + _LIVE_PG
    + """ GROUP BY 1, 2
        ) AS d
        WHERE t.owner_id = d.owner_id AND t.day = d.day;
        UPDATE images_placecount AS p SET count = p.count - d.n
        FROM (
            SELECT """
    + _PLACE_COLUMNS
    + """, COUNT(*) AS n FROM old_rows WHERE """
    + _PLACE_LIVE_PG
    + """
            GROUP BY 1, 2, 3, 4, 5
        ) AS d
        WHERE p.owner_id = d.owner_id AND p.country_code = d.place_country_code
            AND p.country = d.place_country AND p.region = d.place_region
            AND p.city = d.place_city;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER images_image_counted_insert AFTER INSERT ON images_image
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION images_image_counted_insert()
    """,
    """
    CREATE TRIGGER images_image_counted_update AFTER UPDATE ON images_image
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION images_image_counted_update()
    """,
    """
    CREATE TRIGGER images_image_counted_delete AFTER DELETE ON images_image
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION images_image_counted_delete()
    """,
]

_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS images_image_counted_insert",
        "DROP TRIGGER IF EXISTS images_image_counted_update",
        "DROP TRIGGER IF EXISTS images_image_counted_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS images_image_counted_insert ON images_image",
        "DROP TRIGGER IF EXISTS images_image_counted_update ON images_image",
        "DROP TRIGGER IF EXISTS images_image_counted_delete ON images_image",
        "DROP FUNCTION IF EXISTS images_image_counted_insert()",
        "DROP FUNCTION IF EXISTS images_image_counted_update()",
        "DROP FUNCTION IF EXISTS images_image_counted_delete()",
    ],
}

# The timeline's date of every existing row (``images.models.image_timeline_at``).
_TIMELINE_AT = {
    "sqlite": """
        UPDATE images_image SET timeline_at = CASE WHEN taken_at IS NULL THEN created_at
            ELSE strftime('%Y-%m-%d %H:%M:%f', taken_at,
                          COALESCE(taken_at_offset, 0) || ' minutes') END
    """,
    "postgresql": """
        UPDATE images_image SET timeline_at = COALESCE(
            taken_at + make_interval(mins => COALESCE(taken_at_offset, 0)), created_at)
    """,
}

# Every account's live pictures per day of the timeline.
_TIMELINE_DAYS = {
    "sqlite": """
        INSERT INTO images_timelineday (owner_id, day, count)
        SELECT owner_id, date(timeline_at), COUNT(*) FROM images_image
        WHERE trashed_at IS NULL AND locked_at IS NULL
        GROUP BY owner_id, date(timeline_at)
    """,
    "postgresql": """
        INSERT INTO images_timelineday (owner_id, day, count)
        SELECT owner_id, (timeline_at AT TIME ZONE 'UTC')::date, COUNT(*) FROM images_image
        WHERE trashed_at IS NULL AND locked_at IS NULL
        GROUP BY owner_id, (timeline_at AT TIME ZONE 'UTC')::date
    """,
}


def _vendor(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in _DROP:
        raise NotImplementedError(f"No counter triggers for {vendor}.")
    return vendor


def timeline_at_backfill(apps, schema_editor):
    schema_editor.execute(_TIMELINE_AT[_vendor(schema_editor)])


_PLACES_BACKFILL = """
    INSERT INTO images_placecount (owner_id, country_code, country, region, city, count)
    SELECT owner_id, place_country_code, place_country, place_region, place_city, COUNT(*)
    FROM images_image
    WHERE trashed_at IS NULL AND locked_at IS NULL AND place_country_code <> ''
    GROUP BY owner_id, place_country_code, place_country, place_region, place_city
"""


def counters_install(apps, schema_editor):
    vendor = _vendor(schema_editor)
    for statement in _SQLITE if vendor == "sqlite" else _POSTGRESQL:
        schema_editor.execute(statement)
    schema_editor.execute(
        """
        INSERT INTO images_libraryusage (owner_id, bytes, images, trash_bytes, trash_images)
        SELECT owner_id, SUM(stored_bytes),
            SUM(CASE WHEN status <> 'failed' THEN 1 ELSE 0 END),
            SUM(CASE WHEN trashed_at IS NOT NULL THEN stored_bytes ELSE 0 END),
            SUM(CASE WHEN trashed_at IS NOT NULL AND status <> 'failed' THEN 1 ELSE 0 END)
        FROM images_image GROUP BY owner_id
        """
    )
    schema_editor.execute(_TIMELINE_DAYS[vendor])
    schema_editor.execute(_PLACES_BACKFILL)


def counters_remove(apps, schema_editor):
    for statement in _DROP[_vendor(schema_editor)]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0010_stored_file_holders"),
        ("users", "0004_idempotency_key_moves_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LibraryUsage",
            fields=[
                (
                    "owner",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("bytes", models.BigIntegerField(default=0)),
                ("images", models.BigIntegerField(default=0)),
                ("trash_bytes", models.BigIntegerField(default=0)),
                ("trash_images", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="TimelineDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("count", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RemoveIndex(
            model_name="image",
            name="image_owner_created_idx",
        ),
        migrations.RemoveIndex(
            model_name="image",
            name="image_owner_taken_idx",
        ),
        migrations.AddField(
            model_name="image",
            name="description",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name="image",
            name="latitude",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="image",
            name="longitude",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="image",
            name="place_city",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="image",
            name="place_country",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="image",
            name="place_country_code",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="image",
            name="place_region",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="image",
            name="timeline_at",
            field=images.models.TimelineField(
                help_text="The camera's local date-time (as UTC), else the upload's: the timeline.",
                null=True,
            ),
        ),
        migrations.RunPython(timeline_at_backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="image",
            name="timeline_at",
            field=images.models.TimelineField(
                help_text="The camera's local date-time (as UTC), else the upload's: the timeline."
            ),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("locked_at__isnull", True), ("trashed_at__isnull", True)),
                fields=["owner", "-created_at", "-id"],
                name="image_live_created_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="image",
            index=images.models.NullsLastIndex(
                condition=models.Q(("locked_at__isnull", True), ("trashed_at__isnull", True)),
                fields=["owner", "-taken_at", "-id"],
                name="image_live_taken_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("locked_at__isnull", True), ("trashed_at__isnull", True)),
                fields=["owner", "taken_at", "id"],
                name="image_live_taken_asc_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("locked_at__isnull", True), ("trashed_at__isnull", True)),
                fields=["owner", "-timeline_at", "-id"],
                name="image_live_timeline_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("locked_at__isnull", True), ("trashed_at__isnull", True)),
                fields=[
                    "owner",
                    "place_country_code",
                    "place_region",
                    "place_city",
                    "-timeline_at",
                    "-id",
                ],
                name="image_live_place_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(
                    ("locked_at__isnull", True),
                    ("trashed_at__isnull", True),
                    ("latitude__isnull", False),
                ),
                fields=["owner", "latitude", "longitude"],
                name="image_live_position_idx",
            ),
        ),
        migrations.AddField(
            model_name="timelineday",
            name="owner",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="timelineday",
            constraint=models.UniqueConstraint(fields=("owner", "day"), name="timeline_day_unique"),
        ),
        migrations.CreateModel(
            name="PlaceCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("country_code", models.CharField(max_length=2)),
                ("country", models.CharField(max_length=100)),
                ("region", models.CharField(max_length=100)),
                ("city", models.CharField(max_length=100)),
                ("count", models.BigIntegerField(default=0)),
                (
                    "owner",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("owner", "country_code", "country", "region", "city"),
                        name="place_count_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(counters_install, counters_remove, elidable=False),
    ]
