"""App configuration for the project's shared core: registers its own system checks."""

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Loads ``project.checks`` so ``manage.py check`` runs them."""

    name = "project"

    def ready(self) -> None:
        from project import checks  # noqa: F401 (registers the checks)
