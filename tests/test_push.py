"""Live events: what Immich's websocket pushes reaches Home Assistant at once, and polling
steps back while it does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from typing import Any
import uuid

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.immich_hub.coordinator import PUSH_REFRESH_DELAY, STORE_SAVE_DELAY
from fake_immich import FakeImmich
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from tests.conftest import follow, setup_entry

ASSETS = "event.immich_ada_admin_assets"
LIVE = "sensor.immich_ada_admin_live_events"
MY_PHOTOS = "sensor.immich_ada_admin_my_photos"
UPDATE = "update.immich_ada_admin_immich_server"


def _record(hass: HomeAssistant, entity_id: str = ASSETS) -> list[dict[str, Any]]:
    """Collect every event an assets entity fires, with its data.

    An event entity added again (the entry reloaded) restores its last event, with the moment it
    fired: that one is not new.
    """
    fired: list[dict[str, Any]] = []
    last: list[str] = []

    @callback
    def _on_change(event: Event) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if event.data["entity_id"] != entity_id or not new or not new.attributes.get("event_type"):
            return
        restored = (old is None or old.state == STATE_UNAVAILABLE) and last[-1:] == [new.state]
        last[:] = [new.state]
        if not restored:
            fired.append(
                {k: v for k, v in new.attributes.items() if k not in ("friendly_name", "icon")}
            )

    hass.bus.async_listen(EVENT_STATE_CHANGED, _on_change)
    return fired


async def _until(check: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    """Wait, in real time, until something the websocket brings has happened.

    It happens in the socket's task, which offers nothing to wait on: look every 20 ms.
    """
    try:
        async with asyncio.timeout(seconds):
            while not check():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"Not within {seconds} s: {what}")


async def _connected(hass: HomeAssistant, entity_id: str = LIVE) -> None:
    """Wait until the entry's websocket is connected."""

    def connected() -> bool:
        state = hass.states.get(entity_id)
        return state is not None and state.state == "connected"

    await _until(connected, f"{entity_id} connected")


def _jpeg(seed: int) -> bytes:
    """Return a small JPEG unlike any other (so Immich does not take it for a duplicate)."""
    out = BytesIO()
    Image.new("RGB", (32, 24), (seed % 256, 90, 77)).save(out, "JPEG", comment=f"photo {seed}")
    return out.getvalue()


async def _upload(immich: FakeImmich, key: str, name: str, seed: int) -> str:
    """Upload a photo the way Immich's phone app does; return its id."""
    moment = dt_util.utcnow().isoformat()
    form = aiohttp.FormData()
    if immich.server_version[0] < 3:
        form.add_field("deviceAssetId", f"phone-{uuid.uuid4().hex}")
        form.add_field("deviceId", "phone")
    form.add_field("fileCreatedAt", moment)
    form.add_field("fileModifiedAt", moment)
    form.add_field("assetData", _jpeg(seed), filename=name, content_type="image/jpeg")
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{immich.url}/api/assets", data=form, headers={"x-api-key": key}) as answer,
    ):
        assert answer.status in (200, 201), await answer.text()
        return str((await answer.json())["id"])


async def _api(immich: FakeImmich, method: str, path: str, body: Any) -> Any:
    """Make one request to the fake's API as the admin, as another client of Immich would."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, f"{immich.url}/api{path}", json=body, headers={"x-api-key": immich.admin_key}
        ) as answer,
    ):
        assert answer.status < 300, await answer.text()
        return await answer.json() if answer.content_length else None


def _events_polls(immich: FakeImmich) -> list[Any]:
    """Return the events polls the fake saw: each lists the user's own albums."""
    return [
        r
        for r in immich.requests
        if r.path == "/albums" and "assetId" not in r.query and "shared" not in r.query
    ]


def _asked(immich: FakeImmich, path: str) -> int:
    """Return how often the fake was asked for a path."""
    return len([r for r in immich.requests if r.path == path])


async def _later(hass: HomeAssistant, seconds: float) -> None:
    """Let time pass in Home Assistant and wait for what it set off."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_an_upload_is_announced_at_once_and_only_once(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A phone upload fires asset_added as Immich pushes it, and the safety-net poll, which
    finds it too, stays silent."""
    await _connected(hass)
    fired = _record(hass)

    asset_id = await _upload(immich, immich.admin_key, "kitchen.jpg", 1)
    await _until(lambda: len(fired) == 1, "asset_added pushed")
    asset = await _api(immich, "GET", f"/assets/{asset_id}", None)
    assert fired[0] | {"event_types": None} == {
        "event_types": None,
        "event_type": "asset_added",
        "asset_id": asset_id,
        "type": "image",
        "file_name": "kitchen.jpg",
        "taken_at": dt_util.parse_datetime(asset["exifInfo"]["dateTimeOriginal"]).isoformat()
        if asset.get("exifInfo", {}).get("dateTimeOriginal")
        else dt_util.parse_datetime(asset["fileCreatedAt"]).isoformat(),
        "album_ids": [],
        "album_names": [],
    }

    # The poll, which runs every 15 minutes while the socket is up, finds the upload too.
    await _later(hass, 16 * 60)
    await _later(hass, 16 * 60)
    assert [event["asset_id"] for event in fired] == [asset_id]


async def test_trash_restore_and_delete_are_announced(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Moving an asset to the trash, back, and deleting it for good each fire their event."""
    await _connected(hass)
    asset_id = await _upload(immich, immich.admin_key, "soon-gone.jpg", 2)
    fired = _record(hass)

    await _api(immich, "DELETE", "/assets", {"ids": [asset_id]})
    await _until(lambda: len(fired) == 1, "asset_trashed pushed")
    await _api(immich, "POST", "/trash/restore/assets", {"ids": [asset_id]})
    await _until(lambda: len(fired) == 2, "asset_restored pushed")
    await _api(immich, "DELETE", "/assets", {"ids": [asset_id], "force": True})
    await _until(lambda: len(fired) == 3, "asset_removed pushed")

    assert [(event["event_type"], event["asset_id"]) for event in fired] == [
        ("asset_trashed", asset_id),
        ("asset_restored", asset_id),
        ("asset_removed", asset_id),
    ]


async def test_another_users_upload_is_not_news(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Immich pushes an upload to its owner only; the admin's entry does not hear of it."""
    await _connected(hass)
    fired = _record(hass)
    await _upload(immich, immich.user_key, "not-mine.jpg", 3)
    mine = await _upload(immich, immich.admin_key, "mine.jpg", 4)
    await _until(lambda: len(fired) == 1, "the admin's upload")
    await asyncio.sleep(0.2)
    assert [event["asset_id"] for event in fired] == [mine]


async def test_a_bulk_upload_refreshes_the_library_a_few_times(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Fifty uploads in a row: every one is announced, the photo count follows within the
    refresh delay, and the library is asked for its counts once per refresh delay while they
    last (once, on a quick machine), not fifty times."""
    await _connected(hass)
    fired = _record(hass)
    before = int(hass.states.get(MY_PHOTOS).state)
    immich.clear_requests()
    loop = asyncio.get_running_loop()
    started = loop.time()

    for seed in range(50):
        await _upload(immich, immich.admin_key, f"bulk-{seed}.jpg", 100 + seed)
    await _until(lambda: len(fired) == 50, "fifty asset_added", seconds=30)
    lasted = loop.time() - started
    await _later(hass, PUSH_REFRESH_DELAY + 1)

    assert int(hass.states.get(MY_PHOTOS).state) == before + 50
    statistics = [r for r in immich.requests if r.path.endswith("/assets/statistics")]
    assert 1 <= len(statistics) <= lasted // PUSH_REFRESH_DELAY + 1


async def test_the_events_poll_steps_back_while_the_socket_is_up(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While connected, the events poll runs every 15 minutes; once the socket is lost (and
    cannot come back), it is back at the options' minute. The sensor and the log say so once,
    not at every retry; once the socket is back, they say that too."""
    await _connected(hass)
    shown = follow(hass, LIVE, lambda new: new.state)
    await _later(hass, 61)  # the poll set before the socket came up
    immich.clear_requests()
    for _ in range(10):
        await _later(hass, 61)
    assert not _events_polls(immich)
    # Immich pushes new releases too: the server poll no longer asks for them.
    assert _asked(immich, "/server/about")
    assert not _asked(immich, "/server/version-check")

    shut = immich.add_fault("status", path="/socket.io", status=503)
    await immich.drop_sockets()
    await _until(lambda: hass.states.get(LIVE).state != "connected", "socket lost")
    await hass.async_block_till_done(wait_background_tasks=True)
    immich.clear_requests()
    await _later(hass, 61)
    await _later(hass, 61)
    assert len(_events_polls(immich)) >= 2
    assert _asked(immich, "/server/version-check")
    immich.clear_requests()
    for _ in range(3):  # retries, a minute apart at most
        await _later(hass, 61)
        await _until(lambda: shut.fired >= 2, "a retry")
    assert shown == ["disconnected"]

    shut.count = shut.fired  # the websocket may open again
    await _later(hass, 61)
    await _connected(hass)
    assert shown == ["disconnected", "connected"]
    told = [r.getMessage() for r in caplog.records if r.name == "custom_components.immich_hub"]
    assert len([m for m in told if m.startswith("Immich's websocket is down (")]) == 1
    assert len([m for m in told if m.startswith("Immich's websocket is back")]) == 1


async def test_a_new_release_pushed_shows_on_the_update_entity(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """on_new_release updates the update entity without waiting for a poll."""
    await _connected(hass)
    running = immich.server_version
    immich.emit(
        immich.admin_user_id,
        "on_new_release",
        {
            "isAvailable": True,
            "checkedAt": dt_util.utcnow().isoformat(),
            "serverVersion": dict(zip(("major", "minor", "patch"), running, strict=True)),
            "releaseVersion": {"major": running[0], "minor": running[1] + 1, "patch": 0},
        },
    )
    expected = f"{running[0]}.{running[1] + 1}.0"
    await _until(
        lambda: hass.states.get(UPDATE).attributes["latest_version"] == expected,
        "the release pushed",
    )
    assert hass.states.get(UPDATE).state == "on"


@pytest.mark.parametrize("api_version", ["2.7.3"], indirect=True)
async def test_an_upgrade_is_seen_when_the_socket_reconnects(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Immich restarted on a newer version: its socket says so on reconnecting, and the entry
    reloads to speak the new version's dialect."""
    await _connected(hass)
    client = loaded_entry.runtime_data.client
    immich.upgrade("3.0.3")
    await immich.drop_sockets()
    await _until(
        lambda: (
            getattr(loaded_entry, "runtime_data", None) is not None
            and loaded_entry.runtime_data.client is not client
        ),
        "reloaded",
    )
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert str(loaded_entry.runtime_data.server_version).startswith("3.")


async def test_a_refused_socket_leaves_the_rest_working(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """An Immich (or a proxy before it) that refuses the websocket: the sensor says so, the
    events poll keeps its minute and everything else works."""
    immich.add_fault("unauthorized", path="/socket.io")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await _until(lambda: hass.states.get(LIVE).state == "refused", "refused")
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(MY_PHOTOS).state.isdigit()
    immich.clear_requests()
    await _later(hass, 61)
    assert _events_polls(immich)


async def test_unloading_closes_the_socket(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The socket closes with the entry."""
    await _connected(hass)
    assert immich.sockets == 1
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await _until(lambda: immich.sockets == 0, "socket closed")


async def test_each_users_entry_hears_its_own_uploads(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Two entries, two users: each entry's socket is in its own user's room."""
    await setup_entry(hass, immich, immich.user_key, immich.user_user_id)
    user_assets = next(
        state.entity_id
        for state in hass.states.async_all("event")
        if state.entity_id != ASSETS and state.entity_id.endswith("_assets")
    )
    user_live = next(
        state.entity_id
        for state in hass.states.async_all("sensor")
        if state.entity_id != LIVE and state.entity_id.endswith("_live_events")
    )
    await _connected(hass)
    await _connected(hass, user_live)
    admins, users = _record(hass), _record(hass, user_assets)

    theirs = await _upload(immich, immich.user_key, "theirs.jpg", 5)
    mine = await _upload(immich, immich.admin_key, "mine.jpg", 6)
    await _until(lambda: len(admins) == 1 and len(users) == 1, "one upload each")
    await asyncio.sleep(0.2)
    assert ([e["asset_id"] for e in admins], [e["asset_id"] for e in users]) == ([mine], [theirs])


async def test_hidden_locked_and_repeated_uploads_are_not_news(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The hidden video of a live photo, an upload to the locked folder, an upload Immich
    pushes twice and an old asset pushed again fire nothing more than the one asset_added."""
    await _connected(hass)
    fired = _record(hass)
    asset_id = await _upload(immich, immich.admin_key, "once.jpg", 7)
    await _until(lambda: len(fired) == 1, "asset_added pushed")
    pushed = await _api(immich, "GET", f"/assets/{asset_id}", None)

    immich.emit(immich.admin_user_id, "on_upload_success", pushed)
    for visibility in ("hidden", "locked"):
        other = {**pushed, "id": str(uuid.uuid4()), "visibility": visibility}
        immich.emit(immich.admin_user_id, "on_upload_success", other)
    # Immich pushes an old asset again when it makes its thumbnails anew: not news either.
    old = next(a for a in immich.library.assets.values() if a.owner_id == immich.admin_user_id)
    immich.emit(
        immich.admin_user_id,
        "on_upload_success",
        await _api(immich, "GET", f"/assets/{old.id}", None),
    )
    marker = {**pushed, "id": str(uuid.uuid4()), "originalFileName": "marker.jpg"}
    immich.emit(immich.admin_user_id, "on_upload_success", marker)
    await _until(lambda: len(fired) == 2, "the marker upload")

    assert [event["file_name"] for event in fired] == ["once.jpg", "marker.jpg"]


async def test_an_upload_whose_albums_cannot_be_read_is_still_announced(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """When Immich fails the question of which albums hold a new upload, asset_added still
    fires, with no albums."""
    await _connected(hass)
    fired = _record(hass)
    immich.add_fault("status", path="^/albums$", method="GET", status=500)
    asset_id = await _upload(immich, immich.admin_key, "albums-unknown.jpg", 8)
    await _until(lambda: len(fired) == 1, "asset_added pushed")
    assert (fired[0]["asset_id"], fired[0]["album_ids"]) == (asset_id, [])


async def test_an_upload_pushed_before_a_restart_is_not_news_after_it(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Home Assistant restarts (the entry reloads) after an upload was pushed: the poll at
    start finds it, and stays silent (the upload was written to the Store, though nothing
    else had changed since its last write)."""
    await _connected(hass)
    await _later(hass, STORE_SAVE_DELAY + 1)  # the point reached at setup is written
    fired = _record(hass)
    asset_id = await _upload(immich, immich.admin_key, "before-restart.jpg", 9)
    await _until(lambda: len(fired) == 1, "asset_added pushed")

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await _connected(hass)
    await _later(hass, 16 * 60)
    assert [event["asset_id"] for event in fired] == [asset_id]


async def test_home_assistant_stopping_closes_the_socket(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Home Assistant does not unload entries when it stops; the socket closes all the same."""
    await _connected(hass)
    await hass.async_stop()
    await _until(lambda: immich.sockets == 0, "socket closed")


async def test_a_limited_key_takes_what_it_may(
    hass: HomeAssistant, immich: FakeImmich, caplog: pytest.LogCaptureFixture
) -> None:
    """A key without the permissions for the update entity: a release pushed changes
    nothing and breaks nothing, and its uploads are still announced."""
    await setup_entry(hass, immich, immich.limited_key, immich.user_user_id)
    live = next(
        s.entity_id for s in hass.states.async_all("sensor") if "live_events" in s.entity_id
    )
    assets = next(s.entity_id for s in hass.states.async_all("event"))
    await _connected(hass, live)
    fired = _record(hass, assets)

    immich.emit(
        immich.user_user_id,
        "on_new_release",
        {
            "isAvailable": True,
            "checkedAt": dt_util.utcnow().isoformat(),
            "serverVersion": {"major": 1, "minor": 0, "patch": 0},
            "releaseVersion": {"major": 9, "minor": 0, "patch": 0},
        },
    )
    asset_id = await _upload(immich, immich.user_key, "limited.jpg", 10)
    await _until(lambda: len(fired) == 1, "asset_added pushed")
    assert fired[0]["asset_id"] == asset_id
    assert not hass.states.async_all("update")
    assert hass.states.get(live).state == "connected"
    ours = [r for r in caplog.records if r.name.startswith("custom_components.immich_hub")]
    assert not [r for r in ours if r.levelname in ("WARNING", "ERROR")]


async def test_a_failed_poll_does_not_swallow_what_immich_pushes(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The events poll fails while the websocket is up: the entity stays available and an
    upload is announced. With both down it is unavailable; the websocket back, it is available
    again at once, before the poll heals, and announces every upload."""
    await _connected(hass)
    fired = _record(hass)
    immich.add_fault("status", path="^/albums$", method="GET", status=500)
    await _later(hass, 16 * 60)
    assert not loaded_entry.runtime_data.coordinators.events.last_update_success
    assert hass.states.get(ASSETS).state != STATE_UNAVAILABLE
    first = await _upload(immich, immich.admin_key, "while-the-poll-fails.jpg", 11)
    await _until(lambda: len(fired) == 1, "asset_added pushed")

    shut = immich.add_fault("status", path="/socket.io", status=503)
    await immich.drop_sockets()
    await _until(lambda: hass.states.get(LIVE).state != "connected", "socket lost")
    await _later(hass, PUSH_REFRESH_DELAY + 1)
    assert hass.states.get(ASSETS).state == STATE_UNAVAILABLE

    shut.count = shut.fired  # the websocket may open again
    await _later(hass, 70)  # the client's backoff, at most a minute
    await _connected(hass)
    assert hass.states.get(ASSETS).state != STATE_UNAVAILABLE
    uploads = [
        await _upload(immich, immich.admin_key, f"after-{seed}.jpg", seed) for seed in (12, 13, 14)
    ]
    await _until(lambda: len(fired) == 4, "three more asset_added")
    assert [event["asset_id"] for event in fired] == [first, *uploads]


async def test_an_upload_pushed_while_the_poll_looks_up_its_albums_is_announced_once(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The poll finds an upload (into an album) and asks which albums hold it; meanwhile
    Immich pushes the same upload. It is announced once."""
    await _connected(hass)
    fired = _record(hass)
    library = immich.library
    now = library.now()
    asset = library.add_asset(
        immich.admin_user_id, file_name="race.jpg", taken_at=now, created_at=now
    )
    album = next(a for a in library.albums.values() if a.name == "Holidays")
    album.asset_ids[asset.id] = None
    pushed = await _api(immich, "GET", f"/assets/{asset.id}", None)
    # The second search (the album's new assets) takes a while.
    immich.add_fault("latency", path="/search/metadata", after=1, count=1, delay=1.0)
    events = loaded_entry.runtime_data.coordinators.events
    poll = hass.async_create_task(events.async_refresh())

    def asking_albums() -> bool:
        return any("albumIds" in (r.json or {}) for r in immich.requests)

    await _until(asking_albums, "the poll asks for the album's new assets")
    immich.emit(immich.admin_user_id, "on_upload_success", pushed)
    await poll
    await hass.async_block_till_done(wait_background_tasks=True)
    added = [event["asset_id"] for event in fired if event["event_type"] == "asset_added"]
    assert added == [asset.id]


async def test_idle_queues_are_asked_every_two_minutes(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """While no job runs or waits, the queues are asked every 2 minutes, not every 15 s; as
    soon as a poll sees work, the options' 15 s are back."""

    async def wait(seconds: int) -> None:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    immich.queues_move = False
    for queue in immich.library.queues.values():
        queue.active = queue.waiting = queue.delayed = 0
    await loaded_entry.runtime_data.coordinators.queues.async_refresh()
    immich.clear_requests()
    for _ in range(16):  # four minutes
        await wait(15)
    assert _asked(immich, "/queues") == 2

    immich.library.enqueue("thumbnailGeneration", 5)
    await wait(120)
    immich.clear_requests()
    for _ in range(4):  # one minute
        await wait(15)
    assert _asked(immich, "/queues") == 4
    assert hass.states.get("sensor.immich_ada_admin_thumbnail_generation_queue").state == "5"
