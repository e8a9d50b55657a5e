"""End-to-end tests: the integration in a real Home Assistant against a real Immich server.

scripts/e2e starts each Immich version of ``../shared/real-immich`` and runs this directory once
per version, with the server named by the environment (the kit's own output, plus
IMMICH_E2E_VERSION). Every expectation is read from Immich's own API (``immich_api.py``), never
written by hand. Everything a test creates in Immich is removed after it, so the suite can run
again against the same server; the session fails if anything was left behind, if a log line of
the run holds an API key, or if one holds a traceback.

The directory is collected only when named on the command line (``pytest tests/e2e``), so the
unit run leaves it out; named without a server in the environment, the run stops at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import UTC, datetime, time, timedelta
from functools import partial
import logging
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
import pytest_socket

from custom_components.immich_hub.const import DOMAIN
from custom_components.immich_hub.coordinator import PUSH_REFRESH_DELAY
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from tests.conftest import _Everything
from tests.media.conftest import setup_media_source  # noqa: F401
from tests.services.conftest import allowed_dir  # noqa: F401
from tests.test_config_flow import _submit
from tests.test_slideshow import player  # noqa: F401

from .immich_api import (
    PREFIX,
    SECRETS,
    ImmichApi,
    ImmichApiError,
    Server,
    album_owner,
    locked_folder,
)

HERE = Path(__file__).resolve().parent
ENVIRONMENT = {
    "IMMICH_E2E_VERSION": "version",
    "IMMICH_URL": "url",
    "IMMICH_API_KEY": "admin_key",
    "IMMICH_USER_API_KEY": "user_key",
    "IMMICH_ADMIN_EMAIL": "admin_email",
    "IMMICH_ADMIN_PASSWORD": "admin_password",
    "IMMICH_USER_EMAIL": "user_email",
    "IMMICH_USER_PASSWORD": "user_password",
}
"""The environment scripts/e2e sets, and the Server field each variable fills."""
TRACEBACK = "Traceback (most recent call last)"
PUSHED_WITHIN = 10.0
"""Seconds an event Immich pushes may take to reach Home Assistant (it takes well under one).
The events poll it replaces ran every 60 s, and runs every 15 minutes while the websocket is
connected; an upload pushed also makes it run 15 s later (PUSH_REFRESH_DELAY), which would find
what the socket did not announce: less than that, and what arrives came from the socket."""
assert PUSHED_WITHIN < PUSH_REFRESH_DELAY


# ---- collection --------------------------------------------------------------------------------


def _named(config: pytest.Config) -> bool:
    """Tell whether the command line names this directory or something in it."""
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    """Stop the run at once when the end-to-end tests are asked for without a server."""
    missing = [name for name in ENVIRONMENT if not os.environ.get(name)]
    if _named(config) and missing:
        raise pytest.UsageError(
            "tests/e2e runs against a real Immich server and needs "
            f"{', '.join(missing)} in the environment. Run scripts/e2e, which starts each "
            "version of ../shared/real-immich and runs these tests against it."
        )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the end-to-end tests out of a run that does not name them (the unit run)."""
    return None if _named(config) else True


def pytest_report_header(config: pytest.Config) -> str | None:
    """Name the Immich server under test."""
    if not _named(config):
        return None
    return f"Immich {os.environ['IMMICH_E2E_VERSION']} at {os.environ['IMMICH_URL']}"


# ---- the session: the server, its leftovers, the log -------------------------------------------


@pytest.fixture(scope="session")
def server() -> Server:
    """Return the real server the environment names."""
    server = Server(**{field: os.environ[name] for name, field in ENVIRONMENT.items()})
    SECRETS.update((server.admin_key, server.user_key))
    _run(lambda: _check_version(server))
    return server


def _run(work: Callable[[], Awaitable[Any]]) -> Any:
    """Run a coroutine on a loop of its own, away from the tests' loops (session set-up).

    Sockets are allowed meanwhile (to loopback, as in each test), then blocked again.
    """
    pytest_socket.enable_socket()
    try:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, work()).result()
    finally:
        pytest_socket.disable_socket(allow_unix_socket=True)


async def _check_version(server: Server) -> None:
    """Make sure the server runs the version the environment says."""
    async with aiohttp.ClientSession() as session:
        found = ".".join(map(str, await ImmichApi(session, server.url, server.admin_key).version()))
    assert found == server.version.removeprefix("v"), (
        f"IMMICH_E2E_VERSION is {server.version} but {server.url} runs Immich {found}"
    )


def _for_good(asset_id: str) -> dict[str, Any]:
    """Return the body of a request that deletes an asset without keeping it in the trash."""
    return {"ids": [asset_id], "force": True}


async def _delete_asset(api: ImmichApi, asset_id: str, *, unless_gone: bool) -> None:
    """Delete an asset for good; with unless_gone, nothing if Immich no longer has it."""
    if unless_gone:
        status, _, _ = await api.fetch(f"/assets/{asset_id}")
        if status in (400, 404):  # Immich answers 400 for an asset it does not know
            return
    await api.delete("/assets", _for_good(asset_id))


type Leftover = tuple[str, Callable[[], Awaitable[Any]]]
"""What a run left in Immich, and how to remove it."""


async def _users_leftovers(api: ImmichApi, admin: ImmichApi) -> list[Leftover]:
    """Return the albums, assets, tags and API keys of the tests that a user still has."""
    me = (await api.me())["id"]
    albums = [a for a in await api.albums() if album_owner(a) == me]
    assets = await api.search(originalFileName=PREFIX, withDeleted=True)
    return [
        *(
            (f"album {a['albumName']!r}", partial(api.delete, f"/albums/{a['id']}"))
            for a in albums
            if a["albumName"].startswith(PREFIX)
        ),
        *(
            (f"asset {a['originalFileName']!r}", partial(api.delete, "/assets", _for_good(a["id"])))
            for a in assets
        ),
        *(
            (f"tag {t['name']!r}", partial(_remove_tag, api, admin, t["id"]))
            for t in await api.get("/tags")
            if t["name"].startswith(PREFIX)
        ),
        *(
            (f"API key {k['name']!r}", partial(api.delete, f"/api-keys/{k['id']}"))
            for k in await api.get("/api-keys")
            if k["name"].startswith(PREFIX)
        ),
    ]


async def remove_locked_uploads(api: ImmichApi, email: str, password: str) -> list[str]:
    """Delete the tests' assets in a user's locked folder, which API keys cannot see; name them."""
    async with locked_folder(api, email, password) as unlocked:
        found = await unlocked.search(visibility="locked", originalFileName=PREFIX)
        if found:
            await unlocked.delete("/assets", {"ids": [a["id"] for a in found], "force": True})
    return [f"locked asset {asset['originalFileName']!r}" for asset in found]


async def _leftovers(server: Server) -> list[str]:
    """Remove what a run left in Immich (e2e albums, assets, tags, keys, paused queues); name it."""
    async with aiohttp.ClientSession() as session:
        admin = ImmichApi(session, server.url, server.admin_key)
        user = admin.with_key(server.user_key)
        locked = [
            *await remove_locked_uploads(admin, server.admin_email, server.admin_password),
            *await remove_locked_uploads(user, server.user_email, server.user_password),
        ]
        found = [
            *await _users_leftovers(admin, admin),
            *await _users_leftovers(user, admin),
            *(
                (f"paused queue {name}", partial(admin.put, f"/queues/{name}", {"isPaused": False}))
                for name, queue in (await admin.queues()).items()
                if queue["isPaused"]
            ),
        ]
        for _, remove in found:
            await remove()
    return [*locked, *(what for what, _ in found)]


async def _remove_tag(api: ImmichApi, admin: ImmichApi, tag_id: str) -> None:
    """Take a tag off its assets, then delete it.

    Immich writes an asset's tags into its sidecar file and reads them back from there: a tag
    deleted while still on an asset comes back.
    """
    if tag_id not in {tag["id"] for tag in await api.get("/tags")}:
        return  # a test removed it
    if tagged := [asset["id"] for asset in await api.search(tagIds=[tag_id])]:
        await api.request("DELETE", f"/tags/{tag_id}/assets", {"ids": tagged})
        await admin.wait_for_jobs()
    await api.delete(f"/tags/{tag_id}")


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind(server: Server) -> Generator[None]:
    """Start from a server without leftovers of an interrupted run; fail if this run leaves any."""
    _run(lambda: _leftovers(server))
    yield
    left = _run(lambda: _leftovers(server))
    assert not left, f"The tests left this behind in Immich (now removed): {left}"


@pytest.fixture(scope="session", autouse=True)
def log_is_clean() -> Generator[None]:
    """Fail the session if a log line of it holds a traceback or an API key of the real server."""
    handler = _Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    # A handled failure's full error is logged at debug level (Home Assistant's coordinator
    # does so for a refused key); the suite turns debug on, so those are not counted.
    tracebacks = [
        line for line in handler.lines if TRACEBACK in line and line.split(" ", 2)[1] != "DEBUG"
    ]
    leaks = [line for line in handler.lines if any(key in line for key in SECRETS)]

    def masked(lines: list[str]) -> list[str]:
        for key in SECRETS:
            lines = [line.replace(key, "<API key>") for line in lines]
        return lines[:3]

    # pytest.fail rather than assert, whose report would repeat the lines unmasked.
    if leaks:
        pytest.fail(f"API keys in the log: {masked(leaks)}", pytrace=False)
    if tracebacks:
        pytest.fail(f"Tracebacks in the log: {masked(tracebacks)}", pytrace=False)


# ---- each test: Immich's API, clean-up, Home Assistant -----------------------------------------


@pytest.fixture
async def http(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Return an aiohttp session for talking to Immich directly."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def admin_api(server: Server, http: aiohttp.ClientSession) -> ImmichApi:
    """Return Immich's API with the admin's key."""
    return ImmichApi(http, server.url, server.admin_key)


@pytest.fixture
def user_api(server: Server, http: aiohttp.ClientSession) -> ImmichApi:
    """Return Immich's API with the normal user's key."""
    return ImmichApi(http, server.url, server.user_key)


class Cleanup:
    """Removes what a test created in Immich, newest first, after the test."""

    def __init__(self, stack: AsyncExitStack, admin: ImmichApi) -> None:
        self._stack = stack
        self._admin = admin

    def _push(self, remove: Callable[[], Awaitable[Any]]) -> None:
        """Remove something after the test; once more after Immich's jobs if it fails on its side.

        Immich can answer 500 to a change of an asset its background jobs are still at.
        """

        async def removed() -> None:
            try:
                await remove()
            except ImmichApiError as err:
                if err.status < 500:
                    raise
                await self._admin.wait_for_jobs()
                await remove()

        self._stack.push_async_callback(removed)

    def album(self, api: ImmichApi, album_id: str) -> None:
        """Delete an album (unless the test did)."""
        self._push(partial(api.request, "DELETE", f"/albums/{album_id}", ok=(200, 204, 400, 404)))

    def asset(self, api: ImmichApi, asset_id: str, *, unless_gone: bool = False) -> None:
        """Delete an asset for good (not into the trash); unless_gone: unless the test did."""
        self._push(partial(_delete_asset, api, asset_id, unless_gone=unless_gone))

    def key(self, api: ImmichApi, key_id: str) -> None:
        """Delete an API key (unless the test did)."""
        self._stack.push_async_callback(
            api.request, "DELETE", f"/api-keys/{key_id}", ok=(200, 204, 400, 404)
        )

    def memory(self, api: ImmichApi, memory_id: str) -> None:
        """Delete a memory."""
        self._stack.push_async_callback(api.delete, f"/memories/{memory_id}")

    def tag(self, api: ImmichApi, tag_id: str) -> None:
        """Take a tag off its assets and delete it."""
        self._stack.push_async_callback(_remove_tag, api, self._admin, tag_id)

    def locked_uploads(self, api: ImmichApi, email: str, password: str) -> None:
        """Delete the tests' assets in a user's locked folder."""
        self._stack.push_async_callback(remove_locked_uploads, api, email, password)

    def resume(self, queue: str) -> None:
        """Resume a queue (Immich's camelCase name) the test paused."""
        self._stack.push_async_callback(self._admin.put, f"/queues/{queue}", {"isPaused": False})


@pytest.fixture
async def cleanup(admin_api: ImmichApi) -> AsyncGenerator[Cleanup]:
    """Return the test's clean-up list, worked off after the test."""
    async with AsyncExitStack() as stack:
        yield Cleanup(stack, admin_api)


@pytest.fixture(autouse=True)
async def home_beside_immich(hass: HomeAssistant, socket_enabled: None) -> None:
    """Let Home Assistant reach Immich (on loopback only) and share its time zone.

    The kit runs Immich in UTC; at home both run in the same zone, so they agree on "today".
    """
    await hass.config.async_set_time_zone("UTC")


async def add_entry(hass: HomeAssistant, server: Server, key: str) -> ConfigEntry[Any]:
    """Add an entry for a key through the config flow, as a user does, and return it loaded."""
    result = await _submit(hass, server.url, key)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry: ConfigEntry[Any] = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def admin_entry(hass: HomeAssistant, server: Server) -> ConfigEntry[Any]:
    """Return a loaded entry for the admin's key."""
    return await add_entry(hass, server, server.admin_key)


@pytest.fixture
async def user_entry(hass: HomeAssistant, server: Server) -> ConfigEntry[Any]:
    """Return a loaded entry for the normal user's key."""
    return await add_entry(hass, server, server.user_key)


async def poll(hass: HomeAssistant) -> None:
    """Let an hour pass, so that every poll and rotation of every entry runs once.

    An hour is past every interval, the events poll's 15 minutes while Immich's websocket is
    connected included.
    """
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1))
    await hass.async_block_till_done(wait_background_tasks=True)


async def until(check: Callable[[], bool], what: str, seconds: float = PUSHED_WITHIN) -> float:
    """Wait in real time, moving no clock, until something Immich pushed has happened.

    It happens in the entry's websocket task, which offers nothing to wait on: look every
    20 ms. Return the seconds it took.
    """
    loop = asyncio.get_running_loop()
    began = loop.time()
    while not check():
        if loop.time() - began > seconds:
            pytest.fail(f"Not within {seconds:.1f} s: {what}")
        await asyncio.sleep(0.02)
    return loop.time() - began


async def steady[T, U](
    read: Callable[[], Awaitable[T]], look: Callable[[], Awaitable[U]], attempts: int = 10
) -> tuple[T, U]:
    """Return Immich's answer and what Home Assistant showed between two identical answers.

    Immich's figures and listings may change meanwhile (disk use, jobs, another client of the
    same server); when Immich answers the same before and after, Home Assistant must show
    exactly that answer.
    """
    for _ in range(attempts):
        before = await read()
        seen = await look()
        if (after := await read()) == before:
            return after, seen
    raise AssertionError(f"Immich's answer kept changing while Home Assistant looked: {after}")


async def agreed[T](hass: HomeAssistant, read: Callable[[], Awaitable[T]]) -> T:
    """Poll Home Assistant between two identical answers of Immich, and return that answer."""
    return (await steady(read, partial(poll, hass)))[0]


def entity_id(hass: HomeAssistant, entry: ConfigEntry[Any], platform: str, key: str) -> str | None:
    """Return the entity id of one of an entry's entities, by its key."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry.unique_id}_{key}")


def state(hass: HomeAssistant, entry: ConfigEntry[Any], platform: str, key: str) -> State:
    """Return the state of one of an entry's entities, by its key."""
    found = entity_id(hass, entry, platform, key)
    assert found is not None, f"{entry.title} has no {platform} {key}"
    current = hass.states.get(found)
    assert current is not None, f"{found} has no state (disabled?)"
    return current


@pytest.fixture
async def todays_memory(
    hass: HomeAssistant, admin_api: ImmichApi, cleanup: Cleanup
) -> dict[str, Any]:
    """Create an "on this day" memory of the admin's oldest photo, shown on Home Assistant's today.

    It is made as Immich's memory job makes them (shown from the start to the end of a day that
    Immich labels UTC), so a test does not depend on the day the kit seeded its own. ``hass`` sets
    the time zone.
    """
    photo = min(await admin_api.search(type="IMAGE"), key=lambda asset: asset["fileCreatedAt"])
    today = datetime.combine(dt_util.now().date(), time(), UTC)
    taken = dt_util.parse_datetime(photo["fileCreatedAt"])
    assert taken is not None
    memory: dict[str, Any] = await admin_api.post(
        "/memories",
        {
            "type": "on_this_day",
            "data": {"year": taken.year},
            "memoryAt": taken.isoformat(),
            "showAt": today.isoformat(),
            "hideAt": (today + timedelta(days=1, milliseconds=-1)).isoformat(),
            "assetIds": [photo["id"]],
        },
    )
    cleanup.memory(admin_api, memory["id"])
    return memory


async def memories_shown_now(api: ImmichApi) -> list[dict[str, Any]]:
    """Return the memories Immich shows today, asked for as Immich's own web app asks.

    The viewer's day is Home Assistant's (``hass`` sets the time zone): Immich's web app sends the
    local wall time labelled UTC, and 3.x takes only its date. Between midnight UTC and midnight
    in Home Assistant's time zone, Home Assistant's day and UTC's differ.
    """
    local = dt_util.now().replace(tzinfo=None)
    if (await api.version())[0] < 3:
        day = f"{local.isoformat(timespec='milliseconds')}Z"
    else:
        day = local.date().isoformat()
    memories: list[dict[str, Any]] = await api.get("/memories", **{"for": day})
    return memories
