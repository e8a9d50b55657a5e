"""Coordinators that poll Immich: server, job queues, the user's library and its events.

Immich's websocket (see push.py) feeds them too: it announces uploads and deletions at once,
asks for debounced refreshes, and slows the events poll down while it is connected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    Album,
    AlbumStatistics,
    Asset,
    AssetStatistics,
    Dialect,
    ImmichAuthError,
    ImmichBadRequestError,
    ImmichClient,
    ImmichError,
    MemoryStatistics,
    Queue,
    ServerAbout,
    ServerStatistics,
    ServerStorage,
    ServerVersion,
    VersionCheck,
    to_millisecond,
    uploaded_since,
)
from .const import (
    CONF_EVENTS_INTERVAL,
    CONF_LIBRARY_INTERVAL,
    CONF_QUEUES_INTERVAL,
    CONF_SERVER_INTERVAL,
    DOMAIN,
    LOGGER,
    Feature,
    option,
)
from .issues import async_version_issue
from .util import immich_error, immich_errors, translated_error


@dataclass(frozen=True, slots=True)
class ServerData:
    """One poll of the server: what the key may read, the rest None."""

    about: ServerAbout | None
    storage: ServerStorage | None
    statistics: ServerStatistics | None
    version_check: VersionCheck | None


@dataclass(frozen=True, slots=True)
class LibraryData:
    """One poll of the user's own library."""

    assets: AssetStatistics
    albums: AlbumStatistics
    memories_today: MemoryStatistics


PUSH_REFRESH_DELAY = 15.0
"""Seconds a refresh asked for by Immich's websocket waits, taking every event meanwhile with
it: a bulk upload of 1,000 files costs a refresh every 15 s while it lasts, not 1,000."""


class ImmichHubCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Polls Immich on the interval in the entry's options."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: ImmichClient,
        name: str,
        interval_option: str,
    ) -> None:
        """Set the interval from the options."""
        interval = option(entry, interval_option)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {name}",
            update_interval=timedelta(seconds=int(interval)),
        )
        self.client = client
        self.polling_interval = self.update_interval
        """The interval the options ask for; push and idleness may stretch it."""
        self._soon = Debouncer(
            hass,
            LOGGER,
            cooldown=PUSH_REFRESH_DELAY,
            immediate=False,
            function=self.async_refresh,
        )

    @callback
    def async_refresh_soon(self) -> None:
        """Refresh a little later, once for any number of calls meanwhile (a bulk upload)."""
        self._soon.async_schedule_call()

    async def async_shutdown(self) -> None:
        """Stop polling, and drop a refresh push asked for."""
        self._soon.async_shutdown()
        await super().async_shutdown()

    async def _async_update_data(self) -> DataT:
        """Fetch the data, turning Immich's errors into Home Assistant's."""
        try:
            return await self._async_fetch()
        except ImmichAuthError as err:
            # Home Assistant asks for a new key, and a first refresh fails the setup.
            raise translated_error(ConfigEntryAuthFailed, "invalid_auth") from err
        except ImmichError as err:
            if isinstance(err, ImmichBadRequestError):
                # A request Immich no longer accepts: it may have been upgraded under us.
                await self._async_reload_if_upgraded()
            raise immich_error(
                self.hass, self.config_entry, err, "update_failed", exception=UpdateFailed
            ) from err

    async def _async_fetch(self) -> DataT:
        """Fetch one poll's data."""
        raise NotImplementedError

    async def _async_reload_if_upgraded(self) -> None:
        """Ask Immich its version (no permission needed) and reload if it changed."""
        try:
            running = await self.client.fetch_server_version()
        except ImmichError:
            return
        self._reload_if_changed(running)

    def _reload_if_changed(self, running: ServerVersion) -> None:
        """Reload the entry when the server was upgraded, so the client speaks its new dialect."""
        known = self.client.server_version
        if known is not None and running != known:
            LOGGER.info("Immich now runs %s instead of %s: reloading", running, known)
            self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)


async def _skipped() -> None:
    """Stand in for a request the key may not make."""


async def _apart[T](what: str, request: Callable[[], Awaitable[T]]) -> T | None:
    """Return what a request gets, or None when Immich fails it (but for a refused key).

    The request is made here, not by the caller, so that a poll cancelled before this runs
    leaves no request created and never awaited.
    """
    try:
        return await request()
    except ImmichAuthError:
        raise
    except ImmichError as err:
        LOGGER.debug("Immich's %s is not available: %s", what, err)
        return None


class ServerCoordinator(ImmichHubCoordinator[ServerData]):
    """Server health: about, storage, statistics (admin) and the release check."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: ImmichClient,
        features: frozenset[Feature],
    ) -> None:
        """Poll what the features the key allows need."""
        super().__init__(hass, entry, client, "server", CONF_SERVER_INTERVAL)
        self.features = features
        self.push_connected = False
        """While Immich's websocket is up, it pushes new releases: the poll need not ask."""

    async def _async_fetch(self) -> ServerData:
        """Fetch what the key may read, all at once."""
        features = self.features
        client = self.client
        known = self.data.version_check if self.data is not None else None
        ask_release = Feature.SERVER_UPDATE in features and not (self.push_connected and known)
        about, storage, statistics, version_check = await asyncio.gather(
            client.get_about()
            if Feature.SERVER_SENSORS in features or Feature.SERVER_UPDATE in features
            else _skipped(),
            client.get_storage() if Feature.SERVER_SENSORS in features else _skipped(),
            # Statistics can be slow on a large library and the release check may fail on its
            # own; neither takes the rest down: only their entities go unavailable.
            _apart("statistics", client.get_statistics)
            if Feature.SERVER_STATISTICS in features
            else _skipped(),
            _apart("release check", client.get_version_check) if ask_release else _skipped(),
        )
        if not ask_release and Feature.SERVER_UPDATE in features:
            version_check = known
        if about is not None and (running := ServerVersion.parse(about.version)) is not None:
            self._check_supported(running)
            self._reload_if_changed(running)
        return ServerData(about, storage, statistics, version_check)

    @callback
    def async_set_release(self, release_version: str | None, checked_at: str | None) -> None:
        """Take the newest release Immich pushed, without waiting for the next poll."""
        if self.data is None or Feature.SERVER_UPDATE not in self.features:
            return
        check = VersionCheck(checked_at=checked_at, release_version=release_version)
        if check != self.data.version_check:
            self.data = replace(self.data, version_check=check)
            self.async_update_listeners()

    def _check_supported(self, running: ServerVersion) -> None:
        """Raise a repair issue while the server runs a version the client does not support."""
        if Dialect(running).is_supported:
            async_version_issue(self.hass, self.config_entry, None)
            return
        async_version_issue(self.hass, self.config_entry, str(running))
        raise translated_error(UpdateFailed, "unsupported_version", version=str(running))


QUEUES_IDLE_INTERVAL = timedelta(minutes=2)
"""How often queues are asked while no job runs: an upload pushed by Immich, a job started from
Home Assistant or this poll brings the options' pace back."""


def _runs(queue: Queue) -> bool:
    """Tell whether a queue has jobs running or about to run."""
    counts = queue.statistics
    return not queue.is_paused and bool(counts.active or counts.waiting or counts.delayed)


class QueuesCoordinator(ImmichHubCoordinator[dict[str, Queue]]):
    """Job queues (admin keys), keyed by their snake_case name."""

    async def _async_fetch(self) -> dict[str, Queue]:
        """Fetch every queue; poll at the options' pace only while some job runs or waits."""
        queues = {queue.key: queue for queue in await self.client.list_queues()}
        busy = any(_runs(queue) for queue in queues.values())
        assert self.polling_interval is not None
        self.update_interval = (
            self.polling_interval if busy else max(self.polling_interval, QUEUES_IDLE_INTERVAL)
        )
        return queues

    async def async_command(self, key: str, command: str, **kwargs: Any) -> None:
        """Send a queue command, then refresh at once so the change shows."""
        try:
            with immich_errors(self.hass, self.config_entry, "queue_command_failed", queue=key):
                await self.client.run_queue_command(key, command, **kwargs)
        finally:
            await self.async_refresh()


class LibraryCoordinator(ImmichHubCoordinator[LibraryData]):
    """The user's own library: asset, album and today's memory counts."""

    async def _async_fetch(self) -> LibraryData:
        """Fetch the three statistics at once."""
        client = self.client
        assets, albums, memories = await asyncio.gather(
            client.get_asset_statistics(),
            client.get_album_statistics(),
            client.get_memory_statistics(day=dt_util.now().date()),
        )
        return LibraryData(assets, albums, memories)


@dataclass(frozen=True, slots=True)
class AssetEvent:
    """Something that changed in the library since the last poll."""

    type: str
    data: dict[str, Any]


STORE_VERSION = 1
STORE_SAVE_DELAY = 300
"""Seconds a changed point reached waits before it is written, so that a busy library costs at
most 12 writes an hour (an SD card on a Raspberry Pi); it is written at once when the entry
unloads or Home Assistant stops."""


def events_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store where an entry's asset events keep the point they reached."""
    return Store(hass, STORE_VERSION, f"{DOMAIN}.events.{entry_id}")


ANNOUNCED_KEPT = 24 * 3600
"""Seconds an announced upload is remembered, so that the poll and the websocket, whichever
comes second, stay silent about it (Immich pushes an upload once its metadata is read, which a
paused queue can hold back for hours)."""
ANNOUNCED_MAX = 2000
"""Bound on the uploads remembered, the oldest forgotten first."""
PUSHED_LATE = timedelta(minutes=10)
"""How much older than the point the poll reached a pushed upload may be and still be news.

Immich pushes ``on_upload_success`` again when it makes an asset's thumbnails anew (years after
the upload, say): an upload older than that is not news. The margin takes an upload whose row
Immich wrote after a poll that went past its upload time."""
EVENTS_INTERVAL_WITH_PUSH = timedelta(minutes=15)
"""How often the events poll runs while Immich's websocket is connected: it only catches what
the websocket may have missed, and albums other users changed (Immich does not push those)."""
LISTED = frozenset({"timeline", "archive"})
"""Visibilities of the uploads that are news: not the hidden video half of a live photo, not
what went to the locked folder."""


def _added(asset: Asset, albums: list[Album]) -> AssetEvent:
    """Return the asset_added event of an upload."""
    exif = asset.exif_info
    taken = (exif.date_time_original if exif else None) or asset.file_created_at
    return AssetEvent(
        "asset_added",
        {
            "asset_id": asset.id,
            "type": str(asset.type).lower(),
            "file_name": asset.original_file_name,
            "taken_at": taken.isoformat() if taken else None,
            "album_ids": [album.id for album in albums],
            "album_names": [album.name for album in albums],
        },
    )


NEW_ASSETS_PER_POLL = 500
"""Bound on asset_added events per poll (but for one bulk import's instant); the rest come at
the next polls, none are dropped."""


class EventsCoordinator(ImmichHubCoordinator[list[AssetEvent]]):
    """Finds new assets and changed albums by polling; announces what Immich's websocket pushes.

    The point reached and the uploads announced are stored, so that a restart neither repeats
    nor drops events, and an upload both the poll and the websocket see is announced once.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, client: ImmichClient) -> None:
        """Set up the coordinator and its store."""
        super().__init__(hass, entry, client, "events", CONF_EVENTS_INTERVAL)
        self._store = events_store(hass, entry.entry_id)
        self._created_after: datetime | None = None
        self._seen_at_boundary: set[str] = set()
        self._albums: dict[str, int] | None = None
        self._album_names: dict[str, str] = {}
        self._announced: dict[str, float] = {}
        self._saved: dict[str, Any] | None = None
        self._write_pending = False
        self._pushed: list[Callable[[list[AssetEvent]], None]] = []
        self._polling = asyncio.Lock()
        """One poll at a time: a refresh push asked for may meet the interval's."""
        self.push_connected = False

    async def _async_setup(self) -> None:
        """Load the point reached before the last restart."""
        if (stored := await self._store.async_load()) is None:
            return
        self._saved = stored
        self._created_after = datetime.fromisoformat(stored["created_after"])
        self._seen_at_boundary = set(stored["seen_at_boundary"])
        self._albums = stored["albums"]
        self._album_names = stored.get("album_names", {})
        self._announced = stored.get("announced", {})

    async def async_shutdown(self) -> None:
        """Write the point reached now, rather than after the save delay."""
        await super().async_shutdown()
        if self._write_pending and self._saved is not None:
            await self._store.async_save(self._saved)
            self._write_pending = False

    async def _async_fetch(self) -> list[AssetEvent]:
        """Return the events since the last poll, and remember how far it got.

        Polls take turns: each starts from the point the one before reached.
        """
        async with self._polling:
            return await self._async_poll()

    async def _async_poll(self) -> list[AssetEvent]:
        """Return the events since the point reached, and move it on."""
        owned, shared = await asyncio.gather(
            self.client.list_albums(), self.client.list_shared_albums()
        )
        albums = {album.id: album for album in (*owned, *shared)}
        counts = {album_id: album.asset_count for album_id, album in albums.items()}
        names = {album_id: album.name for album_id, album in albums.items()}
        before_counts = counts if self._albums is None else self._albums
        if self._created_after is None:
            # Nothing already in the library is news: start from now, to Immich's millisecond.
            self._created_after = to_millisecond(dt_util.utcnow())
            events = []
        else:
            grown = [
                album for album_id, album in albums.items()
                if album.asset_count > before_counts.get(album_id, 0)
            ]  # fmt: skip
            events = await self._new_assets(self._created_after, grown)
        # An album deleted, or no longer shared with the user, lost all its assets.
        for album_id in [*counts, *(gone for gone in before_counts if gone not in counts)]:
            count, before = counts.get(album_id, 0), before_counts.get(album_id, 0)
            if count != before:
                events.append(
                    AssetEvent(
                        "album_changed",
                        {
                            "album_id": album_id,
                            "album_name": names.get(album_id) or self._album_names.get(album_id),
                            "asset_count": count,
                            "added": max(count - before, 0),
                            "removed": max(before - count, 0),
                        },
                    )
                )
        self._albums, self._album_names = counts, names
        self._save_if_changed()
        return events

    def _save_if_changed(self) -> None:
        """Write the point reached when it moved, at most once per save delay."""
        assert self._created_after is not None
        reached = {
            "created_after": self._created_after.isoformat(),
            "seen_at_boundary": sorted(self._seen_at_boundary),
            "albums": self._albums,
            "album_names": self._album_names,
            "announced": dict(self._announced),
        }
        if reached == self._saved:
            return
        self._saved = reached
        # A write already waiting takes the newest point when it happens; asking again would
        # put it off for as long as the library keeps changing.
        if not self._write_pending:
            self._write_pending = True
            self._store.async_delay_save(self._to_write, STORE_SAVE_DELAY)

    def _to_write(self) -> dict[str, Any]:
        """Return the point reached, as the store writes it."""
        self._write_pending = False
        return self._saved or {}

    @callback
    def async_listen_pushed(self, listener: Callable[[list[AssetEvent]], None]) -> CALLBACK_TYPE:
        """Call a listener with the events Immich's websocket brings; return how to stop."""
        self._pushed.append(listener)
        return lambda: self._pushed.remove(listener)

    @callback
    def async_set_push(self, connected: bool) -> None:
        """Poll rarely while the websocket is connected, at the options' pace while it is not.

        When it goes down, poll soon for what it may have missed on the way down.
        """
        was, self.push_connected = self.push_connected, connected
        self.update_interval = (
            max(EVENTS_INTERVAL_WITH_PUSH, self.polling_interval or EVENTS_INTERVAL_WITH_PUSH)
            if connected
            else self.polling_interval
        )
        if was and not connected:
            self.async_refresh_soon()
        if connected != was and not self.last_update_success:
            # After a failed poll the event entity is available exactly while the websocket is.
            self.async_update_listeners()

    async def async_pushed_upload(self, asset: Asset) -> None:
        """Announce an upload Immich pushed, with the albums it is in, unless it was already."""
        reached = self._created_after
        if (
            asset.id in self._announced
            or asset.id in self._seen_at_boundary
            or asset.is_trashed
            or (asset.visibility is not None and str(asset.visibility) not in LISTED)
            or (
                reached is not None
                and asset.created_at is not None
                and asset.created_at < reached - PUSHED_LATE
            )
        ):
            return
        self._remember([asset.id])
        try:
            albums = await self.client.list_albums(asset_id=asset.id)
        except ImmichError as err:
            LOGGER.debug("The albums of a new asset are not known: %s", err)
            albums = []
        self._announce([_added(asset, albums)])
        self._save_if_changed()

    @callback
    def async_pushed_change(self, event_type: str, asset_ids: list[str]) -> None:
        """Announce assets Immich pushed as trashed, restored or removed for good."""
        self._announce([AssetEvent(event_type, {"asset_id": asset_id}) for asset_id in asset_ids])

    def _announce(self, events: list[AssetEvent]) -> None:
        """Hand pushed events to the listeners (the event entity)."""
        for listener in list(self._pushed):
            listener(events)

    def _remember(self, asset_ids: list[str]) -> None:
        """Remember uploads as announced; forget the oldest beyond a day or the bound."""
        now = time.time()
        for asset_id in asset_ids:
            self._announced[asset_id] = now
        fresh = [
            (asset_id, at) for asset_id, at in self._announced.items() if now - at < ANNOUNCED_KEPT
        ]
        self._announced = dict(fresh[-ANNOUNCED_MAX:])

    async def _new_assets(self, created_after: datetime, grown: list[Album]) -> list[AssetEvent]:
        """Return an asset_added event for each asset created since the point reached.

        Only the albums that grew since the last poll can hold a new asset: each is asked once
        which of its assets are new, instead of asking every new asset for its albums.
        """
        uploads = await uploaded_since(self.client, created_after, limit=NEW_ASSETS_PER_POLL)
        fresh = sorted(
            (
                (asset.created_at, asset)
                for asset in uploads.assets
                if asset.created_at is not None and asset.id not in self._seen_at_boundary
            ),
            key=lambda pair: pair[0],
        )
        news = [asset for _, asset in fresh if asset.id not in self._announced]
        albums_of = await self._albums_of_new(created_after, grown) if news else {}
        # The websocket may have announced some while their albums were looked up.
        news = [asset for asset in news if asset.id not in self._announced]
        self._remember([asset.id for asset in news])
        events = [_added(asset, albums_of.get(asset.id, [])) for asset in news]
        # The websocket announced some already; they still move the point reached.
        for created_at, asset in fresh:
            # Immich counts createdAfter inclusively: remember the ids at the newest instant.
            if created_at > created_after:
                created_after = created_at
                self._seen_at_boundary = set()
            self._seen_at_boundary.add(asset.id)
        if uploads.until is not None and uploads.until > created_after:
            # Everything uploaded up to the window's end has been reported.
            created_after = uploads.until
            self._seen_at_boundary = set()
        self._created_after = created_after
        return events

    async def _albums_of_new(
        self, created_after: datetime, grown: list[Album]
    ) -> dict[str, list[Album]]:
        """Return, for each asset uploaded since ``created_after``, the grown albums holding it."""
        found = await asyncio.gather(*(self._new_in(album, created_after) for album in grown))
        albums_of: dict[str, list[Album]] = {}
        for album, asset_ids in zip(grown, found, strict=True):
            for asset_id in asset_ids:
                albums_of.setdefault(asset_id, []).append(album)
        return albums_of

    async def _new_in(self, album: Album, created_after: datetime) -> list[str]:
        """Return the ids of an album's assets uploaded since ``created_after``."""
        pages = self.client.iter_search_metadata(
            size=NEW_ASSETS_PER_POLL,
            album_ids=[album.id],
            extra={"createdAfter": created_after.isoformat()},
        )
        return [asset.id async for asset in pages]


@dataclass(slots=True)
class Coordinators:
    """The coordinators an entry runs; those the key cannot serve are None."""

    server: ServerCoordinator | None
    queues: QueuesCoordinator | None
    library: LibraryCoordinator | None
    events: EventsCoordinator | None

    @classmethod
    def create(
        cls,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: ImmichClient,
        features: frozenset[Feature],
    ) -> Coordinators:
        """Create the coordinators the features the key allows call for."""
        server_features = {Feature.SERVER_SENSORS, Feature.SERVER_UPDATE, Feature.SERVER_STATISTICS}
        return cls(
            server=ServerCoordinator(hass, entry, client, features)
            if features & server_features
            else None,
            queues=QueuesCoordinator(hass, entry, client, "queues", CONF_QUEUES_INTERVAL)
            if Feature.JOB_QUEUES in features
            else None,
            library=LibraryCoordinator(hass, entry, client, "library", CONF_LIBRARY_INTERVAL)
            if Feature.LIBRARY_SENSORS in features
            else None,
            events=EventsCoordinator(hass, entry, client)
            if Feature.ASSET_EVENTS in features
            else None,
        )

    async def async_first_refresh(self) -> None:
        """Refresh every coordinator once, all at the same time."""
        await asyncio.gather(
            *(
                coordinator.async_config_entry_first_refresh()
                for coordinator in (self.server, self.queues, self.library, self.events)
                if coordinator is not None
            )
        )
