"""Tests of the sensors, queue switches and update entity, for admin, user and limited keys."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
from tests.conftest import setup_entry

ADMIN = "immich_ada_admin"
QUEUE_SENSOR = f"sensor.{ADMIN}_thumbnail_generation_queue"
QUEUE_SWITCH = f"switch.{ADMIN}_thumbnail_generation_queue"


async def _poll(hass: HomeAssistant, seconds: int) -> None:
    """Let the given seconds pass so that coordinators due by then poll."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


def _entities(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, dict[str, Any]]:
    """Describe every entity of an entry; queue counts move, so only their presence counts."""
    registry = er.async_get(hass)
    described: dict[str, dict[str, Any]] = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        state = hass.states.get(entity.entity_id)
        moving = (
            "_queue" in entity.entity_id
            or "jobs_" in entity.entity_id
            or entity.domain == "image"  # its state is when the photo last changed
        )
        described[entity.entity_id] = {
            "unique_id": entity.unique_id.removeprefix(str(entry.unique_id)),
            "translation_key": entity.translation_key,
            "category": entity.entity_category,
            "disabled": entity.disabled_by,
            "device_class": entity.original_device_class,
            "unit": entity.unit_of_measurement,
            "state": None if state is None else ("<moving>" if moving else state.state),
        }
    return dict(sorted(described.items()))


async def test_admin_entities(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """An admin key gets server, library, statistics, queue and update entities."""
    assert _entities(hass, loaded_entry) == snapshot


async def test_user_entities(
    hass: HomeAssistant, immich: FakeImmich, snapshot: SnapshotAssertion
) -> None:
    """A non-admin key gets no statistics or queue entities."""
    entry = await setup_entry(hass, immich, immich.user_key, immich.user_user_id)
    entities = _entities(hass, entry)
    assert not [entity for entity in entities if "queue" in entity or "jobs" in entity]
    assert entities == snapshot


async def test_limited_key_entities(
    hass: HomeAssistant, immich: FakeImmich, caplog: pytest.LogCaptureFixture
) -> None:
    """A key with few permissions gets the entities it can serve and logs no error."""
    with caplog.at_level(logging.WARNING):
        entry = await setup_entry(hass, immich, immich.limited_key, immich.user_user_id)
    keys = {entity["unique_id"] for entity in _entities(hass, entry).values()}
    assert keys == {
        "_disk_size",
        "_disk_used",
        "_disk_available",
        "_disk_usage",
        "_random",
        "_favorites",
        "_memories",
        "_assets",
        "_live_events",
    }
    ours = [r for r in caplog.records if r.name.startswith("custom_components.immich_hub")]
    assert not [record for record in ours if record.levelno >= logging.WARNING]
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"missing_permissions_{entry.entry_id}")


async def test_library_sensors_match_server(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Library counts are the admin user's own."""
    library = immich.library
    admin_assets = [a for a in library.assets.values() if a.owner_id == immich.admin_user_id]
    photos = sum(1 for asset in admin_assets if asset.type == "IMAGE")
    assert hass.states.get(f"sensor.{ADMIN}_my_photos").state == str(photos)
    assert hass.states.get(f"sensor.{ADMIN}_my_videos").state == str(len(admin_assets) - photos)
    assert hass.states.get(f"sensor.{ADMIN}_my_albums").state == "3"
    assert int(hass.states.get(f"sensor.{ADMIN}_memories_today").state) >= 1


async def test_queue_sensor_matches_server(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A queue sensor counts the jobs not yet done; attributes carry every count."""
    await loaded_entry.runtime_data.coordinators.queues.async_refresh()
    await hass.async_block_till_done()
    queue = immich.library.queues["thumbnailGeneration"]
    state = hass.states.get(QUEUE_SENSOR)
    assert state.state == str(queue.active + queue.waiting + queue.paused_count + queue.delayed)
    assert state.attributes["failed"] == queue.failed
    assert state.attributes["completed"] == queue.completed
    assert state.attributes["paused"] is False
    assert state.attributes["paused_jobs"] == queue.paused_count
    total = sum(
        q.active + q.waiting + q.paused_count + q.delayed for q in immich.library.queues.values()
    )
    assert hass.states.get(f"sensor.{ADMIN}_jobs_pending").state == str(total)
    failed = sum(q.failed for q in immich.library.queues.values())
    assert hass.states.get(f"sensor.{ADMIN}_jobs_failed").state == str(failed)


async def test_switch_pauses_and_resumes(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Turning a queue switch off pauses the queue through /queues, on resumes it."""
    assert hass.states.get(QUEUE_SWITCH).state == STATE_ON
    immich.clear_requests()
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: QUEUE_SWITCH}, blocking=True
    )
    assert immich.library.queues["thumbnailGeneration"].is_paused
    assert hass.states.get(QUEUE_SWITCH).state == STATE_OFF
    assert hass.states.get(QUEUE_SENSOR).attributes["paused"] is True
    command = [r for r in immich.requests if r.method == "PUT"]
    assert [(r.path, r.json) for r in command] == [
        ("/queues/thumbnailGeneration", {"isPaused": True})
    ]

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: QUEUE_SWITCH}, blocking=True
    )
    assert not immich.library.queues["thumbnailGeneration"].is_paused
    assert hass.states.get(QUEUE_SWITCH).state == STATE_ON


async def test_switch_on_legacy_server(hass: HomeAssistant, socket_enabled: None) -> None:
    """A server older than 2.4 is commanded through the legacy /jobs endpoint."""
    async with FakeImmich(api_version="2.7.3", server_version=(2, 3, 0)) as server:
        await setup_entry(hass, server, server.admin_key, server.admin_user_id)
        queue = server.library.queues["thumbnailGeneration"]
        queue.waiting = 7
        server.clear_requests()
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: QUEUE_SWITCH}, blocking=True
        )
        assert hass.states.get(QUEUE_SWITCH).state == STATE_OFF
        command = [r for r in server.requests if r.method == "PUT"]
        assert [r.path for r in command] == ["/jobs/thumbnailGeneration"]
        assert command[0].json["command"] == "pause"
        assert not [r for r in server.requests if r.path.startswith("/queues")]
        # The jobs that had not started are Immich's paused jobs now, and still pending.
        sensor = hass.states.get(QUEUE_SENSOR)
        assert sensor.attributes["waiting"] == 0
        assert sensor.attributes["paused_jobs"] == queue.paused_count > 0
        assert sensor.state == str(queue.active + queue.paused_count + queue.delayed)
        server.assert_no_violations()


async def test_scoped_key_on_legacy_server(hass: HomeAssistant, socket_enabled: None) -> None:
    """Before 2.4 Immich grants job.read and job.create for its queues: that is enough."""
    async with FakeImmich(api_version="2.7.3", server_version=(2, 3, 0)) as server:
        key = server.add_key("admin", ["user.read", "job.read", "job.create"])
        entry = await setup_entry(hass, server, key, server.admin_user_id)

        assert entry.runtime_data.has("job_queues")
        assert hass.states.get(QUEUE_SWITCH).state == STATE_ON
        issue = ir.async_get(hass).async_get_issue(DOMAIN, f"missing_permissions_{entry.entry_id}")
        assert issue is not None
        assert "queue.read" not in issue.translation_placeholders["permissions"]
        server.assert_no_violations()


async def test_switch_error_is_reported(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A command Immich refuses raises a translated error and leaves the switch as it was."""
    immich.add_fault("status", path=r"^/queues/thumbnailGeneration$", method="PUT", status=500)
    with pytest.raises(Exception, match="refused the command") as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: QUEUE_SWITCH}, blocking=True
        )
    assert err.value.translation_key == "queue_command_failed"
    assert not immich.library.queues["thumbnailGeneration"].is_paused
    assert hass.states.get(QUEUE_SWITCH).state == STATE_ON


async def test_new_queue_after_upgrade(hass: HomeAssistant, socket_enabled: None) -> None:
    """A queue that an upgrade brings gets entities without a reload."""
    async with FakeImmich(api_version="2.7.3") as server:
        entry = await setup_entry(hass, server, server.admin_key, server.admin_user_id)
        assert hass.states.get(f"sensor.{ADMIN}_integrity_check_queue") is None

        server.upgrade("3.0.3")
        await _poll(hass, 16)

        assert hass.states.get(f"sensor.{ADMIN}_integrity_check_queue").state.isdigit()
        assert hass.states.get(f"switch.{ADMIN}_integrity_check_queue").state == STATE_ON
        assert entry.state.recoverable
        server.assert_no_violations()


async def test_unknown_queue_name(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A queue name no spec knows yet is shown like any other."""
    immich.library.ensure_queues(["holographicRendering"])
    await loaded_entry.runtime_data.coordinators.queues.async_refresh()
    await hass.async_block_till_done()

    state = hass.states.get(f"sensor.{ADMIN}_holographic_rendering_queue")
    assert state.state.isdigit()
    assert state.name.endswith("Holographic rendering queue")
    # The fake rightly flags the name as outside the spec it emulates: that is the point.
    assert immich.violations
    assert all("holographicRendering" in violation for violation in immich.violations)
    immich.violations.clear()


async def test_update_entity(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The update entity shows the installed and the latest release, with its notes."""
    state = hass.states.get(f"update.{ADMIN}_immich_server")
    installed = ".".join(str(part) for part in immich.server_version)
    latest = immich.library.release_version
    assert state.attributes["installed_version"] == installed
    assert state.attributes["latest_version"] == latest.removeprefix("v")
    assert state.attributes["release_url"].endswith(f"/releases/tag/{latest}")
    assert state.state == (STATE_OFF if latest.removeprefix("v") == installed else STATE_ON)


async def test_device(hass: HomeAssistant, socket_enabled: None) -> None:
    """One service device per entry, with the version and a configuration URL with subpath."""
    async with FakeImmich(api_version="3.0.3", prefix="/immich") as server:
        entry = await setup_entry(hass, server, server.admin_key, server.admin_user_id)
        devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        assert len(devices) == 1
        device = devices[0]
        assert device.entry_type is dr.DeviceEntryType.SERVICE
        assert device.manufacturer == "Immich"
        assert device.sw_version == "3.0.3"
        assert device.configuration_url == server.url
        assert device.configuration_url.endswith("/immich")
        server.assert_no_violations()


async def test_unavailable_and_back(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable while Immich is down and come back, logging once each way."""
    disk = f"sensor.{ADMIN}_disk_size"
    immich.add_fault("status", status=502)
    for _ in range(3):
        await _poll(hass, 61)
    assert hass.states.get(disk).state == STATE_UNAVAILABLE
    assert hass.states.get(QUEUE_SENSOR).state == STATE_UNAVAILABLE
    went_away = [
        r for r in caplog.records if "server data" in r.getMessage() and "Error" in r.getMessage()
    ]
    assert len(went_away) == 1

    immich.clear_faults()
    for _ in range(2):
        await _poll(hass, 61)
    assert hass.states.get(disk).state != STATE_UNAVAILABLE
    assert hass.states.get(QUEUE_SENSOR).state != STATE_UNAVAILABLE
    came_back = [r for r in caplog.records if "server data recovered" in r.getMessage()]
    assert len(came_back) == 1


async def test_401_during_refresh_starts_reauth(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """A key revoked while running starts reauthentication."""
    immich.add_fault("unauthorized")
    await _poll(hass, 61)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_server_downgraded_below_minimum(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """A server that comes back older than Immich 2.0 raises a repair issue until it is fixed."""
    issue_id = f"unsupported_version_{loaded_entry.entry_id}"
    immich.set_server_version((1, 118, 0))
    await _poll(hass, 61)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert hass.states.get(f"sensor.{ADMIN}_disk_size").state == STATE_UNAVAILABLE

    immich.set_server_version(None)
    await _poll(hass, 61)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get(f"sensor.{ADMIN}_disk_size").state != STATE_UNAVAILABLE


async def test_update_entity_before_first_check(
    hass: HomeAssistant, immich: FakeImmich, socket_enabled: None
) -> None:
    """Before Immich has checked for releases, the installed version counts as the latest."""
    immich.library.release_version = None
    await setup_entry(hass, immich, immich.admin_key, immich.admin_user_id)
    state = hass.states.get(f"update.{ADMIN}_immich_server")
    assert state.state == STATE_OFF
    assert state.attributes["latest_version"] == state.attributes["installed_version"]
    assert state.attributes["release_url"] is None


async def test_no_switch_for_a_queue_immich_cannot_pause(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Immich refuses to pause its background task queue: it has a sensor, but no switch."""
    registry = er.async_get(hass)
    assert registry.async_get(f"sensor.{ADMIN}_background_task_queue") is not None
    assert registry.async_get(f"switch.{ADMIN}_background_task_queue") is None
    assert registry.async_get(QUEUE_SWITCH) is not None
