"""What the asset-events poll costs: requests to Immich per poll, and Store writes per hour.

Run: .venv/bin/python bench/events.py [--albums 20] [--new 50] [--polls 60]

Sets up Immich Hub against the fake Immich server (admin key, default options) and drives its
events coordinator through ``--polls`` polls at the default interval (an hour at 60 s), in two
scenarios: an idle library (nothing changes), and a busy one (``--new`` assets uploaded before
every poll, one album of ``--albums`` changing). For each it prints the requests one poll makes
to Immich (median and maximum) and the writes of the events Store in that hour.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
import logging
import statistics
from typing import Any

from _hass import bench_hass, ours_entry
from freezegun import freeze_time
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_hub.coordinator import STORE_SAVE_DELAY
from fake_immich import FakeImmich
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

EVENTS_INTERVAL = timedelta(seconds=60)
QUIET = 86400
QUIET_OPTIONS = (
    "server_interval",
    "queues_interval",
    "library_interval",
    "events_interval",
    "image_interval",
)


class _WriteCounter:
    """Counts the writes Home Assistant's Store makes to disk, per store key."""

    def __init__(self) -> None:
        self.writes: Counter[str] = Counter()
        self._original = Store._async_write_data

    def __enter__(self) -> _WriteCounter:
        counter, original = self, self._original

        async def counted(store: Store[Any], data: dict[str, Any]) -> None:
            counter.writes[store.key] += 1
            await original(store, data)

        Store._async_write_data = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Store._async_write_data = self._original  # type: ignore[method-assign]


def _upload(server: FakeImmich, count: int, album: str | None) -> None:
    """Add ``count`` assets as if a phone had just uploaded them, optionally into an album."""
    library = server.library
    taken = datetime(2024, 5, 1, 12, tzinfo=UTC)
    for number in range(count):
        asset = library.add_asset(
            library.admin.id,
            file_name=f"PXL_{number:05d}.jpg",
            taken_at=taken + timedelta(minutes=number),
            created_at=library.now(),
        )
        if album is not None:
            library.albums[album].asset_ids[asset.id] = None


async def _run_due_timers(hass: HomeAssistant) -> None:
    """Let the event loop run the timers that have come due."""
    await asyncio.sleep(0)
    await hass.async_block_till_done()


async def _scenario(
    hass: HomeAssistant,
    *,
    server: FakeImmich,
    entry: MockConfigEntry,
    polls: int,
    new: int,
    album: str | None,
) -> tuple[list[int], int, int]:
    """Run ``polls`` polls; return the requests of each, the events fired and the Store writes."""
    coordinator = entry.runtime_data.coordinators.events
    assert coordinator is not None
    requests: list[int] = []
    fired = 0
    with _WriteCounter() as counter, freeze_time(dt_util.utcnow()) as clock:
        # The clock (the event loop's too) is frozen and moved a poll interval at a time, so
        # that timers waiting on it, such as a delayed Store write, run as in a real hour.
        for _ in range(polls):
            if new:
                _upload(server, new, album)
            server.clear_requests()
            await coordinator.async_refresh()
            if not coordinator.last_update_success:
                raise RuntimeError(f"events poll failed: {coordinator.last_exception}")
            requests.append(len(server.requests))
            fired += len(coordinator.data or [])
            clock.tick(EVENTS_INTERVAL)
            await _run_due_timers(hass)
        # A write still waiting at the end of the hour is counted too.
        clock.tick(timedelta(seconds=STORE_SAVE_DELAY))
        await _run_due_timers(hass)
    writes = sum(n for key, n in counter.writes.items() if ".events." in key)
    return requests, fired, writes


async def main(albums: int, new: int, polls: int) -> None:
    """Measure the events poll in an idle and a busy library."""
    logging.basicConfig(level=logging.WARNING)
    async with FakeImmich(api_version="3.0.3") as server, bench_hass() as hass:
        library = server.library
        album_ids = [
            library.create_album(library.admin.id, f"Bench album {n}").id for n in range(albums)
        ]
        # The events poll is driven here; nothing else may poll within the measured hour.
        entry = ours_entry(
            server.url,
            server.admin_key,
            server.admin_user_id,
            options=dict.fromkeys(QUIET_OPTIONS, QUIET),
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        rows = []
        for name, count, album in (
            ("idle", 0, None),
            (f"busy ({new} new/poll)", new, album_ids[0] if album_ids else None),
        ):
            requests, fired, writes = await _scenario(
                hass, server=server, entry=entry, polls=polls, new=count, album=album
            )
            rows.append((name, statistics.median(requests), max(requests), fired, writes))

        hours = polls * EVENTS_INTERVAL.total_seconds() / 3600
        interval = EVENTS_INTERVAL.seconds
        print(f"events poll every {interval} s, {polls} polls ({hours:g} h), {albums} albums")
        print(f"{'scenario':<24} {'req/poll':>9} {'max':>5} {'events':>7} {'writes/h':>9}")
        for name, median, most, fired, writes in rows:
            print(f"{name:<24} {median:>9g} {most:>5} {fired:>7} {writes / hours:>9.0f}")
        server.assert_no_violations()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--albums", type=int, default=20)
    parser.add_argument("--new", type=int, default=50)
    parser.add_argument("--polls", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.albums, args.new, args.polls))
