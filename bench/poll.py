"""Requests and wall time of one refresh of each coordinator, with latency per request.

Run: .venv/bin/python bench/poll.py [--latency 0.05] [--rounds 5]
Prints, for Immich Hub's server, queues and library coordinators and for core immich's one
coordinator, the requests one refresh makes and its median wall time, against the fake Immich
server with the given latency injected into every request.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from typing import Any

from _hass import bench_hass, core_entry, ours_entry

from fake_immich import FakeImmich


async def _measure(server: FakeImmich, coordinator: Any, rounds: int) -> tuple[int, float]:
    """Return the requests one refresh makes and its median wall time."""
    times = []
    requests = 0
    for _ in range(rounds):
        server.clear_requests()
        started = time.perf_counter()
        await coordinator.async_refresh()
        times.append(time.perf_counter() - started)
        if not coordinator.last_update_success:
            raise RuntimeError(f"{coordinator.name} failed: {coordinator.last_exception}")
        requests = len(server.requests)
    return requests, statistics.median(times)


async def main(latency: float, rounds: int) -> None:
    """Set up both integrations against one fake server and time their refreshes."""
    logging.basicConfig(level=logging.WARNING)
    async with FakeImmich(api_version="3.0.3") as server, bench_hass() as hass:
        ours = ours_entry(server.url, server.admin_key, server.admin_user_id)
        core = core_entry(server.host, server.port, server.admin_key, server.admin_user_id)
        rows: list[tuple[str, int, float]] = []
        ours.add_to_hass(hass)
        assert await hass.config_entries.async_setup(ours.entry_id)
        core.add_to_hass(hass)
        core_loaded = await hass.config_entries.async_setup(core.entry_id)
        await hass.async_block_till_done()

        server.latency = latency
        coordinators = ours.runtime_data.coordinators
        for name, coordinator in (
            ("server", coordinators.server),
            ("queues", coordinators.queues),
            ("library", coordinators.library),
        ):
            rows.append((f"immich_hub {name}", *await _measure(server, coordinator, rounds)))
        if core_loaded:
            rows.append(("core immich", *await _measure(server, core.runtime_data, rounds)))
        server.latency = 0

        print(f"latency per request: {latency * 1000:.0f} ms, median of {rounds} refreshes")
        print(f"{'coordinator':<20} {'requests':>8} {'wall ms':>9} {'x latency':>10}")
        for name, requests, wall in rows:
            print(f"{name:<20} {requests:>8} {wall * 1000:>9.1f} {wall / latency:>10.2f}")
        if not core_loaded:
            print("core immich did not load: install requirements_bench.txt (aioimmich)")
        server.assert_no_violations()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.latency, args.rounds))
