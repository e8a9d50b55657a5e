"""Immich's websocket, feeding the coordinators what happens as it happens.

Uploads, deletions and releases arrive here within a second; the coordinators keep polling as
a safety net, the events poll much more slowly while the socket is connected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback

from .api import (
    AssetDeleted,
    AssetsRestored,
    AssetsTrashed,
    ImmichClient,
    ImmichPush,
    NewRelease,
    PushEvent,
    PushState,
    ServerVersionPushed,
    UploadSuccess,
)
from .const import DOMAIN, LOGGER
from .coordinator import Coordinators


class LivePush:
    """An entry's websocket to Immich and where its events go."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: ImmichClient,
        coordinators: Coordinators,
    ) -> None:
        """Prepare the socket; it opens on start()."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.coordinators = coordinators
        self.socket = ImmichPush(client, self._on_event, self._on_state)
        self.events_received = 0
        self.shown = PushState.CONNECTING
        """What the live_events sensor shows: a retry after a failure is not a change."""
        self._down_told = False
        self._task: asyncio.Task[None] | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._listeners: list[Callable[[], None]] = []

    @property
    def state(self) -> PushState:
        """Return the socket's state."""
        return self.socket.state

    @callback
    def async_start(self) -> None:
        """Open the socket, and keep it open until the entry unloads or Home Assistant stops.

        The socket's task runs as long as the entry: it is the client's own task, as a
        library's would be, not one of Home Assistant's background tasks, which
        ``async_block_till_done`` waits for.
        """
        self._task = self.hass.loop.create_task(
            self.socket.run(), name=f"{DOMAIN} websocket {self.entry.entry_id}"
        )
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_stopping
        )
        self.entry.async_on_unload(self.async_stop)

    async def _async_stopping(self, _event: Event) -> None:
        """Close the socket when Home Assistant stops (entries are not unloaded then)."""
        self._unsub_stop = None
        await self.async_stop()

    async def async_stop(self) -> None:
        """Close the socket and wait for its task to end."""
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        await self.socket.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @callback
    def async_listen(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call a listener whenever the socket's state changes; return how to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def as_dict(self) -> dict[str, Any]:
        """Return the socket's state for the diagnostics."""

        def moment(at: datetime | None) -> str | None:
            return at.isoformat() if at else None

        return {
            "state": str(self.socket.state),
            "connected_since": moment(self.socket.connected_since),
            "last_event_at": moment(self.socket.last_event_at),
            "events_received": self.events_received,
            "reconnects": self.socket.reconnects,
            "last_error": self.socket.last_error,
        }

    @callback
    def _on_state(self, state: PushState) -> None:
        """Slow the events poll down while connected, and tell the diagnostic sensor."""
        LOGGER.debug("Immich's websocket is %s", state)
        self._tell(state)
        if (server := self.coordinators.server) is not None:
            server.push_connected = state is PushState.CONNECTED
        if (events := self.coordinators.events) is not None and state is not PushState.STOPPED:
            events.async_set_push(state is PushState.CONNECTED)
        shown = (
            self.shown
            if state is PushState.CONNECTING
            and self.shown in (PushState.DISCONNECTED, PushState.REFUSED)
            else state
        )
        if shown is not self.shown and shown is not PushState.STOPPED:
            self.shown = shown
            for listener in list(self._listeners):
                listener()

    def _tell(self, state: PushState) -> None:
        """Log once when the websocket goes down (or cannot be opened) and once when it is back."""
        if state is PushState.CONNECTED and self._down_told:
            self._down_told = False
            LOGGER.info("Immich's websocket is back: events arrive as they happen again")
        elif state in (PushState.DISCONNECTED, PushState.REFUSED) and not self._down_told:
            self._down_told = True
            LOGGER.info(
                "Immich's websocket is down (%s); events come from polling until it is back",
                self.socket.last_error,
            )

    @callback
    def _on_event(self, event: PushEvent) -> None:
        """Hand an event to the coordinators it concerns."""
        self.events_received += 1
        coordinators = self.coordinators
        match event:
            case ServerVersionPushed(version=version):
                # Sent on every connection, and needing no permission: after a restart on
                # another version, the entry reloads to speak its dialect, whatever the key.
                known = self.client.server_version
                if known is not None and version != known:
                    LOGGER.info("Immich now runs %s instead of %s: reloading", version, known)
                    self.hass.config_entries.async_schedule_reload(self.entry.entry_id)
            case NewRelease(release_version=release, checked_at=checked_at):
                if coordinators.server is not None:
                    coordinators.server.async_set_release(release, checked_at)
            case UploadSuccess(asset=asset):
                if coordinators.events is not None:
                    self.entry.async_create_background_task(
                        self.hass,
                        coordinators.events.async_pushed_upload(asset),
                        f"{DOMAIN} announce upload",
                    )
                self._library_changed(jobs_start=True)
            case AssetsTrashed(asset_ids=ids):
                self._changed("asset_trashed", list(ids))
            case AssetsRestored(asset_ids=ids):
                self._changed("asset_restored", list(ids))
            case AssetDeleted(asset_id=asset_id):
                self._changed("asset_removed", [asset_id])

    def _changed(self, event_type: str, asset_ids: list[str]) -> None:
        """Announce assets trashed, restored or removed, and count the library again."""
        if (events := self.coordinators.events) is not None:
            events.async_pushed_change(event_type, asset_ids)
        self._library_changed(jobs_start=False)

    def _library_changed(self, *, jobs_start: bool) -> None:
        """Refresh the library counts (and the queues, which an upload fills) a little later."""
        coordinators = self.coordinators
        for coordinator in (
            coordinators.library,
            coordinators.events,
            coordinators.queues if jobs_start else None,
        ):
            if coordinator is not None:
                coordinator.async_refresh_soon()
