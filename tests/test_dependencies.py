"""The lock files pin every dependency: each top-level pin as written, and all they pull in.

``requirements.txt`` and ``requirements-dev.txt`` are the lists people edit; ``make lock``
freezes what they install into ``requirements.lock`` and ``requirements-dev.lock``, which
``make`` installs from. A pin edited without ``make lock`` fails here, as does a lock that
misses a package one of its packages needs.
"""

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(\[[^\]]*\])?==(?P<version>[^\s;#]+)$")


def pins(path: Path) -> dict[str, str]:
    """``name: version`` for each requirement line (comments, blanks and ``-r`` lines aside)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {line!r} is not pinned exactly (name==version)"
        found[canonicalize_name(match["name"])] = match["version"]
    return found


@pytest.mark.parametrize(
    ("edited", "lock"),
    [
        (["requirements.txt"], "requirements.lock"),
        (["requirements.txt", "requirements-dev.txt"], "requirements-dev.lock"),
    ],
)
def test_every_top_level_pin_is_locked_at_its_version(edited, lock):
    locked = pins(ROOT / lock)
    wanted = {name: v for each in edited for name, v in pins(ROOT / each).items()}
    differ = {name: (v, locked.get(name)) for name, v in wanted.items() if locked.get(name) != v}
    assert differ == {}, f"run `make lock`: (wanted, locked) in {lock}"


def test_the_dev_lock_holds_the_runtime_lock():
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v} == {}


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_each_lock_pins_what_its_packages_need(lock):
    """Read from the installed packages' metadata (this venv was installed from the dev lock)."""
    locked = pins(ROOT / lock)
    # The extras asked for (celery[redis]), and those they ask for in turn (kombu[redis]).
    extras: dict[str, set[str]] = {}
    for each in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / each).read_text().splitlines():
            if (line := line.split("#", 1)[0].strip()) and not line.startswith("-r"):
                req = Requirement(line)
                extras.setdefault(canonicalize_name(req.name), set()).update(req.extras)
    missing: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name in locked:
            for text in metadata.requires(name) or []:
                req = Requirement(text)
                if req.marker is not None and not any(
                    req.marker.evaluate({"extra": extra}) for extra in ["", *extras.get(name, ())]
                ):
                    continue
                needed = canonicalize_name(req.name)
                if needed not in locked:
                    missing.add(f"{name} needs {req.name}")
                if not req.extras <= extras.setdefault(needed, set()):
                    extras[needed] |= req.extras
                    changed = True
    assert missing == set(), f"{lock} misses what its packages need; run `make lock`"
