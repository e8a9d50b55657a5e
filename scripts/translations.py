"""Write translations/en.json from strings.json, resolving Home Assistant's common keys.

With --check, only report whether en.json is up to date (exit 1 when not).
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Any

import homeassistant

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "immich_hub"
REFERENCE = re.compile(r"\[%key:([^%]+)%\]")


def _lookup(tree: dict[str, Any], key: str) -> str:
    """Return the text at a ``common::a::b`` style key."""
    node: Any = tree
    for part in key.split("::"):
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"{key} is not a string")
    return node


def _resolve(node: Any, common: dict[str, Any], own: dict[str, Any]) -> Any:
    """Replace every reference in a strings tree with its text."""
    if isinstance(node, dict):
        return {key: _resolve(value, common, own) for key, value in node.items()}
    if isinstance(node, str):
        return REFERENCE.sub(
            lambda m: _lookup(common if m.group(1).startswith("common::") else own, m.group(1)),
            node,
        )
    return node


def main() -> int:
    """Write or check en.json."""
    common = json.loads((Path(homeassistant.__file__).parent / "strings.json").read_text())
    strings = json.loads((PACKAGE / "strings.json").read_text())
    text = json.dumps(_resolve(strings, common, strings), indent=2, ensure_ascii=False) + "\n"
    target = PACKAGE / "translations" / "en.json"
    if "--check" in sys.argv:
        if target.read_text() != text:
            print("translations/en.json is out of date: run scripts/translations.py")
            return 1
        return 0
    target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
