"""Image files in storage: the one module that stores, reads, lists and removes them.

Storage is Django's ``default_storage``: a folder on disk (the default) or an S3 bucket.
Every other module (the services, delivery, the share side, the storage audit) asks this one,
so what differs between the two lives here alone: a file system has folders that a delete can
leave empty (removed here) and paths nginx can read; an object store presigns URLs. So does
the layout of storage names, ``<owner id>/<image id>/<kind>[-<random>].<extension>``: made
by the server, never from a client's file name.

Responses read files in ranges, a chunk at a time (``file_stat``, ``file_chunks``), never
through ``default_storage.open``: django-storages' ``S3File`` downloads the whole object into a
spool (in memory unless ``AWS_S3_MAX_MEMORY_SIZE`` is set) before its first byte, which for a
1 GB video is a gigabyte on the web node per download.

A file may be shared by two images (a saved copy points at its source's files): each then
holds it (``StoredFileHolder``), and ``files_delete`` removes only what no image holds.

Errors are storage's own (``STORAGE_ERRORS``); callers decide what each means to them.
"""

import io
import logging
import os
import posixpath
import secrets
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import DatabaseError

from images.errors import StorageFailed
from images.storage_errors import STORAGE_ERRORS, storage_missing

logger = logging.getLogger(__name__)

# How much of a file a streamed response holds at once.
CHUNK_SIZE = 64 * 1024

# What a change that writes files and rows can fail with, besides its own errors.
_WRITE_ERRORS: tuple[type[BaseException], ...] = (*STORAGE_ERRORS, DatabaseError)

__all__ = [
    "CHUNK_SIZE",
    "STAGING_ROOT",
    "STORAGE_ERRORS",
    "StagingWriter",
    "StoredFile",
    "file_chunks",
    "file_delete",
    "file_exists",
    "file_modified_at",
    "file_open",
    "file_read",
    "file_stat",
    "file_store",
    "file_url",
    "files_delete",
    "files_removed_on_failure",
    "folders_above",
    "folders_empty",
    "folders_modified_at",
    "folders_remove_empty",
    "image_file_key",
    "keys_held",
    "keys_release",
    "staging_begin",
    "staging_delete",
    "staging_open",
    "staging_prefix",
    "staging_writer",
    "storage_default",
    "storage_missing",
    "storage_names",
    "storage_on_filesystem",
    "storage_presigns",
    "stored_files",
]


def image_file_key(
    *, owner_id: uuid.UUID, image_id: uuid.UUID, kind: str, extension: str, fresh: bool = True
) -> str:
    """The storage name for one of an image's files (``extension`` with or without its dot).

    ``fresh`` adds a random suffix, so a new rendition never overwrites the file a row still
    points to (a restyle's old renditions are served until it commits).
    """
    suffix = f"-{secrets.token_hex(4)}" if fresh else ""
    return f"{owner_id}/{image_id}/{kind}{suffix}.{extension.lstrip('.')}"


def file_store(*, key: str, content: File, written: list[str] | None = None) -> str:
    """Saves ``content`` under ``key``; returns the name used, also recorded in ``written``
    (the files a change must remove again if it fails: ``files_removed_on_failure``)."""
    name = default_storage.save(key, content)
    if written is not None:
        written.append(name)
    return name


# --- Staging: a resumable upload's bytes, stored as they arrive --------------------------------

# Under this folder, ``<owner id>/<upload id>/``: never an image's (those start with an owner id).
STAGING_ROOT = "uploads"
# S3 refuses a multipart part below 5 MiB (the last excepted).
S3_MIN_PART_BYTES = 5 * 1024 * 1024


def staging_prefix(*, owner_id: uuid.UUID, upload_id: uuid.UUID) -> str:
    """The folder (with its slash) holding everything staged for one resumable upload."""
    return f"{STAGING_ROOT}/{owner_id}/{upload_id}/"


def staging_begin(*, prefix: str) -> dict[str, Any]:
    """Prepares an upload's staging object; returns its state (kept on the upload's row).

    On disk an empty file under the media root, appended to in place; on S3 a multipart
    upload whose parts arrive with the PATCHes (``StagingWriter``).
    """
    key = f"{prefix}data"
    if storage_on_filesystem():
        path = Path(default_storage.path(key))
        path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640))
        return {"key": key}
    client, bucket, name = _s3_target(key)
    created = client.create_multipart_upload(Bucket=bucket, Key=name)
    return {"key": key, "upload_id": created["UploadId"], "parts": [], "tail": "", "tail_bytes": 0}


class StagingWriter:
    """Appends one request's bytes to an upload's staging object, never holding them all.

    ``write`` as chunks arrive, then ``close`` once: it returns the new staging state and
    the storage names it made obsolete (to remove once that state is committed).
    """

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self, *, last: bool) -> tuple[dict[str, Any], list[str]]:
        raise NotImplementedError

    def abort(self) -> None:
        """Lets go of the request's file handle or buffer; what is committed stays valid."""


class _FileStagingWriter(StagingWriter):
    """The staging file under the media root, cut back to the committed offset, then appended.

    Cutting back drops whatever a request that died after writing but before committing
    left past the offset, so the bytes always follow on from the committed ones.
    """

    def __init__(self, *, state: dict[str, Any], offset: int) -> None:
        self.state = state
        self.handle = open(default_storage.path(state["key"]), "r+b")  # noqa: SIM115
        self.handle.seek(offset)
        self.handle.truncate()

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def close(self, *, last: bool) -> tuple[dict[str, Any], list[str]]:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        return self.state, []

    def abort(self) -> None:
        self.handle.close()


class _S3StagingWriter(StagingWriter):
    """An S3 multipart upload: whole parts are sent as they fill, one part's worth in memory.

    S3 takes no part under 5 MiB but the last, so what a PATCH leaves short of a part is
    stored as a small "tail" object of its own, which the next PATCH reads back first. Parts
    are numbered from the committed list: a part a dead request sent but never committed is
    simply sent again under its number, replacing it.
    """

    def __init__(self, *, state: dict[str, Any], part_bytes: int) -> None:
        self.state = state
        self.part_bytes = max(part_bytes, S3_MIN_PART_BYTES)
        self.client, self.bucket, self.name = _s3_target(state["key"])
        self.parts: list[list[Any]] = [list(part) for part in state["parts"]]
        self.buffer = bytearray()
        if state["tail"]:
            _, _, tail_name = _s3_target(state["tail"])
            body = self.client.get_object(Bucket=self.bucket, Key=tail_name)["Body"]
            self.buffer += body.read()

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= self.part_bytes:
            self._send(bytes(self.buffer[: self.part_bytes]))
            del self.buffer[: self.part_bytes]

    def _send(self, data: bytes) -> None:
        number = len(self.parts) + 1
        sent = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.name,
            UploadId=self.state["upload_id"],
            PartNumber=number,
            Body=data,
        )
        self.parts.append([number, sent["ETag"]])

    def close(self, *, last: bool) -> tuple[dict[str, Any], list[str]]:
        obsolete = [self.state["tail"]] if self.state["tail"] else []
        state = {**self.state, "parts": self.parts, "tail": "", "tail_bytes": 0}
        if last and not self.state["upload_id"]:
            pass  # assembled already (a completion retried after storage failed)
        elif last:
            if self.buffer or not self.parts:
                self._send(bytes(self.buffer))
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.name,
                UploadId=self.state["upload_id"],
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in self.parts]
                },
            )
            state.update(upload_id="", parts=[])
        elif self.buffer:
            tail = f"{posixpath.dirname(self.state['key'])}/tail-{secrets.token_hex(8)}"
            _, _, tail_name = _s3_target(tail)
            self.client.put_object(Bucket=self.bucket, Key=tail_name, Body=bytes(self.buffer))
            state.update(tail=tail, tail_bytes=len(self.buffer))
        self.buffer = bytearray()
        return state, obsolete

    def abort(self) -> None:
        self.buffer = bytearray()


def staging_writer(*, state: dict[str, Any], offset: int, part_bytes: int) -> StagingWriter:
    """A writer that appends to the staging object from ``offset`` (the committed one)."""
    if storage_on_filesystem():
        return _FileStagingWriter(state=state, offset=offset)
    return _S3StagingWriter(state=state, part_bytes=part_bytes)


class _S3RangeReader(io.RawIOBase):
    """An S3 object read with ranged GETs: seekable, never downloaded whole or to disk."""

    def __init__(self, *, key: str, size: int) -> None:
        super().__init__()
        self.client, self.bucket, self.name = _s3_target(key)
        self.size = size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self._get(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        # One GET for the rest (a photo read whole), not one per 8 KiB as RawIOBase's would.
        return self._get(self.size - self.position)

    def _get(self, size: int) -> bytes:
        wanted = min(size, self.size - self.position)
        if wanted <= 0:
            return b""
        end = self.position + wanted - 1
        body = self.client.get_object(
            Bucket=self.bucket, Key=self.name, Range=f"bytes={self.position}-{end}"
        )["Body"]
        data = body.read()
        self.position += len(data)
        return data


def staging_open(*, state: dict[str, Any], size: int, name: str) -> File:
    """The assembled staging object as a Django ``File`` that streams (a file on disk, or
    ranged GETs on S3, 1 MiB at a time); the caller closes it."""
    if storage_on_filesystem():
        handle: Any = open(default_storage.path(state["key"]), "rb")  # noqa: SIM115
    else:
        handle = io.BufferedReader(_S3RangeReader(key=state["key"], size=size), 1024 * 1024)
    staged = File(handle, name=name)
    staged.size = size
    return staged


def staging_delete(*, prefix: str, state: dict[str, Any]) -> None:
    """Removes everything staged under ``prefix`` (aborting an S3 multipart upload), logging
    failures as ``files_delete`` does; the storage audit reports what stays."""
    if state.get("upload_id"):
        client, bucket, name = _s3_target(state["key"])
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=name, UploadId=state["upload_id"])
        except Exception:  # botocore's ClientError (NoSuchUpload once aborted) and transport
            logger.exception("Could not abort the multipart upload of %s", prefix)
    _files_remove(keys=list(storage_names(storage=default_storage, folder=prefix.rstrip("/"))))


def _s3_target(key: str) -> tuple[Any, str, str]:
    """The boto3 client, bucket and object name (with the storage's location) of ``key``."""
    from storages.utils import clean_name

    storage: Any = default_storage
    return (
        storage.connection.meta.client,
        storage.bucket_name,
        storage._normalize_name(clean_name(key)),
    )


def file_read(*, key: str) -> bytes:
    """The whole file (at most an upload's size: an object store is better read once)."""
    with default_storage.open(key, "rb") as handle:
        return handle.read()


def file_open(*, key: str) -> File:
    """The file, open for reading (on S3, downloaded whole first: responses stream with
    ``file_chunks`` instead)."""
    return default_storage.open(key, "rb")


@dataclass(frozen=True)
class StoredFile:
    """A stored file's size and modification time, and a way to read it in ranges.

    Nothing is held open: each ``file_chunks`` call opens what it reads, so a response that
    is never read (a HEAD, a client gone) leaves nothing behind.
    """

    key: str
    size: int
    modified_at: datetime | None


def file_stat(*, key: str) -> StoredFile:
    """The file's size and modification time (one request to an object store); a missing
    file is ``FileNotFoundError``, whatever the storage."""
    if storage_presigns():
        client, bucket, name = _s3_object(key=key)
        try:
            head = client.head_object(Bucket=bucket, Key=name, **_s3_read_parameters(name))
        except STORAGE_ERRORS as exc:
            if storage_missing(exc=exc):
                raise FileNotFoundError(key) from exc
            raise
        return StoredFile(
            key=key, size=int(head["ContentLength"]), modified_at=head.get("LastModified")
        )
    size = default_storage.size(key)
    try:
        modified_at: datetime | None = default_storage.get_modified_time(key)
    except NotImplementedError:  # a storage that keeps no times (none configured here)
        modified_at = None
    return StoredFile(key=key, size=size, modified_at=modified_at)


def file_chunks(
    *, stored: StoredFile, start: int = 0, stop: int | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Bytes ``start`` up to ``stop`` (the end by default) of a file, ``chunk_size`` at a time.

    On S3 one ranged ``GetObject`` whose body is read as it arrives, never downloaded whole
    first (``default_storage.open`` would: django-storages' ``S3File`` spools the entire
    object to a temporary file before the first byte); on disk, the file opened and seeked.
    Memory stays at about one chunk. A file that ends before ``stop`` (changed since
    ``file_stat``) raises ``OSError`` rather than yield fewer bytes than a response promised.
    """
    stop = stored.size if stop is None else stop
    if stop <= start:
        return
    remaining = stop - start
    if storage_presigns():
        chunks = _s3_chunks(key=stored.key, start=start, stop=stop, chunk_size=chunk_size)
    else:
        chunks = _opened_chunks(key=stored.key, start=start, stop=stop, chunk_size=chunk_size)
    for chunk in chunks:
        if len(chunk) > remaining:
            chunk = chunk[:remaining]
        remaining -= len(chunk)
        yield chunk
        if not remaining:
            return
    raise OSError(f"{stored.key} ended {remaining} bytes before the range it was read for")


def _opened_chunks(*, key: str, start: int, stop: int, chunk_size: int) -> Iterator[bytes]:
    """The range read from the storage's own file object (seekable on a file system)."""
    with default_storage.open(key, "rb") as handle:
        handle.seek(start)
        remaining = stop - start
        while remaining:
            chunk = handle.read(min(chunk_size, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def _s3_chunks(*, key: str, start: int, stop: int, chunk_size: int) -> Iterator[bytes]:
    """The range as one ``GetObject`` with ``Range``, its body streamed in chunks."""
    client, bucket, name = _s3_object(key=key)
    answer = client.get_object(
        Bucket=bucket, Key=name, Range=f"bytes={start}-{stop - 1}", **_s3_read_parameters(name)
    )
    body = answer["Body"]
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


def _s3_object(*, key: str) -> tuple[Any, str, str]:
    """The configured S3 storage's client, bucket and the object name of ``key`` (its
    ``location`` prefix applied, as the storage does for every other call)."""
    from storages.utils import clean_name

    storage: Any = default_storage
    return (
        storage.connection.meta.client,
        storage.bucket_name,
        storage._normalize_name(clean_name(key)),
    )


def _s3_read_parameters(name: str) -> dict[str, Any]:
    """The storage's object parameters that a read must repeat (SSE-C keys), as its own
    ``S3File`` sends them."""
    storage: Any = default_storage
    return {
        parameter: value
        for parameter, value in storage.get_object_parameters(name).items()
        if parameter.startswith("SSECustomer")
    }


def file_exists(*, key: str, storage: Storage | None = None) -> bool:
    """Whether storage (the configured one unless named) holds the file (one request to an
    object store)."""
    return (storage or default_storage).exists(key)


def file_modified_at(*, key: str, storage: Storage | None = None) -> datetime:
    """When the file was last written; ``FileNotFoundError`` if it is gone."""
    return (storage or default_storage).get_modified_time(key)


def file_delete(*, key: str, storage: Storage | None = None) -> None:
    """Removes one file, raising what the storage raises (the audit decides what a failure
    means; ``files_delete`` logs and goes on)."""
    (storage or default_storage).delete(key)


def file_url(*, key: str, parameters: dict[str, Any] | None = None) -> str:
    """The storage's URL for the file: presigned, with ``parameters``, on S3."""
    if parameters is None:
        return default_storage.url(key)
    # Only S3Storage's url() takes ``parameters`` (callers ask when ``storage_presigns()``);
    # django-stubs types the base Storage.url(name), and django-storages ships no types.
    return default_storage.url(key, parameters=parameters)  # type: ignore[call-arg]


def files_delete(*, keys: Iterable[str]) -> None:
    """Removes image files no image still holds, logging (not raising) failures: the rows
    are already consistent.

    Every deletion of an image's files comes here once its change has committed. A key
    another image still holds (``StoredFileHolder``: a saved copy and its source share
    files) stays; the holders of the image that let go of it were removed in that change's
    transaction, so what is read here is what the others still hold. If the holders cannot
    be read, nothing is removed (the storage audit finds what stays).
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return
    try:
        held = keys_held(keys=keys)
    except DatabaseError:
        logger.exception("Could not read who holds %d files; kept them", len(keys))
        return
    _files_remove(keys=[key for key in keys if key not in held])


def keys_held(*, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that some image holds (shared between images: never removed)."""
    from images.models import StoredFileHolder  # here: models are not ready when this loads

    keys = list(keys)
    held: set[str] = set()
    # In batches, so a deletion of thousands of images never builds one huge IN list.
    for start in range(0, len(keys), 500):
        held.update(
            StoredFileHolder.objects.filter(key__in=keys[start : start + 500]).values_list(
                "key", flat=True
            )
        )
    return held


def keys_release(*, image_id: uuid.UUID, keys: Iterable[str]) -> None:
    """Drops the image's holds on ``keys`` (which it no longer references), in the caller's
    transaction: before the ``files_delete`` it schedules for when that commits."""
    from images.models import StoredFileHolder

    keys = list(keys)
    if keys:
        StoredFileHolder.objects.filter(image_id=image_id, key__in=keys).delete()


def _files_remove(*, keys: Iterable[str]) -> None:
    """Removes files, logging (not raising) failures; for names no image can hold (just
    written by a change that failed, or staged), and for ``files_delete``'s unheld ones.

    On a file-system storage the folders they leave empty (``<owner>/<image>/``, then
    ``<owner>/``) go too; object stores have no folders to leave behind.
    """
    keys = list(keys)
    for key in keys:
        try:
            default_storage.delete(key)
        except STORAGE_ERRORS:
            logger.exception("Could not delete stored file %s", key)
    if storage_on_filesystem():
        folders_remove_empty(storage=default_storage, folders=folders_above(names=keys))


@contextmanager
def files_removed_on_failure(*, written: list[str], image_id: object) -> Iterator[None]:
    """Removes the files in ``written`` if the block fails; storage and database failures
    become ``StorageFailed`` (nothing of the change was kept), anything else propagates.

    Used outside the transaction, so it also catches a failure of the commit itself.
    """
    try:
        yield
    except _WRITE_ERRORS as exc:
        # Fresh names no image holds, and the database may be what failed: no holder check.
        _files_remove(keys=written)
        logger.exception("Change to image %s failed; removed %d new files", image_id, len(written))
        raise StorageFailed(str(exc)) from exc
    except BaseException:
        _files_remove(keys=written)
        raise


def storage_default() -> Storage:
    """The configured storage (``STORAGES["default"]``), for the audit to walk."""
    return default_storage


def storage_on_filesystem(*, storage: Storage | None = None) -> bool:
    """Whether ``storage`` (default: the configured one) keeps files in folders on disk."""
    return isinstance(storage or default_storage, FileSystemStorage)


def storage_presigns(*, storage: Storage | None = None) -> bool:
    """Whether ``storage`` (default: the configured one) makes presigned URLs (S3)."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # django-storages or boto3 not installed: files are on disk
        return False
    return isinstance(storage or default_storage, S3Storage)


# --- Listing, for the storage audit ---------------------------------------------------------


def storage_names(*, storage: Storage, folder: str = "") -> Iterator[str]:
    """Every object under ``folder``, found with the storage's own ``listdir``."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a media root nothing was written to yet
        return
    for name in files:
        yield posixpath.join(folder, name)
    for name in folders:
        yield from storage_names(storage=storage, folder=posixpath.join(folder, name))


def stored_files(*, root: Path) -> set[str]:
    """Every file under a media root on disk, as storage names."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def folders_empty(*, storage: Storage) -> set[str]:
    """The empty folders of a file-system storage (left behind by a delete; none for an
    object store)."""
    if not isinstance(storage, FileSystemStorage):
        return set()
    root = Path(storage.location)
    if not root.is_dir():
        return set()
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_dir() and not any(p.iterdir())
    }


def folders_above(*, names: Iterable[str]) -> set[str]:
    """Every folder above the names, up to the root."""
    parents = set()
    for name in names:
        parent = posixpath.dirname(name)
        while parent:
            parents.add(parent)
            parent = posixpath.dirname(parent)
    return parents


def folders_modified_at(*, storage: Storage, folders: Iterable[str]) -> dict[str, datetime]:
    """When each existing folder of a file-system storage last changed."""
    times = {}
    for folder in folders:
        try:
            stamp = os.path.getmtime(storage.path(folder))
        except OSError:
            continue
        times[folder] = datetime.fromtimestamp(stamp, tz=UTC)
    return times


def folders_remove_empty(*, storage: Storage, folders: Iterable[str]) -> list[str]:
    """Removes the empty ones among ``folders``, deepest first; returns those removed.

    ``rmdir`` refuses a folder that is not empty (another image, or an upload writing into
    it right now), which is exactly when it must stay.
    """
    removed = []
    for folder in sorted(set(folders), key=lambda name: name.count("/"), reverse=True):
        try:
            os.rmdir(storage.path(folder))
        except OSError:
            continue
        removed.append(folder)
    return removed
