"""Atelier from Python with a client generated from the OpenAPI schema: the whole gallery flow.

Generate the client once: ``make sdk`` runs openapi-python-client on schema.yml (the same
document the server serves at /api/v1/schema/) with the settings in sdk-config.yml, and writes
the package to ``var/sdk/atelier_client``.

The package needs ``httpx`` and ``attrs`` (both in requirements-dev.txt). Then,
with the server running (``make run``) and the package's parent directory on ``PYTHONPATH``::

    PYTHONPATH=var/sdk .venv/bin/python examples/sdk_quickstart.py --register \\
        --username grace --password 'a-long-pass-phrase' examples/harbour.jpg

``--base-url`` names another server than ``http://127.0.0.1:8000``. Leave out ``--register``
once the account exists (on a second run, or for the README curl walk-through's ``ada``).

It registers (with ``--register``), logs in, uploads the photo in one style, lists the gallery
filtered by that style, pages through all of it one image at a time, saves the thumbnail,
restyles the image and, unless ``--keep`` is given, deletes it again.
"""

import argparse
import mimetypes
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from atelier_client import AuthenticatedClient, Client
from atelier_client.api.account import me_retrieve
from atelier_client.api.auth import auth_register, auth_token_obtain
from atelier_client.api.images import (
    images_delete,
    images_list,
    images_thumbnail_download,
    images_update,
    images_upload,
)
from atelier_client.api.styles import styles_list
from atelier_client.models import (
    Image,
    ImageCreateRequest,
    Me,
    PaginatedImageList,
    PatchedImageUpdateRequest,
    Register,
    RegisterRequest,
    StyleEnum,
    TokenObtainPairRequest,
    TokenPair,
)
from atelier_client.types import File

# The repository's var/ folder, where the thumbnail goes unless --thumbnail says otherwise.
LOCAL_FILES = Path(__file__).resolve().parent.parent / "var"


class ApiError(RuntimeError):
    """The server answered something other than the documented success."""


def log_in(client: Client, username: str, password: str) -> str:
    """Exchanges a username and password for an access token."""
    answer = auth_token_obtain.sync_detailed(
        client=client, body=TokenObtainPairRequest(username=username, password=password)
    )
    if not isinstance(answer.parsed, TokenPair):
        raise ApiError(f"log in failed ({answer.status_code}): {answer.content!r}")
    return answer.parsed.access


def register(client: Client, username: str, password: str) -> Register:
    """Creates the account (its email is made up from the username)."""
    body = RegisterRequest(username=username, email=f"{username}@example.com", password=password)
    answer = auth_register.sync_detailed(client=client, body=body)
    if not isinstance(answer.parsed, Register):
        raise ApiError(f"registration failed ({answer.status_code}): {answer.content!r}")
    return answer.parsed


def upload(api: AuthenticatedClient, path: Path, style: StyleEnum, title: str) -> Image:
    """Uploads the image at ``path`` (multipart) to be rendered in ``style``."""
    mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    with path.open("rb") as payload:
        body = ImageCreateRequest(
            file=File(payload=payload, file_name=path.name, mime_type=mime_type),
            style=style,
            title=title,
        )
        answer = images_upload.sync_detailed(client=api, body=body)
    if not isinstance(answer.parsed, Image):
        raise ApiError(f"upload failed ({answer.status_code}): {answer.content!r}")
    return answer.parsed


def every_image(api: AuthenticatedClient, page_size: int) -> list[Image]:
    """The whole gallery, newest first, following the ``next`` cursor page by page."""
    images: list[Image] = []
    cursor: str | None = None
    while True:
        if cursor is None:
            answer = images_list.sync_detailed(client=api, page_size=page_size)
        else:
            answer = images_list.sync_detailed(client=api, page_size=page_size, cursor=cursor)
        page = answer.parsed
        if not isinstance(page, PaginatedImageList):
            raise ApiError(f"listing failed ({answer.status_code}): {answer.content!r}")
        images.extend(page.results)
        if not page.next_:
            return images
        # ``next`` is a whole URL; the generated function takes just its cursor parameter.
        cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]


def thumbnail_bytes(api: AuthenticatedClient, image_id: UUID) -> bytes:
    answer = images_thumbnail_download.sync_detailed(image_id, client=api)
    if not isinstance(answer.parsed, File):
        raise ApiError(f"thumbnail download failed ({answer.status_code})")
    return answer.parsed.payload.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path, help="a JPEG, PNG, WebP or GIF file to upload")
    parser.add_argument(
        "--base-url", default="http://127.0.0.1:8000", help="the server (default: %(default)s)"
    )
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--register", action="store_true", help="create the account first")
    parser.add_argument("--style", default="sepia", choices=[style.value for style in StyleEnum])
    parser.add_argument(
        "--thumbnail",
        type=Path,
        help="where to save the thumbnail (default: var/<image>-thumbnail.jpg)",
    )
    parser.add_argument("--keep", action="store_true", help="do not delete the image at the end")
    args = parser.parse_args(argv)

    anonymous = Client(base_url=args.base_url, raise_on_unexpected_status=True)
    styles = styles_list.sync(client=anonymous)
    if isinstance(styles, list):
        print("styles:", ", ".join(style.name for style in styles))
    if args.register:
        account = register(anonymous, args.username, args.password)
        print(f"registered {account.username} ({account.id})")

    api = AuthenticatedClient(
        base_url=args.base_url,
        token=log_in(anonymous, args.username, args.password),
        raise_on_unexpected_status=True,
    )
    me = me_retrieve.sync(client=api)
    if isinstance(me, Me):
        print(f"logged in as {me.username}: {me.quota.images_used} images stored")

    style = StyleEnum(args.style)
    image = upload(api, args.image, style, title=args.image.stem)
    print(f"uploaded {image.id}: {image.width}x{image.height} {image.format_}, {image.style}")

    same_style = images_list.sync(client=api, style=style)
    if isinstance(same_style, PaginatedImageList):
        print(f"{len(same_style.results)} image(s) on the first page in style {style.value}")
    gallery = every_image(api, page_size=1)
    print(f"{len(gallery)} image(s) in the gallery")

    thumbnail = thumbnail_bytes(api, image.id)
    # By default under var/, where everything made locally goes (git ignores it), never in the
    # folder it runs from (the repository, as the README runs it).
    target = args.thumbnail or LOCAL_FILES / f"{args.image.stem}-thumbnail.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(thumbnail)
    print(f"saved the thumbnail ({len(thumbnail)} bytes) to {target}")

    restyled = images_update.sync(
        image.id, client=api, body=PatchedImageUpdateRequest(style=StyleEnum.PENCIL_SKETCH)
    )
    if isinstance(restyled, Image):
        print(f"restyled {restyled.id} as {restyled.style}")

    if not args.keep:
        deleted = images_delete.sync_detailed(image.id, client=api)
        print(f"deleted {image.id} ({deleted.status_code})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
