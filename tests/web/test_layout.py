"""The web app's layout: pages call selectors, services and serializers, never the API's views.

A page that ran an API view on a copy of its request (``web/api.py`` did, swapping the method,
query, user and headers) answered with whatever that view decided for whatever the copy said;
these tests keep that door shut by reading the web's source: no API view class imported, no
request built, copied or changed, and no module leaning on another's private (``_name``)
helpers. Nor does a page decide who sees what: it reads through the access policy's scopes
(``images.access``) and asks it, never filtering by owner or reading a link's options itself.
"""

import ast
import importlib
from pathlib import Path

from django.views import View
from rest_framework.views import APIView

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
#: Views the web may import: the browsable API's rate-limited login form, which the web's login
#: page extends (a Django ``LoginView``, not an API view).
ALLOWED_VIEWS = {("users.views", "BrowserLoginView")}
#: What builds or fakes a request to run a view with.
REQUEST_MAKERS = {"APIRequestFactory", "RequestFactory", "force_authenticate", "clone_request"}
#: Request classes: named in type hints, never called to make one.
REQUEST_CLASSES = {"Request", "HttpRequest", "WSGIRequest", "ASGIRequest"}
#: Modules whose only use in a page would be to copy or fake a request.
REQUEST_MODULES = {"copy", "rest_framework.test", "django.test"}
#: A request's attributes a page must never assign: what ``web/api.py`` swapped.
REQUEST_ATTRIBUTES = {"method", "GET", "POST", "META", "user", "auth", "headers", "path"}

# What web/api.py and web/share_pages.py did before issue 19, for the checks to catch.
BEFORE = """
import copy
from images.views import ImageViewSet, SharedDetailView
from web.views import _alt, _local, page_with_missing
from web import api
inner = copy.copy(request)
inner.method = "GET"
inner.GET = query
inner.META = meta
meta[api._GRANT_META] = grant
"""


def web_modules() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(ROOT)): ast.parse(path.read_text(), filename=str(path))
        for path in sorted(WEB.rglob("*.py"))
    }


def imports_from(tree: ast.Module) -> list[tuple[str, str]]:
    """``(module, name)`` for each ``from module import name`` (absolute) in ``tree``."""
    return [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    ]


def imported_modules(tree: ast.Module) -> list[str]:
    return [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]


def view_imports(tree: ast.Module) -> list[str]:
    """The views ``tree`` imports from outside the web (Django's own are not the API's)."""
    found = [name for name in imported_modules(tree) if name.endswith(".views")]
    for module, name in imports_from(tree):
        if module.split(".")[0] in ("web", "django", "rest_framework"):
            continue
        if (module, name) in ALLOWED_VIEWS:
            continue
        value = getattr(importlib.import_module(module), name, None)
        is_view = isinstance(value, type) and issubclass(value, APIView | View)
        if module.endswith(".views") or is_view:
            found.append(f"{module}.{name}")
    return found


def private_uses(tree: ast.Module) -> list[str]:
    """Private names ``tree`` takes from other modules: imported, or read off a module."""
    found = [f"{m}.{n}" for m, n in imports_from(tree) if n.startswith("_")]
    modules = {
        alias.asname or alias.name.split(".")[-1]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom | ast.Import)
        for alias in node.names
    }
    # ``from images import shares`` then ``shares._token_valid(...)``: as private.
    found += [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in modules
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    return found


def request_changes(tree: ast.Module) -> list[str]:
    """What in ``tree`` builds, copies or changes a request."""
    found = [f"imports {m}.{n}" for m, n in imports_from(tree) if n in REQUEST_MAKERS]
    found += [f"imports {m}" for m, _n in imports_from(tree) if m in REQUEST_MODULES]
    found += [f"imports {name}" for name in imported_modules(tree) if name in REQUEST_MODULES]
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            targets = []
        found += [
            f"assigns .{target.attr} (line {target.lineno})"
            for target in targets
            if isinstance(target, ast.Attribute) and target.attr in REQUEST_ATTRIBUTES
        ]
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in REQUEST_MAKERS | REQUEST_CLASSES:
                found.append(f"calls {name} (line {node.lineno})")
    return found


#: A share link's options: what only the access policy reads.
LINK_OPTIONS = ("allow_original", "show_metadata")

# What web/reads.py, web/views.py and a serializer did before the pages asked the policy.
BEFORE_POLICY = """
queryset.filter(owner=owner)
image_albums(owner=request.user, image_id=image_id)
Image.objects.exclude(owner_id=user.pk)
Share.objects.filter(owner__is_active=True, show_metadata=True)
if share.allow_original:
    original = getattr(share, "show_metadata")
"""


def own_decisions(tree: ast.Module) -> list[str]:
    """Where ``tree`` decides itself who sees what: a call that narrows by owner (a keyword
    ``owner``, ``owner_id`` or ``owner__...``: the policy's scopes do that), or a read of a
    link's options (``.allow_original``, ``.show_metadata``, as an attribute, a ``getattr`` or
    a lookup)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                name = keyword.arg or ""
                by_owner = name == "owner" or name.startswith(("owner_", "owner__"))
                if by_owner or any(option in name for option in LINK_OPTIONS):
                    found.append(f"{name}= (line {node.lineno})")
            func = node.func
            if (
                isinstance(func, ast.Name)
                and func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in LINK_OPTIONS
            ):
                found.append(f"getattr {node.args[1].value} (line {node.lineno})")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in LINK_OPTIONS
            and isinstance(node.ctx, ast.Load)
        ):
            found.append(f".{node.attr} (line {node.lineno})")
    return found


def offenders(check) -> dict[str, list[str]]:
    found = {path: check(tree) for path, tree in web_modules().items()}
    return {path: names for path, names in found.items() if names}


def test_the_web_imports_no_api_view():
    assert offenders(view_imports) == {}


def test_no_web_module_imports_a_private_name():
    assert offenders(private_uses) == {}


def test_no_page_builds_copies_or_changes_a_request():
    assert offenders(request_changes) == {}


def test_the_checks_catch_what_the_web_did_before():
    before = ast.parse(BEFORE)
    assert view_imports(before) == ["images.views.ImageViewSet", "images.views.SharedDetailView"]
    assert private_uses(before) == ["web.views._alt", "web.views._local", "api._GRANT_META"]
    assert request_changes(before) == [
        "imports copy",
        "assigns .method (line 7)",
        "assigns .GET (line 8)",
        "assigns .META (line 9)",
    ]


def test_the_web_decides_nothing_the_access_policy_decides():
    """Pages read through ``images.access``'s scopes and ask ``access_check``/``access_allows``:
    no page narrows by owner or reads what a link allows itself."""
    assert offenders(own_decisions) == {}


def test_the_policy_check_catches_what_the_web_did_before():
    assert own_decisions(ast.parse(BEFORE_POLICY)) == [
        "owner= (line 2)",
        "owner= (line 3)",
        "owner_id= (line 4)",
        "owner__is_active= (line 5)",
        "show_metadata= (line 5)",
        ".allow_original (line 6)",
        "getattr show_metadata (line 7)",
    ]
