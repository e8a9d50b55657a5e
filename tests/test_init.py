"""Tests of setting up and unloading an entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.immich_hub.const import DOMAIN, Feature
from custom_components.immich_hub.coordinator import STORE_SAVE_DELAY
from fake_immich import FakeImmich
from homeassistant.components import media_source
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util


def _entry(server: FakeImmich, api_key: str, unique_id: str) -> MockConfigEntry:
    """Return an entry for a key of the fake server."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Immich",
        unique_id=unique_id,
        data={CONF_URL: server.url, CONF_API_KEY: api_key, CONF_VERIFY_SSL: True},
    )


async def test_setup_and_unload(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """An admin entry loads with every feature and unloads cleanly."""
    assert loaded_entry.state is ConfigEntryState.LOADED
    data = loaded_entry.runtime_data
    assert data.user.id == immich.admin_user_id
    assert data.user.is_admin
    assert data.has("job_queues")
    assert data.has("media_browser")
    assert ir.async_get(hass).issues == {}

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED


async def test_setup_user_without_admin(hass: HomeAssistant, immich: FakeImmich) -> None:
    """A non-admin key with every permission loads without admin features or repair issues."""
    entry = _entry(immich, immich.user_key, immich.user_user_id)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    assert not entry.runtime_data.user.is_admin
    assert not entry.runtime_data.has("job_queues")
    assert entry.runtime_data.has("upload")
    assert ir.async_get(hass).issues == {}


async def test_setup_limited_key_raises_repair(hass: HomeAssistant, immich: FakeImmich) -> None:
    """A key lacking permissions loads, and a repair issue names what it lacks."""
    entry = _entry(immich, immich.limited_key, immich.user_user_id)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.runtime_data.has("upload")

    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"missing_permissions_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "missing_permissions"
    assert "asset.upload" in issue.translation_placeholders["permissions"]

    await hass.config_entries.async_remove(entry.entry_id)
    assert ir.async_get(hass).issues == {}


async def test_removal_forgets_the_events_point(
    hass: HomeAssistant, hass_storage: dict[str, Any], loaded_entry: MockConfigEntry
) -> None:
    """Removing an entry removes what its asset events stored: album names among it."""
    key = f"{DOMAIN}.events.{loaded_entry.entry_id}"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=STORE_SAVE_DELAY + 1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Holidays" in str(hass_storage[key]["data"])

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


async def test_setup_retries_when_server_fails(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """A server error leaves the entry retrying, not failed."""
    immich.add_fault("status", status=503)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY

    immich.clear_faults()


async def test_setup_starts_reauth_on_401(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """A refused key fails setup and starts reauthentication."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_API_KEY: "revoked"}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_old_server(hass: HomeAssistant, socket_enabled: None) -> None:
    """A server below Immich 2.0 fails setup with a repair issue."""
    async with FakeImmich(api_version="2.7.3", server_version=(1, 118, 0)) as server:
        entry = _entry(server, server.admin_key, server.admin_user_id)
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"unsupported_version_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["version"].startswith("1.118")


async def test_setup_keeps_the_address_immich_redirects_to(
    hass: HomeAssistant, immich_behind_https_redirect: tuple[FakeImmich, str]
) -> None:
    """An entry saved with an http:// address that now redirects to https:// is updated."""
    server, http_url = immich_behind_https_redirect
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=server.admin_user_id,
        data={CONF_URL: http_url, CONF_API_KEY: server.admin_key, CONF_VERIFY_SSL: False},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_URL] == server.url
    assert entry.runtime_data.client.url == server.url


async def test_media_browser_needs_no_timeline_permission(
    hass: HomeAssistant, immich: FakeImmich
) -> None:
    """Immich reads one's own timeline with asset.read: a key without timeline.read browses."""
    media = [
        "asset.read",
        "asset.view",
        "asset.download",
        "album.read",
        "memory.read",
        "person.read",
        "tag.read",
        "user.read",
        "apiKey.read",
        "server.about",
    ]
    key = immich.add_key("admin", media, name="No timeline.read")
    entry = _entry(immich, key, immich.admin_user_id)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.runtime_data.has(Feature.MEDIA_BROWSER)

    assert await async_setup_component(hass, "media_source", {})
    timeline = await media_source.async_browse_media(
        hass, f"media-source://{DOMAIN}/{entry.entry_id}/timeline"
    )
    assert timeline.children
