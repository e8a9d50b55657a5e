"""Live push from Immich's websocket, against the fake server's socket (2.x and 3.x)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
import logging
import socket
import ssl
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.immich_hub.api import (
    AssetDeleted,
    AssetsRestored,
    AssetsTrashed,
    ImmichAuthError,
    ImmichClient,
    ImmichConnectionError,
    ImmichPush,
    ImmichSSLError,
    NewRelease,
    PushEvent,
    PushState,
    ServerVersion,
    ServerVersionPushed,
    UploadSuccess,
)
from fake_immich import FakeImmich

from .conftest import ServerFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

WAIT = 5.0
"""Seconds a test waits for what it expects before failing."""
SOCKET = "/socket.io"
"""Where faults of the websocket's handshake match."""
PUSH_LOGGER = "custom_components.immich_hub.api.push"


class Watch:
    """A running push client and what it reported."""

    def __init__(self, push_client: ImmichClient, **backoff: float) -> None:
        self.events: list[PushEvent] = []
        self.states: list[tuple[float, PushState]] = []
        self.fail_events = False
        self.fail_states = False
        self.push = ImmichPush(
            push_client,
            self._on_event,
            self._on_state,
            min_backoff=backoff.get("min_backoff", 0.02),
            max_backoff=backoff.get("max_backoff", 0.1),
            stable_after=backoff.get("stable_after", 0.0),
        )

    def _on_event(self, event: PushEvent) -> None:
        self.events.append(event)
        if self.fail_events:
            raise RuntimeError("the consumer failed")

    def _on_state(self, state: PushState) -> None:
        self.states.append((asyncio.get_running_loop().time(), state))
        if self.fail_states:
            raise RuntimeError("the consumer failed")

    def of(self, kind: type[Any]) -> list[Any]:
        """Return the events of one kind."""
        return [event for event in self.events if isinstance(event, kind)]

    def state_names(self) -> list[PushState]:
        """Return the states reported, in order."""
        return [state for _, state in self.states]

    def waits(self) -> list[float]:
        """Return the seconds between each loss (or refusal) and the next attempt."""
        return [
            later - since
            for (since, lost), (later, state) in zip(self.states, self.states[1:], strict=False)
            if lost in (PushState.DISCONNECTED, PushState.REFUSED) and state == PushState.CONNECTING
        ]


async def until(condition: Callable[[], bool]) -> None:
    """Wait until condition() holds, failing the test after WAIT seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


@asynccontextmanager
async def running(push_client: ImmichClient, **backoff: float) -> AsyncIterator[Watch]:
    """Run a push client for the duration of the block, then close it."""
    watch = Watch(push_client, **backoff)
    task = asyncio.create_task(watch.push.run())
    try:
        yield watch
    finally:
        await watch.push.close()
        await asyncio.wait_for(task, WAIT)


async def connected(watch: Watch) -> None:
    """Wait until the push client is connected and has the server's version."""
    await until(
        lambda: watch.push.state == PushState.CONNECTED and bool(watch.of(ServerVersionPushed))
    )


def handshakes(server: FakeImmich) -> int:
    """Return how many websocket handshakes the server saw."""
    return sum(1 for r in server.requests if r.method == "GET" and r.path == "/socket.io/")


async def call(
    session: aiohttp.ClientSession, server: FakeImmich, method: str, path: str, body: Any = None
) -> None:
    """Send an API request with the admin key, as another Immich client would."""
    async with session.request(
        method, server.url + "/api" + path, json=body, headers={"x-api-key": server.admin_key}
    ) as response:
        assert response.status < 300, await response.text()


async def upload(client: ImmichClient, name: str) -> str:
    """Upload a small image; return its id."""
    return (await client.upload_bytes(b"\x89PNG\r\n\x1a\n" + name.encode() * 50, filename=name)).id


@contextmanager
def no_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Check that the push client logs nothing above debug level meanwhile."""
    caplog.set_level(logging.DEBUG, logger=PUSH_LOGGER)
    yield
    loud = [r for r in caplog.records if r.name == PUSH_LOGGER and r.levelno > logging.DEBUG]
    assert not loud, [r.getMessage() for r in loud]


# ---- connecting -------------------------------------------------------------------------------


async def test_connects_and_reports_the_server_version(
    immich: FakeImmich, client: ImmichClient
) -> None:
    """The client connects, says so, and passes on the version Immich sends first."""
    async with running(client) as watch:
        await connected(watch)
        push = watch.push
        assert watch.state_names() == [PushState.CONNECTING, PushState.CONNECTED]
        assert watch.events == [ServerVersionPushed(ServerVersion(*immich.server_version))]
        assert push.connected_since is not None
        assert push.last_event_at is not None
        assert push.last_event_at >= push.connected_since
        assert push.reconnects == 0
        assert push.last_error is None
        assert immich.sockets == 1
        assert handshakes(immich) == 1
        assert "connected" in repr(push)
        assert immich.admin_key not in repr(push)
    assert push.state == PushState.STOPPED
    assert push.connected_since is None
    assert watch.state_names()[-1] == PushState.STOPPED


async def test_subpath(fake_server: ServerFactory, session: aiohttp.ClientSession) -> None:
    """Immich at a subpath has its websocket below that subpath."""
    async with fake_server(prefix="/immich") as server:
        client = ImmichClient(session, server.url, server.admin_key, timeout=WAIT)
        async with running(client) as watch:
            await connected(watch)
        assert handshakes(server) == 1


@pytest.mark.usefixtures("refused_tls_handshakes")
async def test_session_tls_setting(
    fake_server: ServerFactory, session: aiohttp.ClientSession, tls_context: ssl.SSLContext
) -> None:
    """The socket checks certificates as the session does."""
    async with fake_server() as server:
        await server.stop()
        await server.start(ssl_context=tls_context)
        checking = ImmichClient(session, server.url, server.admin_key, timeout=WAIT)
        with pytest.raises(ImmichSSLError):
            await checking.open_websocket()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as trusting:
            client = ImmichClient(trusting, server.url, server.admin_key, timeout=WAIT)
            async with running(client) as watch:
                await connected(watch)


async def test_handshake_errors(
    immich: FakeImmich, session: aiohttp.ClientSession, client: ImmichClient
) -> None:
    """A refused handshake is an auth error; other failures are connection errors."""
    for status in (401, 403):
        immich.add_fault("status", path=SOCKET, status=status, count=1)
        with pytest.raises(ImmichAuthError) as refused:
            await client.open_websocket()
        assert refused.value.status == status
    immich.add_fault("status", path=SOCKET, status=502, count=1)
    with pytest.raises(ImmichConnectionError) as failed:
        await client.open_websocket()
    assert "502" in str(failed.value)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    nowhere = ImmichClient(session, f"http://127.0.0.1:{port}", "secret-key", timeout=WAIT)
    with pytest.raises(ImmichConnectionError) as unreachable:
        await nowhere.open_websocket()
    assert "secret-key" not in str(unreachable.value)
    assert immich.admin_key not in str(refused.value) + str(failed.value)


# ---- events -----------------------------------------------------------------------------------


async def test_asset_events(
    immich: FakeImmich,
    session: aiohttp.ClientSession,
    client: ImmichClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Uploads, trash, restore and deletion for good arrive typed, to the assets' owner."""
    with no_warnings(caplog):
        async with running(client) as watch:
            await connected(watch)
            first = await upload(client, "first.png")
            await until(lambda: bool(watch.of(UploadSuccess)))
            (uploaded,) = watch.of(UploadSuccess)
            assert uploaded.asset.id == first
            assert uploaded.asset.original_file_name == "first.png"
            assert uploaded.asset.exif_info is not None
            second = await upload(client, "second.png")
            await until(lambda: len(watch.of(UploadSuccess)) == 2)

            await call(session, immich, "DELETE", "/assets", {"ids": [first, second]})
            await until(lambda: bool(watch.of(AssetsTrashed)))
            assert watch.of(AssetsTrashed) == [AssetsTrashed((first, second))]
            await call(session, immich, "POST", "/trash/restore/assets", {"ids": [first]})
            await until(lambda: bool(watch.of(AssetsRestored)))
            assert watch.of(AssetsRestored) == [AssetsRestored((first,))]
            # Restoring the whole trash is announced by neither Immich 2.7.4 nor 3.0.3.
            await call(session, immich, "POST", "/trash/restore")

            await call(
                session, immich, "DELETE", "/assets", {"ids": [first, second], "force": True}
            )
            await until(lambda: len(watch.of(AssetDeleted)) == 2)
            assert {event.asset_id for event in watch.of(AssetDeleted)} == {first, second}
            # Nothing else: the upload-ready events Immich sends too are not ours.
            assert [type(event) for event in watch.events] == [
                ServerVersionPushed,
                UploadSuccess,
                UploadSuccess,
                AssetsTrashed,
                AssetsRestored,
                AssetDeleted,
                AssetDeleted,
            ]
            assert watch.push.reconnects == 0


async def test_events_go_to_their_owner_only(
    immich: FakeImmich, client: ImmichClient, user_client: ImmichClient
) -> None:
    """Another user's upload is not seen; one's own is."""
    async with running(client) as admin, running(user_client) as user:
        await connected(admin)
        await connected(user)
        admin_asset = await upload(client, "admin.png")
        await until(lambda: bool(admin.of(UploadSuccess)))
        # The admin's upload was announced; an event sent to the user afterwards arrives
        # after anything announced to the user before it.
        immich.emit(immich.user_user_id, "on_asset_delete", "marker")
        await until(lambda: bool(user.of(AssetDeleted)))
        assert not user.of(UploadSuccess)
        user_asset = await upload(user_client, "user.png")
        await until(lambda: bool(user.of(UploadSuccess)))
        assert [event.asset.id for event in user.of(UploadSuccess)] == [user_asset]
        immich.emit(immich.admin_user_id, "on_asset_delete", "marker")
        await until(lambda: bool(admin.of(AssetDeleted)))
        assert [event.asset.id for event in admin.of(UploadSuccess)] == [admin_asset]


async def test_new_release(immich: FakeImmich, client: ImmichClient) -> None:
    """on_new_release arrives with the release written as v1.2.3, in every shape Immich uses."""
    semver = {"options": {}, "loose": False, "includePrerelease": False, "raw": "2.8.0",
              "major": 2, "minor": 8, "patch": 0, "prerelease": [], "build": [],
              "version": "2.8.0"}  # fmt: skip
    checked = "2026-11-30T10:00:00.000Z"
    async with running(client) as watch:
        await connected(watch)
        notices: list[dict[str, Any]] = [
            {
                "isAvailable": True,
                "checkedAt": checked,
                "serverVersion": {"major": 3, "minor": 0, "patch": 3, "prerelease": None},
                "releaseVersion": {"major": 3, "minor": 1, "patch": 0, "prerelease": None},
            },
            {"isAvailable": True, "checkedAt": checked, "releaseVersion": semver},
            {"isAvailable": False, "checkedAt": checked, "releaseVersion": "v2.7.4"},
            {"isAvailable": False, "releaseVersion": "not a version"},
            {"isAvailable": False},
        ]
        for notice in notices:
            immich.emit(immich.admin_user_id, "on_new_release", notice)
        await until(lambda: len(watch.of(NewRelease)) == len(notices))
        assert watch.of(NewRelease) == [
            NewRelease(release_version="v3.1.0", checked_at=checked, is_available=True),
            NewRelease(release_version="v2.8.0", checked_at=checked, is_available=True),
            NewRelease(release_version="v2.7.4", checked_at=checked, is_available=False),
            NewRelease(release_version=None, checked_at=None, is_available=False),
            NewRelease(release_version=None, checked_at=None, is_available=False),
        ]


async def test_other_events_are_ignored(immich: FakeImmich, client: ImmichClient) -> None:
    """Events the client has no use for are skipped quietly."""
    async with running(client) as watch:
        await connected(watch)
        for event, payload in (
            ("on_asset_update", {"id": "x"}),
            ("on_asset_hidden", "x"),
            ("on_config_update", None),
            ("AssetUploadReadyV2", {"asset": {}, "exif": {}}),
        ):
            immich.emit(immich.admin_user_id, event, payload)
        immich.emit(immich.admin_user_id, "on_asset_trash", ["x"])
        await until(lambda: bool(watch.of(AssetsTrashed)))
        assert watch.events[1:] == [AssetsTrashed(("x",))]


async def test_failing_consumer(
    immich: FakeImmich, client: ImmichClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An error in on_event or on_state is logged; the connection and the events go on."""
    async with running(client) as watch:
        watch.fail_states = True
        await connected(watch)
        watch.fail_events = True
        immich.emit(immich.admin_user_id, "on_asset_delete", "a")
        immich.emit(immich.admin_user_id, "on_asset_delete", "b")
        await until(lambda: len(watch.of(AssetDeleted)) == 2)
        assert watch.push.state == PushState.CONNECTED
        assert watch.push.reconnects == 0
    assert watch.state_names() == [PushState.CONNECTING, PushState.CONNECTED, PushState.STOPPED]
    assert "Error handling push event AssetDeleted" in caplog.text
    assert "Error handling push state connected" in caplog.text


# ---- keeping the connection -------------------------------------------------------------------


async def test_pings_are_answered(immich: FakeImmich, client: ImmichClient) -> None:
    """The fake drops a client that does not answer its pings; this one stays for many of them."""
    # Short pings, yet a timeout a busy machine's event loop does not miss; the wait is twice
    # the timeout, so a client that did not answer would have been dropped.
    immich.ping_interval = 0.05
    immich.ping_timeout = 0.5
    async with running(client) as watch:
        await connected(watch)
        await asyncio.sleep(20 * immich.ping_interval)
        assert watch.push.state == PushState.CONNECTED
        assert watch.push.reconnects == 0
        assert handshakes(immich) == 1
        immich.emit(immich.admin_user_id, "on_asset_delete", "still here")
        await until(lambda: bool(watch.of(AssetDeleted)))


async def test_silent_server_is_left(immich: FakeImmich, client: ImmichClient) -> None:
    """A server that stops pinging is taken for gone after pingInterval + pingTimeout."""
    immich.ping_interval = 0.05
    immich.ping_timeout = 0.3
    immich.add_fault("socket_silent", path=SOCKET, count=1)
    async with running(client) as watch:
        await until(lambda: watch.push.reconnects == 1)
        assert watch.push.last_error == "Immich was silent for 0.35 s"
        await until(lambda: watch.push.state == PushState.CONNECTED)
        assert handshakes(immich) == 2
        assert watch.state_names()[:4] == [
            PushState.CONNECTING,
            PushState.CONNECTED,
            PushState.DISCONNECTED,
            PushState.CONNECTING,
        ]
        immich.emit(immich.admin_user_id, "on_asset_delete", "after")
        await until(lambda: bool(watch.of(AssetDeleted)))


async def test_drop_mid_stream(immich: FakeImmich, client: ImmichClient) -> None:
    """A connection dropped mid-stream is made again, and events flow on it."""
    async with running(client) as watch:
        await connected(watch)
        first = watch.push.connected_since
        await immich.drop_sockets()
        await until(lambda: watch.push.reconnects == 1)
        await until(lambda: watch.push.state == PushState.CONNECTED)
        assert watch.push.connected_since is not None
        assert first is not None
        assert watch.push.connected_since > first
        assert watch.push.last_error
        assert len(watch.of(ServerVersionPushed)) == 2
        asset = await upload(client, "after-drop.png")
        await until(lambda: bool(watch.of(UploadSuccess)))
        assert watch.of(UploadSuccess)[0].asset.id == asset
        assert handshakes(immich) == 2


async def test_malformed_frames_are_skipped(
    immich: FakeImmich,
    session: aiohttp.ClientSession,
    client: ImmichClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bad JSON, unknown packets, binary frames and wrong payloads are skipped, events kept."""
    immich.add_fault("socket_malformed", path=SOCKET)
    with no_warnings(caplog):
        async with running(client) as watch:
            await connected(watch)
            asset = await upload(client, "noisy.png")
            await until(lambda: bool(watch.of(UploadSuccess)))
            await call(session, immich, "DELETE", "/assets", {"ids": [asset]})
            await call(session, immich, "POST", "/trash/restore/assets", {"ids": [asset]})
            await call(session, immich, "DELETE", "/assets", {"ids": [asset], "force": True})
            immich.emit(immich.admin_user_id, "on_new_release", {"isAvailable": False})
            await until(lambda: bool(watch.of(NewRelease)))
            assert [type(event) for event in watch.events] == [
                ServerVersionPushed,
                UploadSuccess,
                AssetsTrashed,
                AssetsRestored,
                AssetDeleted,
                NewRelease,
            ]
            assert watch.push.reconnects == 0
            assert handshakes(immich) == 1
    skipped = [r.getMessage() for r in caplog.records if r.name == PUSH_LOGGER]
    assert any("malformed event skipped" in line for line in skipped)
    assert any("unexpected payload skipped" in line for line in skipped)
    assert any("binary frame skipped" in line for line in skipped)


# ---- refusals, backoff and closing ------------------------------------------------------------


@pytest.mark.parametrize("refusal", ["wrong key", "401", "403"])
async def test_wrong_key_is_refused_without_a_busy_loop(
    immich: FakeImmich, session: aiohttp.ClientSession, refusal: str
) -> None:
    """A refused key is reported once per attempt and retried only after max_backoff."""
    key = "not-a-key" if refusal == "wrong key" else immich.admin_key
    if refusal != "wrong key":
        immich.add_fault("status", path=SOCKET, status=int(refusal))
    client = ImmichClient(session, immich.url, key, timeout=WAIT)
    async with running(client, min_backoff=0.001, max_backoff=0.2) as watch:
        await until(lambda: watch.push.state == PushState.REFUSED)
        await asyncio.sleep(0.5)
        assert handshakes(immich) <= 5
        assert PushState.CONNECTED not in watch.state_names()
        assert watch.push.reconnects == 0
        assert watch.events == []
        error = watch.push.last_error or ""
        assert error.startswith("Immich refused the API key")
        assert ("unauthorized" if refusal == "wrong key" else refusal) in error
        assert all(wait >= 0.1 - 0.005 for wait in watch.waits())


async def test_backoff_grows_with_jitter_and_resets(
    immich: FakeImmich, client: ImmichClient
) -> None:
    """Waits double up to max_backoff, vary, and start over after a good connection."""
    steps = [0.05, 0.1, 0.2, 0.4, 0.4, 0.4]
    # Each of these connections ends right after Immich's connect answer: never CONNECTED.
    immich.add_fault("socket_drop", path=SOCKET, count=len(steps))
    async with running(client, min_backoff=0.05, max_backoff=0.4) as watch:
        await connected(watch)
        waits = watch.waits()
        assert len(waits) == len(steps)
        assert watch.push.reconnects == 0
        for wait, step in zip(waits, steps, strict=True):
            assert step / 2 - 0.005 <= wait <= step + 0.25
        # Every wait lasts between half and all of its step: some shorter than the step.
        assert any(wait < 0.95 * step for wait, step in zip(waits[2:], steps[2:], strict=True))

        await immich.drop_sockets()
        await until(lambda: watch.push.reconnects == 1 and watch.push.state == PushState.CONNECTED)
        after_reset = watch.waits()[len(steps)]
        assert after_reset < 0.2 - 0.005  # the first step again, not the last one


async def test_connections_cut_at_once_keep_backing_off(
    immich: FakeImmich, client: ImmichClient
) -> None:
    """A server (or proxy) that closes every connection just after accepting it: the backoff
    does not start over for such short connections, so the client does not reconnect at the
    first step forever."""
    async with running(client, min_backoff=0.05, max_backoff=0.4, stable_after=60) as watch:
        for lost in range(1, 4):
            await until(lambda: watch.push.state == PushState.CONNECTED)
            await immich.drop_sockets()
            await until(lambda lost=lost: watch.push.reconnects == lost)
        await until(lambda: len(watch.waits()) == 3)
        # The steps 0.05, 0.1, 0.2: each wait at least half its step.
        assert watch.waits()[2] >= 0.1 - 0.005


async def test_connection_failures_back_off(immich: FakeImmich, client: ImmichClient) -> None:
    """A handshake failing with a server error is retried as a lost connection, not a refusal."""
    immich.add_fault("status", path=SOCKET, status=500, count=2)
    async with running(client) as watch:
        await connected(watch)
        assert watch.state_names()[:3] == [
            PushState.CONNECTING,
            PushState.DISCONNECTED,
            PushState.CONNECTING,
        ]
        assert PushState.REFUSED not in watch.state_names()
        assert "500" in (watch.push.last_error or "")
        assert watch.push.reconnects == 0


async def test_close_ends_run_and_the_socket(immich: FakeImmich, client: ImmichClient) -> None:
    """close() ends run() and closes the socket on the server's side too."""
    watch = Watch(client)
    task = asyncio.create_task(watch.push.run())
    await connected(watch)
    assert immich.sockets == 1
    await watch.push.close()
    assert task.done()
    await task
    assert watch.push.state == PushState.STOPPED
    await until(lambda: immich.sockets == 0)
    await watch.push.close()  # closing again is harmless
    await watch.push.run()  # and a closed client does not start again
    assert handshakes(immich) == 1
    assert watch.state_names() == [PushState.CONNECTING, PushState.CONNECTED, PushState.STOPPED]


async def test_close_while_waiting_or_connecting(immich: FakeImmich, client: ImmichClient) -> None:
    """close() does not wait for a backoff or a slow handshake to end."""
    loop = asyncio.get_running_loop()
    immich.add_fault("status", path=SOCKET, status=500, count=1)
    # The second handshake hangs until the server stops.
    immich.add_fault("timeout", path=SOCKET, after=1, count=1)
    for waiting_for in (PushState.DISCONNECTED, PushState.CONNECTING):
        watch = Watch(client, min_backoff=30, max_backoff=30)
        task = asyncio.create_task(watch.push.run())
        await until(lambda: watch.push.state == waiting_for)  # noqa: B023
        await asyncio.sleep(0.1)
        started = loop.time()
        await watch.push.close()
        assert loop.time() - started < 1.0
        assert task.done()
        assert watch.push.state == PushState.STOPPED


async def test_close_before_run(client: ImmichClient) -> None:
    """A client closed before it ran never connects."""
    watch = Watch(client)
    await watch.push.close()
    await watch.push.run()
    assert watch.state_names() == [PushState.STOPPED]


async def test_cancelled_run(immich: FakeImmich, client: ImmichClient) -> None:
    """Cancelling run() closes the socket and stops."""
    watch = Watch(client)
    task = asyncio.create_task(watch.push.run())
    await connected(watch)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert watch.push.state == PushState.STOPPED
    await until(lambda: immich.sockets == 0)


async def test_backoff_must_make_sense(client: ImmichClient) -> None:
    """A backoff that is not positive, or a maximum below the minimum, is refused."""
    for low, high in ((0, 1), (2, 1), (-1, 1)):
        with pytest.raises(ValueError, match="backoff"):
            ImmichPush(client, print, print, min_backoff=low, max_backoff=high)


# ---- frames the fake does not send ------------------------------------------------------------

Script = Callable[[web.WebSocketResponse, int], Awaitable[None]]
OPEN = '0{"sid":"s","upgrades":[],"pingInterval":50,"pingTimeout":1000,"maxPayload":1000000}'


@asynccontextmanager
async def peer(script: Script) -> AsyncIterator[str]:
    """Serve a websocket at /api/socket.io/ that plays script(ws, n) on its n-th connection.

    For what Engine.IO and Socket.IO allow and Immich does not send; yields the base URL.
    """
    connections = 0

    async def socket_io(request: web.Request) -> web.WebSocketResponse:
        nonlocal connections
        connections += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await script(ws, connections)
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/api/socket.io/", socket_io)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def answer(ws: web.WebSocketResponse) -> str:
    """Return the client's next text frame."""
    message = await ws.receive(timeout=WAIT)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return str(message.data)


async def test_protocol_edges(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """Odd open packets, namespaces, acknowledgement ids, closes and refusals of the protocols."""
    caplog.set_level(logging.DEBUG, logger=PUSH_LOGGER)
    client_frames: list[str] = []

    async def script(ws: web.WebSocketResponse, connection: int) -> None:
        for frame in (
            "hello",
            "0[1]",
            '0{"pingInterval":"50","pingTimeout":1}',
            '0{"pingInterval":0}',
        ):
            await ws.send_str(frame)
        await ws.send_str(OPEN)
        client_frames.append(await answer(ws))
        await ws.send_str('40{"sid":"x"}')
        if connection == 1:
            await ws.send_str("2")
            client_frames.append(await answer(ws))
            for frame in ("6", "3", "9", "43[]", '42/admin,["on_asset_delete","other"]'):
                await ws.send_str(frame)
            await ws.send_str('421["on_asset_delete","a"]')
            await ws.send_str("41")  # the server ends the namespace
        elif connection == 2:
            await ws.send_str('42["on_asset_delete","b"]')
            await ws.send_str("1")  # the server ends the Engine.IO session
        elif connection == 3:
            await ws.send_str('42["on_asset_delete","c"]')
            await ws.send_str("x" * (5 * 1024 * 1024))  # more than the client takes
        else:
            await ws.send_str('44{"message":"Not authorized"}')
        await ws.receive(timeout=WAIT)  # until the client hangs up

    async with peer(script) as url:
        client = ImmichClient(session, url, "secret-key", timeout=WAIT)
        async with running(client, min_backoff=0.01, max_backoff=0.05) as watch:
            await until(lambda: watch.push.state == PushState.REFUSED)
    assert client_frames == ["40", "3", "40", "40", "40"]
    assert watch.events == [AssetDeleted("a"), AssetDeleted("b"), AssetDeleted("c")]
    assert watch.push.reconnects == 3
    assert watch.push.last_error == 'Immich refused the API key: {"message":"Not authorized"}'
    assert PushState.DISCONNECTED in watch.state_names()
    logged = caplog.text
    assert "frame before the open packet skipped (not an open packet): hello" in logged
    assert "open packet without valid ping timings" in logged
    assert "unknown Engine.IO packet skipped: 9" in logged
    assert "Socket.IO packet skipped: 43[]" in logged
    assert "malformed event skipped (event of another namespace)" in logged
    assert "Immich disconnected the socket" in logged
    assert "Immich closed the session" in logged
    assert "Immich closed the connection (error" in logged
