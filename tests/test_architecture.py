"""The layout's rules, checked on the source so a stray import fails here before it tangles.

- ``core`` (errors, handlers, throttling, metrics…) imports no app: apps lean on it, never
  the other way; what it needs from an app is registered at start-up.
- ``imaging`` (decode, styles, EXIF, strip, container walkers) imports neither Django nor any
  app: it works on bytes and pixels alone.
- ``users`` never imports ``images``: the images app registers its share of an account.
- ``project`` is wiring (settings, URLs, wsgi/asgi, Celery): nothing imports it but the entry
  points and the tests.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("users", "images", "web", "idempotency")


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every absolute module each file of ``package`` imports (at any depth, lazily too)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {
        path: sorted({name for name in names if name.split(".")[0] in forbidden})
        for path, names in imported_modules(package).items()
    }
    return {path: names for path, names in found.items() if names}


def test_users_imports_nothing_from_images():
    assert offenders("users", ("images", "web")) == {}


def test_core_imports_no_app_and_not_the_wiring():
    assert offenders("core", (*APPS, "project")) == {}


def test_imaging_imports_neither_django_nor_any_app():
    forbidden = ("django", "rest_framework", "drf_spectacular", "project", *APPS)
    assert offenders("imaging", forbidden) == {}


def test_imaging_uses_only_the_core_errors():
    used = {
        name
        for names in imported_modules("imaging").values()
        for name in names
        if name.split(".")[0] == "core"
    }
    assert {name.split(".")[1] for name in used if "." in name} <= {"errors"}


def test_no_app_imports_the_wiring():
    for package in ("core", "imaging", "users", "images", "web"):
        found = offenders(package, ("project",))
        wiring = {
            path: [n for n in names if n.split(".")[1] not in WIRING_STILL_USED]
            for path, names in found.items()
        }
        assert {path: names for path, names in wiring.items() if names} == {}, package


#: Modules of ``project`` that apps still import (idempotency is moving to an app of its own).
WIRING_STILL_USED = {"idempotency"}
