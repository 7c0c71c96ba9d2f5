"""The apps depend one way (#11.5): ``images`` may use ``users``; ``users`` never imports
``images``. Checked on the source, so a stray import fails here before it tangles the apps."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_users_imports_nothing_from_images():
    offenders = {
        path: sorted(name for name in names if name.split(".")[0] == "images")
        for path, names in imported_modules("users").items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_processing_and_styles_stay_free_of_django():
    pure = ("images/processing.py", "images/styles.py", "images/exif.py", "images/strip.py")
    for module in pure:
        names = imported_modules("images")[module]
        assert not [n for n in names if n.split(".")[0] in ("django", "rest_framework")], module
