"""The upload sweep as a Celery task (beat: ``uploads-sweep`` in the settings)."""

from celery import shared_task

from resumable import services


@shared_task(name="resumable.sweep", ignore_result=True)
def uploads_sweep() -> int:
    """Removes expired uploads: their staged bytes, S3 multipart uploads and rows."""
    return services.uploads_sweep()
