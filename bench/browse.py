"""Time to the first listing of a large album, and its peak memory: Immich Hub vs core immich.

Runs a Home Assistant instance with both integrations against one fake Immich server (API
2.7.3, which core immich supports; in a child process, so that its work is not counted), with
albums of 2,000 and 50,000 assets, and browses each album through both media sources. Memory
is the peak of Python allocations in Home Assistant during the call (tracemalloc, in a second
run so that it does not slow the timed one). "reachable" counts the assets found by opening
every sub-folder of the album.

    .venv/bin/python bench/browse.py [--sizes 2000 50000]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import json
from pathlib import Path
import sys
import tempfile
import time
import tracemalloc
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant
from yarl import URL

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant import loader
from homeassistant.components import media_source
from homeassistant.components.media_source import BrowseMediaSource
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

MiB = 1024 * 1024


async def measure(call: Callable[[], Awaitable[BrowseMediaSource]]) -> tuple[float, float, Any]:
    """Return seconds, peak MiB of allocations, and the listing of one browse call."""
    start = time.perf_counter()
    node = await call()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    await call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / MiB, node


def count_assets(node: BrowseMediaSource) -> tuple[int, int]:
    """Return how many assets and sub-folders a listing shows."""
    children = node.children or []
    return sum(not c.can_expand for c in children), sum(c.can_expand for c in children)


async def walk(hass: HomeAssistant, media_id: str) -> int:
    """Return how many assets are reachable below a folder."""
    node = await media_source.async_browse_media(hass, media_id)
    total = sum(not child.can_expand for child in node.children or [])
    for child in node.children or []:
        if child.can_expand:
            total += await walk(hass, child.media_content_id)
    return total


async def serve_fake(sizes: list[int]) -> None:
    """Run the fake server with one album per size; print how to reach it; stop on EOF."""
    async with FakeImmich("2.7.3") as immich:
        albums = {}
        for size in sizes:
            immich.add_assets(size, album=f"Bench {size}")
            album = immich.library.find_album(f"Bench {size}", immich.admin_user_id)
            assert album is not None
            albums[size] = album.id
        print(json.dumps({"url": immich.url, "key": immich.admin_key,
                          "user": immich.admin_user_id, "albums": albums}))  # fmt: skip
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def set_up(hass: HomeAssistant, info: dict[str, Any]) -> str:
    """Set up both integrations against the fake; return our entry id."""
    hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
    assert await async_setup_component(hass, "media_source", {})
    ours = MockConfigEntry(
        domain=DOMAIN,
        title="Immich Hub",
        unique_id=info["user"],
        data={"url": info["url"], "api_key": info["key"], "verify_ssl": False},
    )
    ours.add_to_hass(hass)
    assert await hass.config_entries.async_setup(ours.entry_id)
    url = URL(info["url"])
    core = MockConfigEntry(
        domain="immich",
        title="Immich",
        unique_id=info["user"],
        data={
            "host": url.host,
            "port": url.port,
            "ssl": False,
            "api_key": info["key"],
            "verify_ssl": False,
        },
    )
    core.add_to_hass(hass)
    assert await hass.config_entries.async_setup(core.entry_id), "core immich did not set up"
    await hass.async_block_till_done()
    return ours.entry_id


async def main(sizes: list[int]) -> None:
    """Run the benchmark and print a table."""
    fake = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-fake", *map(str, sizes),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert fake.stdout is not None
    assert fake.stdin is not None
    info = json.loads(await fake.stdout.readline())
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            entry_id = await set_up(hass, info)
            print(f"{'album':>8} {'integration':<12} {'first listing':>14} {'peak alloc':>11}"
                  f" {'assets shown':>13} {'folders':>8} {'reachable':>10}")  # fmt: skip
            for size in sizes:
                album_id = info["albums"][str(size)]
                ours_id = f"media-source://immich_hub/{entry_id}/album/{album_id}"
                core_id = f"media-source://immich/{info['user']}|albums|{album_id}"
                for name, media_id in (("immich_hub", ours_id), ("core immich", core_id)):
                    seconds, peak, node = await measure(
                        lambda media_id=media_id: media_source.async_browse_media(hass, media_id)
                    )
                    assets, folders = count_assets(node)
                    reachable = await walk(hass, media_id) if folders else assets
                    print(f"{size:>8} {name:<12} {seconds * 1000:>11.0f} ms {peak:>7.1f} MiB"
                          f" {assets:>13} {folders:>8} {reachable:>10}")  # fmt: skip
            await hass.async_stop(force=True)
    fake.stdin.close()
    await fake.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 50000])
    parser.add_argument("--serve-fake", type=int, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        asyncio.run(serve_fake(args.serve_fake))
    else:
        asyncio.run(main(args.sizes))
