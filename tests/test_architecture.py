"""The integration's layers, as its imports draw them: one way, and no cycle.

``api/`` knows nothing of Home Assistant; coordinators know only ``api/``; the runtime data
holds the coordinators; platforms build on those; the media and action layers sit beside the
platforms, on ``playback`` and ``util``, and no platform reaches into them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "custom_components" / "immich_hub"
PLATFORMS = {"sensor", "switch", "update", "image", "event"}
MEDIA_AND_ACTIONS = {"media_source", "views", "slideshow", "services"}


def _module(path: Path) -> str:
    """Return a file's module name inside the package (``api`` for all of api/)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0] if len(parts) > 1 or parts[0] != "__init__" else "__init__"


def _imports() -> dict[str, set[str]]:
    """Return, for each module of the package, the package's modules it imports."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = _module(path)
        inside_package = path.parent != PACKAGE
        found = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            if inside_package and node.level == 1:
                continue  # a sibling inside the same subpackage
            target = (node.module or "").split(".")[0]
            names = [target] if target else [alias.name for alias in node.names]
            found.update(name for name in names if name != module)
    return graph


def _homeassistant_imports(path: Path) -> list[str]:
    """Return the homeassistant modules a file imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.split(".")[0] == "homeassistant"]


def test_no_import_cycle() -> None:
    """No module of the package depends on itself through others."""
    graph = _imports()

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph.get(start, ()))
        while todo:
            if (module := todo.pop()) not in seen:
                seen.add(module)
                todo.extend(graph.get(module, ()))
        return seen

    cycles = sorted(module for module in graph if module in reach(module))
    assert cycles == []


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_platforms_stay_out_of_media_and_actions(platform: str) -> None:
    """A platform never imports the media browser, the proxy, slideshows or the actions."""
    assert not _imports()[platform] & MEDIA_AND_ACTIONS


def test_api_knows_nothing_of_home_assistant() -> None:
    """api/ imports neither Home Assistant nor the rest of the integration."""
    assert _imports()["api"] == set()
    for path in (PACKAGE / "api").glob("*.py"):
        assert _homeassistant_imports(path) == [], path.name


def test_coordinators_know_only_api() -> None:
    """Coordinators get what they need when created; they read no runtime data."""
    assert _imports()["coordinator"] <= {"api", "const", "issues", "util"}
