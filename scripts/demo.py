"""Run Home Assistant with Immich Hub loaded, against a real Immich or the demo one.

Started by ``scripts/develop``. With IMMICH_URL and IMMICH_API_KEY set, Immich Hub is configured
against that server; without them the fake Immich server runs here as a demo, with its sample
library (photos over several years with memories for today, albums, people, tags, a video, job
queues that keep moving). Onboarding is done, the integration is added through its config flow,
and the address and login are printed. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import re
import signal
import sys
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fake_immich import FakeImmich  # noqa: E402

USERNAME = "demo"
PASSWORD = "demo-immich-hub"  # noqa: S105  (the demo login, printed for the user)
CONFIGURATION = """\
# default_config would pull in go2rtc, which downloads a binary: list what the demo needs.
homeassistant:
  name: Immich Hub demo
  time_zone: UTC
  country: DE
  currency: EUR
  unit_system: metric
{http}frontend:
config:
onboarding:
history:
logbook:
media_source:
image_upload:
lovelace:
  dashboards:
    dashboard-immich:
      mode: yaml
      title: Immich
      icon: mdi:image-multiple
      show_in_sidebar: true
      filename: dashboards/immich.yaml
logger:
  default: warning
  logs:
    custom_components.immich_hub: info
"""


HTTP_YAML = """\
http:
  server_host: 127.0.0.1
  server_port: {port}
"""


def http_settings(port: int) -> dict[str, Any] | None:
    """Return Home Assistant's stored HTTP settings serving the demo on 127.0.0.1:port.

    Home Assistant 2026.11 keeps them in storage: it would take ``http:`` from YAML as a trial
    that the user must confirm in a dialog within five minutes, else it restarts on the old
    port. Where it still reads them from YAML (2026.2), None.
    """
    try:
        from homeassistant.components.http import config as http  # noqa: PLC0415
    except ImportError:
        return None
    settings = dict(http.HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port}))
    settings |= {"created_at": "2026-01-01T00:00:00+00:00", "error": None, "error_message": None}
    return {
        "version": http.STORAGE_VERSION,
        "minor_version": http.STORAGE_MINOR_VERSION,
        "key": http.STORAGE_KEY,
        "data": {"stable": settings, "pending": None, "yaml_migration_done": True},
    }


def prepare(config: Path, port: int) -> None:
    """Create the config dir with Immich Hub linked in from this checkout."""
    (config / "custom_components").mkdir(parents=True, exist_ok=True)
    (config / ".storage").mkdir(exist_ok=True)
    link = config / "custom_components" / "immich_hub"
    if not link.exists():
        link.symlink_to(ROOT / "custom_components" / "immich_hub")
    stored_http = http_settings(port)
    configuration = config / "configuration.yaml"
    if stored_http is not None:
        # Written on every start, so that --port is honoured by an existing config dir too.
        (config / ".storage" / "http").write_text(json.dumps(stored_http, indent=2))
        if configuration.exists():  # made by an older demo: the settings are in storage now
            text = configuration.read_text()
            configuration.write_text(re.sub(r"^http:\n(?:[ \t]+.*\n)*", "", text, flags=re.M))
    if not configuration.exists():
        http_yaml = "" if stored_http is not None else HTTP_YAML.format(port=port)
        configuration.write_text(CONFIGURATION.format(http=http_yaml))
    dashboard = config / "dashboards" / "immich.yaml"
    if not dashboard.exists():
        dashboard.parent.mkdir(exist_ok=True)
        dashboard.write_text(json.dumps(build_dashboard({})))
    # Only the user is made through onboarding; the other steps would add integrations
    # (Google Translate, Met.no) that a demo does not need.
    onboarding = config / ".storage" / "onboarding"
    if not onboarding.exists():
        onboarding.write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                }
            )
        )


async def wait_for(session: aiohttp.ClientSession, base: str, process: Any) -> None:
    """Wait until Home Assistant answers HTTP."""
    for _ in range(600):
        if process.returncode is not None:
            raise SystemExit("Home Assistant exited during start-up")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{base}/api/onboarding") as response:
                if response.status in (200, 401):
                    return
        await asyncio.sleep(0.5)
    raise SystemExit("Home Assistant did not start within 5 minutes")


async def token(session: aiohttp.ClientSession, base: str) -> str:
    """Onboard on the first run (user demo), else log in; return an access token."""
    client_id = f"{base}/"
    async with session.get(f"{base}/api/onboarding") as response:
        steps = await response.json() if response.status == 200 else []
    if any(step["step"] == "user" and not step["done"] for step in steps):
        body = {
            "client_id": client_id,
            "name": "Demo",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        }
        async with session.post(f"{base}/api/onboarding/users", json=body) as response:
            code = (await response.json())["auth_code"]
    else:
        flow_body = {"client_id": client_id, "handler": ["homeassistant", None]}
        flow_body["redirect_uri"] = client_id
        async with session.post(f"{base}/auth/login_flow", json=flow_body) as response:
            flow_id = (await response.json())["flow_id"]
        login = {"client_id": client_id, "username": USERNAME, "password": PASSWORD}
        async with session.post(f"{base}/auth/login_flow/{flow_id}", json=login) as response:
            code = (await response.json())["result"]
    form = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
    async with session.post(f"{base}/auth/token", data=form) as response:
        access: str = (await response.json())["access_token"]
    return access


async def add_immich_hub(
    session: aiohttp.ClientSession, base: str, access: str, url: str, api_key: str
) -> None:
    """Add Immich Hub through its config flow unless an entry exists."""
    headers = {"Authorization": f"Bearer {access}"}
    async with session.get(
        f"{base}/api/config/config_entries/entry", params={"domain": "immich_hub"}, headers=headers
    ) as response:
        if await response.json():
            return
    async with session.post(
        f"{base}/api/config/config_entries/flow",
        json={"handler": "immich_hub", "show_advanced_options": False},
        headers=headers,
    ) as response:
        flow = await response.json()
    data = {"url": url, "api_key": api_key, "verify_ssl": True}
    async with session.post(
        f"{base}/api/config/config_entries/flow/{flow['flow_id']}", json=data, headers=headers
    ) as response:
        result = await response.json()
    if result.get("step_id") == "missing_permissions":
        async with session.post(
            f"{base}/api/config/config_entries/flow/{flow['flow_id']}", json={}, headers=headers
        ) as response:
            result = await response.json()
    if result.get("type") != "create_entry":
        raise SystemExit(f"Immich Hub could not be added: {result}")


def _tile(entity_id: str, name: str, columns: int = 6) -> dict[str, Any]:
    """Return a tile card."""
    return {"type": "tile", "entity": entity_id, "name": name, "grid_options": {"columns": columns}}


def _photo(entity_id: str, name: str, aspect_ratio: str, columns: int = 6) -> dict[str, Any]:
    """Return a picture card of an image entity, captioned with a name."""
    return {
        "type": "picture-entity",
        "entity": entity_id,
        "name": name,
        "show_state": False,
        "aspect_ratio": aspect_ratio,
        "grid_options": {"columns": columns},
    }


def _queue_name(queue: str) -> str:
    """Return the name of a queue: face_detection -> Face detection."""
    return "OCR" if queue == "ocr" else queue.replace("_", " ").capitalize()


MACHINE_LEARNING_QUEUES = ("smart_search", "face_detection", "facial_recognition")
"""The queues that the README's automation pauses during the day."""


def build_dashboard(entities: dict[str, str]) -> dict[str, Any]:
    """Return the demo dashboard: Immich Hub's entities laid out as a user would.

    ``entities`` maps each enabled entity's platform and key (its unique id less the user's id,
    such as ``sensor.disk_usage``) to its entity id; an entity the key cannot serve is left out.
    """

    def cards(*wanted: tuple[str, Any]) -> list[dict[str, Any]]:
        """Return the cards whose entities exist, built by the given functions."""
        return [build(entities[key]) for key, build in wanted if key in entities]

    photos = cards(
        ("image.memories", lambda e: _photo(e, "On this day", "16:9", 12)),
        ("image.favorites", lambda e: _photo(e, "A favorite", "1:1")),
        ("image.random", lambda e: _photo(e, "Random photo", "1:1")),
    )
    library = cards(
        ("sensor.my_photos", lambda e: _tile(e, "Photos")),
        ("sensor.my_videos", lambda e: _tile(e, "Videos")),
        ("sensor.my_albums", lambda e: _tile(e, "Albums")),
        ("sensor.memories_today", lambda e: _tile(e, "Memories today")),
        (
            "sensor.disk_usage",
            lambda e: {
                "type": "gauge",
                "entity": e,
                "name": "Disk used",
                "needle": True,
                "severity": {"green": 0, "yellow": 75, "red": 90},
            },
        ),
        ("sensor.disk_available", lambda e: _tile(e, "Free")),
        ("sensor.disk_size", lambda e: _tile(e, "Disk size")),
    )
    server = cards(
        ("update.server_update", lambda e: _tile(e, "Immich server", 12)),
        ("sensor.jobs_pending", lambda e: _tile(e, "Jobs waiting")),
        ("sensor.jobs_failed", lambda e: _tile(e, "Jobs failed")),
    )
    if switches := [
        {"entity": entities[key], "name": _queue_name(queue)}
        for queue in MACHINE_LEARNING_QUEUES
        if (key := f"switch.queue_{queue}") in entities
    ]:
        server.append({"type": "entities", "title": "Machine learning", "entities": switches})
    queues: list[dict[str, Any]] = []
    if rows := [
        {"entity": entity_id, "name": _queue_name(key.removeprefix("sensor.queue_"))}
        for key, entity_id in entities.items()  # in the order Immich lists its queues
        if key.startswith("sensor.queue_")
    ]:
        queues.append({"type": "entities", "entities": rows})
    sections = [
        {"type": "grid", "cards": [{"type": "heading", "heading": heading}, *section]}
        for heading, section in (
            ("Photos", photos),
            ("Library", library),
            ("Server", server),
            ("Job queues", queues),
        )
        if section
    ]
    view = {"title": "Immich", "path": "immich", "type": "sections", "max_columns": 2}
    return {"title": "Immich", "views": [{**view, "sections": sections}]}


async def write_dashboard(
    session: aiohttp.ClientSession, base: str, access: str, config: Path
) -> bool:
    """Fill the demo dashboard with the entities Immich Hub created."""
    async with session.ws_connect(f"{base}/api/websocket") as socket:
        await socket.receive_json()
        await socket.send_json({"type": "auth", "access_token": access})
        await socket.receive_json()
        await socket.send_json({"id": 1, "type": "config/entity_registry/list"})
        entries = (await socket.receive_json())["result"]
    entities: dict[str, str] = {}
    for entry in entries:
        if entry["platform"] == "immich_hub" and entry["disabled_by"] is None:
            platform, key = entry["entity_id"].split(".", 1)[0], entry["unique_id"].split("_", 1)[1]
            entities[f"{platform}.{key}"] = entry["entity_id"]
    if not entities:
        return False
    text = json.dumps(build_dashboard(entities), indent=2)
    await asyncio.to_thread((config / "dashboards" / "immich.yaml").write_text, text)
    return True


async def dashboard_when_added(base: str, access: str, config: Path) -> None:
    """Fill the dashboard once the user has added Immich Hub."""
    async with aiohttp.ClientSession() as session:
        for _ in range(2400):  # two hours of looking, then the dashboard stays empty
            if await write_dashboard(session, base, access, config):
                return
            await asyncio.sleep(3)


async def tick(server: FakeImmich) -> None:
    """Keep the demo's job queues moving."""
    while True:
        await asyncio.sleep(5)
        server.tick()


async def main(args: argparse.Namespace) -> int:
    """Start everything, configure it, and wait for Ctrl-C."""
    server: FakeImmich | None = None
    url, api_key = os.environ.get("IMMICH_URL"), os.environ.get("IMMICH_API_KEY")
    background: list[asyncio.Task[None]] = []
    if not (url and api_key):
        # The demo may run for days: remember only the newest requests.
        server = FakeImmich(args.api, keep_requests=1000)
        await server.start(host="127.0.0.1", port=args.immich_port)
        url, api_key = server.url, server.admin_key
        background.append(asyncio.create_task(tick(server)))
        print(f"Demo Immich {server.api_version} at {server.url} (admin key {api_key})")
    # --skip-pip: the venv holds what the demo needs (requirements_develop_*.txt); Home Assistant
    # would otherwise install missing requirements into it, and upgrade pinned ones, at run time.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "homeassistant", "--skip-pip", "-c", args.config
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_for(session, base, process)
            access = await token(session, base)
            if args.no_integration:
                background.append(
                    asyncio.create_task(dashboard_when_added(base, access, Path(args.config)))
                )
            else:
                await add_immich_hub(session, base, access, url, api_key)
                await asyncio.sleep(2)  # let the entities register
                await write_dashboard(session, base, access, Path(args.config))
        print(f"\nHome Assistant with Immich Hub: {base}  (login: {USERNAME} / {PASSWORD})\n")
        if args.ready_file:
            ready = json.dumps({"url": base, "immich_url": url, "immich_api_key": api_key})
            await asyncio.to_thread(Path(args.ready_file).write_text, ready)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        waiting = asyncio.create_task(process.wait())
        await asyncio.wait(
            [waiting, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED"
        )
        return process.returncode or 0
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        for task in background:
            task.cancel()
        if server is not None:
            await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=str(ROOT / ".develop" / "config"))
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--immich-port", type=int, default=2283)
    parser.add_argument("--api", default="3.0.3")
    parser.add_argument(
        "--ready-file", help="once ready, write Home Assistant's and Immich's URLs and key here"
    )
    parser.add_argument(
        "--no-integration", action="store_true", help="leave adding Immich Hub to the user"
    )
    arguments = parser.parse_args()
    arguments.config = str(Path(arguments.config).resolve())
    prepare(Path(arguments.config), arguments.port)
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(arguments)))
