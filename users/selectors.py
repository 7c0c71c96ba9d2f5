"""Read-side queries about accounts."""

from django.conf import settings

from users.models import User, canonical_name


def user_username_taken(*, username: str, exclude: User | None = None) -> bool:
    """Whether another account's username folds to the same canonical form as this one."""
    qs = User.objects.filter(username_canonical=canonical_name(username))
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


def user_email_taken(*, email: str, exclude: User | None = None) -> bool:
    """Whether another account's email folds to the same canonical form as this one."""
    qs = User.objects.filter(email_canonical=canonical_name(email))
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


def user_quota_limits(*, user: User) -> dict[str, int]:
    """The byte and image-count limits for this user: their override, else the default."""
    defaults = settings.ATELIER
    return {
        "bytes": user.quota_bytes if user.quota_bytes is not None else defaults["QUOTA_BYTES"],
        "images": (
            user.quota_images if user.quota_images is not None else defaults["QUOTA_IMAGES"]
        ),
    }
