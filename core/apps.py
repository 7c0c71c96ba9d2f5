"""App configuration for the project's shared core: registers its own system checks."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Loads ``core.checks`` so ``manage.py check`` runs them."""

    name = "core"

    def ready(self) -> None:
        from core import checks  # noqa: F401 (registers the checks)
