"""Soak: thousands of refreshes, browses and proxied downloads under random faults.

Run: .venv/bin/python bench/soak.py [--minutes 2] [--count 100000] [--fault-rate 0.3] [--out F]

One Home Assistant (with its HTTP server on loopback) runs Immich Hub against the fake Immich
server in this process. Operations are picked at random: a refresh of one coordinator, a
media-source browse (root or an album), or a download of a thumbnail or the video through the
proxy view with a signed URL. Before an operation a fault may be injected for the next request
(5xx, a 1.5 s delay against a 1 s client timeout, a connection reset, malformed JSON, JSON
that breaks the spec). At intervals it prints the resident memory, the open connections of the
shared aiohttp session, and the asyncio task count; at the end it compares the first and the
last quarter of the samples and tells whether each stayed flat.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import gc
import logging
import os
from pathlib import Path
import platform
import random
import re
import socket
import statistics
import time
from typing import Any

from _hass import bench_hass
import aiohttp
from pytest_homeassistant_custom_component.common import MockConfigEntry

from fake_immich import FakeImmich
from homeassistant.components import media_source
from homeassistant.components.http.auth import async_sign_path
from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component

MIB = 1024 * 1024
# "latency" beyond the 1 s client timeout: a request the client gives up on.
FAULTS = ("status", "status", "latency", "reset", "malformed_json", "invalid_schema")


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss() -> int:
    """Return the resident set size of this process in bytes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def open_connections(hass: HomeAssistant) -> int:
    """Return the connections held by the shared session: in use plus kept alive."""
    connector: Any = async_get_clientsession(hass, verify_ssl=False).connector
    idle = sum(len(conns) for conns in connector._conns.values())
    return len(connector._acquired) + idle


def machine() -> str:
    """Describe the machine the soak ran on."""
    model = "unknown"
    if found := re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M):
        model = found.group(1).strip()
    total = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    memory = f"{int(total.group(1)) / MIB:.1f} GiB" if total else "unknown"
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory} memory, Python "
        f"{platform.python_version()}, Home Assistant {ha_version}"
    )


class Soak:
    """The running soak: the server, Home Assistant and the counters."""

    def __init__(self, hass: HomeAssistant, server: FakeImmich, entry: MockConfigEntry) -> None:
        """Keep what the operations need."""
        self.hass = hass
        self.server = server
        self.entry = entry
        self.outcomes: Counter[str] = Counter()
        self.assets: list[str] = []
        self.video = ""
        self.album = ""
        self.base = ""

    async def refresh(self) -> None:
        """Refresh one coordinator."""
        coordinators = self.entry.runtime_data.coordinators
        choice = random.choice(
            [c for c in (coordinators.server, coordinators.queues, coordinators.library,
                         coordinators.events) if c is not None]
        )  # fmt: skip
        await choice.async_refresh()
        self.outcomes[f"refresh {'ok' if choice.last_update_success else 'failed'}"] += 1

    async def browse(self) -> None:
        """Browse the media-source root or an album."""
        root = f"media-source://immich_hub/{self.entry.entry_id}"
        target = random.choice([root, f"{root}/album/{self.album}"])
        try:
            await media_source.async_browse_media(self.hass, target)
        except Exception as err:
            self.outcomes[f"browse {type(err).__name__}"] += 1
        else:
            self.outcomes["browse ok"] += 1

    async def download(self, session: aiohttp.ClientSession) -> None:
        """Download a thumbnail or the video through the proxy view."""
        kind, asset = random.choice(
            [("thumbnail", random.choice(self.assets)), ("preview", random.choice(self.assets)),
             ("video", self.video)]
        )  # fmt: skip
        path = f"/api/immich_hub/{self.entry.entry_id}/{kind}/{asset}"
        url = self.base + async_sign_path(self.hass, path, timedelta(minutes=5))
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=15)) as response:
                received = len(await response.read())
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as err:
            self.outcomes[f"download {type(err).__name__}"] += 1
        else:
            self.outcomes[f"download {status}{' empty' if not received else ''}"] += 1

    async def step(self, session: aiohttp.ClientSession, rate: float) -> None:
        """Maybe inject a fault, then run one random operation."""
        self.inject(rate)
        operation = random.choice(("refresh", "browse", "download"))
        if operation == "refresh":
            await self.refresh()
        elif operation == "browse":
            await self.browse()
        else:
            await self.download(session)

    def inject(self, rate: float) -> None:
        """Maybe inject one fault for the next request."""
        self.server.clear_faults()
        if random.random() >= rate:
            return
        kind = random.choice(FAULTS)
        status = random.choice([500, 502, 503])
        self.server.add_fault(kind, count=1, status=status, delay=1.5)
        self.outcomes[f"fault {kind}"] += 1


def sample(hass: HomeAssistant) -> tuple[float, int, int]:
    """Return memory (MiB), open connections and asyncio tasks now."""
    return rss() / MIB, open_connections(hass), len(asyncio.all_tasks())


async def set_up(hass: HomeAssistant, server: FakeImmich, port: int) -> Soak:
    """Start Home Assistant's HTTP server and media source, set up Immich Hub."""
    assert await async_setup_component(
        hass, "http", {"http": {"server_host": "127.0.0.1", "server_port": port}}
    )
    assert await async_setup_component(hass, "media_source", {})
    await hass.http.start()
    entry = MockConfigEntry(
        domain="immich_hub",
        unique_id=server.admin_user_id,
        data={"url": server.url, "api_key": server.admin_key, "verify_ssl": False},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    soak = Soak(hass, server, entry)
    soak.base = f"http://127.0.0.1:{port}"
    soak.album = next(a.id for a in server.library.albums.values() if a.name == "Holidays")
    soak.assets = server.add_assets(200, album="Holidays")
    soak.video = next(a.id for a in server.library.assets.values() if a.type == "VIDEO")
    # A delayed request must not stall the soak: a short client timeout.
    entry.runtime_data.client._timeout = 1.0
    return soak


async def main(minutes: float, count: int, rate: float, interval: float) -> tuple[list[str], bool]:
    """Run the soak and print its samples and verdict; return the lines and the verdict."""
    logging.basicConfig(level=logging.CRITICAL)
    random.seed(8)
    port = free_port()
    async with FakeImmich(api_version="3.0.3") as server, bench_hass() as hass:
        soak = await set_up(hass, server, port)

        lines: list[str] = []

        def say(line: str) -> None:
            print(line, flush=True)
            lines.append(line)

        say(f"{'elapsed s':>9} {'ops':>7} {'RSS MiB':>8} {'conns':>6} {'tasks':>6}")
        samples: list[tuple[float, int, int]] = []
        started = time.monotonic()
        next_sample = started
        ops = 0
        async with aiohttp.ClientSession() as session:
            while ops < count and time.monotonic() - started < minutes * 60:
                await soak.step(session, rate)
                ops += 1
                # The fake server records every request; that is its memory, not ours.
                server.clear_requests()
                if time.monotonic() >= next_sample:
                    server.clear_faults()
                    await hass.async_block_till_done()
                    gc.collect()
                    samples.append(sample(hass))
                    mem, conns, tasks = samples[-1]
                    elapsed = time.monotonic() - started
                    say(f"{elapsed:>9.0f} {ops:>7} {mem:>8.1f} {conns:>6} {tasks:>6}")
                    next_sample += interval
            server.clear_faults()
            await hass.async_block_till_done()
            gc.collect()
            samples.append(sample(hass))
            mem, conns, tasks = samples[-1]
            say(f"{time.monotonic() - started:>9.0f} {ops:>7} {mem:>8.1f} {conns:>6} {tasks:>6}")

        say("")
        say(f"{ops} operations in {time.monotonic() - started:.0f} s:")
        for outcome, number in sorted(soak.outcomes.items()):
            say(f"  {outcome:<34} {number:>6}")
        flat = verdict(samples, say)
        await hass.http.stop()
    return lines, flat


def verdict(samples: list[tuple[float, int, int]], say: Callable[[str], None]) -> bool:
    """Compare the first and the last quarter of the samples; return whether all stayed flat."""
    quarter = max(1, len(samples) // 4)
    verdicts = []
    for index, (name, slack) in enumerate((("RSS MiB", 10.0), ("connections", 2), ("tasks", 2))):
        first = statistics.mean(s[index] for s in samples[:quarter])
        last = statistics.mean(s[index] for s in samples[-quarter:])
        verdicts.append(last <= first + slack)
        say(
            f"{name:<12} first quarter {first:8.1f}  last quarter {last:8.1f}  "
            f"{'flat' if verdicts[-1] else 'GROWING'} (allowance {slack})"
        )
    return all(verdicts)


def write_result(out: Path, args: argparse.Namespace, lines: list[str], flat: bool) -> None:
    """Write the soak's output as Markdown with the date and the machine."""
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [
        f"# Soak, {today}",
        "",
        f"Machine: {machine()}.",
        "",
        f"`bench/soak.py --minutes {args.minutes:g} --fault-rate {args.fault_rate:g}`: Immich Hub "
        "in one Home Assistant against the fake Immich server on loopback; random coordinator "
        "refreshes, media-source browses and proxied downloads, with a fault injected before "
        f"{args.fault_rate:.0%} of operations. Samples every {args.interval:g} s (after letting "
        "pending work finish).",
        "",
        "```",
        *lines,
        "```",
        "",
        f"Verdict: {'all flat' if flat else 'NOT flat'}.",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(text))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    output, all_flat = asyncio.run(main(args.minutes, args.count, args.fault_rate, args.interval))
    if args.out is not None:
        write_result(args.out, args, output, all_flat)
