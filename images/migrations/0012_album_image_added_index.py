"""Issue 22: an album's latest addition is read backwards on an index, not sorted."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0011_timeline_places_counters"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="albumimage",
            index=models.Index(fields=["album", "added_at", "id"], name="album_image_added_idx"),
        ),
    ]
