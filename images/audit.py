"""The storage audit: do the files under the media root and the image rows agree?

Used by the test suite after every test that writes files (and races), and by the load
benchmark after its run: every stored file is referenced by a row, every referenced file
exists, and no delete left an empty folder behind. File-system storage only.
"""

from pathlib import Path


def stored_files(root: Path) -> set[str]:
    """Every file under the media root, as storage names."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def referenced_files() -> set[str]:
    """Every storage name an image row references."""
    from images.models import Image  # here, so the benchmark can import this before setup

    keys: set[str] = set()
    for row in Image.objects.values_list("original_key", "processed_key", "thumbnail_key"):
        keys.update(key for key in row if key)
    return keys


def empty_folders(root: Path) -> set[str]:
    """Folders under the media root with nothing in them (left behind by a delete)."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_dir() and not any(p.iterdir())
    }
