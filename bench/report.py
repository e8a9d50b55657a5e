"""Run every benchmark of bench/ and write one Markdown report: Immich Hub beside core immich.

Run: .venv/bin/python bench/report.py [--quick] [--out bench/results/report-<date>.md]

Runs poll.py, browse.py, proxy.py, upload.py, idle.py and push.py one after another (each in its
own process, as each starts its own fake Immich server), reads the figures from their printed
tables, and writes one summary table followed by each script's full output, with the date and
the machine. ``--quick`` uses small sizes (a 2,000-asset album, 64 MiB files, 5 uploads timed
with push only) for a fast check;
``--rerender REPORT`` rebuilds the table from the outputs an earlier report holds.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
import os
from pathlib import Path
import platform
import re
import subprocess
import sys
import time

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def machine() -> str:
    """Describe the machine: CPUs, memory, CPU model, Python and Home Assistant versions."""
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found.group(1).strip() if found else model
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.M)
        memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB" if found else memory
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory} memory, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, Home Assistant {ha_version}"
    )


def run(script: str, *args: str) -> tuple[str, float]:
    """Run one benchmark script; return its output and the seconds it took."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout
    if done.returncode:
        output += f"\n(exit status {done.returncode})\n{done.stderr[-2000:]}"
    return output, time.perf_counter() - started


Row = tuple[str, str, str]


def poll_rows(output: str) -> list[Row]:
    """Requests and wall time per refresh: each Immich Hub coordinator beside core's one."""
    found = re.findall(r"^(immich_hub \w+|core immich)\s+(\d+)\s+([\d.]+)\s+[\d.]+$", output, re.M)
    ours = [(name.split()[1], requests, wall) for name, requests, wall in found if "hub" in name]
    core = [(requests, wall) for name, requests, wall in found if name == "core immich"]
    latency = re.search(r"latency per request: (\d+) ms", output)
    per = f" ({latency.group(1)} ms latency per request)" if latency else ""
    return [
        (
            "Requests per refresh",
            ", ".join(f"{name} {requests}" for name, requests, _ in ours),
            core[0][0] if core else "did not load",
        ),
        (
            f"Wall time per refresh{per}",
            ", ".join(f"{name} {wall} ms" for name, _, wall in ours),
            f"{core[0][1]} ms" if core else "did not load",
        ),
    ]


def browse_rows(output: str) -> list[Row]:
    """First listing time and peak memory per album size."""
    found: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for size, name, ms, mib, shown, folders in re.findall(
        r"^\s*(\d+) (immich_hub|core immich)\s+(\d+) ms\s+([\d.]+) MiB\s+(\d+)\s+(\d+)",
        output,
        re.M,
    ):
        found[size, name] = (ms, mib, shown, folders)
    rows = []
    for size in dict.fromkeys(size for size, _ in found):
        ours = found.get((size, "immich_hub"))
        core = found.get((size, "core immich"))

        def cell(values: tuple[str, str, str, str] | None, index: int, unit: str) -> str:
            """Format one figure, with what the listing showed."""
            if values is None:
                return "-"
            ms, mib, shown, folders = values
            shape = f"{folders} folders" if int(folders) else f"{shown} assets"
            return f"{(ms, mib)[index]} {unit} ({shape})"

        rows.append((f"First listing, {int(size):,} assets: time", cell(ours, 0, "ms"),
                     cell(core, 0, "ms")))  # fmt: skip
        rows.append((f"First listing, {int(size):,} assets: peak memory", cell(ours, 1, "MiB"),
                     cell(core, 1, "MiB")))  # fmt: skip
    return rows


def proxy_rows(output: str) -> list[Row]:
    """Throughput and memory of a video through the proxy view, and through nginx."""
    direct = re.search(r"direct from Immich:\s+([\d.]+) MiB/s", output)
    proxied = re.search(r"through the view:\s+([\d.]+) MiB/s.*?([\d.]+) of direct", output)
    nginx = re.search(r"through nginx:\s+([\d.]+) MiB/s.*?([\d.]+) of direct", output)
    memory = re.search(r"proxy peak memory above idle: ([\d.]+) MiB", output)
    size = re.search(r"video: (\d+) MiB", output)
    label = f" ({size.group(1)} MiB video)" if size else ""
    speed = "failed"
    if proxied:
        speed = f"{proxied.group(1)} MiB/s, {proxied.group(2)} of direct"
        if direct:
            speed += f" (straight from Immich: {direct.group(1)} MiB/s)"
    reference = f"{nginx.group(1)} MiB/s, {nginx.group(2)} of direct" if nginx else "not measured"
    return [
        (f"Proxy throughput{label}", speed, "not measured"),
        ("Same video through nginx, for reference", reference, "-"),
        ("Proxy memory above idle", f"{memory.group(1)} MiB" if memory else "-", "not measured"),
    ]


def upload_rows(output: str) -> list[Row]:
    """Upload throughput and memory, Immich Hub beside core (and the plain baseline)."""
    size = re.search(r"Upload of a (\d+) MiB file", output)
    size_mib = int(size.group(1)) if size else 0
    figures: dict[str, str | tuple[float, str]] = {}
    for line in output.splitlines():
        if done := re.match(r"^(\w+)\s+([\d.]+)\s+\S+\s+\S+\s+([\d.]+)\s", line):
            variant, seconds, peak = done.groups()
            figures[variant] = (size_mib / float(seconds) if float(seconds) else 0.0, peak)
        elif failed := re.match(r"^(\w+)\s+failed\s", line):
            figures[failed.group(1)] = "failed"

    def cell(variant: str, index: int) -> str:
        """Format the throughput (0) or the peak memory (1) of a variant."""
        value = figures.get(variant, "-")
        if isinstance(value, str):
            return value
        return f"{value[0]:.1f} MiB/s" if index == 0 else f"{value[1]} MiB"

    note = f" (plain aiohttp baseline: {cell('baseline', 0)})" if "baseline" in figures else ""
    return [
        (f"Upload throughput, {size_mib} MiB file", cell("immich_hub", 0) + note, cell("core", 0)),
        (
            "Upload throughput, same file again",
            cell("immich_hub_duplicate", 0) + " (not re-sent)",
            "-",
        ),
        ("Upload peak memory above idle", cell("immich_hub", 1), cell("core", 1)),
    ]


PLACES = ("server", "queues", "library", "events", "images", "websocket", "other")


def idle_rows(output: str) -> list[Row]:
    """Requests per idle hour on each fake, with where they go, beside core's."""
    rows = []
    pattern = r"^(fake \S+)\s+(\d+)((?:\s+\d+){7})\s+(\d+|-)$"
    for server, total, places, core in re.findall(pattern, output, re.M):
        parts = ", ".join(
            f"{name} {n}" for name, n in zip(PLACES, places.split(), strict=True) if n != "0"
        )
        rows.append(
            (
                f"Requests to Immich per idle hour ({server}, every entity enabled)",
                f"{int(total):,} ({parts})",
                core if core != "-" else "did not load",
            )
        )
    return rows


def push_rows(output: str) -> list[Row]:
    """Time from an upload to the Home Assistant event, with push and with the poll."""
    found: dict[str, dict[str, str]] = {}
    pattern = r"^(fake \S+|real \S+)\s+(push|poll)\s+(\d+)\s+([\d.]+) s\s+([\d.]+) s\s+([\d.]+) s"
    for server, mode, n, median, p90, most in re.findall(pattern, output, re.M):
        found.setdefault(server, {})[mode] = (
            f"median {median} s, p90 {p90} s, max {most} s ({n} uploads)"
        )
    rows = []
    for server, modes in found.items():
        ours = f"push: {modes.get('push', '-')}"
        if "poll" in modes:
            ours += f"; websocket refused, events poll: {modes['poll']}"
        rows.append((f"Upload to the asset_added event ({server})", ours, "no such event"))
    return rows


def render(
    plan: list[tuple[str, list[str]]], outputs: dict[str, str], today: str, quick: bool
) -> str:
    """Return the report: the summary table, then each script's full output."""
    rows = [
        *poll_rows(outputs["poll.py"]),
        *browse_rows(outputs["browse.py"]),
        *proxy_rows(outputs["proxy.py"]),
        *upload_rows(outputs["upload.py"]),
        *idle_rows(outputs.get("idle.py", "")),
        *push_rows(outputs.get("push.py", "")),
    ]
    lines = [
        f"# Benchmark report, {today}",
        "",
        f"Machine: {machine()}.",
        "",
        "All figures against the fake Immich server on loopback (`fake_immich`), Immich Hub "
        "beside Home Assistant's core `immich` integration (aioimmich 0.12.0) on the same "
        "server. Produced by `bench/report.py`"
        + (" --quick" if quick else "")
        + "; each section below holds the full output of one script, with how it measures.",
        "",
        "| Measure | Immich Hub | core immich |",
        "| --- | --- | --- |",
        *(f"| {name} | {ours} | {core} |" for name, ours, core in rows),
        "",
        "Immich Hub lists a large album as date folders and pages (every asset stays reachable: "
        "see the `reachable` column below); core lists every asset of the album at once. "
        "Core immich has no proxy benchmark here. Throughputs are best runs, fractions of direct "
        "the median of runs paired with a direct download; nginx, a proxy written in C, shows "
        "what any proxy reaches on the same machine. Idle requests are counted over one "
        "simulated hour with nothing changing and nobody looking at a dashboard; before live "
        "events (issue #15) that hour cost 1,236 requests (see "
        "[idle-2026-12-01.md](idle-2026-12-01.md), which has the real servers too). Core "
        "immich has no event for a new upload.",
        "",
    ]
    for script, script_args in plan:
        if script not in outputs:
            continue
        lines += [
            f"## `bench/{script} {' '.join(script_args)}`",
            "",
            "```",
            outputs[script].rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines)


def outputs_of(report: Path) -> dict[str, str]:
    """Read each script's output back from an earlier report."""
    pattern = r"^## `bench/(\S+)[^`]*`\n\n```\n(.*?)\n```$"
    return dict(re.findall(pattern, report.read_text(), re.M | re.S))


def main() -> None:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, fast")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rerender", type=Path, help="redo the table from an earlier report")
    args = parser.parse_args()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    out = args.out or BENCH / "results" / f"report-{today}.md"
    file_mib = 64 if args.quick else 256
    sizes = ["2000"] if args.quick else ["2000", "50000"]

    plan = [
        ("poll.py", ["--rounds", "3" if args.quick else "5"]),
        ("browse.py", ["--sizes", *sizes]),
        ("proxy.py", ["--size-mib", str(file_mib), "--runs", "1" if args.quick else "3"]),
        ("upload.py", ["--size-mib", str(file_mib), "--runs", "1" if args.quick else "2"]),
        ("idle.py", []),
        ("push.py", ["--uploads", "5", "--no-poll"] if args.quick else []),
    ]
    if args.rerender:
        outputs = outputs_of(args.rerender)
    else:
        outputs = {}
        for script, script_args in plan:
            print(f"running {script} {' '.join(script_args)}", flush=True)
            outputs[script], seconds = run(script, *script_args)
            print(f"  done in {seconds:.0f} s", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(plan, outputs, today, args.quick))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
