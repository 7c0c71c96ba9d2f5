"""App configuration for idempotency keys."""

from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    """Registers the idempotency app, which owns the ``IdempotencyKey`` table."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "idempotency"
