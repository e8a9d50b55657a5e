"""Throughput and memory of the video proxy: a 1 GiB video through the view vs straight from Immich.

Three processes, so that none slows another down: the fake Immich server (serving a video
generated as it is sent), Home Assistant with Immich Hub (this process, whose memory is
sampled), and a downloader that reads the video first from the fake, then through the view
with a signed URL. The memory figure is the peak resident set size of the Home Assistant
process during the proxied download, above its resident size just before.

Each run downloads straight, then through the view, then (when nginx is installed) through
nginx set up as a reverse proxy of the fake: the same job done by a proxy written in C, as a
reference for what any proxy can reach on this machine. The CPU seconds each process spends
per GiB show where the time goes; when their sum over the wall time nears the number of CPUs,
the run is bound by CPU, not by the proxy's design.

    .venv/bin/python bench/proxy.py [--size-mib 1024] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import timedelta
import json
import os
from pathlib import Path
import resource
import shutil
import socket
import statistics
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
TICK = os.sysconf("SC_CLK_TCK")
NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header x-api-key {key};
            proxy_buffer_size 256k;
            proxy_buffers 8 256k;
            proxy_busy_buffers_size 512k;
            proxy_max_temp_file_size 0;
        }}
    }}
}}
"""


def rss() -> int:
    """Return this process's resident set size in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


def cpu_of(pid: int) -> float:
    """Return the CPU seconds (user and system) a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def own_cpu() -> float:
    """Return the CPU seconds (user and system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def serve_fake(size: int) -> None:
    """Run the fake server with one large video; print how to reach it; stop when stdin closes."""
    async with FakeImmich("3.0.3") as immich:
        asset_id = immich.add_large_video(size)
        print(json.dumps({"url": immich.url, "key": immich.admin_key, "asset": asset_id}))
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def download(url: str, key: str | None) -> None:
    """Read a body to the end; print its size, the seconds it took and the CPU it used."""
    headers = {"x-api-key": key} if key else {}
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        cpu = own_cpu()
        received = 0
        async with session.get(url, headers=headers) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(CHUNK):
                received += len(chunk)
        seconds = time.perf_counter() - start
        print(json.dumps({"bytes": received, "seconds": seconds, "cpu": own_cpu() - cpu}))


@dataclass
class Leg:
    """One download: its speed, and the CPU seconds per GiB of each process taking part."""

    mib_s: float
    cpu: dict[str, float]

    def busy(self, size: int) -> float:
        """Return how many CPUs the processes kept busy on average."""
        return sum(self.cpu.values()) * (size / GiB) / (size / MiB / self.mib_s)


async def measure(size: int, url: str, key: str | None, others: dict[str, int | None]) -> Leg:
    """Download ``url`` in a child process; time it and charge each process its CPU.

    ``others`` names the processes to charge besides the downloader: a pid, or None for this
    process.
    """
    args = [sys.executable, __file__, "--download", url]
    if key:
        args += ["--key", key]
    before = {name: own_cpu() if pid is None else cpu_of(pid) for name, pid in others.items()}
    child = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    after = {name: own_cpu() if pid is None else cpu_of(pid) for name, pid in others.items()}
    result = json.loads(out)
    assert result["bytes"] == size, result
    gib = size / GiB
    cpu = {name: (after[name] - before[name]) / gib for name in others}
    cpu["downloader"] = result["cpu"] / gib
    return Leg(size / result["seconds"] / MiB, cpu)


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


def nginx_config(workdir: str, upstream: str, key: str) -> tuple[Path, int]:
    """Write nginx's configuration as a reverse proxy of the fake; return it and its port."""
    port = free_port()
    conf = Path(workdir, "nginx.conf")
    conf.write_text(NGINX_CONF.format(dir=workdir, port=port, upstream=upstream, key=key))
    return conf, port


def worker_of(master: int) -> int | None:
    """Return the pid of nginx's worker once the master has started it."""
    children = Path(f"/proc/{master}/task/{master}/children")
    pids = children.read_text().split() if children.exists() else []
    return int(pids[0]) if pids else None


async def start_nginx(
    workdir: str, upstream: str, key: str
) -> tuple[asyncio.subprocess.Process, int, int] | None:
    """Start nginx as a reverse proxy of the fake; return it, its port and its worker's pid."""
    if (nginx := shutil.which("nginx")) is None:
        return None
    conf, port = nginx_config(workdir, upstream, key)
    master = await asyncio.create_subprocess_exec(
        nginx, "-c", str(conf), "-g", "daemon off;",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        await asyncio.sleep(0.05)
        if (worker := worker_of(master.pid)) is not None:
            return master, port, worker
    master.terminate()
    await master.wait()
    return None


def describe(name: str, leg: Leg, size: int, direct: Leg | None = None) -> str:
    """Return one line of figures for a download."""
    ratio = f" ({leg.mib_s / direct.mib_s:.2f} of direct)" if direct else ""
    cpu = ", ".join(f"{who} {seconds:.2f}" for who, seconds in leg.cpu.items())
    return (
        f"{name:<20}{leg.mib_s:8.1f} MiB/s{ratio:<18} CPU s/GiB: {cpu}; "
        f"{leg.busy(size):.1f} CPUs busy"
    )


def summary(name: str, legs: list[Leg], direct: list[Leg] | None = None) -> str:
    """Return the best speed of some downloads and, against direct ones, the median fraction."""
    line = f"{name + ':':<20}{max(leg.mib_s for leg in legs):8.1f} MiB/s (best run"
    if direct:
        ratios = [leg.mib_s / base.mib_s for leg, base in zip(legs, direct, strict=True)]
        line += f"; {statistics.median(ratios):.2f} of direct, median of the runs"
    return line + ")"


@dataclass
class Setup:
    """What a run needs: the fake, its video, the view's signed URL and nginx if there is one."""

    size: int
    fake: int
    url: str
    key: str
    playback: str
    proxied: str
    nginx: tuple[asyncio.subprocess.Process, int, int] | None


async def run_once(setup: Setup, number: int, legs: dict[str, list[Leg]]) -> int:
    """Download straight, through the view and through nginx; return the view's peak memory."""
    size, fake = setup.size, setup.fake
    direct = await measure(size, setup.url + setup.playback, setup.key, {"fake": fake})
    idle = rss()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peak(stop))
    view = await measure(size, setup.proxied, None, {"fake": fake, "view": None})
    stop.set()
    peak_above_idle = await sampler - idle
    print(f"run {number}:")
    print("  " + describe("direct from Immich", direct, size))
    print("  " + describe("through the view", view, size, direct))
    legs["direct"].append(direct)
    legs["view"].append(view)
    if setup.nginx:
        _, port, worker = setup.nginx
        url = f"http://127.0.0.1:{port}{setup.playback}"
        reference = await measure(size, url, None, {"fake": fake, "nginx": worker})
        print("  " + describe("through nginx", reference, size, direct))
        legs["nginx"].append(reference)
    return peak_above_idle


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
        nginx = await start_nginx(config_dir, info["url"], info["key"])
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
            setup = Setup(
                size=size,
                fake=fake.pid,
                url=info["url"],
                key=info["key"],
                playback=f"/api/assets/{info['asset']}/video/playback",
                proxied=f"http://127.0.0.1:{port}"
                + async_sign_path(hass, path, timedelta(hours=1)),
                nginx=nginx,
            )
            print(f"video: {size / MiB:.0f} MiB, {runs} run(s) each, on {os.cpu_count()} CPUs")
            print("each run: straight from Immich, then through the view"
                  + (", then through nginx" if nginx else ""))  # fmt: skip
            legs: dict[str, list[Leg]] = {"direct": [], "view": [], "nginx": []}
            peak = max([await run_once(setup, number, legs) for number in range(1, runs + 1)])
            print(summary("direct from Immich", legs["direct"]))
            print(summary("through the view", legs["view"], legs["direct"]))
            if nginx:
                print(summary("through nginx", legs["nginx"], legs["direct"]))
            else:
                print("through nginx:      not measured (nginx is not installed)")
            view_cpu = statistics.median(leg.cpu["view"] for leg in legs["view"])
            print(f"proxy CPU time: {view_cpu:.2f} s per GiB (median)")
            print(f"proxy peak memory above idle: {peak / MiB:.1f} MiB "
                  f"(idle RSS {rss() / MiB:.0f} MiB)")  # fmt: skip
            await hass.http.stop()
            await hass.async_stop(force=True)
        if nginx:
            nginx[0].terminate()
            await nginx[0].wait()
    fake.stdin.close()
    await fake.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
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
