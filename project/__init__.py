"""Atelier's project package: settings, URLs, wiring; the Celery app loads with Django."""

from core.requestid import log_records_carry_request_id
from project.celery import app as celery_app

log_records_carry_request_id()

__all__ = ["celery_app"]
