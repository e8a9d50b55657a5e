"""Fixtures and helpers of the fault tests: quick timeouts, and checks for leaks and tracebacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from datetime import timedelta
import logging
import traceback

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

import custom_components.immich_hub
from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

# Short enough for a hung request to fail quickly, long enough for a healthy one on a slow CI.
TIMEOUT = 0.5
PACKAGE = "immich_hub"
ADMIN = "immich_ada_admin"
# One entity per coordinator, to see each go unavailable and come back.
COORDINATOR_ENTITIES = {
    "server": f"sensor.{ADMIN}_disk_size",
    "queues": f"sensor.{ADMIN}_thumbnail_generation_queue",
    "library": f"sensor.{ADMIN}_my_photos",
    "events": f"event.{ADMIN}_assets",
}
# Every coordinator is due within this many seconds (the library polls every 5 minutes, the
# events every 15 while Immich's websocket is connected).
ALL_DUE = 901
# The one-line errors the coordinators log when a poll fails or the key is refused.
EXPECTED_ERRORS = ("Error fetching", "Authentication failed while fetching")


@pytest.fixture(autouse=True)
def quick_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on Immich after TIMEOUT seconds, for entries set up from now on."""
    monkeypatch.setattr(custom_components.immich_hub, "REQUEST_TIMEOUT", TIMEOUT)


async def poll(hass: HomeAssistant, seconds: int = ALL_DUE) -> None:
    """Let the given seconds pass and wait for the polls due by then."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


async def poll_until(
    hass: HomeAssistant,
    check: Callable[[], bool],
    *,
    seconds: int = ALL_DUE,
    tries: int = 4,
) -> None:
    """Poll until the check holds, failing after a few rounds."""
    for _ in range(tries):
        await poll(hass, seconds)
        if check():
            return
    raise AssertionError(f"still not so after {tries} polls of {seconds} s")


def states(hass: HomeAssistant, entity_ids: list[str] | None = None) -> dict[str, str]:
    """Return the state of each coordinator's entity (or of the given entities)."""
    ids = entity_ids or list(COORDINATOR_ENTITIES.values())
    found = {entity_id: hass.states.get(entity_id) for entity_id in ids}
    return {entity_id: state.state if state else "<missing>" for entity_id, state in found.items()}


def held_connections(hass: HomeAssistant) -> int:
    """Return how many connections of the shared HTTP session are still taken by a request.

    Immich's websocket holds one for as long as the entry runs; it is not a request.
    """
    connector = async_get_clientsession(hass).connector
    assert connector is not None
    return len([protocol for protocol in connector._acquired if not protocol.upgraded])


def our_tasks() -> list[asyncio.Task[object]]:
    """Return the live tasks that our package created or that run its code."""
    found = []
    for task in asyncio.all_tasks():
        if task is asyncio.current_task() or task.done():
            continue
        coro = task.get_coro()
        code = getattr(coro, "cr_code", None)
        where = f"{task.get_name()} {getattr(coro, '__qualname__', '')} "
        where += code.co_filename if code is not None else ""
        if PACKAGE in where:
            found.append(task)
    return found


def unexpected_errors(records: list[logging.LogRecord]) -> list[str]:
    """Return log records that betray an unhandled error in our package.

    The coordinators' one-line "Error fetching ..." and the view's warning are expected;
    a traceback through our code, or an exception nobody retrieved, is not.
    """
    bad = []
    for record in records:
        message = record.getMessage()
        if "Task exception was never retrieved" in message or "Error doing job" in message:
            bad.append(message)
            continue
        if record.levelno < logging.ERROR:
            continue
        if record.exc_info is not None and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            if PACKAGE in text or record.name.startswith("custom_components"):
                bad.append(f"{record.name}: {message}\n{text}")
        elif record.name.startswith("custom_components") and not message.startswith(
            EXPECTED_ERRORS
        ):
            bad.append(f"{record.name}: {message}")
    return bad


async def settle(hass: HomeAssistant) -> None:
    """Wait for every job, then for aiohttp to hand back closed connections."""
    await hass.async_block_till_done(wait_background_tasks=True)
    for _ in range(3):
        await asyncio.sleep(0)


async def assert_clean(hass: HomeAssistant, caplog: pytest.LogCaptureFixture) -> None:
    """Check that no connection is held and nothing unhandled was logged."""
    await settle(hass)
    assert held_connections(hass) == 0
    assert unexpected_errors(caplog.records) == []


@pytest.fixture
async def entry(
    hass: HomeAssistant, immich: FakeImmich, caplog: pytest.LogCaptureFixture
) -> AsyncGenerator[MockConfigEntry]:
    """Set up the admin entry; on the way out, unload it and check that nothing leaked."""
    caplog.set_level(logging.WARNING)
    config_entry = MockConfigEntry(
        domain=DOMAIN,
        title="Immich",
        unique_id=immich.admin_user_id,
        data={CONF_URL: immich.url, CONF_API_KEY: immich.admin_key, CONF_VERIFY_SSL: True},
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    yield config_entry
    immich.clear_faults()
    if config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(config_entry.entry_id)
    await assert_clean(hass, caplog)
    assert our_tasks() == []
