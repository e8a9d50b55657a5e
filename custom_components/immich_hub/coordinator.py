"""Coordinators that poll Immich: server, job queues and the user's library."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    AlbumStatistics,
    AssetStatistics,
    ImmichAuthError,
    ImmichClient,
    ImmichError,
    MemoryStatistics,
    Queue,
    ServerAbout,
    ServerStatistics,
    ServerStorage,
    VersionCheck,
)
from .const import (
    CONF_LIBRARY_INTERVAL,
    CONF_QUEUES_INTERVAL,
    CONF_SERVER_INTERVAL,
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
)

if TYPE_CHECKING:
    from .data import ImmichHubConfigEntry, ImmichHubData

MIN_MAJOR = 2


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


class ImmichHubCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Polls Immich on the interval in the entry's options."""

    config_entry: ImmichHubConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichHubConfigEntry,
        client: ImmichClient,
        name: str,
        interval_option: str,
    ) -> None:
        """Set the interval from the options."""
        interval = entry.options.get(interval_option, DEFAULT_OPTIONS[interval_option])
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {name}",
            update_interval=timedelta(seconds=int(interval)),
        )
        self.client = client

    async def _async_update_data(self) -> DataT:
        """Fetch the data, turning Immich's errors into Home Assistant's."""
        try:
            return await self._async_fetch()
        except ImmichAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except ImmichError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err

    async def _async_fetch(self) -> DataT:
        """Fetch one poll's data."""
        raise NotImplementedError


async def _skipped() -> None:
    """Stand in for a request the key may not make."""


class ServerCoordinator(ImmichHubCoordinator[ServerData]):
    """Server health: about, storage, statistics (admin) and the release check."""

    async def _async_fetch(self) -> ServerData:
        """Fetch what the key may read, all at once."""
        data = self.config_entry.runtime_data
        client = self.client
        about, storage, statistics, version_check = await asyncio.gather(
            client.get_about()
            if data.has("server_sensors") or data.has("server_update")
            else _skipped(),
            client.get_storage() if data.has("server_sensors") else _skipped(),
            client.get_statistics() if data.has("server_statistics") else _skipped(),
            client.get_version_check() if data.has("server_update") else _skipped(),
        )
        if about is not None:
            self._check_version(about.version)
        return ServerData(about, storage, statistics, version_check)

    def _check_version(self, version: str) -> None:
        """Raise a repair issue when the server now runs a version older than 2.0."""
        issue_id = f"unsupported_version_{self.config_entry.entry_id}"
        major = version.lstrip("v").split(".", 1)[0]
        if not major.isdigit() or int(major) >= MIN_MAJOR:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="unsupported_version",
            translation_placeholders={"title": self.config_entry.title, "version": version},
        )
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="unsupported_version",
            translation_placeholders={"version": version},
        )


class QueuesCoordinator(ImmichHubCoordinator[dict[str, Queue]]):
    """Job queues (admin keys), keyed by their snake_case name."""

    async def _async_fetch(self) -> dict[str, Queue]:
        """Fetch every queue."""
        return {queue.key: queue for queue in await self.client.list_queues()}

    async def async_command(self, key: str, command: str, **kwargs: Any) -> None:
        """Send a queue command, then refresh at once so the change shows."""
        try:
            await self.client.run_queue_command(key, command, **kwargs)
        except ImmichError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="queue_command_failed",
                translation_placeholders={"queue": key, "error": str(err)},
            ) from err
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


@dataclass(slots=True)
class Coordinators:
    """The coordinators an entry runs; those the key cannot serve are None."""

    server: ServerCoordinator | None
    queues: QueuesCoordinator | None
    library: LibraryCoordinator | None

    @classmethod
    def create(
        cls, hass: HomeAssistant, entry: ImmichHubConfigEntry, data: ImmichHubData
    ) -> Coordinators:
        """Create the coordinators the entry's features call for."""
        client = data.client
        server_wanted = any(
            data.has(key) for key in ("server_sensors", "server_update", "server_statistics")
        )
        return cls(
            server=ServerCoordinator(hass, entry, client, "server", CONF_SERVER_INTERVAL)
            if server_wanted
            else None,
            queues=QueuesCoordinator(hass, entry, client, "queues", CONF_QUEUES_INTERVAL)
            if data.has("job_queues")
            else None,
            library=LibraryCoordinator(hass, entry, client, "library", CONF_LIBRARY_INTERVAL)
            if data.has("library_sensors")
            else None,
        )

    async def async_first_refresh(self) -> None:
        """Refresh every coordinator once, all at the same time."""
        await asyncio.gather(
            *(
                coordinator.async_config_entry_first_refresh()
                for coordinator in (self.server, self.queues, self.library)
                if coordinator is not None
            )
        )
