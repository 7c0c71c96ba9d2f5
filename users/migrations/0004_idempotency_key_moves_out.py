"""``IdempotencyKey`` leaves the accounts app for the idempotency app: Django's state only.

The table (``users_idempotencykey``) and its rows stay where they are; ``idempotency.0001``
takes the model over under the same table name, so nothing is copied or lost.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_idempotency_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyKey")],
            database_operations=[],
        ),
    ]
