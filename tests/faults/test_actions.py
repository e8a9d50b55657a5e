"""Every action under faults: a translated error for the caller, then success once Immich heals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant.components.media_player import MediaPlayerEntity, MediaPlayerEntityFeature
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component

from .conftest import TIMEOUT, assert_clean

PLAYER = "media_player.frame"
STRINGS = Path(__file__).parents[2] / "custom_components" / "immich_hub" / "strings.json"
EXCEPTIONS = json.loads(STRINGS.read_text())["exceptions"]

# Faults on every request an action makes, and what the caller is told.
FAULTS = {
    "slow": ("latency", {"delay": TIMEOUT * 3}, "cannot_connect"),
    "5xx": ("status", {"status": 500}, "request_failed"),
    "timeout": ("timeout", {}, "cannot_connect"),
    "malformed_json": ("malformed_json", {}, "request_failed"),
    "invalid_schema": ("invalid_schema", {}, "request_failed"),
    "reset": ("reset", {}, "cannot_connect"),
}
ACTIONS = (
    "upload",
    "run_job",
    "create_album",
    "add_to_album",
    "remove_from_album",
    "update_album",
    "delete_album",
    "search",
    "play_slideshow",
)
RESPONDS = {"upload", "create_album", "add_to_album", "remove_from_album", "update_album", "search"}


class Frame(MediaPlayerEntity):
    """A photo frame that accepts whatever it is asked to play."""

    _attr_name = "Frame"
    _attr_unique_id = "frame"
    _attr_supported_features = MediaPlayerEntityFeature.PLAY_MEDIA

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        """Accept the media."""


@pytest.fixture
async def frame(hass: HomeAssistant) -> None:
    """Set up a media player for slideshows."""
    hass.config.internal_url = "http://ha.local:8123"
    setup_test_component_platform(hass, "media_player", [Frame()])
    assert await async_setup_component(hass, "media_player", {"media_player": {"platform": "test"}})
    await hass.async_block_till_done()


def _data(immich: FakeImmich, action: str, tmp_path: Path, hass: HomeAssistant) -> dict[str, Any]:
    """Return a valid call of an action against the fake's admin library."""
    library = immich.library
    holidays = next(a for a in library.albums.values() if a.name == "Holidays")
    asset = next(iter(holidays.asset_ids))
    if action == "upload":
        hass.config.allowlist_external_dirs = {str(tmp_path)}
        photo = tmp_path / "new.jpg"
        Image.new("RGB", (32, 24), (10, 120, 200)).save(photo, "JPEG")
        return {"file": str(photo)}
    return {
        "run_job": {"job": "thumbnail_generation", "command": "pause"},
        "create_album": {"name": "Trip"},
        "add_to_album": {"album_id": holidays.id, "asset_ids": [asset]},
        "remove_from_album": {"album_id": holidays.id, "asset_ids": [asset]},
        "update_album": {"album_id": holidays.id, "name": "Summer"},
        "delete_album": {"album_id": holidays.id},
        "search": {"limit": 5},
        "play_slideshow": {ATTR_ENTITY_ID: PLAYER, "source": "album", "source_id": holidays.id},
    }[action]


async def _call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    """Call an action the way an automation would."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=action in RESPONDS
    )


@pytest.mark.usefixtures("frame")
@pytest.mark.parametrize("action", ACTIONS)
async def test_action_faults(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    action: str,
) -> None:
    """Under each fault the caller gets a translated error; healed, the action succeeds."""
    data = _data(immich, action, tmp_path, hass)
    for fault, (kind, options, key) in FAULTS.items():
        immich.add_fault(kind, **options)
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, action, data)
        assert (err.value.translation_domain, err.value.translation_key) == (DOMAIN, key), fault
        assert key in EXCEPTIONS
        assert str(err.value), fault
        immich.clear_faults()
        await assert_clean(hass, caplog)

    await _call(hass, action, data)
    await assert_clean(hass, caplog)


@pytest.mark.usefixtures("frame")
@pytest.mark.parametrize("action", ACTIONS)
async def test_action_401_starts_reauth(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    action: str,
) -> None:
    """A key refused in the middle of an action says so and starts reauthentication."""
    data = _data(immich, action, tmp_path, hass)
    immich.add_fault("unauthorized")
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, action, data)
    assert err.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    await assert_clean(hass, caplog)
