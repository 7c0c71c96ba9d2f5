"""App configuration for galleries: what the images app does when an account changes."""

from django.apps import AppConfig


class ImagesConfig(AppConfig):
    """Registers the images app, its share of an account's usage, and its cleanup."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "images"

    def ready(self) -> None:
        # The accounts app knows nothing of images: images tells it what an account stores,
        # and removes an account's files itself when the account row is deleted.
        from django.db.models.signals import pre_delete

        from core.metrics import scrape_gauge_register
        from images import lifecycle, selectors
        from images.models import Image
        from users.models import User
        from users.usage import usage_provider_register

        usage_provider_register(selectors.image_storage_usage_for)
        scrape_gauge_register(
            name="atelier_images_pending",
            documentation="Images waiting for a render.",
            read=lambda: Image.objects.filter(status=Image.Status.PENDING).count(),
        )
        pre_delete.connect(
            lifecycle.account_files_delete_on_commit,
            sender=User,
            dispatch_uid="images.account_files_delete_on_commit",
        )
