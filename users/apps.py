"""App configuration for accounts."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Registers the users app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "users"
