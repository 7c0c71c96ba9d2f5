"""The layout's rules, checked on the source so a stray import fails here before it tangles.

- ``core`` (errors, handlers, throttling, metrics…) imports no app: apps lean on it, never
  the other way; what it needs from an app is registered at start-up.
- ``imaging`` (decode, styles, EXIF, strip, container walkers) imports neither Django nor any
  app: it works on bytes and pixels alone.
- ``users`` never imports ``images``: the images app registers its share of an account.
- ``project`` is wiring (settings, URLs, wsgi/asgi, Celery): nothing imports it but the entry
  points and the tests.
- ``idempotency`` owns its table and knows accounts only: it imports neither ``images`` nor
  ``web``.
- No module imports one that imports it back, however indirectly and however lazily (a
  function-level import is an import; only ``if TYPE_CHECKING:`` blocks, never run, are not).
- Image files are stored, read and removed through ``images.files`` alone.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("users", "images", "web", "idempotency", "resumable")
#: Every first-party package whose modules the import graph covers.
PACKAGES = ("core", "imaging", "users", "images", "web", "idempotency", "resumable", "project")


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
    for package in ("core", "imaging", "users", "images", "web", "idempotency"):
        assert offenders(package, ("project",)) == {}, package


def test_idempotency_imports_neither_images_nor_web():
    assert offenders("idempotency", ("images", "web")) == {}


# --- The import graph -------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, but those only a type checker runs."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """First-party module → the first-party modules it imports.

    ``from images import files`` is an edge to ``images.files`` (a module), ``from
    images.files import files_delete`` one to ``images.files`` (a name in it). The parent
    packages a module's import runs first are left out: their ``__init__`` files hold no
    code an app module depends on.
    """
    paths = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}

    def resolve(name: str) -> str | None:
        parts = name.split(".")
        while parts and ".".join(parts) not in paths:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets: list[str] = []
        for node in _import_nodes(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets += [alias.name for alias in node.names]
                continue
            base = node.module or ""
            if node.level:
                above = package[: len(package) - node.level + 1]
                base = ".".join([*above, *([node.module] if node.module else [])])
            targets += [f"{base}.{alias.name}" for alias in node.names]
        graph[module] = {t for t in map(resolve, targets) if t and t != module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``a → b → … → a``) through each strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def connect(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return [_cycle_through(graph, group) for group in groups]


def _cycle_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest path from the group's first module back to itself, within the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(graph[module] & group):
            if target == start:
                return [*paths[module], start]
            if target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    raise AssertionError(f"no cycle found through {sorted(group)}")


def test_no_import_cycles_between_first_party_modules():
    cycles = import_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_the_cycle_check_finds_a_lazy_import_and_ignores_type_checking_blocks():
    graph = {
        "images.rendering": {"images.models"},
        "images.tasks": {"images.rendering"},
        "images.models": set(),
    }
    assert import_cycles(graph) == []
    graph["images.rendering"].add("images.tasks")  # what a function-level import adds
    assert import_cycles(graph) == [["images.rendering", "images.tasks", "images.rendering"]]
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from images.models import Image\n"
        "def f():\n    from images import tasks\n"
    )
    found = {n.module for n in _import_nodes(tree) if isinstance(n, ast.ImportFrom)}
    assert found == {"typing", "images"}


def test_the_render_job_services_never_import_the_tasks_module():
    graph = import_graph()
    assert "images.tasks" in graph
    importers = sorted(module for module, targets in graph.items() if "images.tasks" in targets)
    assert importers == []


# --- Storage ----------------------------------------------------------------------------------

STORAGE_NAMES = ("default_storage", "FileSystemStorage", "storages")


def storage_touchers() -> set[str]:
    """The files that import a storage backend or the configured storage."""
    touching = set()
    for package in PACKAGES:
        for path, names in imported_modules(package).items():
            used = {part for name in names for part in name.split(".")}
            if path != "images/files.py" and used & set(STORAGE_NAMES):
                touching.add(path)
    return touching


def test_storage_is_touched_only_through_images_files():
    assert storage_touchers() == set()


#: What a storage backend does: reading, writing, listing, removing, naming a file.
STORAGE_METHODS = {
    "open",
    "save",
    "delete",
    "exists",
    "listdir",
    "size",
    "url",
    "path",
    "get_modified_time",
    "get_accessed_time",
    "get_created_time",
}


def storage_method_calls(source: str) -> list[str]:
    """Calls of a storage method on something named like a storage (``storage.delete(...)``,
    ``self.storage.exists(...)``, ``default_storage.open(...)``)."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if "storage" in name and node.func.attr in STORAGE_METHODS:
            calls.append(f"{name}.{node.func.attr}")
    return calls


def test_storage_methods_are_called_only_in_images_files():
    """An import check misses a storage handed in as an argument (the audit's): the calls
    themselves must be in ``images/files.py`` too."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative != "images/files.py" and (calls := storage_method_calls(path.read_text())):
                found[relative] = calls
    assert found == {}


def test_the_storage_call_check_sees_what_the_audit_did():
    assert storage_method_calls(
        "storage.delete(name)\nmodified = storage.get_modified_time(n)"
    ) == [
        "storage.delete",
        "storage.get_modified_time",
    ]


def test_images_and_users_import_nothing_from_resumable():
    """Resumable uploads build on images, never the other way round."""
    assert offenders("images", ("resumable",)) == {}
    assert offenders("users", ("resumable",)) == {}


# ``Image.timeline_at`` is computed from these when a row is saved (``TimelineField``); a
# ``QuerySet.update`` or ``bulk_update`` that wrote one of them would leave it stale.
TIMELINE_SOURCES = {"taken_at", "taken_at_offset", "created_at"}


def _timeline_sources_written_past_save(source: str) -> list[int]:
    """Lines of ``source`` where ``update(...)``/``bulk_update(...)`` writes a timeline source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if (
            node.func.attr == "update"
            and any(keyword.arg in TIMELINE_SOURCES for keyword in node.keywords)
        ) or (
            node.func.attr == "bulk_update"
            and any(
                isinstance(constant, ast.Constant) and constant.value in TIMELINE_SOURCES
                for constant in ast.walk(node)
            )
        ):
            found.append(node.lineno)
    return found


def test_the_timeline_sources_are_written_only_through_save():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        for line in _timeline_sources_written_past_save(path.read_text())
    ]
    assert offenders == []


def test_the_timeline_source_check_sees_an_update_and_a_bulk_update():
    source = (
        "Image.objects.filter(pk=1).update(taken_at=None)\n"
        "Image.objects.bulk_update(images, ['title', 'taken_at_offset'])\n"
        "Image.objects.filter(pk=1).update(title='x')\n"
    )
    assert _timeline_sources_written_past_save(source) == [1, 2]
