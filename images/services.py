"""The images app's write side, in one import for its callers (views, pages, commands).

Each service lives in the module of its concern and is re-exported here unchanged:
``lifecycle`` (create, update, delete), ``trash`` (trash, restore, empty, purge),
``rendering`` (the render job, its dispatch and sweep), ``files`` (storage), ``locks`` and
``quota``; their errors are ``images.errors``. Only callers outside those modules import this
one; none of them imports it back, so it can never close an import cycle.
"""

from images.errors import (
    AccountGone,
    ImageNotFound,
    ImageRejected,
    QuotaExceeded,
    RenditionNotReady,
    StorageFailed,
    UploadTooLarge,
)
from images.lifecycle import (
    account_files_delete_on_commit,
    filename_sanitize,
    image_create,
    image_delete,
    image_update,
)
from images.locks import owner_lock
from images.rendering import image_render, image_render_sweep, render_dispatch
from images.trash import image_restore, image_trash, trash_empty, trash_purge_expired

__all__ = [
    "AccountGone",
    "ImageNotFound",
    "ImageRejected",
    "QuotaExceeded",
    "RenditionNotReady",
    "StorageFailed",
    "UploadTooLarge",
    "account_files_delete_on_commit",
    "filename_sanitize",
    "image_create",
    "image_delete",
    "image_render",
    "image_render_sweep",
    "image_restore",
    "image_trash",
    "image_update",
    "owner_lock",
    "render_dispatch",
    "trash_empty",
    "trash_purge_expired",
]
