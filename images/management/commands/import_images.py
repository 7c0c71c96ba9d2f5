"""Imports a folder of existing images (the old shared uploads) into one user's gallery."""

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from images import lifecycle
from images.models import Image
from imaging.processing import ImageRejected, image_checksum, image_format
from imaging.styles import DEFAULT_STYLE, STYLES
from users.models import User, canonical_name


class Command(BaseCommand):
    """``import_images --owner USERNAME PATH...``: same validation and processing as uploads.

    Files whose checksum the owner already has are skipped, so running it twice imports
    nothing new. Prints imported, skipped and rejected counts.
    """

    help = "Import image files (or folders of them, recursively) into one user's gallery."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", required=True, help="Username of the gallery's owner.")
        parser.add_argument(
            "--style", default=DEFAULT_STYLE, choices=list(STYLES), help="Style to render in."
        )
        parser.add_argument("paths", nargs="+", type=Path, help="Files or folders to import.")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = User.objects.filter(username_canonical=canonical_name(options["owner"])).first()
        if owner is None:
            raise CommandError(f"No user named {options['owner']!r}.")
        counts = {"imported": 0, "skipped": 0, "rejected": 0}
        for path in _files(options["paths"]):
            outcome, reason = _import_one(owner=owner, path=path, style=options["style"])
            counts[outcome] += 1
            if outcome != "imported" and options["verbosity"] >= 1:
                self.stderr.write(f"{outcome}: {path}: {reason}")
        self.stdout.write(
            f"imported: {counts['imported']}, skipped: {counts['skipped']}, "
            f"rejected: {counts['rejected']}"
        )


def _files(paths: list[Path]) -> list[Path]:
    """Every regular file named, or found under a named folder, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()))
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{path} is neither a file nor a folder.")
    return found


def _import_one(*, owner: User, path: Path, style: str) -> tuple[str, str]:
    with path.open("rb") as handle:
        data = handle.read()
        try:
            # The checksum an upload stores: of the image itself, any trailer cut off.
            checksum = image_checksum(data, image_format(data))
        except ImageRejected:
            checksum = None  # Not an image; image_create says why.
        del data
        if checksum and Image.objects.filter(owner=owner, checksum=checksum).exists():
            return "skipped", "already in the gallery"
        handle.seek(0)
        try:
            lifecycle.image_create(
                owner=owner,
                upload=File(handle, name=path.name),
                style=style,
                filename=path.name,
            )
        except ApplicationError as exc:  # not an image, too large, over quota, storage down
            return "rejected", exc.message
    return "imported", ""
