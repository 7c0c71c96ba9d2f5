"""App configuration for resumable uploads: its share of the storage audit and of accounts."""

from django.apps import AppConfig


class ResumableConfig(AppConfig):
    """Registers the live uploads' staging folders with the audit, and their cleanup."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "resumable"

    def ready(self) -> None:
        # The images app knows nothing of uploads in progress: this app tells its storage
        # audit which staged objects are not orphans, and removes an account's staging
        # files itself when the account row is deleted.
        from django.db.models.signals import pre_delete

        from images.audit import staging_prefixes_register
        from images.quota import quota_reservations_register
        from resumable import selectors, services
        from users.models import User

        staging_prefixes_register(selectors.staging_prefixes_live)
        # An upload in progress holds its bytes against the quota of every other upload.
        quota_reservations_register(selectors.uploads_reserved)
        pre_delete.connect(
            services.account_uploads_delete_on_commit,
            sender=User,
            dispatch_uid="resumable.account_uploads_delete_on_commit",
        )
