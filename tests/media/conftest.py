"""Fixtures of the media source tests: the media_source component and a second user's entry."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component


@pytest.fixture
async def setup_media_source(hass: HomeAssistant) -> None:
    """Set up Home Assistant's media_source component."""
    assert await async_setup_component(hass, "media_source", {})
    await hass.async_block_till_done()


async def add_entry(
    hass: HomeAssistant, immich: FakeImmich, key: str, user_id: str
) -> MockConfigEntry:
    """Add and set up an entry for an API key of the fake server."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Immich {user_id[:8]}",
        unique_id=user_id,
        data={CONF_URL: immich.url, CONF_API_KEY: key, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def user_entry(hass: HomeAssistant, immich: FakeImmich) -> MockConfigEntry:
    """Set up an entry for the normal user (Noah), with whom Ada shares an album."""
    return await add_entry(hass, immich, immich.user_key, immich.user_user_id)
