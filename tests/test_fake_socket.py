"""Tests of the fake Immich server's websocket, with a plain aiohttp websocket client.

The frames are those measured on Immich 2.7.4 and 3.0.3 (see fake_immich/socket.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import io
import json
import time
from typing import Any

import aiohttp
from PIL import Image
import pytest

from fake_immich import FakeImmich

pytestmark = pytest.mark.usefixtures("socket_enabled")

VERSIONS = ("2.7.3", "3.0.3")
QUIET = 0.3
"""Seconds a test waits to be sure that nothing more arrives."""


@pytest.fixture(name="version", params=VERSIONS)
def version_fixture(request: pytest.FixtureRequest) -> str:
    """Run a test once per emulated version."""
    return str(request.param)


@pytest.fixture(name="server")
async def server_fixture(version: str) -> AsyncIterator[FakeImmich]:
    """A started fake server."""
    async with FakeImmich(version, prefix="/photos") as server:
        yield server


@pytest.fixture(name="http")
async def http_fixture() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield session


def socket_url(server: FakeImmich) -> str:
    """Return the websocket URL a client opens."""
    return f"{server.url}/api/socket.io/?EIO=4&transport=websocket"


class Client:
    """A bare Socket.IO client: reads frames, answers pings when asked to."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, pong: bool = True) -> None:
        self.ws = ws
        self.pong = pong

    async def frame(self, wait: float = 2.0) -> str | bytes:
        """Return the next frame; EOFError when the socket closes."""
        message = await self.ws.receive(wait)
        if message.type is aiohttp.WSMsgType.TEXT:
            assert isinstance(message.data, str)
            return message.data
        if message.type is aiohttp.WSMsgType.BINARY:
            assert isinstance(message.data, bytes)
            return message.data
        raise EOFError(message.type.name)

    async def event(self, wait: float = 2.0) -> tuple[str, Any]:
        """Return the next event (name, payload), answering the pings before it."""
        while True:
            frame = await self.frame(wait)
            if frame == "2":
                if self.pong:
                    await self.ws.send_str("3")
                continue
            assert isinstance(frame, str)
            assert frame.startswith("42"), frame
            name, payload = json.loads(frame[2:])
            return name, payload

    async def nothing(self, seconds: float = QUIET) -> int:
        """Assert that no frame arrives for a while but pings (answered); return their number."""
        deadline = time.monotonic() + seconds
        pings = 0
        while (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                frame = await self.frame(left)
                assert frame == "2", f"unexpected frame {frame!r}"
                await self.ws.send_str("3")
                pings += 1
        return pings

    async def closed(self, wait: float = 2.0) -> str:
        """Wait until the server ends the socket; return how (CLOSE, CLOSED, ERROR)."""
        while True:
            message = await self.ws.receive(wait)
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                return message.type.name


@contextlib.asynccontextmanager
async def opened(
    http: aiohttp.ClientSession, server: FakeImmich, key: str | None, *, pong: bool = True
) -> AsyncIterator[tuple[Client, dict[str, Any]]]:
    """Open a websocket and read the Engine.IO open packet."""
    headers = {"x-api-key": key} if key is not None else {}
    async with http.ws_connect(socket_url(server), headers=headers) as ws:
        client = Client(ws, pong=pong)
        frame = await client.frame()
        assert isinstance(frame, str)
        assert frame.startswith("0{")
        yield client, json.loads(frame[1:])


@contextlib.asynccontextmanager
async def connected(
    http: aiohttp.ClientSession, server: FakeImmich, key: str, *, pong: bool = True
) -> AsyncIterator[Client]:
    """Open a websocket, connect the Socket.IO namespace, read the server version."""
    async with opened(http, server, key, pong=pong) as (client, _):
        await client.ws.send_str("40")
        answer = await client.frame()
        assert isinstance(answer, str)
        assert answer.startswith("40{")
        assert (await client.event())[0] == "on_server_version"
        yield client


async def until(condition: Any, wait: float = 2.0) -> None:
    """Wait until a condition holds."""
    deadline = time.monotonic() + wait
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def upload(http: aiohttp.ClientSession, server: FakeImmich, key: str, shade: int) -> str:
    """Upload a new photo; return its id."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (shade, 3, 7)).save(out, "JPEG")
    form = aiohttp.FormData()
    if server.api_version.startswith("2."):
        form.add_field("deviceAssetId", f"probe-{shade}")
        form.add_field("deviceId", "probe")
    form.add_field("fileCreatedAt", "2020-01-01T00:00:00Z")
    form.add_field("fileModifiedAt", "2020-01-01T00:00:00Z")
    form.add_field("assetData", out.getvalue(), filename="probe.jpg", content_type="image/jpeg")
    async with http.post(f"{server.url}/api/assets", data=form, headers={"x-api-key": key}) as resp:
        assert resp.status == 201
        body = await resp.json()
        return str(body["id"])


async def call(
    http: aiohttp.ClientSession, server: FakeImmich, method: str, path: str, key: str, **kw: Any
) -> tuple[int, Any]:
    """Call the API; return status and JSON body (None when there is none)."""
    async with http.request(
        method, f"{server.url}/api{path}", headers={"x-api-key": key}, **kw
    ) as resp:
        body = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, body


# --- handshake ------------------------------------------------------------------------------------


async def test_handshake_and_server_version(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """Open packet with the fake's ping settings, connect answer, version in the API's shape."""
    server.ping_interval, server.ping_timeout = 12.5, 7.25
    server.set_server_version((server.server_version[0], 9, 1))
    async with opened(http, server, server.admin_key) as (client, hello):
        assert set(hello) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
        assert (hello["upgrades"], hello["pingInterval"], hello["pingTimeout"]) == ([], 12500, 7250)
        assert hello["maxPayload"] == 1_000_000
        assert server.sockets == 1
        await client.ws.send_str("40")
        answer = await client.frame()
        assert isinstance(answer, str)
        assert answer.startswith("40{")
        assert set(json.loads(answer[2:])) == {"sid"}
        name, version = await client.event()
        major = server.server_version[0]
        assert name == "on_server_version"
        if server.api_version.startswith("2."):
            assert version == {
                "options": {}, "loose": False, "includePrerelease": False, "raw": f"{major}.9.1",
                "major": major, "minor": 9, "patch": 1, "prerelease": [], "build": [],
                "version": f"{major}.9.1",
            }  # fmt: skip
        else:
            assert version == {"major": 3, "minor": 9, "patch": 1, "prerelease": None}
        await client.nothing()
    await until(lambda: server.sockets == 0)
    handshakes = [r for r in server.requests if r.path == "/socket.io/"]
    assert [(r.method, r.query) for r in handshakes] == [
        ("GET", {"EIO": "4", "transport": "websocket"})
    ]
    server.assert_no_violations()


@pytest.mark.parametrize("key", ["wrong-key", None])
async def test_wrong_key_is_refused_as_immich_does(
    server: FakeImmich, http: aiohttp.ClientSession, key: str | None
) -> None:
    """A wrong or missing key: 40, error "unauthorized", 41; the socket stays open, unheard."""
    server.ping_interval = 0.1
    async with opened(http, server, key) as (client, _):
        await client.ws.send_str("40")
        answer = await client.frame()
        assert isinstance(answer, str)
        assert answer.startswith("40{")
        assert await client.frame() == '42["error","unauthorized"]'
        assert await client.frame() == "41"
        await upload(http, server, server.admin_key, 1)
        server.emit(server.admin_user_id, "on_new_release", {})
        assert await client.nothing() >= 2  # pings keep coming, as from Immich; no event
        assert server.sockets == 1
    await until(lambda: server.sockets == 0)


@pytest.mark.parametrize("how", ["query", "bearer"])
async def test_key_only_in_its_header(
    server: FakeImmich, http: aiohttp.ClientSession, how: str
) -> None:
    """A good key as apiKey query or bearer token is refused, as 2.7.4 and 3.0.3 refuse it."""
    url, headers = socket_url(server), {}
    if how == "query":
        url += f"&apiKey={server.admin_key}"
    else:
        headers["Authorization"] = f"Bearer {server.admin_key}"
    async with http.ws_connect(url, headers=headers) as ws:
        client = Client(ws)
        await client.frame()
        await ws.send_str("40")
        await client.frame()
        assert await client.frame() == '42["error","unauthorized"]'
        assert await client.frame() == "41"


async def test_handshakes_immich_does_not_serve(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """No upgrade, another Engine.IO version, no trailing slash: Immich's answers."""
    key = server.admin_key
    base = f"{server.url}/api/socket.io"
    async with http.get(f"{base}/?EIO=4&transport=websocket", headers={"x-api-key": key}) as resp:
        assert (resp.status, await resp.json()) == (400, {"code": 3, "message": "Bad request"})
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(f"{base}/?EIO=3&transport=websocket", headers={"x-api-key": key})
    assert err.value.status == 400
    server.assert_no_violations()
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(f"{base}?EIO=4&transport=websocket", headers={"x-api-key": key})
    assert err.value.status == 404
    assert len(server.violations) == 1  # no such route: a client bug


# --- pings ----------------------------------------------------------------------------------------


async def test_pings_and_ping_timeout(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Pings come every interval; a client that stops answering is disconnected."""
    server.ping_interval, server.ping_timeout = 0.1, 0.2
    async with connected(http, server, server.admin_key) as client:
        start = time.monotonic()
        for _ in range(5):  # answered pings keep the socket open
            assert await client.frame(1.0) == "2"
            await client.ws.send_str("3")
        assert 0.45 <= time.monotonic() - start < 5.0  # bounds wide for a busy machine
        assert await client.frame(1.0) == "2"
        silent_since = time.monotonic()
        assert await client.closed() == "CLOSE"
        assert 0.15 <= time.monotonic() - silent_since < 3.0
    await until(lambda: server.sockets == 0)


# --- events ---------------------------------------------------------------------------------------


async def test_events_of_the_api_go_to_the_owner(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """Upload, trash, restore, delete for good: to the owner's sockets only, as Immich sends."""
    admin, user = server.admin_key, server.user_key
    async with (
        connected(http, server, admin) as first,
        connected(http, server, admin) as second,
        connected(http, server, user) as other,
    ):
        assert server.sockets == 3
        asset_id = await upload(http, server, admin, 5)
        _, shown = await call(http, server, "GET", f"/assets/{asset_id}", admin)
        for client in (first, second):
            name, pushed = await client.event()
            assert name == "on_upload_success"
            assert pushed["exifInfo"]["exifImageWidth"] == 40
            # As Immich's push: the asset of GET /assets/{id}, without owner and stack.
            assert pushed == {k: v for k, v in shown.items() if k not in ("owner", "stack")}
            name, ready = await client.event()
            v2 = server.api_version.startswith("2.")
            assert name == ("AssetUploadReadyV1" if v2 else "AssetUploadReadyV2")
            assert set(ready) == {"asset", "exif"}
            assert ready["asset"]["id"] == ready["exif"]["assetId"] == asset_id
            assert ("createdAt" in ready["asset"]) is not v2

        status, _ = await call(http, server, "DELETE", "/assets", admin, json={"ids": [asset_id]})
        assert status == 204
        assert await first.event() == ("on_asset_trash", [asset_id])
        assert server.library.assets[asset_id].is_trashed

        ids = {"ids": [asset_id]}
        status, _ = await call(http, server, "POST", "/trash/restore/assets", admin, json=ids)
        assert status == 200
        assert await first.event() == ("on_asset_restore", [asset_id])

        status, _ = await call(
            http, server, "PUT", f"/assets/{asset_id}", admin, json={"isFavorite": True}
        )
        assert status == 200
        await call(http, server, "DELETE", "/assets", admin, json=ids)
        assert await first.event() == ("on_asset_trash", [asset_id])
        # Restoring the whole trash is announced by neither 2.7.4 nor 3.0.3.
        assert await call(http, server, "POST", "/trash/restore", admin) == (200, {"count": 1})
        await first.nothing()
        assert not server.library.assets[asset_id].is_trashed

        second_id = await upload(http, server, admin, 6)
        assert (await first.event())[0] == "on_upload_success"
        assert (await first.event())[0].startswith("AssetUploadReady")
        both = {"ids": [asset_id, second_id, asset_id], "force": True}
        assert (await call(http, server, "DELETE", "/assets", admin, json=both))[0] == 204
        assert await first.event() == ("on_asset_delete", asset_id)
        assert await first.event() == ("on_asset_delete", second_id)
        status, _ = await call(http, server, "GET", f"/assets/{asset_id}", admin)
        assert status == 400

        await first.nothing(0.1)
        await other.nothing()
        names = []
        while (event := await second.event()) != ("on_asset_delete", second_id):
            names.append(event[0])
        assert names == ["on_asset_trash", "on_asset_restore", "on_asset_trash",
                         "on_upload_success", names[4], "on_asset_delete"]  # fmt: skip
        await second.nothing(0.1)
    server.assert_no_violations()


async def test_refused_changes_send_nothing(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """Someone else's asset, a duplicate upload: Immich's errors, no event."""
    async with connected(http, server, server.admin_key) as admin:
        theirs = server.add_assets(1, owner=server.user_user_id)[0]
        status, body = await call(
            http, server, "DELETE", "/assets", server.admin_key, json={"ids": [theirs]}
        )
        assert (status, body["message"]) == (400, "Not found or no asset.delete access")
        assert not server.library.assets[theirs].is_trashed
        asset_id = await upload(http, server, server.admin_key, 9)
        assert (await admin.event())[0] == "on_upload_success"
        assert (await admin.event())[0].startswith("AssetUploadReady")
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (9, 3, 7)).save(out, "JPEG")
        form = aiohttp.FormData()
        if server.api_version.startswith("2."):
            form.add_field("deviceAssetId", "again")
            form.add_field("deviceId", "probe")
        form.add_field("fileCreatedAt", "2020-01-01T00:00:00Z")
        form.add_field("fileModifiedAt", "2020-01-01T00:00:00Z")
        form.add_field("assetData", out.getvalue(), filename="probe.jpg")
        status, body = await call(http, server, "POST", "/assets", server.admin_key, data=form)
        assert (status, body) == (200, {"id": asset_id, "status": "duplicate"})
        await admin.nothing()
    server.assert_no_violations()


async def test_emit_reaches_one_user(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """fake.emit sends any event to one user's connected sockets."""
    release = {
        "isAvailable": True,
        "checkedAt": "2026-12-01T10:00:00.000Z",
        "serverVersion": {"major": 3, "minor": 0, "patch": 3},
        "releaseVersion": {"major": 3, "minor": 1, "patch": 0},
    }
    async with (
        connected(http, server, server.user_key) as user,
        connected(http, server, server.admin_key) as admin,
    ):
        server.emit(server.user_user_id, "on_new_release", release)
        assert await user.event() == ("on_new_release", release)
        await admin.nothing()
        await user.ws.send_str("41")  # leaving the namespace leaves the room
        await asyncio.sleep(0.05)
        server.emit(server.user_user_id, "on_new_release", release)
        await user.nothing()


# --- ends -----------------------------------------------------------------------------------------


async def test_drop_sockets_and_stop(http: aiohttp.ClientSession) -> None:
    """drop_sockets cuts every socket without a close frame; stopping closes them."""
    server = FakeImmich("3.0.3")
    await server.start()
    try:
        async with (
            connected(http, server, server.admin_key) as first,
            connected(http, server, server.user_key) as second,
        ):
            assert server.sockets == 2
            await server.drop_sockets()
            assert server.sockets == 0
            for client in (first, second):
                assert await client.closed() in ("CLOSED", "ERROR")
        async with connected(http, server, server.admin_key) as third:
            assert server.sockets == 1
            start = time.monotonic()
            await server.stop()
            assert time.monotonic() - start < 2
            assert await third.closed() == "CLOSE"
            assert server.sockets == 0
    finally:
        await server.stop()


# --- faults ---------------------------------------------------------------------------------------


async def test_socket_silent_fault(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """A silent socket connects, then neither pings nor sends events; the next one is normal."""
    server.ping_interval, server.ping_timeout = 0.1, 0.1
    fault = server.add_fault("socket_silent", path="/socket.io", count=1)
    async with connected(http, server, server.admin_key, pong=False) as silent:
        server.emit(server.admin_user_id, "on_new_release", {})
        deadline = time.monotonic() + 0.5
        with pytest.raises(TimeoutError):
            await silent.frame(deadline - time.monotonic())
        assert server.sockets == 1  # never pinged, never timed out
    assert fault.fired == 1
    async with connected(http, server, server.admin_key, pong=False) as normal:
        assert await normal.frame() == "2"


async def test_socket_malformed_fault(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Before each real event: bad JSON, unknown packets, a binary frame, wrong payloads."""
    server.add_fault("socket_malformed", path="/socket.io")
    async with opened(http, server, server.admin_key) as (client, _):
        await client.ws.send_str("40")
        answer = await client.frame()
        assert isinstance(answer, str)
        assert answer.startswith("40{")
        frames = []
        while not (isinstance(frame := await client.frame(), str) and "on_server_version" in frame
                   and frame.endswith("}]")):  # fmt: skip
            frames.append(frame)
        assert any(isinstance(f, bytes) for f in frames)
        texts = [f for f in frames if isinstance(f, str)]
        undecodable = 0
        for text in texts:
            try:
                json.loads(text[2:] if text.startswith("42") else text[1:])
            except ValueError:
                undecodable += 1
        assert undecodable >= 2
        assert any(t.startswith("9") for t in texts)
        assert any(t.startswith("47") for t in texts)
        assert '42["on_server_version",null]' in texts
        server.emit(server.admin_user_id, "on_asset_trash", ["a"])
        seen = []
        while (frame := await client.frame()) != '42["on_asset_trash",["a"]]':
            seen.append(frame)
        assert '42["on_asset_trash",{"ids":["a"]}]' in seen
        assert len(seen) == len(frames)


async def test_socket_drop_fault(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """The socket is closed right after the connect answer, once; the next connects."""
    server.add_fault("socket_drop", path="/socket.io", count=1)
    async with opened(http, server, server.admin_key) as (client, _):
        await client.ws.send_str("40")
        answer = await client.frame()
        assert isinstance(answer, str)
        assert answer.startswith("40{")
        assert await client.closed() == "CLOSE"
    async with connected(http, server, server.admin_key) as client:
        await client.nothing(0.1)


async def test_http_faults_apply_to_the_handshake(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """Status faults fail the upgrade; an unauthorized fault refuses a good key as Immich does."""
    server.add_fault("status", path="/socket.io", status=502, count=1)
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(socket_url(server), headers={"x-api-key": server.admin_key})
    assert err.value.status == 502
    server.add_fault("unauthorized", path="/socket.io", count=1)
    async with opened(http, server, server.admin_key) as (client, _):
        await client.ws.send_str("40")
        await client.frame()
        assert await client.frame() == '42["error","unauthorized"]'
        assert await client.frame() == "41"
    # Socket faults never touch the REST API.
    server.add_fault("socket_drop")
    status, _ = await call(http, server, "GET", "/server/about", server.admin_key)
    assert status == 200
    assert len([r for r in server.requests if r.path == "/socket.io/"]) == 2
    server.assert_no_violations()
