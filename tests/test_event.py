"""Tests of the assets event entity: new assets, changed albums, and restarts."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.immich_hub.coordinator import STORE_SAVE_DELAY
from fake_immich import FakeImmich
from fake_immich.library import Album
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from tests.conftest import fired_event, follow

# These tests are about the poll: Immich's websocket, which would slow it down, stays shut.
pytestmark = pytest.mark.usefixtures("no_push")

ASSETS = "event.immich_ada_admin_assets"


def _record(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Collect every event the assets entity fires, with its data."""
    return follow(hass, ASSETS, fired_event)


async def _poll(hass: HomeAssistant) -> None:
    """Let one events interval (60 s by default) pass."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done(wait_background_tasks=True)


def _holidays(server: FakeImmich) -> Album:
    """Return the admin's Holidays album."""
    return next(a for a in server.library.albums.values() if a.name == "Holidays")


def _add_photo(server: FakeImmich, name: str) -> str:
    """Add a photo to the admin's library as an upload would, and return its id."""
    library = server.library
    now = library.now()
    asset = library.add_asset(
        server.admin_user_id, file_name=name, taken_at=now - timedelta(days=1), created_at=now
    )
    return asset.id


async def test_nothing_fires_for_the_existing_library(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """What was in the library before setup is not news."""
    fired = _record(hass)
    await _poll(hass)
    assert fired == []
    assert hass.states.get(ASSETS).state == "unknown"


async def test_asset_added(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A photo uploaded to Immich fires asset_added with its id, type, name and date, once."""
    fired = _record(hass)
    picture = BytesIO()
    Image.new("RGB", (64, 48), "orange").save(picture, "JPEG")
    uploaded = await loaded_entry.runtime_data.client.upload_bytes(
        picture.getvalue(), filename="doorbell.jpg", file_created_at=dt_util.utcnow()
    )
    asset_id = uploaded.id
    await _poll(hass)
    await _poll(hass)

    assert len(fired) == 1
    event = fired[0]
    assert event["event_type"] == "asset_added"
    assert event["asset_id"] == asset_id
    assert event["type"] == "image"
    assert event["file_name"] == "doorbell.jpg"
    assert event["taken_at"] is not None
    assert event["album_ids"] == []


async def test_album_changed(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """An album that gains or loses assets fires album_changed with the change."""
    album = _holidays(immich)
    before = len(album.asset_ids)
    fired = _record(hass)

    asset_id = _add_photo(immich, "beach.jpg")
    album.asset_ids[asset_id] = None
    await _poll(hass)
    types = [event["event_type"] for event in fired]
    assert types == ["asset_added", "album_changed"]
    assert fired[0]["album_names"] == ["Holidays"]
    changed = fired[1]
    assert changed["album_id"] == album.id
    assert changed["album_name"] == "Holidays"
    assert (changed["asset_count"], changed["added"], changed["removed"]) == (before + 1, 1, 0)

    del album.asset_ids[asset_id]
    await _poll(hass)
    assert (fired[2]["event_type"], fired[2]["removed"]) == ("album_changed", 1)


async def test_restart_neither_repeats_nor_drops(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Assets added while Home Assistant is stopped fire after the restart, the older do not."""
    fired = _record(hass)
    first = _add_photo(immich, "before.jpg")
    await _poll(hass)
    assert [event["asset_id"] for event in fired] == [first]

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    second = _add_photo(immich, "while-away.jpg")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await _poll(hass)

    assert [event["asset_id"] for event in fired] == [first, second]


def _asset_ids(fired: list[dict[str, Any]]) -> list[str]:
    """Return the ids of the asset_added events, in the order they fired."""
    return [event["asset_id"] for event in fired if event["event_type"] == "asset_added"]


async def test_backlog_larger_than_a_poll(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A backup of old photos too large for one poll fires every asset once, in upload order.

    Immich lists a search in the order photos were taken; here the later uploads are the older
    photos, so the first page holds the last uploads.
    """
    fired = _record(hass)
    library = immich.library
    now = library.now()
    uploaded = [
        library.add_asset(
            immich.admin_user_id,
            file_name=f"scan-{number}.jpg",
            taken_at=now - timedelta(days=number + 1),
            created_at=now + timedelta(milliseconds=number),
        ).id
        for number in range(1200)
    ]
    await _poll(hass)
    assert 0 < len(_asset_ids(fired)) <= 500
    for _ in range(6):
        await _poll(hass)

    assert _asset_ids(fired) == uploaded


async def test_bulk_import_in_one_instant(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """More assets than a poll holds, uploaded in the same millisecond, all fire, once."""
    fired = _record(hass)
    library = immich.library
    now = library.now() + timedelta(seconds=1)
    imported = {
        library.add_asset(
            immich.admin_user_id,
            file_name=f"import-{number}.jpg",
            taken_at=now - timedelta(days=number + 1),
            created_at=now,
        ).id
        for number in range(700)
    }
    later = _add_photo(immich, "after-import.jpg")
    library.assets[later].created_at = now + timedelta(seconds=1)
    for _ in range(4):
        await _poll(hass)

    ids = _asset_ids(fired)
    assert len(ids) == len(set(ids)) == 701
    assert set(ids[:700]) == imported
    assert ids[700] == later


async def test_album_deleted(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A deleted album fires album_changed with all its assets removed, under its old name."""
    album = _holidays(immich)
    count = len(album.asset_ids)
    fired = _record(hass)

    del immich.library.albums[album.id]
    await _poll(hass)

    assert len(fired) == 1
    event = fired[0]
    assert event["event_type"] == "album_changed"
    assert (event["album_id"], event["album_name"]) == (album.id, "Holidays")
    assert (event["asset_count"], event["added"], event["removed"]) == (0, 0, count)
    await _poll(hass)
    assert len(fired) == 1


async def test_point_reached_written_sparingly(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The point reached is written once it moved and a save delay passed, never when idle.

    An SD card on a Raspberry Pi is not rewritten every poll.
    """
    key = f"immich_hub.events.{loaded_entry.entry_id}"
    await _poll(hass)
    assert key not in hass_storage  # the first point waits for the save delay
    await _wait(hass, STORE_SAVE_DELAY)
    written = hass_storage[key]
    for _ in range(3):
        await _poll(hass)
        await _wait(hass, STORE_SAVE_DELAY)
    assert hass_storage[key] is written  # nothing moved: nothing written

    _add_photo(immich, "new.jpg")
    await _poll(hass)
    assert hass_storage[key] is written
    await _wait(hass, STORE_SAVE_DELAY)
    assert hass_storage[key]["data"]["created_after"] > written["data"]["created_after"]


async def test_unload_writes_the_point_reached_at_once(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Unloading the entry writes a point still waiting for its save delay."""
    key = f"immich_hub.events.{loaded_entry.entry_id}"
    _add_photo(immich, "new.jpg")
    await _poll(hass)
    assert key not in hass_storage
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert hass_storage[key]["data"]["created_after"]


async def test_new_asset_in_a_shared_album(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """An upload put into an album shared with the user names that album too."""
    library = immich.library
    shared = library.create_album(immich.user_user_id, "Family")
    shared.shared_with[immich.admin_user_id] = "editor"
    await _poll(hass)
    fired = _record(hass)
    asset_id = _add_photo(immich, "party.jpg")
    shared.asset_ids[asset_id] = None
    _holidays(immich).asset_ids[asset_id] = None
    await _poll(hass)

    added = next(event for event in fired if event["event_type"] == "asset_added")
    assert sorted(added["album_names"]) == ["Family", "Holidays"]
    assert sorted(added["album_ids"]) == sorted([shared.id, _holidays(immich).id])


async def _wait(hass: HomeAssistant, seconds: int) -> None:
    """Let ``seconds`` pass (past the poll interval too)."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds + 1))
    await hass.async_block_till_done(wait_background_tasks=True)
