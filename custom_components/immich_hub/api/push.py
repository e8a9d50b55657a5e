"""Live push from Immich's websocket: the part of Engine.IO 4 and Socket.IO 5 Immich speaks.

Immich opens with an Engine.IO packet (``0{"pingInterval":…,"pingTimeout":…}``), the client
joins the default namespace (``40``), answers each ping (``2``) with a pong (``3``) and receives
events as ``42["name",payload]``. A wrong key is accepted at first, then refused
(``42["error","unauthorized"]`` and ``41``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import json
import logging
import random
from typing import Any

import aiohttp

from .client import ImmichClient
from .errors import ImmichAuthError
from .models import Asset, ImmichModel, ServerVersion, ServerVersionInfo

_LOGGER = logging.getLogger(__name__)

_OPEN_TIMEOUT = 10.0
"""Seconds an open socket may take to send Engine.IO's open packet."""
_JITTER = 0.5
"""A wait lasts between this share and all of its backoff step."""


class PushState(StrEnum):
    """Where the push connection stands."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    REFUSED = "refused"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class UploadSuccess:
    """An asset was uploaded (``on_upload_success``)."""

    asset: Asset


@dataclass(frozen=True, slots=True)
class AssetsTrashed:
    """Assets were moved to the trash (``on_asset_trash``)."""

    asset_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AssetsRestored:
    """Assets were restored from the trash (``on_asset_restore``)."""

    asset_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AssetDeleted:
    """An asset was deleted for good (``on_asset_delete``)."""

    asset_id: str


@dataclass(frozen=True, slots=True)
class ServerVersionPushed:
    """The server's version, sent on every connection (``on_server_version``)."""

    version: ServerVersion


@dataclass(frozen=True, slots=True)
class NewRelease:
    """The server's release check (``on_new_release``); the version reads ``v2.8.0``."""

    release_version: str | None
    checked_at: str | None
    is_available: bool


type PushEvent = (
    UploadSuccess | AssetsTrashed | AssetsRestored | AssetDeleted | ServerVersionPushed | NewRelease
)


class _ReleaseNotice(ImmichModel):
    """Payload of ``on_new_release``; versions are objects (``{major, minor, patch, …}``)."""

    is_available: bool = False
    checked_at: str | None = None
    release_version: ServerVersionInfo | str | None = None

    def to_event(self) -> NewRelease:
        """Return the event, the release written as ``v2.8.0``."""
        version = self.release_version
        if isinstance(version, str):
            parsed = ServerVersion.parse(version)
        else:
            parsed = version.to_version() if version is not None else None
        return NewRelease(
            release_version=f"v{parsed}" if parsed is not None else None,
            checked_at=self.checked_at,
            is_available=self.is_available,
        )


class _Malformed(ValueError):
    """A frame or a payload is not what Immich sends."""


def _asset_ids(payload: Any) -> tuple[str, ...]:
    """Return a list of asset ids as a tuple."""
    if not isinstance(payload, list) or not all(isinstance(item, str) for item in payload):
        raise _Malformed("expected a list of asset ids")
    return tuple(payload)


def _asset_id(payload: Any) -> str:
    """Return one asset id."""
    if not isinstance(payload, str):
        raise _Malformed("expected an asset id")
    return payload


_EVENTS: dict[str, Callable[[Any], PushEvent]] = {
    "on_upload_success": lambda payload: UploadSuccess(Asset.model_validate(payload)),
    "on_asset_trash": lambda payload: AssetsTrashed(_asset_ids(payload)),
    "on_asset_restore": lambda payload: AssetsRestored(_asset_ids(payload)),
    "on_asset_delete": lambda payload: AssetDeleted(_asset_id(payload)),
    "on_server_version": lambda payload: ServerVersionPushed(
        ServerVersionInfo.model_validate(payload).to_version()
    ),
    "on_new_release": lambda payload: _ReleaseNotice.model_validate(payload).to_event(),
}
"""The events of interest, each with its parser (raising ValueError when malformed)."""


def _decode_event(packet: str) -> tuple[str, Any]:
    """Return the name and payload of a Socket.IO event packet (``42["name",payload]``)."""
    body = packet[2:]
    if body.startswith("/"):
        raise _Malformed("event of another namespace")
    data = json.loads(body.lstrip("0123456789"))  # an acknowledgement id may precede the data
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise _Malformed("not an event")
    return data[0], data[1] if len(data) > 1 else None


def _open_timings(packet: str) -> tuple[float, float]:
    """Return the ping interval and timeout (seconds) of Engine.IO's open packet."""
    data = json.loads(packet[1:]) if packet.startswith("0") else None
    if not isinstance(data, dict):
        raise _Malformed("not an open packet")
    return _seconds(data.get("pingInterval")), _seconds(data.get("pingTimeout"))


def _seconds(milliseconds: Any) -> float:
    """Return a ping timing of the open packet in seconds."""
    if not isinstance(milliseconds, int | float) or milliseconds <= 0:
        raise _Malformed("open packet without valid ping timings")
    return milliseconds / 1000


def _frame(text: str) -> str:
    """Return the start of a frame, for the debug log."""
    return text if len(text) <= 200 else text[:200] + "…"


class _Refused(Exception):
    """Immich refused the socket (its key), after accepting the connection."""


class _Lost(Exception):
    """The socket ended, or Immich stopped speaking the protocol."""


class ImmichPush:
    """Receives Immich's live events over its websocket, reconnecting until closed.

    ``on_event`` and ``on_state`` are called in the event loop. After a failure the client
    waits a backoff step, doubled from ``min_backoff`` up to ``max_backoff`` and reset by a
    connection that stayed CONNECTED for ``stable_after`` seconds; each wait lasts between half
    and all of its step. A refused key is retried after ``max_backoff``.
    """

    def __init__(
        self,
        client: ImmichClient,
        on_event: Callable[[PushEvent], None],
        on_state: Callable[[PushState], None],
        *,
        min_backoff: float = 1.0,
        max_backoff: float = 60.0,
        stable_after: float = 30.0,
    ) -> None:
        if not 0 < min_backoff <= max_backoff:
            raise ValueError("backoff must satisfy 0 < min_backoff <= max_backoff")
        self._client = client
        self._on_event = on_event
        self._on_state = on_state
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._stable_after = stable_after
        """Seconds a connection must last for the backoff to start over: a server or proxy
        that closes every connection just after accepting it is not hammered every second."""
        self._connected_at = 0.0
        self.state = PushState.DISCONNECTED
        self.reconnects = 0
        """Connections that reached CONNECTED and were lost (not closed by close())."""
        self.connected_since: datetime | None = None
        self.last_event_at: datetime | None = None
        """When the last event was passed to ``on_event``."""
        self.last_error: str | None = None
        """Why the last connection ended or failed; kept after a reconnection."""
        self._closing = asyncio.Event()
        self._attempt: asyncio.Task[None] | None = None
        self._running: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        return f"<ImmichPush {self._client.url} {self.state}>"

    async def run(self) -> None:
        """Connect and read events, reconnecting with backoff, until close() or cancellation."""
        if self._closing.is_set() or self._running is not None:
            return
        loop = asyncio.get_running_loop()
        self._running = loop.create_future()
        step = self._min_backoff
        try:
            while not self._closing.is_set():
                self._set_state(PushState.CONNECTING)
                self._attempt = asyncio.create_task(self._connection())
                refused = False
                try:
                    await self._attempt
                except asyncio.CancelledError:
                    # close() cancels the attempt; a cancellation of run() itself goes on.
                    task = asyncio.current_task()
                    if not self._closing.is_set() or (task is not None and task.cancelling()):
                        raise
                except (_Refused, ImmichAuthError) as err:
                    refused = True
                    self.last_error = f"Immich refused the API key: {err}"
                except Exception as err:  # whatever ended the connection, it is made again
                    _LOGGER.debug("Push from %s ended", self._client.url, exc_info=True)
                    self.last_error = str(err) or type(err).__name__
                finally:
                    self._attempt = None
                if self._closing.is_set():
                    break
                if self.connected_since is not None:
                    self.reconnects += 1
                    self.connected_since = None
                    if loop.time() - self._connected_at >= self._stable_after:
                        step = self._min_backoff
                wait = self._max_backoff if refused else step
                if not refused:
                    step = min(step * 2, self._max_backoff)
                # Jitter spreads the clients of a restarted server; no cryptography here.
                delay = wait * random.uniform(_JITTER, 1.0)  # noqa: S311
                _LOGGER.debug(
                    "Push from %s: %s; next attempt in %.1f s",
                    self._client.url,
                    self.last_error,
                    delay,
                )
                self._set_state(PushState.REFUSED if refused else PushState.DISCONNECTED)
                await self._sleep(delay)
        finally:
            self.connected_since = None
            self._set_state(PushState.STOPPED)
            self._running.set_result(None)

    async def close(self) -> None:
        """Close the socket and stop run(); the state becomes STOPPED."""
        self._closing.set()
        if self._attempt is not None:
            self._attempt.cancel()
        if self._running is not None:
            await asyncio.shield(self._running)
        self._set_state(PushState.STOPPED)

    def _set_state(self, state: PushState) -> None:
        """Change the state and tell on_state."""
        if state == self.state:
            return
        self.state = state
        try:
            self._on_state(state)
        except Exception:
            _LOGGER.exception("Error handling push state %s", state)

    def _deliver(self, event: PushEvent) -> None:
        """Pass an event to on_event."""
        self.last_event_at = datetime.now(UTC)
        try:
            self._on_event(event)
        except Exception:
            _LOGGER.exception("Error handling push event %s", type(event).__name__)

    async def _sleep(self, delay: float) -> None:
        """Wait delay seconds, or until close()."""
        try:
            async with asyncio.timeout(delay):
                await self._closing.wait()
        except TimeoutError:
            pass

    async def _connection(self) -> None:
        """Open the socket and read it until it ends (raising _Lost, _Refused or ImmichError)."""
        ws = await self._client.open_websocket()
        try:
            await _Link(ws, self._deliver, self._connected).listen()
        finally:
            await ws.close()

    def _connected(self) -> None:
        """Note that Immich accepted the connection."""
        self.connected_since = datetime.now(UTC)
        self._connected_at = asyncio.get_running_loop().time()
        _LOGGER.debug("Push from %s connected", self._client.url)
        self._set_state(PushState.CONNECTED)


class _Link:
    """One socket's conversation: the Engine.IO open, pings and Socket.IO packets."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        deliver: Callable[[PushEvent], None],
        connected: Callable[[], None],
    ) -> None:
        self._ws = ws
        self._deliver = deliver
        self._connected = connected
        self._loop = asyncio.get_running_loop()
        self._silence = _OPEN_TIMEOUT
        """Seconds without a ping after which the server is gone (pingInterval + pingTimeout)."""
        self._deadline = self._loop.time() + self._silence
        self._opened = False
        self._joined = False
        self._confirmed = False

    async def listen(self) -> None:
        """Read frames until the socket ends."""
        while True:
            text = await self._receive()
            if not self._opened:
                await self._open(text)
            elif text == "2":
                await self._ws.send_str("3")
                self._deadline = self._loop.time() + self._silence
                self._confirm()
            elif text.startswith("4"):
                self._socket_io(text)
            elif text.startswith("1"):
                raise _Lost("Immich closed the session")
            elif text not in ("3", "6"):
                _LOGGER.debug("Push: unknown Engine.IO packet skipped: %s", _frame(text))

    async def _receive(self) -> str:
        """Return the next text frame; raise _Lost when the socket ends or the server is silent."""
        while True:
            try:
                async with asyncio.timeout_at(self._deadline):
                    message = await self._ws.receive()
            except TimeoutError:
                if self._loop.time() < self._deadline:
                    # The timer ran before its time (a host whose clock jumps, or a test
                    # that moves time on): the server has not been silent that long.
                    continue
                raise _Lost(f"Immich was silent for {self._silence:g} s") from None
            if message.type is aiohttp.WSMsgType.TEXT:
                return str(message.data)
            if message.type is not aiohttp.WSMsgType.BINARY:
                detail = f": {message.data}" if message.data is not None else ""
                raise _Lost(f"Immich closed the connection ({message.type.name.lower()}{detail})")
            _LOGGER.debug("Push: binary frame skipped")

    async def _open(self, text: str) -> None:
        """Read Engine.IO's open packet and join the default namespace."""
        try:
            interval, timeout = _open_timings(text)
        except ValueError as err:
            _LOGGER.debug("Push: frame before the open packet skipped (%s): %s", err, _frame(text))
            return
        self._opened = True
        self._silence = interval + timeout
        self._deadline = self._loop.time() + self._silence
        await self._ws.send_str("40")

    def _socket_io(self, text: str) -> None:
        """Handle one Socket.IO packet."""
        kind = text[1:2]
        if kind == "0":
            self._joined = True
        elif kind == "1":
            raise _Lost("Immich disconnected the socket")
        elif kind == "4":
            raise _Refused(_frame(text[2:]) or "connection refused")
        elif kind == "2":
            self._event(text)
        else:
            _LOGGER.debug("Push: Socket.IO packet skipped: %s", _frame(text))

    def _event(self, text: str) -> None:
        """Decode an event packet and pass the events of interest on."""
        try:
            name, payload = _decode_event(text)
        except ValueError as err:
            _LOGGER.debug("Push: malformed event skipped (%s): %s", err, _frame(text))
            return
        if name == "error":
            raise _Refused(str(payload))
        self._confirm()
        parse = _EVENTS.get(name)
        if parse is None:
            return
        try:
            event = parse(payload)
        except ValueError as err:  # pydantic's ValidationError included
            _LOGGER.debug("Push: %s with an unexpected payload skipped: %s", name, err)
            return
        self._deliver(event)

    def _confirm(self) -> None:
        """Count the connection as accepted once a packet other than a refusal follows the join."""
        if self._joined and not self._confirmed:
            self._confirmed = True
            self._connected()
