"""A Python client generated from schema.yml drives the whole gallery flow against a live server.

openapi-python-client writes the package into a temporary directory; every call goes over HTTP
to pytest-django's live server, and every answer must parse into the generated model the
schema names for it: a response the schema gets wrong shows up as ``None``, a dict, or a crash.
"""

import importlib
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from django.conf import settings
from PIL import Image as PILImage

from tests.clients.conftest import LiveApi
from tests.factories import image_bytes
from tests.heif_files import heif_bytes
from tests.videos import clip

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema.yml"
QUICKSTART = ROOT / "examples" / "sdk_quickstart.py"
PACKAGE = "atelier_client"
PASSWORD = "a-long-pass-phrase-for-the-sdk"
# The renditions are image/*; the generator returns raw bytes only for application/octet-stream.
# No post-hooks (ruff formatting of the output), so any warning at all fails generation.
# The committed generator settings that `make sdk` and the README use.
SDK_CONFIG_FILE = SCHEMA_FILE.parent / "sdk-config.yml"

Load = Callable[[str], ModuleType]


def generate_client(schema_file: Path, root: Path) -> Path:
    """Generates the ``atelier_client`` package under ``root``; fails on any generator warning."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema_file),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(SDK_CONFIG_FILE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"generation warned or failed:\n{result.stdout}{result.stderr}"
    return root


@pytest.fixture(scope="session")
def sdk_dir(tmp_path_factory) -> Path:
    """The directory holding the generated ``atelier_client`` package."""
    root = tmp_path_factory.mktemp("sdk")
    return generate_client(SCHEMA_FILE, root)


@pytest.fixture(scope="session")
def load(sdk_dir: Path) -> Iterator[Load]:
    """Imports modules of the generated package by their dotted name inside it."""
    sys.path.insert(0, str(sdk_dir))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}" if name else PACKAGE)
    finally:
        sys.path.remove(str(sdk_dir))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def jpeg(size: tuple[int, int] = (400, 300)) -> io.BytesIO:
    return io.BytesIO(image_bytes(size=size))


def decoded(data: bytes) -> PILImage.Image:
    with PILImage.open(io.BytesIO(data)) as image:
        image.load()
        return image


def thumbnail_short_edge(short_edge: int) -> int:
    """A thumbnail's short edge: ATELIER_THUMBNAIL_EDGE, never upscaled (common contract)."""
    return min(short_edge, settings.ATELIER["THUMBNAIL_EDGE"])


def cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def log_in(load: Load, live_api: LiveApi, username: str) -> object:
    """Registers ``username`` and logs in through the SDK; returns an authenticated client."""
    client_module, models = load(""), load("models")
    auth_register, auth_token_obtain = (
        load("api.auth.auth_register"),
        load("api.auth.auth_token_obtain"),
    )
    anonymous = client_module.Client(base_url=live_api.base_url, raise_on_unexpected_status=True)

    registered = auth_register.sync_detailed(
        client=anonymous,
        body=models.RegisterRequest(
            username=username, email=f"{username}@example.com", password=PASSWORD
        ),
    )
    assert registered.status_code == HTTPStatus.CREATED
    assert isinstance(registered.parsed, models.Register)
    assert registered.parsed.username == username
    assert isinstance(registered.parsed.id, uuid.UUID)

    tokens = auth_token_obtain.sync_detailed(
        client=anonymous,
        body=models.TokenObtainPairRequest(username=username, password=PASSWORD),
    )
    assert isinstance(tokens.parsed, models.TokenPair)
    return client_module.AuthenticatedClient(
        base_url=live_api.base_url, token=tokens.parsed.access, raise_on_unexpected_status=True
    )


def test_committed_schema_generates_an_importable_client(tmp_path):
    root = generate_client(SCHEMA_FILE, tmp_path)
    modules = sorted(
        ".".join(path.relative_to(root).with_suffix("").parts)
        for path in (root / PACKAGE / "api").rglob("*.py")
        if path.name != "__init__.py"
    )
    result = subprocess.run(
        [sys.executable, "-c", "; ".join(f"import {module}" for module in modules)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_generated_client_has_a_function_for_every_operation(load):
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            tag, operation_id = operation["tags"][0], operation["operationId"]
            module = load(f"api.{tag}.{operation_id}")
            assert callable(module.sync_detailed), operation_id


def test_enums_are_named_and_shared_by_every_operation(load):
    """#10.16: members read as words, and one type per list of values."""
    import inspect

    models = load("models")
    assert models.OrderingEnum.NEWEST_FIRST.value == "-created_at"
    assert models.OrderingEnum.OLDEST_FIRST.value == "created_at"
    assert models.StyleEnum.PENCIL_SKETCH.value == "pencil_sketch"
    assert not [
        n
        for n in dir(models)
        if n.startswith("ImagesList") and n.endswith(("Style", "Status", "Ordering"))
    ]
    images_list = load("api.images.images_list")
    parameters = inspect.signature(images_list.sync).parameters
    assert "StyleEnum" in str(parameters["style"].annotation)
    assert "ImageStatusEnum" in str(parameters["status"].annotation)
    assert "OrderingEnum" in str(parameters["ordering"].annotation)


def test_make_sdk_writes_a_typed_package():
    """#10.16: `make sdk`'s package carries py.typed, so type checkers read its hints."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nsdk:", 1)[1].split("\n\n", 1)[0]
    assert "touch var/sdk/atelier_client/py.typed" in recipe


@pytest.mark.inprocess_render
def test_sdk_walks_the_whole_gallery_flow(load, live_api):
    models, types = load("models"), load("types")
    me_retrieve = load("api.account.me_retrieve")
    styles_list = load("api.styles.styles_list")
    images_upload = load("api.images.images_upload")
    images_list = load("api.images.images_list")
    images_retrieve = load("api.images.images_retrieve")
    images_thumbnail_download = load("api.images.images_thumbnail_download")
    images_update = load("api.images.images_update")
    images_delete = load("api.images.images_delete")
    api = log_in(load, live_api, "ada")

    me = me_retrieve.sync_detailed(client=api)
    assert isinstance(me.parsed, models.Me)
    assert me.parsed.username == "ada"
    assert isinstance(me.parsed.quota, models.Quota)
    assert me.parsed.quota.images_used == 0

    styles = styles_list.sync_detailed(client=api)
    assert isinstance(styles.parsed, list)
    assert all(isinstance(style, models.Style) for style in styles.parsed)
    assert {style.name for style in styles.parsed} == {style.value for style in models.StyleEnum}

    uploaded = []
    for title, style in [
        ("harbour", models.StyleEnum.SEPIA),
        ("market", models.StyleEnum.GRAYSCALE),
        ("lighthouse", models.StyleEnum.SEPIA),
    ]:
        answer = images_upload.sync_detailed(
            client=api,
            body=models.ImageCreateRequest(
                file=types.File(payload=jpeg(), file_name=f"{title}.jpg", mime_type="image/jpeg"),
                style=style,
                title=title,
            ),
        )
        assert answer.status_code == HTTPStatus.CREATED
        assert isinstance(answer.parsed, models.Image)
        assert isinstance(answer.parsed.urls, models.ImageUrls)
        assert answer.parsed.style is style
        assert answer.parsed.status is models.ImageStatusEnum.READY
        assert answer.headers["location"] == live_api.url("image-detail", pk=answer.parsed.id)
        uploaded.append(answer.parsed)
    harbour, market, lighthouse = uploaded

    sepia = images_list.sync_detailed(client=api, style=models.StyleEnum.SEPIA)
    assert isinstance(sepia.parsed, models.PaginatedImageList)
    assert [image.id for image in sepia.parsed.results] == [lighthouse.id, harbour.id]
    assert all(isinstance(image, models.Image) for image in sepia.parsed.results)

    seen, pages, cursor = [], 0, types.UNSET
    while True:
        page = images_list.sync_detailed(client=api, page_size=1, cursor=cursor)
        assert isinstance(page.parsed, models.PaginatedImageList)
        assert len(page.parsed.results) == 1
        seen.append(page.parsed.results[0].id)
        pages += 1
        if not page.parsed.next_:
            break
        cursor = cursor_of(page.parsed.next_)
    assert pages == 3
    assert seen == [lighthouse.id, market.id, harbour.id]
    assert page.parsed.previous

    thumbnail = images_thumbnail_download.sync_detailed(harbour.id, client=api)
    assert thumbnail.status_code == HTTPStatus.OK
    assert isinstance(thumbnail.parsed, types.File)
    sepia_thumbnail = thumbnail.parsed.payload.read()
    assert decoded(sepia_thumbnail).format == "JPEG"
    assert min(decoded(sepia_thumbnail).size) == thumbnail_short_edge(300)

    # The signed URL works with no token at all (the generator still types the client as
    # AuthenticatedClient: it ignores an optional `{}` security requirement).
    anonymous = load("").Client(base_url=live_api.base_url, raise_on_unexpected_status=True)
    signed = images_thumbnail_download.sync_detailed(
        harbour.id, client=anonymous, sig=parse_qs(urlsplit(harbour.urls.thumbnail).query)["sig"][0]
    )
    assert isinstance(signed.parsed, types.File)
    assert signed.parsed.payload.read() == sepia_thumbnail

    restyled = images_update.sync_detailed(
        harbour.id,
        client=api,
        body=models.PatchedImageUpdateRequest(style=models.StyleEnum.PENCIL_SKETCH, title="quay"),
    )
    assert isinstance(restyled.parsed, models.Image)
    assert restyled.parsed.style is models.StyleEnum.PENCIL_SKETCH
    assert restyled.parsed.title == "quay"
    again = images_thumbnail_download.sync_detailed(harbour.id, client=api)
    assert isinstance(again.parsed, types.File)
    assert again.parsed.payload.read() != sepia_thumbnail

    fetched = images_retrieve.sync_detailed(harbour.id, client=api)
    assert isinstance(fetched.parsed, models.Image)
    assert fetched.parsed.updated_at >= fetched.parsed.created_at

    deleted = images_delete.sync_detailed(harbour.id, client=api)
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    remaining = images_list.sync_detailed(client=api)
    assert isinstance(remaining.parsed, models.PaginatedImageList)
    assert [image.id for image in remaining.parsed.results] == [lighthouse.id, market.id]


def test_sdk_parses_rejected_input_as_field_errors(load, live_api):
    models, types = load("models"), load("types")
    auth_register, images_upload = load("api.auth.auth_register"), load("api.images.images_upload")
    api = log_in(load, live_api, "bea")

    not_an_image = images_upload.sync_detailed(
        client=api,
        body=models.ImageCreateRequest(
            file=types.File(payload=io.BytesIO(b"just text"), file_name="notes.jpg"),
        ),
    )
    assert not_an_image.status_code == HTTPStatus.BAD_REQUEST
    assert isinstance(not_an_image.parsed, models.ImagesUploadResponse400)
    assert not_an_image.parsed["file"]

    anonymous = load("").Client(base_url=live_api.base_url, raise_on_unexpected_status=True)
    taken = auth_register.sync_detailed(
        client=anonymous,
        body=models.RegisterRequest(username="BEA", email="other@example.com", password=PASSWORD),
    )
    assert taken.status_code == HTTPStatus.BAD_REQUEST
    assert isinstance(taken.parsed, models.AuthRegisterResponse400)
    assert taken.parsed["username"]


def test_sdk_deletes_the_account_only_with_its_password(load, live_api):
    """#18.7: the token alone deletes nothing; the SDK sends the password in a JSON body."""
    models, me_delete = load("models"), load("api.account.me_delete")
    me_retrieve = load("api.account.me_retrieve")
    api = log_in(load, live_api, "dov")

    wrong = me_delete.sync_detailed(
        client=api, body=models.AccountDeleteRequest(password="not the password")
    )
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert isinstance(wrong.parsed, models.MeDeleteResponse400)
    assert wrong.parsed["password"] == ["The password is not correct."]
    assert me_retrieve.sync_detailed(client=api).status_code == HTTPStatus.OK

    deleted = me_delete.sync_detailed(
        client=api, body=models.AccountDeleteRequest(password=PASSWORD)
    )
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    assert me_retrieve.sync_detailed(client=api).status_code == HTTPStatus.UNAUTHORIZED


def test_sdk_parses_a_missing_image_as_an_error(load, live_api):
    models, images_retrieve = load("models"), load("api.images.images_retrieve")
    api = log_in(load, live_api, "cai")
    answer = images_retrieve.sync_detailed(uuid.uuid4(), client=api)
    assert answer.status_code == HTTPStatus.NOT_FOUND
    assert isinstance(answer.parsed, models.Error)
    assert answer.parsed.detail


@pytest.mark.inprocess_render
def test_quickstart_runs_against_the_live_server(sdk_dir, live_api, tmp_path):
    photo = tmp_path / "harbour.jpg"
    photo.write_bytes(image_bytes(size=(800, 600)))
    thumbnail = tmp_path / "thumb.jpg"
    result = subprocess.run(
        [
            sys.executable,
            str(QUICKSTART),
            "--base-url",
            live_api.base_url,
            "--username",
            "dee",
            "--password",
            PASSWORD,
            "--register",
            "--style",
            "vintage",
            "--thumbnail",
            str(thumbnail),
            str(photo),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(sdk_dir)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "registered dee" in result.stdout
    assert "800x600 JPEG, vintage" in result.stdout
    assert "1 image(s) in the gallery" in result.stdout
    assert "restyled" in result.stdout and "pencil_sketch" in result.stdout
    assert "(204)" in result.stdout
    assert min(decoded(thumbnail.read_bytes()).size) == thumbnail_short_edge(600)

    access = live_api.tokens("dee", PASSWORD)["access"]
    listed = live_api.http.get(
        live_api.url("image-list"), headers={"Authorization": f"Bearer {access}"}
    )
    assert listed.json()["results"] == []


@pytest.mark.inprocess_render
def test_quickstart_leaves_nothing_in_the_folder_it_runs_from(sdk_dir, live_api, tmp_path):
    # Found by a new user (#18): run from the repository, it left harbour-thumbnail.jpg in it.
    # A name of its own: the thumbnail lands in the repository's var/, beside a reader's own.
    photo = tmp_path / "photos" / f"harbour-{uuid.uuid4().hex}.jpg"
    photo.parent.mkdir()
    photo.write_bytes(image_bytes(size=(400, 300)))
    here = tmp_path / "here"
    here.mkdir()
    command = [sys.executable, str(QUICKSTART), "--base-url", live_api.base_url]
    command += ["--username", "eli", "--password", PASSWORD, "--register", str(photo)]
    result = subprocess.run(
        command,
        cwd=here,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(sdk_dir)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(here.iterdir()) == []
    saved = Path(re.search(r"saved the thumbnail \(\d+ bytes\) to (.+)", result.stdout)[1])
    try:
        assert saved.parent == ROOT / "var"  # ignored by git, like everything made locally
        assert decoded(saved.read_bytes()).format == "JPEG"
    finally:
        saved.unlink(missing_ok=True)


def test_quickstart_type_checks_against_the_generated_client(sdk_dir, tmp_path):
    pytest.importorskip("mypy")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(QUICKSTART),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "MYPYPATH": str(sdk_dir)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sdk_shares_an_album_behind_a_password(load, live_api):
    """#13: an album made, filled and shared with a password, then opened anonymously:
    unlock, send the grant, page, and download a thumbnail by the page's signed URL."""
    models, types = load("models"), load("types")
    albums_create = load("api.albums.albums_create")
    albums_images_add = load("api.albums.albums_images_add")
    images_upload = load("api.images.images_upload")
    images_thumbnail_download = load("api.images.images_thumbnail_download")
    shares_create = load("api.shares.shares_create")
    shared_retrieve = load("api.shared.shared_retrieve")
    shared_unlock = load("api.shared.shared_unlock")
    shared_thumbnail_download = load("api.shared.shared_thumbnail_download")
    api = log_in(load, live_api, "gus")

    album = albums_create.sync_detailed(
        client=api, body=models.AlbumCreateRequest(title="Harbour walk")
    )
    assert album.status_code == HTTPStatus.CREATED
    assert isinstance(album.parsed, models.Album)
    assert album.parsed.image_count == 0
    image = images_upload.sync_detailed(
        client=api,
        body=models.ImageCreateRequest(
            file=types.File(payload=jpeg(), file_name="quay.jpg", mime_type="image/jpeg"),
            style=models.StyleEnum.SEPIA,
            title="quay",
        ),
    )
    assert isinstance(image.parsed, models.Image)
    added = albums_images_add.sync_detailed(
        album.parsed.id, client=api, body=models.ImageIdsRequest(image_ids=[image.parsed.id])
    )
    assert isinstance(added.parsed, models.AlbumImagesResult)
    assert [(r.image_id, r.result) for r in added.parsed.results] == [
        (image.parsed.id, models.ResultEnum.ADDED)
    ]

    share = shares_create.sync_detailed(
        client=api,
        body=models.ShareCreateAlbumRequest(
            album=album.parsed.id, title="For Gran", password="open sesame"
        ),
    )
    assert share.status_code == HTTPStatus.CREATED
    assert isinstance(share.parsed, models.Share)
    assert share.parsed.album == album.parsed.id
    assert share.parsed.image_ids is None
    assert share.parsed.has_password is True
    assert share.parsed.api_url == live_api.url("shared-detail", token=share.parsed.token)
    assert share.parsed.url == f"{live_api.base_url}/s/{share.parsed.token}"
    token = share.parsed.token

    # A visitor: no account, no token; only the link and its password.
    visitor = load("").Client(base_url=live_api.base_url, raise_on_unexpected_status=True)
    locked = shared_retrieve.sync_detailed(token, client=visitor)
    assert locked.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(locked.parsed, models.Error)
    assert locked.parsed.code == "share_password_required"
    wrong = shared_unlock.sync_detailed(
        token, client=visitor, body=models.ShareUnlockRequest(password="open says me")
    )
    assert wrong.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(wrong.parsed, models.Error)
    assert wrong.parsed.code == "share_password_invalid"

    unlocked = shared_unlock.sync_detailed(
        token, client=visitor, body=models.ShareUnlockRequest(password="open sesame")
    )
    assert unlocked.status_code == HTTPStatus.OK
    assert isinstance(unlocked.parsed, models.ShareGrant)
    assert unlocked.parsed.expires_at.tzinfo is not None

    page = shared_retrieve.sync_detailed(token, client=visitor, x_share_grant=unlocked.parsed.grant)
    assert page.status_code == HTTPStatus.OK
    assert isinstance(page.parsed, models.SharedPage)
    assert page.parsed.title == "For Gran"
    assert page.parsed.next_ is None and page.parsed.previous is None
    [item] = page.parsed.results
    assert isinstance(item, models.SharedImage)
    assert isinstance(item.urls, models.SharedImageUrls)
    assert (item.id, item.title) == (image.parsed.id, "quay")
    # The link does not show metadata: the fields are absent, not null.
    assert item.taken_at is types.UNSET and item.metadata is types.UNSET
    assert "gus" not in str(page.parsed.to_dict())

    sig = parse_qs(urlsplit(item.urls.thumbnail).query)["sig"][0]
    thumbnail = shared_thumbnail_download.sync_detailed(token, item.id, client=visitor, sig=sig)
    assert thumbnail.status_code == HTTPStatus.OK
    assert isinstance(thumbnail.parsed, types.File)
    shared_bytes = thumbnail.parsed.payload.read()
    assert decoded(shared_bytes).format == "JPEG"
    assert min(decoded(shared_bytes).size) == thumbnail_short_edge(300)
    owners = images_thumbnail_download.sync_detailed(image.parsed.id, client=api)
    assert isinstance(owners.parsed, types.File)
    assert shared_bytes == owners.parsed.payload.read()

    # Unsigned, a rendition of a locked link answers as the link does without a grant.
    unsigned = shared_thumbnail_download.sync_detailed(token, item.id, client=visitor)
    assert unsigned.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(unsigned.parsed, models.Error)


def test_sdk_can_page_through_a_shared_link(load):
    """#13: a link's page is a cursor page of 20 (``next``/``previous``), and the view reads
    ``cursor`` and ``page_size``; the SDK must be able to send them to follow ``next``."""
    import inspect

    shared_retrieve = load("api.shared.shared_retrieve")
    parameters = inspect.signature(shared_retrieve.sync_detailed).parameters
    assert {"cursor", "page_size"} <= set(parameters), (
        "schema.yml's shared_retrieve documents no cursor/page_size query parameters, so "
        f"the generated client cannot ask for a link's next page: {list(parameters)}"
    )


def test_sdk_removes_images_from_an_album(load, live_api):
    """#18.13: removal has a documented body, so the generated client can send it."""
    models, types = load("models"), load("types")
    albums_create = load("api.albums.albums_create")
    albums_images_add = load("api.albums.albums_images_add")
    albums_images_remove = load("api.albums.albums_images_remove")
    albums_retrieve = load("api.albums.albums_retrieve")
    images_upload = load("api.images.images_upload")
    api = log_in(load, live_api, "hal")

    album = albums_create.sync_detailed(client=api, body=models.AlbumCreateRequest(title="Quay"))
    uploaded = [
        images_upload.sync_detailed(
            client=api,
            body=models.ImageCreateRequest(
                file=types.File(payload=jpeg(), file_name=f"{n}.jpg", mime_type="image/jpeg")
            ),
        ).parsed.id
        for n in range(2)
    ]
    albums_images_add.sync_detailed(
        album.parsed.id, client=api, body=models.ImageIdsRequest(image_ids=uploaded)
    )

    removed = albums_images_remove.sync_detailed(
        album.parsed.id,
        client=api,
        body=models.ImageIdsRequest(image_ids=[uploaded[0], uuid.uuid4()]),
    )

    assert removed.status_code == HTTPStatus.OK
    assert isinstance(removed.parsed, models.AlbumImagesResult)
    assert [r.result for r in removed.parsed.results] == [
        models.ResultEnum.REMOVED,
        models.ResultEnum.NOT_FOUND,
    ]
    assert albums_retrieve.sync_detailed(album.parsed.id, client=api).parsed.image_count == 1


def test_sdk_brings_a_phones_formats_and_gets_them_back_whole(load, live_api):
    """A HEIC photo and an MP4 clip through the generated client: kinds, the playable video,
    and both originals byte for byte (issue 21)."""
    models, types = load("models"), load("types")
    images_upload = load("api.images.images_upload")
    images_original_download = load("api.images.images_original_download")
    images_video_download = load("api.images.images_video_download")
    api = log_in(load, live_api, "ada")

    sent = {
        "IMG_0001.HEIC": (heif_bytes("HEIF"), "image/heic", "photo"),
        "VID_0002.MP4": (clip("h264_aac.mp4"), "video/mp4", "video"),
    }
    for name, (data, media_type, kind) in sent.items():
        answer = images_upload.sync_detailed(
            client=api,
            body=models.ImageCreateRequest(
                file=types.File(payload=io.BytesIO(data), file_name=name, mime_type=media_type)
            ),
        )
        assert answer.status_code == HTTPStatus.CREATED, answer.content
        image = answer.parsed
        assert isinstance(image, models.Image)
        assert getattr(image.kind, "value", image.kind) == kind
        original = images_original_download.sync_detailed(client=api, id=image.id)
        assert original.status_code == HTTPStatus.OK
        assert original.content == data
        if kind == "video":
            playback = images_video_download.sync_detailed(client=api, id=image.id)
            assert playback.status_code == HTTPStatus.OK
            assert playback.content[4:8] == b"ftyp"
