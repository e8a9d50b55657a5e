"""Every coordinator under faults: its entities go unavailable and come back by themselves."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_hub.api import PushState
from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from .conftest import ADMIN, COORDINATOR_ENTITIES, TIMEOUT, assert_clean, poll, poll_until, states

# Faults that make a poll fail, as (kind, add_fault keywords).
BREAKING = {
    "slow": ("latency", {"delay": TIMEOUT * 3}),
    "5xx": ("status", {"status": 503}),
    "timeout": ("timeout", {}),
    "malformed_json": ("malformed_json", {}),
    "invalid_schema": ("invalid_schema", {}),
    "reset": ("reset", {}),
    "html": ("html", {}),
}
# The API paths each coordinator reads (queues: /queues on 3.x, /jobs on 2.x).
PATHS = {
    "server": r"^/server/",
    "queues": r"^/(queues|jobs)",
    "library": r"^/(assets|albums|memories)/statistics",
    "events": r"^/(albums|search/metadata)$",
}


def _available(hass: HomeAssistant, entity_ids: list[str]) -> bool:
    """Tell whether every given entity has a state other than unavailable."""
    return all(
        state not in (STATE_UNAVAILABLE, "<missing>") for state in states(hass, entity_ids).values()
    )


@pytest.mark.parametrize("fault", list(BREAKING))
async def test_every_coordinator_fails_and_recovers(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """With Immich's API broken every polled entity goes unavailable; once it heals, all come
    back. The event entity stays available while Immich's websocket is up (it stays open when
    the API fails), so that what Immich pushes still fires; its poll failed all the same."""
    everything = list(COORDINATOR_ENTITIES.values())
    assert _available(hass, everything)
    kind, options = BREAKING[fault]
    immich.add_fault(kind, **options)

    await poll(hass)
    events = COORDINATOR_ENTITIES["events"]
    polled = {entity: state for entity, state in states(hass).items() if entity != events}
    assert set(polled.values()) == {STATE_UNAVAILABLE}
    assert entry.runtime_data.push.state is PushState.CONNECTED
    assert not entry.runtime_data.coordinators.events.last_update_success
    assert _available(hass, [events])
    assert entry.state is ConfigEntryState.LOADED
    await assert_clean(hass, caplog)

    immich.clear_faults()
    await poll_until(hass, lambda: _available(hass, everything))
    await assert_clean(hass, caplog)


@pytest.mark.parametrize("coordinator", list(PATHS))
async def test_one_coordinator_fails_alone(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    coordinator: str,
) -> None:
    """A fault on one coordinator's requests leaves the others' entities available (the event
    entity stays available while the websocket is up, as above)."""
    immich.add_fault("status", path=PATHS[coordinator], status=500)
    await poll(hass)

    broken = COORDINATOR_ENTITIES[coordinator]
    failed = getattr(entry.runtime_data.coordinators, coordinator)
    assert not failed.last_update_success
    if coordinator != "events":
        assert hass.states.get(broken).state == STATE_UNAVAILABLE
    others = [e for name, e in COORDINATOR_ENTITIES.items() if name != coordinator]
    assert _available(hass, others), states(hass)
    await assert_clean(hass, caplog)

    immich.clear_faults()
    await poll_until(hass, lambda: _available(hass, [broken]))


async def test_latency_below_timeout_is_harmless(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A slow server that answers within the timeout keeps every entity available."""
    immich.add_fault("latency", delay=TIMEOUT / 5)
    await poll(hass)
    assert _available(hass, list(COORDINATOR_ENTITIES.values()))
    assert not [r for r in caplog.records if "Error fetching" in r.getMessage()]
    await assert_clean(hass, caplog)


async def test_401_mid_run_starts_reauth_and_the_rest_keeps_working(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One 401 starts reauthentication once; the other coordinators and the views carry on."""
    immich.add_fault("unauthorized", path=PATHS["server"], count=1)
    await poll(hass)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    others = [e for name, e in COORDINATOR_ENTITIES.items() if name != "server"]
    assert _available(hass, others), states(hass)
    await assert_clean(hass, caplog)

    # The others keep polling; the refused one waits for the new key, as Home Assistant wants.
    await poll(hass)
    assert _available(hass, others), states(hass)
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_API_KEY: immich.admin_key}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert _available(hass, list(COORDINATOR_ENTITIES.values())), states(hass)
    await assert_clean(hass, caplog)


@pytest.mark.parametrize("api_version", ["2.7.3"])
async def test_upgrade_while_running(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Immich upgraded from 2.x to 3.x under a running entry: it reloads and keeps working."""
    before: dict[str, Any] = states(hass)
    immich.upgrade("3.0.3")
    await poll(hass)
    await poll(hass)
    # Until the server poll sees the new version, requests in the 2.x dialect reach the 3.x
    # server, which refuses them (the fake records that as spec violations). After the reload
    # every request must fit the 3.x spec.
    transition = list(immich.violations)
    immich.violations.clear()
    await poll(hass)
    await poll(hass)
    assert immich.violations == [], transition

    assert entry.state is ConfigEntryState.LOADED
    assert _available(hass, list(COORDINATOR_ENTITIES.values())), states(hass)
    assert states(hass).keys() == before.keys()
    # A queue that only 3.x has appears without a reload.
    assert hass.states.get(f"sensor.{ADMIN}_integrity_check_queue") is not None
    await assert_clean(hass, caplog)


@pytest.mark.parametrize("api_version", ["2.7.3"])
async def test_upgrade_noticed_without_server_about(
    hass: HomeAssistant, immich: FakeImmich, caplog: pytest.LogCaptureFixture
) -> None:
    """A key that may not read the server's details still notices an upgrade to 3.x.

    Its first 2.x-dialect request that 3.x refuses makes it ask the version, then reload.
    """
    caplog.set_level(logging.WARNING)
    key = immich.add_key(
        "admin",
        ["user.read", "asset.read", "asset.statistics", "album.read", "album.statistics",
         "memory.read", "memory.statistics"],
    )  # fmt: skip
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=immich.admin_user_id,
        data={CONF_URL: immich.url, CONF_API_KEY: key, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinators.server is None
    photos = COORDINATOR_ENTITIES["library"]

    immich.upgrade("3.0.3")
    await poll(hass)
    await poll(hass)
    immich.violations.clear()
    await poll(hass)
    await poll(hass)

    assert immich.violations == []
    assert entry.runtime_data.client.server_version is not None
    assert entry.runtime_data.client.server_version.major == 3
    assert _available(hass, [photos]), states(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("path", "broken", "kept"),
    [
        (r"^/server/statistics$", f"sensor.{ADMIN}_photos", f"sensor.{ADMIN}_disk_size"),
        (r"^/server/version-check$", f"update.{ADMIN}_immich_server", f"sensor.{ADMIN}_disk_size"),
    ],
)
async def test_a_failing_part_of_the_server_poll_stays_apart(
    hass: HomeAssistant,
    immich: FakeImmich,
    no_push: None,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    path: str,
    broken: str,
    kept: str,
) -> None:
    """Slow statistics or a failing release check take down their own entities, no others.

    The websocket stays shut: while it is up, Immich pushes releases and the poll does not ask.
    """
    immich.add_fault("timeout", path=path)
    await poll(hass)

    assert hass.states.get(broken).state == STATE_UNAVAILABLE
    assert _available(hass, [kept, *COORDINATOR_ENTITIES.values()]), states(hass)
    await assert_clean(hass, caplog)

    immich.clear_faults()
    await poll_until(hass, lambda: _available(hass, [broken]))


async def test_setup_does_not_wait_for_a_failing_part(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """An entry sets up while Immich's statistics and release check fail; the rest works."""
    immich.add_fault("status", path=r"^/server/(statistics|version-check)$", status=500)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(f"sensor.{ADMIN}_photos").state == STATE_UNAVAILABLE
    assert hass.states.get(f"sensor.{ADMIN}_disk_size").state != STATE_UNAVAILABLE
