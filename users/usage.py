"""What an account stores, asked of the apps that store things for it.

The accounts app knows no app that depends on it (``images`` uses ``users``, never the
reverse). An app that stores things for an account registers a function here when it starts
(``AppConfig.ready``), and the account endpoint shows the sum without importing it.
"""

from typing import Protocol

from users.models import User


class UsageProvider(Protocol):
    """A function that tells what an account stores, called with ``user=``."""

    def __call__(self, *, user: User) -> dict[str, int]: ...


_providers: list[UsageProvider] = []


def usage_provider_register(provider: UsageProvider) -> None:
    """Adds a function that tells what an account stores (``{"bytes": ..., "images": ...}``)."""
    if provider not in _providers:
        _providers.append(provider)


def account_usage(*, user: User) -> dict[str, int]:
    """Everything the account stores, summed over every registered app."""
    total = {"bytes": 0, "images": 0}
    for provider in _providers:
        for key, value in provider(user=user).items():
            total[key] = total.get(key, 0) + value
    return total
