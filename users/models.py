"""The account model: a UUID-keyed user whose username and email are unique in any case."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower


class UserManager(DjangoUserManager["User"]):
    """Looks users up by username without regard to case, so `Alice` logs in as `alice`."""

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(username__iexact=username)


class User(AbstractUser):
    """An Atelier account: owns a private gallery and nothing else."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address")
    # Per-user quota overrides; null means "use the server default" (ATELIER settings).
    quota_bytes = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Stored bytes allowed; empty uses the server default."
    )
    quota_images = models.PositiveIntegerField(
        null=True, blank=True, help_text="Images allowed; empty uses the server default."
    )

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username
