"""``manage.py uploads_sweep``: the upload sweep, for deployments without Celery beat."""

from typing import Any

from django.core.management.base import BaseCommand

from resumable import services


class Command(BaseCommand):
    help = (
        "Removes resumable uploads past their Upload-Expires (ATELIER_RESUMABLE_EXPIRY_SECONDS "
        "after their last PATCH): their staged bytes, S3 multipart uploads and rows."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = services.uploads_sweep()
        self.stdout.write(f"removed {removed} expired upload(s)")
