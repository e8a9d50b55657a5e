"""Upload benchmark: time and peak memory of uploading one large file to the fake Immich server.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--api 2.7.3] [--runs 3]

Variants, each run in a fresh process against a fresh fake server (its own process too, so
every upload is new to it):

- baseline: the least a de-duplicating client must do: one SHA-1 pass over the file, then a
  plain aiohttp multipart upload streaming the file (aiohttp's own file payload, 64 KiB reads);
- baseline_1mib: the same, but the file streamed by an async generator of 1 MiB reads in an
  executor (the read size the upload action uses), so the action is also compared with the
  faster of the two;
- immich_hub: what the `upload` action does: the EXIF date read with Pillow, then
  `ImmichClient.upload_file` (SHA-1 off the event loop, `/assets/bulk-upload-check`, streamed
  multipart upload);
- immich_hub_duplicate: the same file uploaded a second time (hashed, checked, not sent);
- core: Home Assistant's core `immich` integration's upload (aioimmich `async_upload_asset`).

On Immich 3.x the core upload fails: aioimmich sends the 2.x-only form fields `deviceAssetId` and
`deviceId` and naive timestamps, Immich answers 400, and aioimmich's error handling then raises
`KeyError: 'error'` on the 3.x error body.

Peak memory is the process's peak resident set during the upload above its resident set just
before it (Linux: VmHWM reset through /proc/self/clear_refs).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
import hashlib
import json
import os
from pathlib import Path
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
VARIANTS = ("baseline", "baseline_1mib", "immich_hub", "immich_hub_duplicate", "core")


def _status_kib(field: str) -> int:
    """Read a memory figure (KiB) from /proc/self/status."""
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert match is not None
    return int(match.group(1))


def _reset_peak() -> None:
    """Reset the peak resident set (VmHWM) to the current one."""
    Path("/proc/self/clear_refs").write_text("5")


def _sha1(path: Path) -> str:
    """Hash a file in 1 MiB reads."""
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as file:
        while chunk := file.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    """Yield a file in 1 MiB reads, each in an executor."""
    loop = asyncio.get_running_loop()
    file = await loop.run_in_executor(None, path.open, "rb")
    try:
        while chunk := await loop.run_in_executor(None, file.read, MIB):
            yield chunk
    finally:
        file.close()


async def _baseline(
    session: aiohttp.ClientSession, url: str, key: str, path: Path, api: str, *, big: bool
) -> str:
    """Hash the file once, then stream it as a plain multipart upload."""
    loop = asyncio.get_running_loop()
    checksum = await loop.run_in_executor(None, _sha1, path)
    stamp = datetime.fromtimestamp(os.stat(path).st_mtime, UTC).isoformat()
    form = aiohttp.FormData()
    form.add_field("fileCreatedAt", stamp)
    form.add_field("fileModifiedAt", stamp)
    if api.startswith("2."):
        form.add_field("deviceAssetId", f"bench-{checksum}")
        form.add_field("deviceId", "bench")
    with path.open("rb") as file:
        body = _chunks(path) if big else file
        form.add_field("assetData", body, filename=path.name, content_type="video/mp4")
        async with session.post(
            f"{url}/api/assets",
            data=form,
            headers={"x-api-key": key, "x-immich-checksum": checksum},
        ) as response:
            response.raise_for_status()
            return str((await response.json())["status"])


async def _run_variant(variant: str, url: str, key: str, path: Path, api: str) -> dict[str, Any]:
    """Run one variant in this process; return its time and memory."""
    from custom_components.immich_hub.api import ImmichClient  # noqa: PLC0415
    from custom_components.immich_hub.const import UPLOAD_CHUNK_SIZE  # noqa: PLC0415
    from custom_components.immich_hub.services.upload import _exif_taken_at  # noqa: PLC0415

    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = ImmichClient(session, url, key, timeout=300)
        await client.get_server_version()  # warm up: connection, version, imports
        loop = asyncio.get_running_loop()
        if variant == "immich_hub_duplicate":
            await client.upload_file(path, chunk_size=UPLOAD_CHUNK_SIZE)
        if variant == "core":
            from aioimmich import Immich  # noqa: PLC0415

            host, port = url.removeprefix("http://").split(":")
            core = Immich(session, key, host, int(port), use_ssl=False)

        idle = _status_kib("VmRSS")
        _reset_peak()
        start = time.perf_counter()
        if variant.startswith("baseline"):
            status = await _baseline(session, url, key, path, api, big=variant == "baseline_1mib")
        elif variant == "core":
            status = (await core.assets.async_upload_asset(str(path))).status
        else:
            taken = await loop.run_in_executor(None, _exif_taken_at, path, UTC)
            result = await client.upload_file(
                path, file_created_at=taken, chunk_size=UPLOAD_CHUNK_SIZE
            )
            status = str(result.status)
        seconds = time.perf_counter() - start
        peak = _status_kib("VmHWM")
    return {"seconds": seconds, "peak_above_idle_mib": (peak - idle) / 1024, "status": status}


class FakeServer:
    """The fake Immich server in its own process."""

    def __init__(self, api: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fake_immich", "--port", "0", "--api", api],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        lines = [self.process.stdout.readline() for _ in range(2)]
        self.url = re.search(r"at (\S+)", lines[0]).group(1)  # type: ignore[union-attr]
        self.key = lines[1].split()[-1]

    def stop(self) -> None:
        """Stop the server process."""
        self.process.terminate()
        self.process.wait(10)


def _measure(variant: str, path: Path, api: str) -> dict[str, Any]:
    """Run a variant in a fresh process against a fresh fake server."""
    server = FakeServer(api)
    try:
        done = subprocess.run(
            [sys.executable, __file__, f"--child={variant}", f"--url={server.url}",
             f"--key={server.key}", f"--file={path}", f"--api={api}"],
            capture_output=True, text=True, check=False, cwd=ROOT,
        )  # fmt: skip
    finally:
        server.stop()
    if done.returncode:
        error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        return {"error": error}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _make_file(directory: Path, size_mib: int) -> Path:
    """Write a file of random bytes (random, so nothing compresses or deduplicates it)."""
    path = directory / "large.mp4"
    with path.open("wb") as file:
        for _ in range(size_mib):
            file.write(os.urandom(MIB))
    return path


def main() -> None:
    """Run every variant and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--api", default="2.7.3", choices=("2.7.3", "3.0.3"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", choices=VARIANTS)
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--file")
    args = parser.parse_args()

    if args.child:
        try:
            result = asyncio.run(
                _run_variant(args.child, args.url, args.key, Path(args.file), args.api)
            )
        except Exception as err:
            result = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = _make_file(Path(tmp), args.size_mib)
        _sha1(path)  # the file is in the page cache for every variant alike
        print(f"Upload of a {args.size_mib} MiB file to the fake Immich {args.api} "
              f"(separate process), {args.runs} run(s) per variant, median shown\n")  # fmt: skip
        print(f"{'variant':<22}{'seconds':>9}{'x baseline':>12}{'x best base':>12}"
              f"{'peak MiB':>10}  status")  # fmt: skip
        baselines: dict[str, float] = {}
        for variant in args.variants.split(","):
            runs = [_measure(variant, path, args.api) for _ in range(args.runs)]
            failed = [run for run in runs if "error" in run]
            if failed:
                print(f"{variant:<22}{'failed':>9}  {failed[0]['error'][:160]}")
                continue
            seconds = statistics.median(run["seconds"] for run in runs)
            peak = statistics.median(run["peak_above_idle_mib"] for run in runs)
            if variant.startswith("baseline"):
                baselines[variant] = seconds
            plain = f"{seconds / baselines['baseline']:.2f}" if "baseline" in baselines else "-"
            best = f"{seconds / min(baselines.values()):.2f}" if baselines else "-"
            print(f"{variant:<22}{seconds:>9.2f}{plain:>12}{best:>12}{peak:>10.1f}"
                  f"  {runs[0]['status']}")  # fmt: skip
            print(f"{'':<22}runs: {', '.join(f'{run["seconds"]:.2f}' for run in runs)}")


if __name__ == "__main__":
    main()
