"""Immich's websocket as the fake serves it: Socket.IO 5 over Engine.IO 4, websocket transport.

Measured on Immich 2.7.4 and 3.0.3: the server opens with
``0{"sid":…,"upgrades":[],"pingInterval":…,"pingTimeout":…,"maxPayload":1000000}``; the client
sends ``40``; the server answers ``40{"sid":…}`` and ``42["on_server_version",{…}]`` and puts
the socket in its user's room. A wrong or missing key gets ``40{"sid":…}``,
``42["error","unauthorized"]`` and ``41``, after which the Engine.IO connection stays open
(and keeps pinging) until the client closes it. The server pings (``2``) every ping interval
and closes a socket whose pong (``3``) is later than the ping timeout. Events go to the
sockets of one user (`SocketHub.emit`).

Faults (`socket_silent`, `socket_malformed`, `socket_drop`) are picked when a socket connects and
shape that one connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
import contextlib
from dataclasses import dataclass
import logging
import secrets
from typing import TYPE_CHECKING, Any, Final

from aiohttp import WSMsgType, web

from .context import dumps
from .dto import Dto
from .faults import Fault

if TYPE_CHECKING:
    from .server import FakeImmich

_LOGGER: Final = logging.getLogger(__name__)

MAX_PAYLOAD: Final = 1_000_000
UPLOAD_EVENT_DELAY: Final = 0.1
"""Seconds between an upload's answer and its events (Immich sends them after ~0.1-0.2 s)."""
CLOSE_WAIT: Final = 2.0
"""Seconds stop() and drop_sockets() wait for the sockets' handlers to finish."""

type Frame = str | bytes | None


@dataclass(slots=True, frozen=True)
class _Behaviour:
    """How one connection misbehaves (from the faults fired by its handshake)."""

    silent: bool = False
    malformed: bool = False
    drop: bool = False
    refuse: bool = False

    @classmethod
    def of(cls, faults: Iterable[Fault]) -> _Behaviour:
        kinds = {fault.kind for fault in faults}
        return cls(
            silent="socket_silent" in kinds,
            malformed="socket_malformed" in kinds,
            drop="socket_drop" in kinds,
            refuse="unauthorized" in kinds,
        )


def _engine_error(code: int, message: str) -> web.Response:
    """Engine.IO's answer to a handshake it cannot serve (a 400 with its own error body)."""
    return web.json_response({"code": code, "message": message}, status=400, dumps=dumps)


def sid() -> str:
    """Draw a session id shaped like Engine.IO's (20 URL-safe characters)."""
    return secrets.token_urlsafe(15)


def event_frame(event: str, payload: Any) -> str:
    """Encode a Socket.IO EVENT packet of the default namespace."""
    return "42" + dumps([event, payload])


def _wrong_shape(payload: Any) -> Any:
    """Give a payload of the wrong shape for an event (as a buggy or future server might)."""
    if isinstance(payload, dict):
        return [payload.get("id", 12345)]
    if isinstance(payload, list):
        return {"ids": payload}
    if isinstance(payload, str):
        return 12345
    return "unexpected"


def malformed_frames(event: str, payload: Any) -> list[Frame]:
    """Frames a client must skip: bad JSON, unknown packet types, binary, wrong payload shape."""
    return [
        f'42["{event}",{{"id":',  # truncated JSON
        "42",  # an event without a body
        '42{"event":"' + event + '"}',  # not an array
        "42[]",  # no event name
        "42[12345]",  # a name that is no string
        "9" + dumps({"unknown": "engine.io packet"}),  # unknown Engine.IO type
        "47" + dumps(["unknown socket.io packet"]),  # unknown Socket.IO type
        "",  # empty frame
        b"\x04\x00binary\xff",  # a binary frame
        event_frame(event, _wrong_shape(payload)),
        event_frame(event, None),
    ]


class Connection:
    """One websocket: its Engine.IO session, its room, and the frames queued for it."""

    def __init__(
        self,
        hub: SocketHub,
        request: web.Request,
        ws: web.WebSocketResponse,
        user_id: str | None,
        behaviour: _Behaviour,
    ) -> None:
        self.hub = hub
        self.request = request
        self.ws = ws
        self.user_id = user_id
        """The authenticated user (None: the key was wrong, the connection will be refused)."""
        self.behaviour = behaviour
        self.sid = sid()
        self.joined = False
        """Whether the Socket.IO namespace is connected (the socket is in its user's room)."""
        self.finished = asyncio.Event()
        self._outbox: asyncio.Queue[Frame] = asyncio.Queue()
        self._pong = asyncio.Event()

    def send(self, frame: Frame) -> None:
        """Queue a frame (None: close the socket once the frames before it are sent)."""
        self._outbox.put_nowait(frame)

    def emit(self, event: str, payload: Any) -> None:
        """Queue an event (after malformed frames, when the connection is faulty)."""
        if self.behaviour.silent and self.joined:
            return
        if self.behaviour.malformed:
            for frame in malformed_frames(event, payload):
                self.send(frame)
        self.send(event_frame(event, payload))

    def abort(self) -> None:
        """Drop the connection without a closing handshake."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def serve(self) -> None:
        """Open the Engine.IO session, then read the client's packets until the socket closes."""
        server = self.hub.server
        self.send(
            "0"
            + dumps(
                {
                    "sid": sid(),
                    "upgrades": [],
                    "pingInterval": round(server.ping_interval * 1000),
                    "pingTimeout": round(server.ping_timeout * 1000),
                    "maxPayload": MAX_PAYLOAD,
                }
            )
        )
        writer = asyncio.create_task(self._write())
        pinger = None if self.behaviour.silent else asyncio.create_task(self._ping())
        try:
            async for message in self.ws:
                if message.type is WSMsgType.TEXT:
                    self._receive(message.data)
                # Binary frames carry Socket.IO attachments, which Immich's clients never send.
        finally:
            self.joined = False
            for task in (writer, pinger):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    def _receive(self, packet: str) -> None:
        if packet == "3":
            self._pong.set()
        elif packet == "1":
            self.send(None)
        elif packet == "40" or packet.startswith("40{"):
            self._connect()
        elif packet == "41":
            self.joined = False
        # Anything else (client events, other namespaces, noise) is ignored, as Immich does.

    def _connect(self) -> None:
        if self.joined:
            return
        self.send("40" + dumps({"sid": sid()}))
        if self.user_id is None or self.behaviour.refuse:
            self.send(event_frame("error", "unauthorized"))
            self.send("41")
            return
        if self.behaviour.drop:
            self.send(None)
            return
        self.emit("on_server_version", self.hub.server_version_payload())
        self.joined = True

    async def _write(self) -> None:
        try:
            while (frame := await self._outbox.get()) is not None:
                if isinstance(frame, bytes):
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(frame)
            await self.ws.close()
        except ConnectionError:
            return  # the client is gone; the reader ends too

    async def _ping(self) -> None:
        server = self.hub.server
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(server.ping_interval)
            self._pong.clear()
            self.send("2")
            deadline = loop.time() + server.ping_timeout
            while not self._pong.is_set():
                try:
                    async with asyncio.timeout_at(deadline):
                        await self._pong.wait()
                except TimeoutError:
                    # Home Assistant's tests move time on by running the loop's timers early:
                    # only a pong late by the loop's own clock counts.
                    if loop.time() < deadline:
                        continue
                    _LOGGER.debug(
                        "socket %s: no pong in %ss, closing", self.sid, server.ping_timeout
                    )
                    await self.ws.close()
                    return


class SocketHub:
    """The open sockets of a fake server, by user (Immich's rooms)."""

    def __init__(self, server: FakeImmich) -> None:
        self.server = server
        self.connections: set[Connection] = set()
        self._later: set[asyncio.Task[None]] = set()

    @property
    def count(self) -> int:
        """Return the number of open sockets."""
        return len(self.connections)

    def server_version_payload(self) -> dict[str, Any]:
        """Return the `on_server_version` payload in the emulated version's shape."""
        major, minor, patch = self.server.server_version
        if self.server.api_version.startswith("2."):
            text = f"{major}.{minor}.{patch}"
            # Immich 2 sends its SemVer object as JSON.
            return {"options": {}, "loose": False, "includePrerelease": False, "raw": text,
                    "major": major, "minor": minor, "patch": patch, "prerelease": [],
                    "build": [], "version": text}  # fmt: skip
        return {"major": major, "minor": minor, "patch": patch, "prerelease": None}

    async def serve(
        self, request: web.Request, user_id: str | None, faults: Iterable[Fault]
    ) -> web.StreamResponse:
        """Serve one websocket handshake and the socket after it."""
        if request.query.get("EIO") != "4":
            return _engine_error(5, "Unsupported protocol version")
        if request.query.get("transport") != "websocket":
            self.server.violation(
                f"GET /socket.io/: transport {request.query.get('transport')!r}: the fake serves "
                "only the websocket transport"
            )
            return _engine_error(0, "Transport unknown")
        # No permessage-deflate (Engine.IO's default); a client silent to our close frame is cut
        # after a second, as Immich lets go of a socket at once.
        ws = web.WebSocketResponse(max_msg_size=MAX_PAYLOAD, compress=False, timeout=1.0)
        if not ws.can_prepare(request).ok:
            return _engine_error(3, "Bad request")
        await ws.prepare(request)
        connection = Connection(self, request, ws, user_id, _Behaviour.of(faults))
        self.connections.add(connection)
        try:
            await connection.serve()
        finally:
            self.connections.discard(connection)
            connection.finished.set()
        return ws

    def emit(self, user_id: str, event: str, payload: Any) -> None:
        """Send an event to the connected sockets of one user."""
        for connection in list(self.connections):
            if connection.joined and connection.user_id == user_id:
                connection.emit(event, payload)

    def upload_success(self, asset_id: str) -> None:
        """Announce a new upload to its owner a moment later, as Immich does once it is read."""
        task = asyncio.create_task(self._announce_upload(asset_id))
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def _announce_upload(self, asset_id: str) -> None:
        await asyncio.sleep(UPLOAD_EVENT_DELAY)
        asset = self.server.library.assets.get(asset_id)
        if asset is None:
            return
        dto = Dto(self.server.library, self.server.api_version)
        body = dto.asset(asset, with_exif=True, with_people=True, with_tags=True)
        self.emit(asset.owner_id, "on_upload_success", body)
        ready = (
            "AssetUploadReadyV1"
            if self.server.api_version.startswith("2.")
            else ("AssetUploadReadyV2")
        )
        self.emit(asset.owner_id, ready, dto.upload_ready(asset))

    async def drop(self) -> None:
        """Drop every open socket abruptly (no closing handshake) and wait until they are gone."""
        connections = list(self.connections)
        for connection in connections:
            connection.abort()
        await self._wait(connections)

    async def close(self) -> None:
        """Close every socket (the server is going away) and cancel pending announcements."""
        for task in list(self._later):
            task.cancel()
        connections = list(self.connections)
        for connection in connections:
            connection.send(None)
        await self._wait(connections)

    @staticmethod
    async def _wait(connections: list[Connection]) -> None:
        if not connections:
            return
        waits = [asyncio.create_task(c.finished.wait()) for c in connections]
        _, pending = await asyncio.wait(waits, timeout=CLOSE_WAIT)
        for task in pending:
            task.cancel()
        for connection in connections:
            if not connection.finished.is_set():
                connection.abort()
