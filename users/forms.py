"""Browser login forms (the browsable API's and the admin's) under the failed-login limits."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from core.throttling import LoginLocked


class _LimitedLoginMixin:
    """Turns ``LoginLocked`` from the backend into a form error the person can read."""

    locked_wait: float | None = None

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()  # type: ignore[misc]
        except LoginLocked as exc:
            self.locked_wait = exc.wait
            minutes = max(1, round(exc.wait / 60))
            raise forms.ValidationError(
                f"Too many failed logins for this account or from this address. "
                f"Try again in about {minutes} minute{'s' if minutes != 1 else ''}.",
                code="throttled",
            ) from exc


class LoginForm(_LimitedLoginMixin, AuthenticationForm):
    """The browsable API's login form."""


class AdminLoginForm(_LimitedLoginMixin, AdminAuthenticationForm):
    """The admin's login form."""
