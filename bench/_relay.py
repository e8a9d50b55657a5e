"""A counting reverse proxy in front of a real Immich, whose own log a benchmark cannot read.

Every HTTP request is forwarded as it came (body and answer streamed) and recorded with its
API path; a websocket handshake is passed on too, and the frames Immich sends on it are counted
(Engine.IO pings, Socket.IO events by name). ``refuse_socket`` answers the handshake with a 404
instead, as a proxy that does not pass websockets does: Immich Hub then polls as it did before
live events.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
from dataclasses import dataclass
import json
import time
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType, WSServerHandshakeError, web

type Socket = ClientWebSocketResponse | web.WebSocketResponse

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the relay passed on."""

    at: float
    """time.monotonic() when it arrived."""
    method: str
    path: str
    """The API path, without the base's subpath and ``/api``: ``/server/about``."""
    query: dict[str, str]


class Relay:
    """Forward requests to ``upstream`` (a base URL, maybe with a subpath), counting them."""

    def __init__(self, upstream: str, *, refuse_socket: bool = False) -> None:
        parts = urlsplit(upstream.rstrip("/"))
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path
        self.refuse_socket = refuse_socket
        self.requests: list[Seen] = []
        self.frames: Counter[str] = Counter()
        """What Immich sent on the websocket: ``ping`` and ``event <name>``."""
        self.frame_log: list[tuple[float, str]] = []
        """Each counted frame with its time.monotonic()."""
        self.pushed_uploads: set[str] = set()
        """The ids of the uploads Immich announced on the websocket."""
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.url = ""

    async def __aenter__(self) -> Self:
        self._session = ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}{self._base_path}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def since(self, moment: float) -> list[Seen]:
        """Return the requests that arrived at or after ``moment`` (time.monotonic())."""
        return [seen for seen in self.requests if seen.at >= moment]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Record a request and pass it on."""
        path = request.path
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path) :]
        api_path = path.removeprefix("/api")
        self.requests.append(Seen(time.monotonic(), request.method, api_path, dict(request.query)))
        target = self._origin + request.path_qs
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._socket(request, target)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        body = await request.read()
        async with self._session.request(
            request.method,
            target,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            response = web.StreamResponse(
                status=upstream.status,
                reason=upstream.reason,
                headers={k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
            )
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(64 * 1024):
                await response.write(chunk)
            await response.write_eof()
            return response

    async def _socket(self, request: web.Request, target: str) -> web.StreamResponse:
        """Pass a websocket on, counting what Immich sends; or refuse it."""
        if self.refuse_socket:
            return web.Response(status=404, text="Not Found")
        assert self._session is not None
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("x-api-key", "authorization", "cookie", "user-agent")
        }
        try:
            upstream = await self._session.ws_connect(target, headers=headers)
        except WSServerHandshakeError as err:
            return web.Response(status=err.status, text=err.message)
        downstream = web.WebSocketResponse()
        await downstream.prepare(request)
        self._sockets.add(downstream)
        try:
            await asyncio.gather(
                self._pump(upstream, downstream, count=True),
                self._pump(downstream, upstream, count=False),
            )
        finally:
            self._sockets.discard(downstream)
            await upstream.close()
        return downstream

    async def _pump(self, source: Socket, sink: Socket, *, count: bool) -> None:
        """Copy frames one way until either side closes, then close the other."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            async for message in source:
                if message.type == WSMsgType.TEXT:
                    if count:
                        self._count(message.data)
                    await sink.send_str(message.data)
                elif message.type == WSMsgType.BINARY:
                    await sink.send_bytes(message.data)
                else:
                    break
        with contextlib.suppress(ConnectionError, RuntimeError):
            await sink.close()

    def _count(self, frame: str) -> None:
        """Count one frame from Immich: a ping, an event by name, or another packet."""
        if frame == "2":
            kind = "ping"
        elif frame.startswith("42"):
            try:
                name, *payload = json.loads(frame[2:])
            except (ValueError, TypeError):
                name, payload = "?", []
            kind = f"event {name}"
            if name == "on_upload_success" and payload and isinstance(payload[0], dict):
                self.pushed_uploads.add(str(payload[0].get("id")))
        else:
            kind = f"packet {frame[:2]}"
        self.frames[kind] += 1
        self.frame_log.append((time.monotonic(), kind))

    def frames_between(self, start: float, end: float) -> Counter[str]:
        """Return the frames counted from ``start`` to ``end`` (time.monotonic())."""
        return Counter(kind for at, kind in self.frame_log if start <= at < end)
