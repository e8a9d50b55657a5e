"""Time from an upload to Immich to the Home Assistant event that announces it.

Run: .venv/bin/python bench/push.py [--uploads 20] [--specs 2.7.3 3.0.3] [--no-poll]
     .venv/bin/python bench/push.py --real URL KEY [--uploads 20] [--no-poll]

Sets up Immich Hub with an admin key and default options, then uploads ``--uploads`` photos
straight to Immich as the phone app does (a multipart ``POST /api/assets`` with the same key,
each photo new to Immich), one after another, and times each from just before the upload is sent
to the state change of the ``event.*_assets`` entity with ``event_type: asset_added`` for that
asset's id. Prints the median, the 90th percentile and the maximum, and how many uploads were
not announced or announced twice (after one more events poll at the end, which finds them all
again).

"poll" does the same with the websocket refused (a 404, as from a proxy that does not pass
websockets): Immich Hub then finds uploads with its events poll, every 60 s by default, as it
did before live events. There the uploads are spread at random over two poll intervals, so
that they land anywhere between two polls, as a user's do; ``--no-poll`` leaves it out.

Against the fake Immich (each ``--specs`` in turn) the fake announces an upload 0.1 s after
its answer, as Immich does. ``--real URL KEY`` uses a real Immich instead (the key an admin's):
every photo uploaded there is deleted for good at the end, whatever happens. A KEY of ``-`` is
read from the environment's IMMICH_API_KEY, out of the process list. Each measurement
runs in a process of its own (Home Assistant's test harness starts once per process).
``--tree PATH`` runs the integration and the fake of another checkout.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
import io
import json
import logging
import math
import os
from pathlib import Path
import random
import statistics
import subprocess
import sys
import time
from typing import Any
import uuid

from _hass import bench_hass, ours_entry
from _relay import Relay
from _tree import TREE, describe_tree
import aiohttp
from PIL import Image

from custom_components.immich_hub.const import CONF_EVENTS_INTERVAL, DEFAULT_OPTIONS
from fake_immich import FakeImmich
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

KEY_ENV = "IMMICH_API_KEY"
PUSH_WAIT = 30.0
"""Seconds an upload may take to be announced with push before it counts as missed."""
CONNECT_WAIT = 20.0
"""Seconds the websocket may take to connect after setup."""
EVENTS_INTERVAL = float(DEFAULT_OPTIONS[CONF_EVENTS_INTERVAL])
"""Seconds between events polls at default settings, as before live events."""


def photo() -> bytes:
    """Return a small JPEG no one has uploaded before (random pixels)."""
    width, height = 160, 120
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class Uploader:
    """Uploads photos straight to Immich as the phone app does; deletes them for good after."""

    def __init__(self, url: str, key: str, major: int) -> None:
        self.url = url.rstrip("/")
        self.headers = {"x-api-key": key}
        self.major = major
        self.ids: list[str] = []
        self.session = aiohttp.ClientSession()

    async def upload(self, content: bytes) -> tuple[str, float]:
        """Upload one photo; return its id and the perf_counter() just before it was sent."""
        name = f"bench-push-{uuid.uuid4().hex[:12]}.jpg"
        moment = datetime.now(UTC).isoformat()
        form = aiohttp.FormData()
        if self.major < 3:
            # Immich 2.x requires these; 3.x removed them and refuses them.
            form.add_field("deviceAssetId", f"bench-push-{uuid.uuid4().hex}")
            form.add_field("deviceId", "bench-push")
        form.add_field("fileCreatedAt", moment)
        form.add_field("fileModifiedAt", moment)
        form.add_field("filename", name)
        form.add_field("assetData", content, filename=name, content_type="image/jpeg")
        started = time.perf_counter()
        async with self.session.post(
            f"{self.url}/api/assets", data=form, headers=self.headers
        ) as response:
            body = await response.json(content_type=None)
            if response.status not in (200, 201) or body.get("status") != "created":
                raise RuntimeError(f"upload refused: HTTP {response.status} {body}")
        self.ids.append(str(body["id"]))
        return str(body["id"]), started

    async def close(self, *, delete: bool) -> None:
        """Delete every photo uploaded for good (on a real server), then close."""
        try:
            if delete and self.ids:
                async with self.session.delete(
                    f"{self.url}/api/assets",
                    json={"ids": self.ids, "force": True},
                    headers=self.headers,
                ) as response:
                    if response.status >= 300:
                        text = await response.text()
                        print(f"deleting the uploads failed: HTTP {response.status} {text}")
                    else:
                        print(f"deleted for good the {len(self.ids)} photos uploaded")
        finally:
            await self.session.close()


async def server_major(url: str) -> tuple[int, str]:
    """Return a real Immich's major version and its version."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url.rstrip('/')}/api/server/version") as response,
    ):
        version = await response.json()
    return int(version["major"]), f"{version['major']}.{version['minor']}.{version['patch']}"


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str | None:
    """Return the entity id of one of Immich Hub's entities."""
    return er.async_get(hass).async_get_entity_id(platform, "immich_hub", unique_id)


async def wait_for(predicate: Any, seconds: float) -> bool:
    """Wait until ``predicate()`` is true, for at most ``seconds``; tell whether it became so."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


@dataclass(slots=True)
class Target:
    """The Immich measured and how Home Assistant reaches it."""

    url: str
    key: str
    entry_url: str
    unique_id: str
    version: str
    major: int
    fake: FakeImmich | None


async def open_target(stack: AsyncExitStack, target: str, mode: str, url: str, key: str) -> Target:
    """Start the fake (or put a relay before the real server) for a measurement."""
    if target == "real":
        major, version = await server_major(url)
        entry_url = url
        if mode == "poll":
            relay = await stack.enter_async_context(Relay(url, refuse_socket=True))
            entry_url = relay.url
        return Target(url, key, entry_url, "bench-push", version, major, None)
    server = await stack.enter_async_context(FakeImmich(api_version=target))
    if mode == "poll":
        server.add_fault("status", path="/socket.io", status=404)
    major = int(target.split(".", maxsplit=1)[0])
    return Target(
        server.url, server.admin_key, server.url, server.admin_user_id, target, major, server
    )


async def measure(target: str, mode: str, uploads: int, url: str, key: str) -> dict[str, Any]:
    """Set up Immich Hub, upload photos and time their announcement; return the figures."""
    async with AsyncExitStack() as stack:
        immich = await open_target(stack, target, mode, url, key)
        hass = await stack.enter_async_context(bench_hass())
        entry = ours_entry(immich.entry_url, immich.key, immich.unique_id)
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        if entry.state is not ConfigEntryState.LOADED:
            raise RuntimeError(f"Immich Hub did not load: {entry.state}")
        assets = entity_id(hass, "event", f"{immich.unique_id}_assets")
        assert assets is not None, "no event entity"
        live = entity_id(hass, "sensor", f"{immich.unique_id}_live_events")

        def live_state() -> str | None:
            state = hass.states.get(live) if live else None
            return state.state if state else None

        if mode == "push":
            await wait_for(lambda: live_state() == "connected", CONNECT_WAIT)

        announced: dict[str, list[float]] = defaultdict(list)

        @callback
        def on_change(event: Event[EventStateChangedData]) -> None:
            new = event.data["new_state"]
            if event.data["entity_id"] != assets or new is None:
                return
            if new.attributes.get("event_type") == "asset_added":
                announced[str(new.attributes.get("asset_id"))].append(time.perf_counter())

        hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
        uploader = Uploader(immich.url, immich.key, immich.major)
        try:
            latencies, missed = await upload_all(uploader, announced, mode, uploads)
            # One more events poll, which finds every upload again: none may be announced twice.
            await entry.runtime_data.coordinators.events.async_refresh()
            await hass.async_block_till_done()
        finally:
            await uploader.close(delete=immich.fake is None)
        twice = sum(1 for asset_id in uploader.ids if len(announced.get(asset_id, ())) > 1)
        state = live_state()
        await hass.config_entries.async_unload(entry.entry_id)
        if immich.fake is not None:
            immich.fake.assert_no_violations()
    return {
        "server": f"{'fake' if immich.fake else 'real'} {immich.version}",
        "mode": mode,
        "latencies": latencies,
        "missed": missed,
        "twice": twice,
        "live_events": state,
        "interval": EVENTS_INTERVAL,
    }


async def upload_all(
    uploader: Uploader, announced: dict[str, list[float]], mode: str, uploads: int
) -> tuple[list[float], int]:
    """Upload the photos and time each one's announcement; return the times and the missed."""
    latencies: list[float] = []
    missed = 0

    async def one(delay: float, wait: float) -> None:
        nonlocal missed
        await asyncio.sleep(delay)
        asset_id, started = await uploader.upload(photo())
        if await wait_for(lambda: bool(announced.get(asset_id)), wait):
            latencies.append(announced[asset_id][0] - started)
        else:
            missed += 1

    if mode == "push":
        for _ in range(uploads):
            await one(random.uniform(0.3, 1.0), PUSH_WAIT)
    else:
        # Uploads land anywhere between two polls, as a user's do.
        await asyncio.gather(
            *(one(random.uniform(0, 2 * EVENTS_INTERVAL), 3 * EVENTS_INTERVAL)
              for _ in range(uploads))
        )  # fmt: skip
    return latencies, missed


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def child(args: argparse.Namespace) -> None:
    """Run one measurement and print its result for the parent process."""
    url = args.real[0] if args.real else ""
    key = os.environ.get(KEY_ENV, "")
    result = asyncio.run(measure(args.target, args.mode, args.uploads, url, key))
    print("RESULT " + json.dumps(result))


def run_child(target: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one measurement in a process of its own; return its result."""
    command = [
        sys.executable,
        __file__,
        "--child",
        "--target",
        target,
        "--mode",
        mode,
        "--uploads",
        str(args.uploads),
    ]
    if args.tree:
        command += ["--tree", str(TREE)]
    env = dict(os.environ)
    if args.real:
        # The key goes by the environment, not on a command line others can read.
        command += ["--real", args.real[0], "-"]
        if args.real[1] != "-":
            env[KEY_ENV] = args.real[1]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    found = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    for line in done.stdout.splitlines():
        if not line.startswith("RESULT "):
            print(f"  {line}")
    if done.returncode or not found:
        raise RuntimeError(f"{target} {mode} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return dict(json.loads(found[-1].removeprefix("RESULT ")))


def row(result: dict[str, Any]) -> str:
    """Format one measurement as a row of the table."""
    values = result["latencies"]
    if values:
        cells = [statistics.median(values), percentile(values, 0.9), max(values)]
        figures = " ".join(f"{value:>7.2f} s" for value in cells)
    else:
        figures = " ".join(f"{'-':>9}" for _ in range(3))
    return (
        f"{result['server']:<12} {result['mode']:<5} {len(values):>4} {figures} "
        f"{result['missed']:>6} {result['twice']:>6}   {result['live_events']}"
    )


def main(args: argparse.Namespace) -> None:
    """Measure each server in each mode and print the table."""
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        child(args)
        return
    print(f"code: {describe_tree()}")
    targets = ["real"] if args.real else args.specs
    modes = ["push"] if args.no_poll else ["push", "poll"]
    results = []
    for target in targets:
        for mode in modes:
            print(f"measuring {target} {mode}", flush=True)
            results.append(run_child(target, mode, args))
    interval = results[0]["interval"]
    print(
        f"upload (POST /api/assets) to the asset_added event in Home Assistant, "
        f"{args.uploads} uploads each"
    )
    print(
        "push: Immich's websocket; poll: websocket refused, the events poll every "
        f"{interval:g} s finds them (expected: median {interval / 2:g} s, p90 "
        f"{interval * 0.9:g} s, max {interval:g} s, plus the poll's own requests)"
    )
    print(
        f"{'server':<12} {'mode':<5} {'n':>4} {'median':>9} {'p90':>9} {'max':>9} "
        f"{'missed':>6} {'twice':>6}   live_events"
    )
    for result in results:
        print(row(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--specs", nargs="+", default=["2.7.3", "3.0.3"])
    parser.add_argument("--real", nargs=2, metavar=("URL", "KEY"))
    parser.add_argument("--no-poll", action="store_true", help="measure with push only")
    parser.add_argument("--tree", type=Path, help="measure the code of another checkout")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    main(parser.parse_args())
