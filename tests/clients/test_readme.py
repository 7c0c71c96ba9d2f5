"""The README works as written: its curl walk-through runs, and its Configuration table is whole.

The walk-through is the first ```sh block under "A walk-through with curl" (the account's
deletion, shown after it, is another), run by bash with
``set -euo pipefail`` from a scratch folder (holding a copy of ``examples/``, like the
repository's folder the README tells a reader to paste it in) against pytest-django's live
server: only the ``API=`` line is changed, to point at that server.
"""

import ast
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image as PILImage

from images.models import Image
from users.models import User

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SETTINGS_FILE = ROOT / "project" / "settings.py"
EXAMPLES = ROOT / "examples"
# The server the README's reader starts with `make run`; the test swaps in the live server.
README_ORIGIN = "http://127.0.0.1:8000"
ENV_METHODS = {"str", "int", "bool", "list", "path", "db", "cache", "float", "json", "url"}


def readme_section(title: str) -> str:
    """The README's text under the ``## title`` heading, up to the next ``## `` heading."""
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def walkthrough_blocks() -> list[str]:
    """The ```sh blocks of the curl walk-through's section, in order."""
    return re.findall(
        r"^```sh\n(.*?)^```$", readme_section("A walk-through with curl"), re.M | re.S
    )


def walkthrough_script() -> str:
    """The walk-through itself: the section's first ```sh block."""
    return walkthrough_blocks()[0]


def logging_in(script: str) -> str:
    """The walk-through up to its login: the paragraph that sets ``ACCESS`` and all before."""
    lines = script.splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if line.startswith("ACCESS="))
    end = next((n for n in range(start, len(lines)) if not lines[n].strip()), len(lines))
    return "".join(lines[:end])


def account_deletion_script() -> str:
    """The section's one ```sh block that deletes the account (after the walk-through)."""
    blocks = [block for block in walkthrough_blocks()[1:] if "users/me/delete/" in block]
    assert len(blocks) == 1, "the README should show the account's deletion in one ```sh block"
    return blocks[0]


def pointed_at(script: str, base_url: str) -> str:
    """The script with its ``API=`` line aimed at ``base_url`` instead of ``make run``'s server."""
    api_lines = re.findall(rf"^API={re.escape(README_ORIGIN)}(/\S*)$", script, re.M)
    assert len(api_lines) == 1, f"the walk-through should set API={README_ORIGIN}/... once"
    prefix = api_lines[0]
    assert reverse("style-list").startswith(prefix + "/"), f"{prefix} is not the API's prefix"
    return script.replace(f"API={README_ORIGIN}{prefix}", f"API={base_url}{prefix}", 1)


def run_bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No proxy may sit between curl and the loopback live server.
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def decoded(data: bytes) -> PILImage.Image:
    with PILImage.open(io.BytesIO(data)) as image:
        image.load()
        return image


def _is_name(node: ast.expr, *dotted: str) -> bool:
    """Whether ``node`` spells the dotted name (``env``, ``env.str``, ``os.environ.get``)."""
    *parents, last = dotted
    if not parents:
        return isinstance(node, ast.Name) and node.id == last
    return isinstance(node, ast.Attribute) and node.attr == last and _is_name(node.value, *parents)


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def settings_env_names() -> set[str]:
    """Every environment variable ``project/settings.py`` reads.

    Read through django-environ's ``env`` and ``env.<cast>``, or (should one ever appear)
    ``os.environ`` and ``os.getenv``.
    """
    readers = [("env",), ("os", "getenv"), ("os", "environ", "get")]
    readers += [("env", method) for method in ENV_METHODS]
    names: set[str] = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        name = None
        if isinstance(node, ast.Call) and node.args:
            if any(_is_name(node.func, *reader) for reader in readers):
                name = _string(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_name(node.value, "os", "environ"):
            name = _string(node.slice)
        if name is not None:
            names.add(name)
    return names


def configuration_table_names() -> set[str]:
    """The variables named in the first column of the README's Configuration table."""
    names = set()
    for line in readme_section("Configuration").splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_walkthrough_runs_as_written_twice(live_api, tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns("*.py"))
    script = pointed_at(walkthrough_script(), live_api.base_url)

    first = run_bash(script, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr

    thumbnail = (tmp_path / "thumb.jpg").read_bytes()
    assert decoded(thumbnail).format == "JPEG"
    assert min(decoded(thumbnail).size) == settings.ATELIER["THUMBNAIL_EDGE"]
    assert (tmp_path / "thumb-signed.jpg").read_bytes() == thumbnail
    assert (tmp_path / "original.jpg").read_bytes() == (EXAMPLES / "harbour.jpg").read_bytes()

    for output in ("thumb.jpg", "thumb-signed.jpg", "original.jpg"):
        (tmp_path / output).unlink()
    second = run_bash(script, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "registered already" in second.stdout
    assert (tmp_path / "thumb.jpg").read_bytes() == thumbnail

    # One account however often it runs, and every image it uploaded deleted again.
    assert User.objects.count() == 1
    assert not Image.objects.exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_account_deletion_as_written_needs_the_password_and_deletes_the_account(live_api, tmp_path):
    login = pointed_at(logging_in(walkthrough_script()), live_api.base_url)
    deletion = account_deletion_script()
    without_password = re.sub(r"-d '\{.*\}'", "-d '{}'", deletion)
    assert without_password != deletion

    refused = run_bash(login + without_password, tmp_path)
    assert refused.returncode != 0, "a token alone must not delete the account"
    assert User.objects.filter(username="ada").exists()

    deleted = run_bash(login + deletion, tmp_path)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert not User.objects.exists()


def test_sample_photo_is_a_small_jpeg():
    photo = (EXAMPLES / "harbour.jpg").read_bytes()
    assert len(photo) < 150_000
    assert decoded(photo).format == "JPEG"


def test_configuration_table_lists_every_environment_variable_settings_read():
    read = settings_env_names()
    assert "DJANGO_SECRET_KEY" in read and "JWT_SIGNING_KEY" in read  # the parser finds them
    documented = configuration_table_names()
    assert sorted(read - documented) == [], "add these to README.md's Configuration table"
    assert sorted(documented - read) == [], "README.md documents variables settings never read"
