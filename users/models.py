"""The account model: a UUID-keyed user whose username and email are unique once folded.

Two spellings name the same account when they fold to the same canonical form (Unicode NFKC,
then case folding, then NFKC again: Unicode's ``toNFKC_Casefold`` in all but name). The
database's own case-insensitive comparison cannot be used for this: SQLite's ``lower()``
folds ASCII only, while PostgreSQL's folds more than Python's ``lower()``, so a look-alike
could register beside an account (and break its login) on one database and not the other.
Instead the canonical forms are stored in their own uniquely constrained columns, and every
lookup, uniqueness check and failed-login counter uses them.
"""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models

from core.names import canonical_name

__all__ = ["User", "canonical_name"]


class UserManager(DjangoUserManager["User"]):
    """Looks users up by canonical username, so `Alice` and `ALİCE`'s twins log in alike."""

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(username_canonical=canonical_name(username or ""))


class User(AbstractUser):
    """An Atelier account: owns a private gallery and nothing else."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address")
    # Derived from username and email on every save (see the module docstring); never edited.
    username_canonical = models.CharField(max_length=150, unique=True, editable=False)
    # Null, not "", for an account without an email (admin-made), so several can exist.
    email_canonical = models.CharField(  # noqa: DJ001
        max_length=254, unique=True, null=True, editable=False
    )
    # Per-user quota overrides; null means "use the server default" (ATELIER settings).
    quota_bytes = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Stored bytes allowed; empty uses the server default."
    )
    quota_images = models.PositiveIntegerField(
        null=True, blank=True, help_text="Images allowed; empty uses the server default."
    )

    objects: ClassVar[UserManager] = UserManager()

    REQUIRED_FIELDS = ["email"]

    def __str__(self) -> str:
        return self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The canonical columns are part of the row's identity, not business logic: keeping
        # them here means no code path (admin, shell, createsuperuser) can save them stale.
        self.username_canonical = canonical_name(self.username)
        self.email_canonical = canonical_name(self.email) if self.email else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = {"username": "username_canonical", "email": "email_canonical"}
            kwargs["update_fields"] = {
                *update_fields,
                *(extra[name] for name in update_fields if name in extra),
            }
        super().save(*args, **kwargs)
