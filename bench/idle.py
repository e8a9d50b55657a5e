"""Requests to Immich in an idle hour at default settings, by where they go.

Run: .venv/bin/python bench/idle.py [--specs 2.7.3 3.0.3] [--tree PATH] [--no-core] [--detail]
     .venv/bin/python bench/idle.py --real URL KEY [--minutes 15] [--attempts 1] [--tree PATH]

Sets up Immich Hub with an admin key and default options, enables every entity (those disabled
by default too: the quiet queues, the usage sensors), and counts the requests Immich receives
while nothing changes and nobody looks at a dashboard. Each request is put under what asks for
it, by its path: the server poll, the queues, the library statistics, the asset events, the
three image entities and the websocket's handshake (``other`` lists the rest, one line each;
``--detail`` prints every path). Core ``immich`` is measured beside it, on its own server.

Against the fake Immich (each ``--specs`` in turn, each in a process of its own), the job queues
are made idle and kept still, the clock is frozen after setup and moved from one timer to the
next through a 5-minute warm-up and then one hour, letting the work each timer starts finish
before the next: an hour takes seconds. ``--real`` measures a real Immich instead, through a
counting reverse proxy (`_relay.py`; the server's own log is out of reach); its websocket pings
in real time, so the clock cannot be moved: ``--minutes`` of real time are counted and scaled
to an hour. The default 15 minutes is a whole number of every poll interval but the idle queues'
2 minutes (7.5 polls: 7 or 8 by the window's phase). The proxy lists what Immich pushed on the
websocket in the window and the minute before: on a shared server another client's uploads
make it no longer idle, and ``--attempts N`` measures up to N windows one after another until
one is. A KEY of ``-`` is read from the environment's IMMICH_API_KEY, out of the process list.

``--tree PATH`` runs the integration and the fake of another checkout (a git worktree of an
older commit, to measure "before").
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
import json
import logging
import math
import os
from pathlib import Path
import subprocess
import sys
import threading
import time
from typing import Any

from _hass import bench_hass, core_entry, ours_entry
from _relay import Relay, Seen
from _tree import describe_tree
from freezegun import freeze_time
from pytest_homeassistant_custom_component.common import MockConfigEntry

from fake_immich import FakeImmich, RecordedRequest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

HOUR = 3600
WARM_UP = 300
"""Simulated seconds let pass after setup before counting: the reload that enabling entities
asks for (30 s), first fetches and the first polls' catching up all happen within."""
GUARD = 5.0
"""Real seconds a task started in the hour may run before it is taken for a long-lived one."""
PLACES = ("server", "queues", "library", "events", "images", "websocket", "other")
LIBRARY_STATISTICS = frozenset({"/assets/statistics", "/albums/statistics", "/memories/statistics"})


def place(  # noqa: PLR0911
    method: str, path: str, query: dict[str, str], pushed: frozenset[str] = frozenset()
) -> str:
    """Return what asks for a request, from its API path (and the uploads pushed meanwhile)."""
    if path.startswith("/socket.io"):
        return "websocket"
    if path.startswith("/server/"):
        return "server"
    if path.startswith(("/queues", "/jobs")):
        return "queues"
    if path in LIBRARY_STATISTICS:
        return "library"
    if method == "GET" and path == "/albums":
        # An image entity asks for the albums of the photo it shows, and so does the
        # announcement of an upload Immich pushed; the events poll asks for all.
        asset_id = query.get("assetId")
        return "images" if asset_id is not None and asset_id not in pushed else "events"
    if path == "/search/metadata":
        return "events"
    if path in ("/search/random", "/memories") or (
        path.startswith("/assets/") and path.endswith("/thumbnail")
    ):
        return "images"
    return "other"


@dataclass(slots=True)
class Count:
    """Requests of an hour, by place, and each ``other`` one by method and path."""

    places: Counter[str]
    others: Counter[str]
    total: int
    paths: Counter[str]

    @classmethod
    def of(
        cls,
        requests: Iterable[tuple[str, str, dict[str, str]]],
        scale: float = 1.0,
        pushed: frozenset[str] = frozenset(),
    ) -> Count:
        places: Counter[str] = Counter()
        others: Counter[str] = Counter()
        paths: Counter[str] = Counter()
        for method, path, query in requests:
            where = place(method, path, query, pushed)
            places[where] += 1
            paths[f"{where}: {method} {_shape(path)}"] += 1
            if where == "other":
                others[f"{method} {path}"] += 1
        scaled = Counter({k: round(v * scale) for k, v in places.items()})
        return cls(
            scaled,
            Counter({k: round(v * scale) for k, v in others.items()}),
            sum(scaled.values()),
            Counter({k: round(v * scale) for k, v in paths.items()}),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"places": self.places, "others": self.others, "paths": self.paths}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Count:
        places = Counter(data["places"])
        return cls(places, Counter(data["others"]), sum(places.values()), Counter(data["paths"]))


def _shape(path: str) -> str:
    """Return a path with its ids as placeholders: /assets/{id}/thumbnail."""
    return "/".join("{id}" if len(part) == 36 and part.count("-") == 4 else part
                    for part in path.split("/"))  # fmt: skip


def recorded(requests: Iterable[RecordedRequest]) -> list[tuple[str, str, dict[str, str]]]:
    """Return the fake's recorded requests as (method, path, query)."""
    return [(r.method, r.path, dict(r.query)) for r in requests]


def relayed(requests: Iterable[Seen]) -> list[tuple[str, str, dict[str, str]]]:
    """Return the relay's requests as (method, path, query)."""
    return [(r.method, r.path, r.query) for r in requests]


# --- Home Assistant ------------------------------------------------------------------------


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> bool:
    """Add and set up an entry; tell whether it loaded."""
    entry.add_to_hass(hass)
    try:
        await hass.config_entries.async_setup(entry.entry_id)
    except Exception as err:  # core immich may not load: reported, not fatal
        print(f"{entry.domain} did not set up: {err!r}")
        return False
    await hass.async_block_till_done()
    return entry.state is ConfigEntryState.LOADED


def enable_all(hass: HomeAssistant, entries: Iterable[MockConfigEntry]) -> int:
    """Enable every entity the integration disabled by default; return how many.

    Home Assistant reloads the entries 30 s later, as it does when a user enables one.
    """
    registry = er.async_get(hass)
    enabled = 0
    for entry in entries:
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if entity.disabled_by is not None:
                registry.async_update_entity(entity.entity_id, disabled_by=None)
                enabled += 1
    return enabled


def entity_counts(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[int, int]:
    """Return the entry's entities in the registry and how many of them have a state."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    live = sum(1 for e in entities if hass.states.get(e.entity_id) is not None)
    return len(entities), live


# --- the frozen hour -----------------------------------------------------------------------


class Settler:
    """Lets the work a moment brings (polls, fetches and what they start) finish."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.long_lived: set[asyncio.Task[Any]] = set()
        self.outlived: list[str] = []
        """Tasks started during the run that outlived the guard: named in the output."""

    def mark(self) -> None:
        """Take the tasks running now (a websocket's reader, say) for long-lived ones."""
        self.long_lived |= {task for task in self._tracked() if not task.done()}

    def _tracked(self) -> set[asyncio.Task[Any]]:
        hass = self.hass
        return {*hass._tasks, *hass._background_tasks}

    async def settle(self) -> None:
        """Run the timers that came due and wait for every task they started to finish."""
        for _ in range(3):
            await asyncio.sleep(0)
        while pending := {t for t in self._tracked() if not t.done()} - self.long_lived:
            still = await _wait_real(pending, GUARD)
            if still:
                # A task that outlives the guard waits on something that will not come at
                # this moment (a new connection's reader): it is left running, and named.
                self.long_lived |= still
                self.outlived += [task.get_name() for task in still]
            for _ in range(3):
                await asyncio.sleep(0)


async def _wait_real(tasks: set[asyncio.Task[Any]], seconds: float) -> set[asyncio.Task[Any]]:
    """Wait for tasks to finish, for at most ``seconds`` of real time; return those left.

    The event loop's clock is frozen, so its own timeouts would never come.
    """
    loop = asyncio.get_running_loop()
    expired: asyncio.Future[None] = loop.create_future()

    def expire() -> None:
        if not expired.done():
            expired.set_result(None)

    timer = threading.Timer(seconds, loop.call_soon_threadsafe, (expire,))
    timer.start()
    try:
        pending: set[asyncio.Future[Any]] = set(tasks)
        while pending and not expired.done():
            _, pending = await asyncio.wait({*pending, expired}, return_when="FIRST_COMPLETED")
            pending.discard(expired)
        return {task for task in tasks if not task.done()}
    finally:
        timer.cancel()


async def run_for(settler: Settler, clock: Any, seconds: float) -> None:
    """Move the frozen clock ``seconds`` forward, from one timer to the next, settling at each.

    Every timer runs at its own moment, as in real time (a coordinator's lands on its
    interval plus a fraction of a second). The clock ends at the end of the span, with what is
    due exactly then not yet run: spans are half-open, one after another.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        await settler.settle()
        timers = [h.when() for h in loop._scheduled if not h.cancelled()]
        target = min(timers, default=end)
        if target >= end:
            break
        _tick_to(clock, loop, target)
    _tick_to(clock, loop, end)


def _tick_to(clock: Any, loop: asyncio.AbstractEventLoop, moment: float) -> None:
    """Move the frozen clock to ``moment`` of the loop's time, or just past it (microseconds)."""
    clock.tick(timedelta(microseconds=max(math.ceil((moment - loop.time()) * 1e6), 1)))
    while loop.time() < moment:
        clock.tick(timedelta(microseconds=1))


def make_idle(server: FakeImmich) -> None:
    """Let no job run or wait on the fake, and keep it so: an idle server.

    The fake moves its queues a little on every request, as a busy server would; here they
    stay still.
    """
    library = server.library
    for queue in library.queues.values():
        for counter in ("active", "waiting", "delayed", "paused_count"):
            setattr(queue, counter, 0)
    library.tick = lambda steps=1: None  # type: ignore[method-assign]


async def measure_fake(spec: str, *, core: bool) -> tuple[Count, Count | None, str]:
    """Count an idle hour on the fake; return ours, core's and what was set up."""
    async with (
        FakeImmich(api_version=spec) as server,
        FakeImmich(api_version=spec) as core_server,
        bench_hass() as hass,
    ):
        make_idle(server)
        make_idle(core_server)
        ours = ours_entry(server.url, server.admin_key, server.admin_user_id)
        assert await set_up(hass, ours), f"Immich Hub did not load: {ours.state}"
        theirs = core_entry(
            core_server.host, core_server.port, core_server.admin_key, core_server.admin_user_id
        )
        core_loaded = core and await set_up(hass, theirs)
        loaded = [ours, theirs] if core_loaded else [ours]
        enabled = enable_all(hass, loaded)
        settler = Settler(hass)
        await settler.settle()
        with freeze_time() as clock:
            # Timers set before the freeze are due at once: the warm-up takes them.
            await run_for(settler, clock, WARM_UP)
            settler.mark()
            server.clear_requests()
            core_server.clear_requests()
            await run_for(settler, clock, HOUR)
            ours_count = Count.of(recorded(server.requests))
            core_count = Count.of(recorded(core_server.requests)) if core_loaded else None
            entities, live = entity_counts(hass, ours)
            setup = (
                f"{entities} entities of Immich Hub, {live} with a state "
                f"({enabled} enabled here that are disabled by default), "
                f"{server.sockets if hasattr(server, 'sockets') else 0} websocket(s) open"
            )
            if settler.outlived:
                setup += f"; tasks left running past {GUARD:g} s: {', '.join(settler.outlived)}"
            await hass.config_entries.async_unload(ours.entry_id)
            if core_loaded:
                await hass.config_entries.async_unload(theirs.entry_id)
            await settler.settle()
        server.assert_no_violations()
    return ours_count, core_count, setup


REAL_WARM_UP = 120.0
"""Real seconds let pass after setup before the first window against a real Immich."""
QUIET_BEFORE = 60.0
"""Seconds before a real-time window in which Immich must have pushed nothing either: what a
change asks for (a refresh 15 s later) would fall in the window."""


async def measure_real(
    url: str, key: str, minutes: float, *, core: bool, attempts: int
) -> tuple[Count, Count | None, str, Counter[str], str]:
    """Count ``minutes`` of real time against a real Immich through relays; scale to an hour.

    Windows follow one another until one is idle (Immich pushed nothing in it, nor just
    before), at most ``attempts``; the last is the one reported.
    """
    async with Relay(url) as relay, Relay(url) as core_relay, bench_hass() as hass:
        ours = ours_entry(relay.url, key, "bench-idle")
        assert await set_up(hass, ours), f"Immich Hub did not load: {ours.state}"
        version = str(ours.runtime_data.server_version)
        core_host, core_port = core_relay.url.split("//")[1].split("/")[0].split(":")
        theirs = core_entry(core_host, int(core_port), key, "bench-idle")
        core_loaded = core and await set_up(hass, theirs)
        loaded = [ours, theirs] if core_loaded else [ours]
        enabled = enable_all(hass, loaded)
        # Home Assistant reloads the entries 30 s after entities are enabled (the websocket
        # connects again); let that, the first fetches after it and a quiet minute pass.
        await asyncio.sleep(REAL_WARM_UP)
        await hass.async_block_till_done()
        for attempt in range(1, attempts + 1):
            start = time.monotonic()
            await asyncio.sleep(minutes * 60)
            end = time.monotonic()
            frames = relay.frames_between(start - QUIET_BEFORE, end)
            stirred = {kind: n for kind, n in frames.items() if kind != "ping"}
            if not stirred:
                break
            print(f"window {attempt} not idle: {stirred}")
        scale = 60 / minutes
        pushed = frozenset(relay.pushed_uploads)
        ours_count = Count.of(relayed(r for r in relay.since(start) if r.at < end), scale, pushed)
        core_count = (
            Count.of(relayed(r for r in core_relay.since(start) if r.at < end), scale)
            if core_loaded
            else None
        )
        entities, live = entity_counts(hass, ours)
        setup = (
            f"{entities} entities of Immich Hub, {live} with a state "
            f"({enabled} enabled here that are disabled by default); window {attempt} of "
            f"at most {attempts}"
        )
        await hass.config_entries.async_unload(ours.entry_id)
        if core_loaded:
            await hass.config_entries.async_unload(theirs.entry_id)
    return ours_count, core_count, setup, frames, version


# --- output --------------------------------------------------------------------------------


def table(rows: list[tuple[str, Count, Count | None]]) -> list[str]:
    """Return the table of counts, one row per server."""
    head = f"{'immich':<22} {'total':>6} " + " ".join(f"{p:>9}" for p in PLACES)
    lines = [head + f" {'core immich':>12}"]
    for name, count, core in rows:
        cells = " ".join(f"{count.places.get(p, 0):>9}" for p in PLACES)
        core_cell = str(core.total) if core is not None else "-"
        lines.append(f"{name:<22} {count.total:>6} {cells} {core_cell:>12}")
    for name, count, _ in rows:
        lines.extend(f"  {name} other: {what} x{n}" for what, n in count.others.most_common())
    return lines


def detail(rows: list[tuple[str, Count, Count | None]]) -> list[str]:
    """Return every request path of each row, with its count."""
    lines = []
    for name, count, core in rows:
        lines.append(f"{name}, by path:")
        lines.extend(f"  {what:<44} {n:>5}" for what, n in sorted(count.paths.items()))
        if core is not None:
            lines.extend(
                f"  core immich {what:<32} {n:>5}" for what, n in sorted(core.paths.items())
            )
    return lines


async def real_rows(args: argparse.Namespace) -> list[tuple[str, Count, Count | None]]:
    """Measure the real server and say how."""
    url, key = args.real
    if key == "-":
        key = os.environ["IMMICH_API_KEY"]
    count, core, setup, frames, version = await measure_real(
        url, key, args.minutes, core=not args.no_core, attempts=args.attempts
    )
    print(f"real Immich {version} at {url}")
    print(f"{setup}; idle queues and library are up to the server")
    print(
        f"measured {args.minutes:g} minutes of real time, scaled x{60 / args.minutes:g} to one hour"
    )
    pushed = ", ".join(f"{name} x{n}" for name, n in frames.most_common()) or "nothing"
    print(f"websocket frames from Immich in the window and the minute before: {pushed}")
    if set(frames) - {"ping"}:
        print(
            "NOT IDLE: Immich pushed changes or the socket reconnected in the window (another "
            "client at work, a restart): the counts include what that caused"
        )
    return [(f"real {version}", count, core)]


def fake_row(spec: str, args: argparse.Namespace) -> tuple[str, Count, Count | None]:
    """Measure one spec of the fake in a process of its own (Home Assistant's test harness
    starts once per process); return its row."""
    command = [sys.executable, __file__, "--child", "--specs", spec]
    if args.tree:
        command += ["--tree", str(args.tree)]
    if args.no_core:
        command.append("--no-core")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not found:
        raise RuntimeError(f"measuring {spec} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    result = json.loads(found[-1].removeprefix("RESULT "))
    print(f"fake Immich {spec}: {result['setup']}")
    core = result["core"]
    return (
        f"fake {spec}",
        Count.from_dict(result["ours"]),
        Count.from_dict(core) if core is not None else None,
    )


async def child(spec: str, args: argparse.Namespace) -> None:
    """Measure one spec and print the result for the parent process."""
    ours, core, setup = await measure_fake(spec, core=not args.no_core)
    result = {
        "ours": ours.as_dict(),
        "core": core.as_dict() if core is not None else None,
        "setup": setup,
    }
    print("RESULT " + json.dumps(result))


def main(args: argparse.Namespace) -> None:
    """Measure each spec of the fake, or the real server."""
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        asyncio.run(child(args.specs[0], args))
        return
    print(f"code: {describe_tree()}")
    if args.real:
        rows = asyncio.run(real_rows(args))
    else:
        rows = [fake_row(spec, args) for spec in args.specs]
        print("one simulated hour, timer to timer, after a 5-minute warm-up")
    print("requests per idle hour (admin key, default options, every entity enabled):")
    for line in table(rows):
        print(line)
    if args.detail:
        for line in detail(rows):
            print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--specs", nargs="+", default=["2.7.3", "3.0.3"])
    parser.add_argument("--real", nargs=2, metavar=("URL", "KEY"))
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument(
        "--attempts", type=int, default=1, help="real windows tried until one is idle"
    )
    parser.add_argument("--tree", type=Path, help="measure the code of another checkout")
    parser.add_argument("--no-core", action="store_true", help="leave core immich out")
    parser.add_argument("--detail", action="store_true", help="print the count of every path")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    main(parser.parse_args())
