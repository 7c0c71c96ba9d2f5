"""The owner's quotas (stored bytes, image count), checked under the owner's lock.

A check is only as good as the lock it runs under: the caller holds ``locks.owner_lock``,
so parallel changes by one account queue there and each sees the usage the previous one
committed; they cannot overshoot together.
"""

from collections.abc import Callable

from images.errors import ImageQuotaExceeded, StorageQuotaExceeded
from images.selectors import image_storage_usage
from users.models import User
from users.selectors import user_quota_limits

__all__ = ["quota_check", "quota_reservations_register"]

# What other apps hold against an owner's quota before it becomes an image (an upload in
# progress): each returns ``{"bytes": ..., "images": ...}``. This app knows none of them.
_RESERVATIONS: list[Callable[..., dict[str, int]]] = []


def quota_reservations_register(provider: Callable[..., dict[str, int]]) -> None:
    """Counts what ``provider(owner=...)`` reserves in every quota check (once per provider)."""
    if provider not in _RESERVATIONS:
        _RESERVATIONS.append(provider)


def quota_check(*, locked_owner: User, add_bytes: int, add_images: int) -> None:
    """Raises ``QuotaExceeded`` if the change would take the owner over a quota.

    ``locked_owner`` is the row ``owner_lock`` returned, in the caller's transaction. What
    other apps reserve (``quota_reservations_register``) counts as used.
    """
    limits = user_quota_limits(user=locked_owner)
    usage = image_storage_usage(owner=locked_owner)
    for provider in _RESERVATIONS:
        reserved = provider(owner=locked_owner)
        usage = {
            "bytes": usage["bytes"] + reserved["bytes"],
            "images": usage["images"] + reserved["images"],
        }
    if add_images and usage["images"] + add_images > limits["images"]:
        raise ImageQuotaExceeded("images", usage["images"], limits["images"], add_images)
    if add_bytes > 0 and usage["bytes"] + add_bytes > limits["bytes"]:
        raise StorageQuotaExceeded("bytes", usage["bytes"], limits["bytes"], add_bytes)
