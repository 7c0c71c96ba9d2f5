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

import os
import posixpath
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.files.storage import FileSystemStorage, Storage
from django.utils import timezone


def stored_files(root: Path) -> set[str]:
    """Every file under the media root, as storage names."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def referenced_files() -> set[str]:
    """Every storage name an image row references."""
    return set(_references())


def empty_folders(root: Path) -> set[str]:
    """Folders under the media root with nothing in them (left behind by a delete)."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_dir() and not any(p.iterdir())
    }


def storage_names(storage: Storage) -> set[str]:
    """Every object in ``storage``, as storage names."""
    return set(_walk(storage))


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


def storage_audit(storage: Storage) -> AuditReport:
    """Compares every object in ``storage`` with the keys the image rows reference."""
    stored = storage_names(storage)
    referenced = _references()
    candidates = set(referenced) - stored
    if candidates:
        # Written since the listing (an upload that committed meanwhile), or no longer
        # referenced (deleted meanwhile): neither is missing.
        current = _references()
        candidates = {name for name in candidates if name in current and not storage.exists(name)}
    return AuditReport(
        orphans=stored - set(referenced),
        missing={name: referenced[name] for name in sorted(candidates)},
        empty_folders=(
            empty_folders(Path(storage.location))
            if isinstance(storage, FileSystemStorage) and Path(storage.location).is_dir()
            else set()
        ),
    )


@dataclass
class FixResult:
    """What ``orphans_remove`` removed, and what it left because it was too young."""

    removed: list[str] = field(default_factory=list)
    kept_young: list[str] = field(default_factory=list)
    removed_folders: list[str] = field(default_factory=list)


def orphans_remove(
    storage: Storage, report: AuditReport, *, min_age: timedelta, now: datetime | None = None
) -> FixResult:
    """Removes the report's orphans and empty folders older than ``min_age``.

    An orphan is checked against the rows once more just before it goes, so a file whose
    upload committed since the audit stays. Missing files are never touched: the row is the
    only record of them, and a person decides what to do with it.
    """
    now = now or timezone.now()
    result = FixResult()
    is_filesystem = isinstance(storage, FileSystemStorage)
    # Before anything is removed, which changes the folders' times.
    folder_times = (
        _folder_times(storage, report.empty_folders | _parents(sorted(report.orphans)))
        if is_filesystem
        else {}
    )
    current = _references()
    for name in sorted(report.orphans):
        if name in current:
            continue
        try:
            modified = storage.get_modified_time(name)
        except FileNotFoundError:
            continue  # removed meanwhile (by a delete finishing its work)
        if now - modified < min_age:
            result.kept_young.append(name)
            continue
        storage.delete(name)
        result.removed.append(name)
    if is_filesystem:
        # An old orphan's own folder may go at once; any other folder only if it was old
        # before this run: a young one may be an upload's, about to receive its file.
        eligible = {posixpath.dirname(name) for name in result.removed} | {
            folder for folder, modified in folder_times.items() if now - modified >= min_age
        }
        result.removed_folders = _empty_folders_remove(storage, eligible)
    return result


def _references() -> dict[str, uuid.UUID]:
    """Every storage name an image row references, with that image's id."""
    from images.models import Image  # here, so the benchmark can import this before setup

    names: dict[str, uuid.UUID] = {}
    for image_id, *keys in Image.objects.values_list("id", *Image.FILE_KEY_FIELDS):
        names.update((key, image_id) for key in keys if key)
    return names


def _walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every object under ``folder``, found with the storage's own ``listdir``."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a media root nothing was written to yet
        return
    for name in files:
        yield posixpath.join(folder, name)
    for name in folders:
        yield from _walk(storage, posixpath.join(folder, name))


def _parents(names: list[str]) -> set[str]:
    """Every folder above the names, up to the root."""
    parents = set()
    for name in names:
        parent = posixpath.dirname(name)
        while parent:
            parents.add(parent)
            parent = posixpath.dirname(parent)
    return parents


def _folder_times(storage: FileSystemStorage, folders: set[str]) -> dict[str, datetime]:
    times = {}
    for folder in folders:
        try:
            stamp = os.path.getmtime(storage.path(folder))
        except OSError:
            continue
        times[folder] = datetime.fromtimestamp(stamp, tz=UTC)
    return times


def _empty_folders_remove(storage: FileSystemStorage, folders: set[str]) -> list[str]:
    """Removes the empty ones among ``folders``, deepest first; ``rmdir`` keeps the others."""
    removed = []
    for folder in sorted(folders, key=lambda name: name.count("/"), reverse=True):
        try:
            os.rmdir(storage.path(folder))
        except OSError:
            continue
        removed.append(folder)
    return removed
