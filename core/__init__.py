"""Atelier's shared core: what every app leans on and no app owns.

Errors and the one handler that maps them to JSON, parsers, throttling, request ids, metrics,
readiness, the owner-scoped base and system checks. It imports no app (``users``, ``images``,
``web``…): apps register what the core needs from them (a metrics gauge, say) at start-up, so
the dependency points one way. ``tests/test_architecture.py`` holds it to that.
"""
