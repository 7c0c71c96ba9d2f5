"""The idempotency app's one table: an account's keys and the answers they got.

The table kept the name it had when the model lived in the accounts app
(``users_idempotencykey``): moving the model was a change of Django's state only, so
existing databases keep their rows (migrations ``users.0004`` and ``idempotency.0001``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["IdempotencyKey"]


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for one create request, and the answer it got.

    A row is first a claim (``in_progress``) that stops a second request with the key from
    running the view, then holds the first 2xx answer so a retry gets that answer again
    (``idempotency.services``). Keys belong to an account and go with it.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    # HMAC-SHA-256 (hex) of the parsed request: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The body as the JSON text first sent: a jsonb column would reorder its keys.
    response_body = models.TextField(blank=True)
    response_location = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "users_idempotencykey"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"], name="idempotency_key_owner_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
