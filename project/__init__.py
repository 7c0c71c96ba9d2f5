"""Atelier's Django project: settings, URL routing and server entry points."""
