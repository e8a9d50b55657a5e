"""A Home Assistant instance for benchmarks, with Immich Hub importable from this checkout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
import sys
import tempfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_homeassistant_custom_component.common import async_test_home_assistant  # noqa: E402

from homeassistant import loader  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402


@asynccontextmanager
async def bench_hass() -> AsyncIterator[HomeAssistant]:
    """Start a Home Assistant that loads custom integrations, in a throw-away config dir."""
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            yield hass
            await hass.async_stop(force=True)
