"""The web app: the gallery as a person sees it, in server-rendered pages at /."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    """Pages for people; every read and write goes through the API's views and services."""

    name = "web"
    verbose_name = "Web app"
