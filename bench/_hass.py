"""A Home Assistant instance for benchmarks, with Immich Hub importable from this checkout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
import sys
import tempfile
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant  # noqa: E402

from homeassistant import loader  # noqa: E402
from homeassistant.const import (  # noqa: E402
    CONF_API_KEY,
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_URL,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant  # noqa: E402


@asynccontextmanager
async def bench_hass() -> AsyncIterator[HomeAssistant]:
    """Start a Home Assistant that loads custom integrations, in a throw-away config dir."""
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            yield hass
            await hass.async_stop(force=True)


def ours_entry(
    url: str, key: str, unique_id: str, options: dict[str, Any] | None = None
) -> MockConfigEntry:
    """Return an Immich Hub entry (default options unless given)."""
    return MockConfigEntry(
        domain="immich_hub",
        unique_id=unique_id,
        data={CONF_URL: url, CONF_API_KEY: key, CONF_VERIFY_SSL: True},
        options=options or {},
    )


def core_entry(host: str, port: int, key: str, unique_id: str) -> MockConfigEntry:
    """Return a core immich entry."""
    return MockConfigEntry(
        domain="immich",
        unique_id=unique_id,
        data={
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_SSL: False,
            CONF_VERIFY_SSL: True,
            CONF_API_KEY: key,
        },
    )
