"""Install Immich Hub into a plain Home Assistant Core, as a user does, and set it up.

A fresh venv gets only ``pip install homeassistant==<version>`` (the version
requirements_ha2026.11.txt pins), nothing of the test environment. Immich Hub is copied into a new
config dir, ``hass`` starts, and Immich Hub is added through its config flow against the demo
Immich (the fake server, run here). Home Assistant must install what the manifest's
``requirements`` name (pydantic, which Home Assistant pins in package_constraints.txt but does not
install), and the entry must load with its entities, with no error and no deprecation reported
for Immich Hub in Home Assistant's log. Needs PyPI. Run by scripts/test with the 2026.11 venv:

    .venv-2026.11/bin/python scripts/check_core_install.py [--python PY] [--requirements F] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import aiohttp
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from demo import add_immich_hub, token, wait_for  # noqa: E402

from fake_immich import FakeImmich  # noqa: E402

INTEGRATION = ROOT / "custom_components" / "immich_hub"
CONFIGURATION = """\
# What adding an integration through the web API needs; nothing that installs packages.
homeassistant:
  name: Core install check
  time_zone: UTC
  country: DE
  currency: EUR
  unit_system: metric
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
logger:
  default: info
"""
# Home Assistant's reports of deprecated use (homeassistant.helpers.frame and .deprecation).
DEPRECATION = re.compile(r"deprecat|will stop working|will be removed", re.IGNORECASE)


STARTED = time.monotonic()


def log(message: str) -> None:
    """Print a progress line, with the seconds since the start."""
    print(f"check_core_install [{time.monotonic() - STARTED:4.0f} s]: {message}", flush=True)


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pinned_homeassistant(requirements: Path) -> str:
    """Return the Home Assistant version a requirements file pins."""
    match = re.search(r"^homeassistant==(\S+)$", requirements.read_text(), re.MULTILINE)
    assert match, f"{requirements} pins no homeassistant"
    return match.group(1)


def installed_version(venv: Path, package: str) -> str | None:
    """Return the version of ``package`` in ``venv``, or None when it is not installed."""
    probe = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    result = subprocess.run(  # noqa: S603  (our own venv's interpreter)
        [venv / "bin" / "python", "-c", probe, package],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def make_core(folder: Path, python: str, version: str) -> Path:
    """Create a venv with nothing but homeassistant==version in it."""
    venv = folder / "venv"
    log(f"creating a venv with {python} and installing homeassistant=={version} alone")
    subprocess.run([python, "-m", "venv", venv], check=True)  # noqa: S603
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check", "--quiet"]
    # -qq: this machine's pip configuration names index folders that lack most packages, and
    # pip warns about each; errors still show.
    subprocess.run([*pip, "-q", "install", f"homeassistant=={version}"], check=True)  # noqa: S603
    return venv


def make_config(folder: Path, port: int) -> Path:
    """Create a config dir holding a copy of Immich Hub, onboarding left for the user step."""
    config = folder / "config"
    shutil.copytree(
        INTEGRATION,
        config / "custom_components" / "immich_hub",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (config / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    storage = config / ".storage"
    storage.mkdir()
    # As scripts/demo.py does: only the user is made through onboarding.
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config", "analytics", "integration"]},
            }
        )
    )
    return config


async def entry_and_entities(
    session: aiohttp.ClientSession, base: str, access: str
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Wait for the entry to leave set-up; return it and Immich Hub's entity states."""
    headers = {"Authorization": f"Bearer {access}"}
    deadline = time.monotonic() + 120
    while True:
        async with session.get(
            f"{base}/api/config/config_entries/entry",
            params={"domain": "immich_hub"},
            headers=headers,
        ) as response:
            entries = await response.json()
        assert len(entries) == 1, f"expected one Immich Hub entry, got {entries}"
        entry: dict[str, object] = entries[0]
        if entry["state"] not in ("not_loaded", "setup_in_progress") or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(3)  # the coordinators' first refreshes write the entities' states
    async with session.get(f"{base}/api/states", headers=headers) as response:
        states = await response.json()
    ours = [s for s in states if str(s["entity_id"]).split(".", 1)[1].startswith("immich_")]
    return entry, ours


async def check(venv: Path, config: Path, port: int, hass_log: Path) -> list[str]:
    """Start hass, add Immich Hub, and return what is wrong (nothing, when it works)."""
    problems: list[str] = []
    server = FakeImmich("3.0.3")
    await server.start(host="127.0.0.1", port=free_port())
    with hass_log.open("w") as output:
        process = await asyncio.create_subprocess_exec(
            venv / "bin" / "hass", "-c", config, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await wait_for(session, base, process)
            log("Home Assistant answers; adding Immich Hub through its config flow")
            access = await token(session, base)
            # Home Assistant installs the manifest's requirements when the flow first loads it.
            try:
                await add_immich_hub(session, base, access, server.url, server.admin_key)
            except (KeyError, SystemExit) as err:  # no flow (KeyError) or no entry (SystemExit)
                return [f"Immich Hub could not be added through its config flow: {err!r}"]
            entry, entities = await entry_and_entities(session, base, access)
        log(f"entry {entry['title']!r}: {entry['state']}; {len(entities)} entities")
        if entry["state"] != "loaded":
            problems.append(f"the entry is {entry['state']}, not loaded: {entry}")
        disk = [e for e in entities if str(e["entity_id"]).endswith("_disk_usage")]
        if not disk or disk[0]["state"] in ("unknown", "unavailable"):
            problems.append(f"no disk usage reading among the entities: {entities}")
        server.assert_no_violations()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
        await server.stop()
    return problems


def check_requirements(venv: Path) -> list[str]:
    """Return what is wrong with the requirements Home Assistant installed from the manifest."""
    problems: list[str] = []
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    constraints = next(venv.glob("lib/python*/site-packages/homeassistant/package_constraints.txt"))
    pins = {
        Requirement(line).name.lower(): Requirement(line)
        for line in constraints.read_text().splitlines()
        if line and not line.startswith("#")
    }
    for text in manifest["requirements"]:
        requirement = Requirement(text)
        version = installed_version(venv, requirement.name)
        pin = pins.get(requirement.name.lower())
        log(f"{text}: Home Assistant installed {version}; its constraint: {pin}")
        if version is None:
            problems.append(f"{requirement.name} was not installed")
        elif not requirement.specifier.contains(version):
            problems.append(f"{requirement.name} {version} is outside the manifest's {text}")
        elif pin is not None and not pin.specifier.contains(version):
            problems.append(f"{requirement.name} {version} is outside Home Assistant's {pin}")
    return problems


def check_log(hass_log: Path) -> list[str]:
    """Return the log lines with an error or a deprecation report about Immich Hub."""
    lines = hass_log.read_text(errors="replace").splitlines()
    return [
        f"logged: {line}"
        for line in lines
        if "immich_hub" in line and (DEPRECATION.search(line) or " ERROR " in line)
    ]


def main() -> int:
    """Run the check; exit 1 with what went wrong."""
    parser = argparse.ArgumentParser(description=__doc__)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    parser.add_argument(
        "--python",
        default=str(Path(sys.base_prefix) / "bin" / f"python{version}"),
        help="the interpreter for the fresh venv (default: this venv's base interpreter)",
    )
    parser.add_argument(
        "--requirements",
        type=Path,
        default=ROOT / "requirements_ha2026.11.txt",
        help="install the homeassistant version this file pins",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="immich-hub-core-"))
    problems: list[str] = []
    try:
        venv = make_core(folder, args.python, pinned_homeassistant(args.requirements))
        missing = [
            requirement
            for requirement in json.loads((INTEGRATION / "manifest.json").read_text())[
                "requirements"
            ]
            if installed_version(venv, Requirement(requirement).name) is None
        ]
        log(f"not installed by homeassistant itself: {', '.join(missing) or 'nothing'}")
        port = free_port()
        config = make_config(folder, port)
        hass_log = folder / "hass.log"
        problems += asyncio.run(check(venv, config, port, hass_log))
        problems += check_requirements(venv)
        problems += check_log(hass_log)
        if problems:
            args.keep = True
            lines = hass_log.read_text(errors="replace").splitlines()
            ours = [line for line in lines if "immich_hub" in line or " ERROR " in line]
            log(f"Home Assistant's log: {hass_log}; its lines about Immich Hub and errors:")
            print("\n".join(ours[-40:]), flush=True)
    except BaseException:
        args.keep = True
        raise
    finally:
        if args.keep:
            log(f"work folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    for problem in problems:
        log(f"FAILED: {problem}")
    log("failed" if problems else "passed")
    return 1 if problems else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
