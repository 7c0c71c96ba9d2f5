"""Atelier's project package: settings, URLs, wiring; the Celery app loads with Django."""

from project.celery import app as celery_app

__all__ = ["celery_app"]
