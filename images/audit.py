"""The storage audit: do the stored files and the image rows agree?

Lists every stored object through the Django storage API (file system or S3 alike) and
compares it with the keys image rows reference: an orphan is stored but referenced by no row,
a missing file is referenced but not stored, and on file-system storage an empty folder is
one a delete left behind. ``manage.py storage_audit`` prints the report and removes old
orphans; the test suite and the load benchmark use the same functions.

Uploads and renders write their files before their rows commit, and deletes remove files
after, so an audit of a live system can see a file a moment before its row (a young orphan)
or a row a moment after its file went. Missing files are checked again after the rows are
read, and orphans are removed only once they are old and still unreferenced.
"""

import posixpath
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import Storage
from django.utils import timezone

from images import files

__all__ = [
    "AuditReport",
    "FixResult",
    "orphans_remove",
    "referenced_files",
    "staging_prefixes_register",
    "storage_audit",
    "storage_orphans_sweep",
]


# Who names the staging folders of uploads still in progress (the resumable app registers
# itself at start-up): what is stored under one is an upload's, not an orphan.
_STAGING_PREFIX_PROVIDERS: list[Callable[[], Iterable[str]]] = []


def staging_prefixes_register(provider: Callable[[], Iterable[str]]) -> None:
    """Registers a function naming the staging folders (``prefix/``) of live uploads."""
    if provider not in _STAGING_PREFIX_PROVIDERS:
        _STAGING_PREFIX_PROVIDERS.append(provider)


def _staged(names: Iterable[str]) -> set[str]:
    """Those of ``names`` under the staging folder of an upload still in progress."""
    prefixes = tuple(p for provider in _STAGING_PREFIX_PROVIDERS for p in provider())
    return {name for name in names if prefixes and name.startswith(prefixes)}


def referenced_files() -> set[str]:
    """Every storage name an image row references."""
    return set(_references())


@dataclass
class AuditReport:
    """What the storage holds that no row references, and the reverse."""

    orphans: set[str] = field(default_factory=set)
    # Each missing name with the image whose row references it.
    missing: dict[str, uuid.UUID] = field(default_factory=dict)
    empty_folders: set[str] = field(default_factory=set)

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.empty_folders)


def storage_audit(*, storage: Storage) -> AuditReport:
    """Compares every object in ``storage`` with the keys the image rows reference."""
    stored = set(files.storage_names(storage=storage))
    referenced = _references()
    candidates = set(referenced) - stored
    if candidates:
        # Written since the listing (an upload that committed meanwhile), or no longer
        # referenced (deleted meanwhile): neither is missing.
        current = _references()
        candidates = {
            name
            for name in candidates
            if name in current and not files.file_exists(key=name, storage=storage)
        }
    unreferenced = stored - set(referenced)
    return AuditReport(
        orphans=unreferenced - _staged(unreferenced),
        missing={name: referenced[name] for name in sorted(candidates)},
        empty_folders=files.folders_empty(storage=storage),
    )


@dataclass
class FixResult:
    """What ``orphans_remove`` removed, and what it left because it was too young."""

    removed: list[str] = field(default_factory=list)
    kept_young: list[str] = field(default_factory=list)
    removed_folders: list[str] = field(default_factory=list)


def orphans_remove(
    *, storage: Storage, report: AuditReport, min_age: timedelta, now: datetime | None = None
) -> FixResult:
    """Removes the report's orphans and empty folders older than ``min_age``.

    An orphan is checked against the rows once more just before it goes, so a file whose
    upload committed since the audit stays. Missing files are never touched: the row is the
    only record of them, and a person decides what to do with it.
    """
    now = now or timezone.now()
    result = FixResult()
    is_filesystem = files.storage_on_filesystem(storage=storage)
    # Before anything is removed, which changes the folders' times.
    folder_times = (
        files.folders_modified_at(
            storage=storage,
            folders=report.empty_folders | files.folders_above(names=report.orphans),
        )
        if is_filesystem
        else {}
    )
    current = _references()
    staged = _staged(report.orphans)
    # A file some image holds (shared by a saved copy) is never an orphan to remove.
    held = files.keys_held(keys=report.orphans)
    for name in sorted(report.orphans):
        if name in current or name in staged or name in held:
            continue
        try:
            modified = files.file_modified_at(key=name, storage=storage)
        except FileNotFoundError:
            continue  # removed meanwhile (by a delete finishing its work)
        if now - modified < min_age:
            result.kept_young.append(name)
            continue
        files.file_delete(key=name, storage=storage)
        result.removed.append(name)
    if is_filesystem:
        # An old orphan's own folder may go at once; any other folder only if it was old
        # before this run: a young one may be an upload's, about to receive its file.
        eligible = {posixpath.dirname(name) for name in result.removed} | {
            folder for folder, modified in folder_times.items() if now - modified >= min_age
        }
        result.removed_folders = files.folders_remove_empty(storage=storage, folders=eligible)
    return result


def _references() -> dict[str, uuid.UUID]:
    """Every storage name an image row references, with that image's id."""
    from images.models import Image  # here, so the benchmark can import this before setup

    names: dict[str, uuid.UUID] = {}
    for image_id, *keys in Image.objects.values_list("id", *Image.FILE_KEY_FIELDS):
        names.update((key, image_id) for key in keys if key)
    return names


def storage_orphans_sweep(*, min_age_seconds: int = 3600) -> int:
    """Removes stored objects no image row points to, once older than ``min_age_seconds``.

    Orphans arise only where a process died between writing a file and committing (or
    between committing a delete and removing its files); the age keeps an upload that is
    still committing safe. Returns how many objects went.
    """
    storage = files.storage_default()
    report = storage_audit(storage=storage)
    result = orphans_remove(
        storage=storage, report=report, min_age=timedelta(seconds=min_age_seconds)
    )
    return len(result.removed)
