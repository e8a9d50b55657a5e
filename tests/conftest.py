"""Fixtures shared by the Immich Hub tests.

Home Assistant puts its testing config dir first on sys.path, so the integration is imported
here, before any test runs, to make sure ``custom_components.immich_hub`` is ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
import logging
import os
from pathlib import Path
import ssl
from typing import Any

from aiohttp import web
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

import custom_components.immich_hub  # noqa: F401
from custom_components.immich_hub.api import PushState
from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from fake_immich.library import ISSUED_SECRETS
from fake_immich.tls import self_signed_context
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers.event import async_track_state_change_event

API_VERSIONS = ("2.7.3", "3.0.3")
HA_TEST_TIME_ZONE = "US/Pacific"
"""The time zone the test harness gives Home Assistant."""

# Immich runs in Home Assistant's time zone, as at home, so both agree on what day it is.
FakeImmich.time_zone = HA_TEST_TIME_ZONE


TESTS = Path(__file__).parent
REAL_SERVER_TESTS = (TESTS / "e2e", TESTS / "contract")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave out the tests that need what this session lacks.

    The browser tests run in their own session, without Home Assistant's test plugin; the
    end-to-end and contract tests need real Immich servers, named by ``IMMICH_URL``.
    """
    if "browser" in collection_path.parts and config.pluginmanager.has_plugin("homeassistant"):
        return True
    if not os.environ.get("IMMICH_URL") and collection_path in REAL_SERVER_TESTS:
        return True
    return None


class _Everything(logging.Handler):
    """Keeps every log record of the test session, formatted as it would be written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def api_keys_never_logged() -> Generator[None]:
    """Fail the session if any log line of it (tracebacks included) holds an API key."""
    handler = _Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    ours = [logging.getLogger(name) for name in ("custom_components.immich_hub", "fake_immich")]
    levels = [logger.level for logger in ours]
    for logger in ours:
        logger.setLevel(logging.DEBUG)
    yield
    root.removeHandler(handler)
    for logger, level in zip(ours, levels, strict=True):
        logger.setLevel(level)
    leaks = [line for line in handler.lines for key in ISSUED_SECRETS if key in line]
    assert not leaks, f"API keys in the log: {leaks[:3]}"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Compare with the snapshots in tests/snapshots/, as Home Assistant's extension writes them.

    Both syrupy and Home Assistant's test plugin define ``snapshot``; which of the two the tests
    got depended on the order pytest loaded the plugins in, which follows the order of the
    files in site-packages. Defined here, it is Home Assistant's extension on every machine.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def refused_tls_handshakes(hass: HomeAssistant) -> None:
    """Let the fake's HTTPS server see clients refuse its certificate, as the test wants them to.

    The test plugin we run Home Assistant 2026.11 with (0.13.375) puts the test's event loop in
    debug mode (0.13.316's fixture set it on another loop). In debug mode asyncio reports a TLS
    handshake that failed on the server side (the client hung up, refusing the certificate) to
    the loop's exception handler, and the plugin fails the test for every such report at
    teardown. Only that report is dropped; the handler stays for the rest of the test and its
    teardown.
    """
    loop = hass.loop
    plugin_handler = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == "Error on transport creation for incoming connection" and (
            isinstance(context.get("exception"), (ConnectionResetError, ssl.SSLError))
        ):
            return
        if plugin_handler is None:
            loop.default_exception_handler(context)
        else:
            plugin_handler(loop, context)

    loop.set_exception_handler(handler)


@pytest.fixture(params=API_VERSIONS)
def api_version(request: pytest.FixtureRequest) -> str:
    """Return the Immich API version the fake server emulates."""
    return str(request.param)


@pytest.fixture
async def immich(api_version: str, socket_enabled: None) -> AsyncGenerator[FakeImmich]:
    """Run a fake Immich server that checks every exchange against the spec."""
    async with FakeImmich(api_version=api_version) as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
def no_push(immich: FakeImmich) -> None:
    """Keep the fake's websocket shut, as a proxy that does not pass websockets would, so that
    the events poll keeps the pace of the options (it slows down while the socket is up)."""
    immich.add_fault("status", path="/socket.io", status=404)


@pytest.fixture
def config_entry(immich: FakeImmich) -> MockConfigEntry:
    """Return a config entry for the fake server's admin user."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin @ 127.0.0.1",
        unique_id=immich.admin_user_id,
        data={CONF_URL: immich.url, CONF_API_KEY: immich.admin_key, CONF_VERIFY_SSL: True},
    )


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """Set up the admin entry against the fake server."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await push_settled(config_entry)
    return config_entry


async def setup_entry(
    hass: HomeAssistant, server: FakeImmich, key: str, user_id: str
) -> MockConfigEntry:
    """Set up an entry for a key of the fake server, its websocket settled."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Immich",
        unique_id=user_id,
        data={CONF_URL: server.url, CONF_API_KEY: key, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await push_settled(entry)
    return entry


async def push_settled(entry: MockConfigEntry) -> None:
    """Wait (in real time, briefly) until the entry's websocket is connected or has failed."""
    push = entry.runtime_data.push
    settled = asyncio.Event()

    def check() -> None:
        socket = push.socket
        if socket.state in (PushState.CONNECTED, PushState.REFUSED) or (
            socket.state is PushState.DISCONNECTED and socket.last_error is not None
        ):
            settled.set()

    stop = push.async_listen(check)
    check()
    try:
        async with asyncio.timeout(10):
            await settled.wait()
    finally:
        stop()


def follow[T](hass: HomeAssistant, entity_id: str, take: Callable[[State], T | None]) -> list[T]:
    """Collect what ``take`` makes of each state an entity takes from now on (None is left out).

    The list fills as the states are written: a test reads it once what it waits for happened.
    """
    taken: list[T] = []

    @callback
    def _on_change(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None and (item := take(new)) is not None:
            taken.append(item)

    async_track_state_change_event(hass, entity_id, _on_change)
    return taken


def fired_event(state: State) -> dict[str, Any] | None:
    """Return an event entity's attributes if the state is an event it fired, else None."""
    return dict(state.attributes) if state.attributes.get("event_type") else None


@pytest.fixture
async def immich_behind_https_redirect(
    socket_enabled: None, tmp_path: Path
) -> AsyncGenerator[tuple[FakeImmich, str]]:
    """Run Immich on https:// behind an http:// address that redirects there, as proxies do.

    Yields the server and the http:// address.
    """
    server = FakeImmich(api_version="3.0.3")
    await server.start(ssl_context=self_signed_context(tmp_path))

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(server.url + request.path_qs)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield server, f"http://127.0.0.1:{runner.addresses[0][1]}"
        server.assert_no_violations()
    finally:
        await runner.cleanup()
        await server.stop()
