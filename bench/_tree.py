"""Benchmarks of another checkout's code: ``--tree PATH`` (a git worktree of an older commit).

Imported before anything of the integration or the fake: the other checkout's come first on
the path then, and this one's are not found at all (``custom_components`` is a namespace
package, so both would otherwise be searched).
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

from _hass import ROOT


def _given() -> Path | None:
    """Return the checkout given with --tree, read before the arguments are parsed."""
    if "--tree" in sys.argv[:-1]:
        return Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    return None


TREE = _given() or ROOT
if TREE != ROOT:
    sys.path.remove(str(ROOT))
    sys.path.insert(0, str(TREE))


def describe_tree() -> str:
    """Name the code measured: the checkout, its commit and whether it has uncommitted work."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(TREE), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    commit = git("log", "-1", "--format=%h %s")[:90]
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "custom_components")
    return f"{TREE} at {commit}" + (" (plus uncommitted changes)" if dirty else "")
