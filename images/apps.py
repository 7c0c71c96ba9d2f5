"""App configuration for galleries."""

from django.apps import AppConfig


class ImagesConfig(AppConfig):
    """Registers the images app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "images"
