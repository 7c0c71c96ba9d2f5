"""The one authentication backend: Django's model backend behind the failed-login limits."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from core.throttling import login_attempt
from users.models import User


class LimitedModelBackend(ModelBackend):
    """Checks a password only within a reserved login attempt (``core.throttling``).

    Every login path calls ``django.contrib.auth.authenticate``, so putting the limit here
    covers the token endpoint, the browsable API's login form and the admin's alike. A locked
    username or address raises ``LoginLocked``, which each path answers in its own way (a 429
    for the API, an error on the form).
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        with login_attempt(request, username) as attempt:
            user = super().authenticate(request, username=username, password=password, **kwargs)
            attempt.succeeded = user is not None
        return user
