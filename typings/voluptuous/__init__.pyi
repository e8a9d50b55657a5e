# Home Assistant 2026.3 and later validate with probatio and alias `voluptuous` to probatio's
# voluptuous shim when `homeassistant` is imported (homeassistant/__init__.py), so at run time
# the integration's `import voluptuous as vol` is probatio, and Home Assistant's own type hints
# ask for probatio's classes. mypy (scripts/lint, on the 2026.11 venv) would otherwise read the
# real voluptuous package installed beside it.
from probatio import *  # noqa: F403  (the whole surface, as the shim re-exports it)
