"""Throughput and memory of the video proxy: a 1 GiB video through the view vs straight from Immich.

Three processes, so that none slows another down: the fake Immich server (serving a video
generated as it is sent), Home Assistant with Immich Hub (this process, whose memory is
sampled), and a downloader that reads the video first from the fake, then through the view
with a signed URL. The memory figure is the peak resident set size of the Home Assistant
process during the proxied download, above its resident size just before.

    .venv/bin/python bench/proxy.py [--size-mib 1024] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
import json
import os
from pathlib import Path
import socket
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant import loader
from homeassistant.components.http.auth import async_sign_path
from homeassistant.setup import async_setup_component

MiB = 1024 * 1024
GiB = 1024 * MiB
CHUNK = 256 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """Return this process's resident set size in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


async def serve_fake(size: int) -> None:
    """Run the fake server with one large video; print how to reach it; stop when stdin closes."""
    async with FakeImmich("3.0.3") as immich:
        asset_id = immich.add_large_video(size)
        print(json.dumps({"url": immich.url, "key": immich.admin_key, "asset": asset_id}))
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def download(url: str, key: str | None) -> None:
    """Read a body to the end; print its size and the seconds it took."""
    headers = {"x-api-key": key} if key else {}
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        received = 0
        async with session.get(url, headers=headers) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(CHUNK):
                received += len(chunk)
        print(json.dumps({"bytes": received, "seconds": time.perf_counter() - start}))


async def run_download(url: str, key: str | None) -> tuple[int, float]:
    """Download in a child process; return bytes and seconds."""
    args = [sys.executable, __file__, "--download", url]
    if key:
        args += ["--key", key]
    child = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    result = json.loads(out)
    return int(result["bytes"]), float(result["seconds"])


async def sample_peak(stop: asyncio.Event) -> int:
    """Return the peak resident size seen until ``stop`` is set."""
    peak = rss()
    while not stop.is_set():
        peak = max(peak, rss())
        await asyncio.sleep(0.05)
    return max(peak, rss())


def free_port() -> int:
    """Return a free local TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def main(size: int, runs: int) -> None:
    """Run the benchmark and print its figures."""
    fake = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-fake", str(size),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert fake.stdout is not None
    assert fake.stdin is not None
    info = json.loads(await fake.stdout.readline())
    port = free_port()
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            assert await async_setup_component(
                hass, "http", {"http": {"server_host": "127.0.0.1", "server_port": port}}
            )
            # The test harness starts Home Assistant already running, so start the server here.
            await hass.http.start()
            entry = MockConfigEntry(
                domain=DOMAIN,
                unique_id="bench",
                data={"url": info["url"], "api_key": info["key"], "verify_ssl": False},
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            path = f"/api/{DOMAIN}/{entry.entry_id}/video/{info['asset']}"
            proxied = f"http://127.0.0.1:{port}" + async_sign_path(hass, path, timedelta(hours=1))
            direct = f"{info['url']}/api/assets/{info['asset']}/video/playback"
            print(f"video: {size / MiB:.0f} MiB, {runs} run(s) each, best run shown")
            best_direct = best_proxy = 0.0
            peak_above_idle = 0
            cpu = float("inf")
            for _ in range(runs):
                received, seconds = await run_download(direct, info["key"])
                assert received == size, received
                best_direct = max(best_direct, size / seconds / MiB)
                idle = rss()
                cpu_start = time.process_time()
                stop = asyncio.Event()
                sampler = asyncio.create_task(sample_peak(stop))
                received, seconds = await run_download(proxied, None)
                stop.set()
                peak = await sampler
                cpu = min(cpu, (time.process_time() - cpu_start) / (size / GiB))
                assert received == size, received
                best_proxy = max(best_proxy, size / seconds / MiB)
                peak_above_idle = max(peak_above_idle, peak - idle)
            print(f"direct from Immich: {best_direct:8.1f} MiB/s")
            print(f"through the view:   {best_proxy:8.1f} MiB/s "
                  f"({best_proxy / best_direct:.2f} of direct)")  # fmt: skip
            print(f"proxy CPU time: {cpu:.2f} s per GiB (on {os.cpu_count()} CPUs)")
            print(f"proxy peak memory above idle: {peak_above_idle / MiB:.1f} MiB "
                  f"(idle RSS {rss() / MiB:.0f} MiB)")  # fmt: skip
            await hass.http.stop()
            await hass.async_stop(force=True)
    fake.stdin.close()
    await fake.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--download", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        asyncio.run(serve_fake(args.serve_fake))
    elif args.download:
        asyncio.run(download(args.download, args.key))
    else:
        asyncio.run(main(args.size_mib * MiB, args.runs))
