"""Canonical username and email columns replace the Lower() unique constraints."""

import logging

from django.db import migrations, models

from users.models import canonical_name

logger = logging.getLogger(__name__)


def fill_canonical(apps, schema_editor):
    """Fills the new columns; a later account whose name folds onto an earlier one's is kept
    (nothing is deleted) but its canonical name is made unique, and the clash is logged so an
    administrator can rename it."""
    User = apps.get_model("users", "User")
    seen_names: set[str] = set()
    seen_emails: set[str] = set()
    for user in User.objects.order_by("date_joined", "id"):
        name = canonical_name(user.username)
        if name in seen_names:
            logger.warning("Username %r folds onto an earlier account's; rename it.", user.pk)
            name = f"{name}#{user.pk.hex[:8]}"
        email = canonical_name(user.email) if user.email else None
        if email is not None and email in seen_emails:
            logger.warning("Email of %r folds onto an earlier account's; change it.", user.pk)
            email = f"{email}#{user.pk.hex[:8]}"
        seen_names.add(name)
        if email is not None:
            seen_emails.add(email)
        User.objects.filter(pk=user.pk).update(username_canonical=name, email_canonical=email)


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]

    operations = [
        migrations.AlterModelOptions(
            name="user", options={"verbose_name": "user", "verbose_name_plural": "users"}
        ),
        migrations.RemoveConstraint(model_name="user", name="user_username_ci_unique"),
        migrations.RemoveConstraint(model_name="user", name="user_email_ci_unique"),
        migrations.AddField(
            model_name="user",
            name="username_canonical",
            field=models.CharField(editable=False, max_length=150, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="email_canonical",
            field=models.CharField(editable=False, max_length=254, null=True),
        ),
        migrations.RunPython(fill_canonical, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_canonical",
            field=models.CharField(editable=False, max_length=150, unique=True),
        ),
        migrations.AlterField(
            model_name="user",
            name="email_canonical",
            field=models.CharField(editable=False, max_length=254, null=True, unique=True),
        ),
    ]
