"""The Celery application: configured from Django's settings (``CELERY_*``), tasks found in apps.

Only used when ``CELERY_BROKER_URL`` is set; the embedded default renders in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
