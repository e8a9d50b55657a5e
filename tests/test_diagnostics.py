"""Tests of the diagnostics download."""

from __future__ import annotations

import json

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from fake_immich import FakeImmich
from homeassistant.core import HomeAssistant


async def test_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics hold no key, host, user name, e-mail or id."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)

    text = json.dumps(result)
    user = loaded_entry.runtime_data.user
    for secret in (immich.admin_key, "127.0.0.1", user.name, user.email, user.id):
        assert secret not in text
    port = immich.url.rsplit(":", 1)[1]
    assert result["entry"]["data"]["url"] == f"http://**REDACTED**:{port}"
    queues = result["coordinators"].pop("queues")  # their counts move with every request
    assert set(queues["queues"]) >= {"thumbnail_generation", "smart_search"}
    live = result["live_events"]
    assert (live["state"], live["reconnects"], live["last_error"]) == ("connected", 0, None)
    # The socket's moments are those of this run.
    assert result == snapshot(
        exclude=props(
            "entry_id", "created_at", "modified_at", "url", "connected_since", "last_event_at"
        )
    )


async def test_diagnostics_tell_why_the_websocket_is_down(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    immich: FakeImmich,
    no_push: None,
    loaded_entry: MockConfigEntry,
) -> None:
    """A websocket Immich (or a proxy) does not let through: the diagnostics say it is down and
    why, without the host."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)

    live = result["live_events"]
    assert live["state"] in ("disconnected", "connecting")
    assert live["connected_since"] is None
    assert "404" in live["last_error"]
    assert "127.0.0.1" not in json.dumps(result)
