"""Live events from a real Immich's websocket: at once, to the right user, and again after
Immich restarts.

Every wait here is in real time: no test moves Home Assistant's clock between a change in
Immich and the event it must cause, so what arrives came from the websocket, not from a poll
(the events poll runs every 15 minutes while the socket is connected). Times measured are
printed, never asserted but for generous bounds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, State
from tests.conftest import fired_event, follow

from .conftest import PUSHED_WITHIN, Cleanup, add_entry, entity_id, poll, state, until
from .immich_api import PREFIX, SECRETS, ImmichApi, Server, unique_jpeg
from .test_events import about, added, connected

UPLOADS = 5
"""Phone-style uploads whose latency is measured."""
BACK_WITHIN = 120.0
"""Seconds the websocket may take to connect again once Immich answers after a restart: the
client waits up to 60 s between attempts (less, with jitter), and a try may fall just before
Immich is up."""
DOWN_FOR = 20.0
"""Seconds Immich stays down in the restart test (then the kit's start takes 10 s or so): a
quick restart, during which the client's waits between attempts grow, and the polls Home
Assistant makes meanwhile (the events poll 15 s after the socket is lost) fail."""
BACKLOG = 3
"""Photos the phone uploads as soon as Immich is back, one after the other: those it took
while Immich was down."""
ROOT = Path(__file__).resolve().parents[2]
TAKEN = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
"""When the photos uploaded here were taken, by their EXIF data."""


@dataclass
class Heard:
    """What an entry's assets entity fired, with the loop time it fired at."""

    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def fired(self) -> list[dict[str, Any]]:
        """Return the events' attributes, as test_events records them."""
        return [event for _, event in self.events]

    def about(self, *ids: str) -> list[dict[str, Any]]:
        """Return the data of the events about these assets."""
        return about(self.fired(), *ids)

    def announced(self, asset_id: str, event_type: str = "asset_added") -> bool:
        """Tell whether an asset's event fired."""
        return any(event["event_type"] == event_type for event in self.about(asset_id))

    def at(self, event_type: str, asset_id: str) -> float:
        """Return when an asset's event fired."""
        return next(
            at
            for at, event in self.events
            if (event.get("event_type"), event.get("asset_id")) == (event_type, asset_id)
        )


def hear(hass: HomeAssistant, entry: ConfigEntry[Any]) -> Heard:
    """Collect every event an entry's assets entity fires, with its moment."""

    def take(new: State) -> tuple[float, dict[str, Any]] | None:
        event = fired_event(new)
        return None if event is None else (hass.loop.time(), event)

    return Heard(follow(hass, entity_id(hass, entry, "event", "assets"), take))


def follow_live_events(hass: HomeAssistant, entry: ConfigEntry[Any]) -> list[tuple[float, str]]:
    """Collect every state an entry's live events sensor takes, with its moment."""
    watched = entity_id(hass, entry, "sensor", "live_events")
    return follow(hass, watched, lambda new: (hass.loop.time(), new.state))


def live_events(hass: HomeAssistant, entry: ConfigEntry[Any]) -> str:
    """Return the state of an entry's live events sensor."""
    return state(hass, entry, "sensor", "live_events").state


async def upload(api: ImmichApi, cleanup: Cleanup, path: Path) -> str:
    """Upload a photo with an EXIF date, as the phone app does; remove it after the test."""
    asset_id = await api.upload(unique_jpeg(path, taken=TAKEN))
    cleanup.asset(api, asset_id, unless_gone=True)
    return asset_id


def report(capsys: pytest.CaptureFixture[str], server: Server, what: str) -> None:
    """Show a measurement in the run's output."""
    with capsys.disabled():
        print(f"\n[Immich {server.version}] {what}")


@pytest.mark.timeout(300)
async def test_uploads_are_announced_as_they_happen(
    hass: HomeAssistant,
    server: Server,
    admin_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each of several phone uploads fires asset_added within seconds, with no poll run
    meanwhile, described as Immich describes it; the polls that find them later stay silent."""
    entry = await add_entry(hass, server, server.admin_key)
    heard = hear(hass, entry)
    await connected(hass, entry)
    await poll(hass)  # the next events poll is 15 minutes away now
    loop = asyncio.get_running_loop()

    latencies: dict[str, float] = {}
    for number in range(UPLOADS):
        began = loop.time()
        asset_id = await upload(admin_api, cleanup, tmp_path / f"{PREFIX}-live-{number}.jpg")
        await until(
            partial(heard.announced, asset_id),
            f"asset_added of upload {number + 1}, with no poll",
            PUSHED_WITHIN,
        )
        latencies[asset_id] = heard.at("asset_added", asset_id) - began
    measured = sorted(latencies.values())
    report(
        capsys,
        server,
        f"upload to asset_added, s: {', '.join(f'{s:.3f}' for s in latencies.values())} "
        f"(median {measured[len(measured) // 2]:.3f})",
    )

    assets = [await admin_api.wait_until_processed(asset_id) for asset_id in latencies]
    await poll(hass)
    await poll(hass)
    assert heard.about(*latencies) == [added(asset) for asset in assets]


async def test_trash_restore_and_delete_are_announced(
    hass: HomeAssistant,
    server: Server,
    admin_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
) -> None:
    """Moving a photo to the trash, restoring it and deleting it for good each fire their
    event once, as Immich does them, with no poll run meanwhile."""
    entry = await add_entry(hass, server, server.admin_key)
    heard = hear(hass, entry)
    await connected(hass, entry)
    await poll(hass)
    asset_id = await upload(admin_api, cleanup, tmp_path / f"{PREFIX}-soon-gone.jpg")
    await until(partial(heard.announced, asset_id), "asset_added")
    asset = await admin_api.wait_until_processed(asset_id)

    await admin_api.delete("/assets", {"ids": [asset_id]})
    await until(partial(heard.announced, asset_id, "asset_trashed"), "asset_trashed, no poll")
    assert (await admin_api.get(f"/assets/{asset_id}"))["isTrashed"]

    await admin_api.post("/trash/restore/assets", {"ids": [asset_id]})
    await until(partial(heard.announced, asset_id, "asset_restored"), "asset_restored, no poll")
    assert not (await admin_api.get(f"/assets/{asset_id}"))["isTrashed"]

    await admin_api.delete("/assets", {"ids": [asset_id], "force": True})
    await until(partial(heard.announced, asset_id, "asset_removed"), "asset_removed, no poll")
    status, _, _ = await admin_api.fetch(f"/assets/{asset_id}")
    assert status in (400, 404), "Immich still has the photo deleted for good"
    assert not await admin_api.search(originalFileName=asset["originalFileName"], withDeleted=True)

    await poll(hass)
    await poll(hass)
    assert heard.about(asset_id) == [
        added(asset),
        {"event_type": "asset_trashed", "asset_id": asset_id},
        {"event_type": "asset_restored", "asset_id": asset_id},
        {"event_type": "asset_removed", "asset_id": asset_id},
    ]


async def test_each_key_hears_its_own_users_uploads(
    hass: HomeAssistant,
    server: Server,
    admin_api: ImmichApi,
    user_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
) -> None:
    """The admin's and the user's entries are both connected; each hears its own user's
    upload at once, and never the other user's."""
    admin_entry = await add_entry(hass, server, server.admin_key)
    user_entry = await add_entry(hass, server, server.user_key)
    admins, users = hear(hass, admin_entry), hear(hass, user_entry)
    await connected(hass, admin_entry)
    await connected(hass, user_entry)
    assert (live_events(hass, admin_entry), live_events(hass, user_entry)) == (
        "connected",
        "connected",
    )
    await poll(hass)

    admins_photo = await upload(admin_api, cleanup, tmp_path / f"{PREFIX}-the-admins.jpg")
    users_photo = await upload(user_api, cleanup, tmp_path / f"{PREFIX}-the-users.jpg")
    await until(
        lambda: admins.announced(admins_photo) and users.announced(users_photo),
        "each upload announced to its owner, with no poll",
    )
    admins_asset = await admin_api.wait_until_processed(admins_photo)
    users_asset = await user_api.get(f"/assets/{users_photo}")
    await poll(hass)
    await poll(hass)

    assert admins.about(admins_photo, users_photo) == [added(admins_asset)]
    assert users.about(admins_photo, users_photo) == [added(users_asset)]


def kit_dir() -> Path:
    """Return the real-immich kit scripts/e2e started the server with."""
    kit = Path(os.environ.get("REAL_IMMICH_KIT", "../shared/real-immich"))
    return kit if kit.is_absolute() else ROOT / kit


async def kit(command: str, server: Server, within: float) -> str:
    """Run one of the kit's commands for the server's version; return what it printed."""
    process = await asyncio.create_subprocess_exec(
        kit_dir() / command,
        env={**os.environ, "IMMICH_VERSION": server.version},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(within):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"The kit's {command} took more than {within:g} s", pytrace=False)
    if process.returncode:
        log = err.decode(errors="replace")[-2000:]
        for key in SECRETS:
            log = log.replace(key, "<API key>")
        pytest.fail(f"The kit's {command} failed ({process.returncode}): {log}", pytrace=False)
    return out.decode()


async def answers(api: ImmichApi) -> bool:
    """Tell whether Immich answers its ping."""
    try:
        return (await api.get("/server/ping")) == {"res": "pong"}
    except (aiohttp.ClientError, OSError):
        return False


async def first_answer(api: ImmichApi) -> float:
    """Return the loop time at which Immich first answers its ping (looking every 0.2 s)."""
    while not await answers(api):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    return asyncio.get_running_loop().time()


@pytest.mark.timeout(600)
async def test_events_flow_again_after_immich_restarts(
    hass: HomeAssistant,
    server: Server,
    admin_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Immich stops: the live events sensor leaves connected and keeps trying. Immich starts
    again (same data, same keys): the socket connects again by itself, and the photos the
    phone uploads at once each fire asset_added at once, and once."""
    entry = await add_entry(hass, server, server.admin_key)
    heard = hear(hass, entry)
    states = follow_live_events(hass, entry)
    await connected(hass, entry)
    await poll(hass)
    loop = asyncio.get_running_loop()
    reconnects = state(hass, entry, "sensor", "live_events").attributes["reconnects"]

    began = loop.time()
    try:
        await kit("stop", server, within=120)
        stopped = loop.time()
        assert not await answers(admin_api), "Immich still answers after the kit's stop"
        await until(lambda: live_events(hass, entry) != "connected", "sensor left connected", 60)
        left = loop.time()

        def since_stop() -> list[str]:
            return [s for at, s in states if at >= began]

        # While Immich is down the client keeps trying (it comes back by itself, below); the
        # sensor tells the loss once, not every failed try.
        await asyncio.sleep(DOWN_FOR - (loop.time() - left))
        starting = loop.time()
        assert since_stop() == ["disconnected"], since_stop()

        answered = asyncio.create_task(first_answer(admin_api))
        output = await kit("start", server, within=360)
        started = loop.time()
        answered_at = await answered
    finally:
        if not await answers(admin_api):  # the rest of the suite needs Immich
            await kit("start", server, within=360)
    credentials = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    same = (
        credentials.get("IMMICH_URL"),
        credentials.get("IMMICH_API_KEY"),
        credentials.get("IMMICH_USER_API_KEY"),
    ) == (server.url, server.admin_key, server.user_key)
    assert same, "Immich came back with another URL or other keys"  # not shown: the keys

    await until(
        lambda: live_events(hass, entry) == "connected",
        f"connected again within {BACK_WITHIN:g} s of Immich answering",
        BACK_WITHIN + answered_at - loop.time(),
    )
    back = loop.time()
    report(
        capsys,
        server,
        f"restart: kit stop {stopped - began:.1f} s, the sensor left connected after "
        f"{left - began:.1f} s; Immich down {starting - left:.0f} s; kit start "
        f"{started - starting:.1f} s (Immich answered after {answered_at - starting:.1f} s); "
        f"connected again {back - answered_at:.1f} s after Immich answered",
    )
    sensor = state(hass, entry, "sensor", "live_events")
    assert sensor.attributes["reconnects"] > reconnects

    uploaded: dict[str, float] = {}
    for number in range(BACKLOG):
        path = tmp_path / f"{PREFIX}-after-the-restart-{number}.jpg"
        at = loop.time()
        uploaded[await upload(admin_api, cleanup, path)] = at
    latencies: dict[str, float] = {}
    for number, (asset_id, at) in enumerate(uploaded.items()):
        await until(
            partial(heard.announced, asset_id),
            f"asset_added of upload {number + 1} after the restart, with no poll",
            max(0.0, PUSHED_WITHIN - (loop.time() - at)),
        )
        latencies[asset_id] = heard.at("asset_added", asset_id) - at
    report(
        capsys,
        server,
        "after the restart, upload to asset_added, s: "
        + ", ".join(f"{s:.3f}" for s in latencies.values()),
    )
    assets = [await admin_api.wait_until_processed(asset_id) for asset_id in latencies]
    await poll(hass)
    await poll(hass)
    # Immich reads uploads side by side: it may push them in another order.
    by_asset = partial(sorted, key=lambda event: event["asset_id"])
    assert by_asset(heard.about(*latencies)) == by_asset(added(asset) for asset in assets)
