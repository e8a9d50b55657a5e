"""The read-only update entity: installed Immich against its latest release."""

from __future__ import annotations

from homeassistant.components.update import UpdateEntity, UpdateEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import Feature
from .coordinator import ServerCoordinator
from .data import ImmichHubConfigEntry
from .entity import ImmichHubEntity

PARALLEL_UPDATES = 0
RELEASES = "https://github.com/immich-app/immich/releases/tag/"

SERVER_UPDATE = UpdateEntityDescription(key="server_update", translation_key="server_update")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the update entity when the key may check for releases."""
    server = entry.runtime_data.coordinators.server
    if server is not None and entry.runtime_data.has(Feature.SERVER_UPDATE):
        async_add_entities([ServerUpdate(server)])


class ServerUpdate(ImmichHubEntity[ServerCoordinator], UpdateEntity):
    """Immich's version and the newest release Immich itself knows of."""

    _attr_title = "Immich"

    def __init__(self, coordinator: ServerCoordinator) -> None:
        """Set up the entity."""
        super().__init__(coordinator, SERVER_UPDATE.key)
        self.entity_description = SERVER_UPDATE

    @property
    def available(self) -> bool:
        """Tell whether the last poll got Immich's release check."""
        return super().available and self.coordinator.data.version_check is not None

    @property
    def installed_version(self) -> str | None:
        """Return the version the server runs."""
        about = self.coordinator.data.about
        return about.version.removeprefix("v") if about else None

    @property
    def latest_version(self) -> str | None:
        """Return the newest release, or the installed version when Immich knows none."""
        check = self.coordinator.data.version_check
        if check is None or not check.release_version:
            return self.installed_version
        return check.release_version.removeprefix("v")

    @property
    def release_url(self) -> str | None:
        """Return the release notes of the newest release."""
        check = self.coordinator.data.version_check
        if check is None or not check.release_version:
            return None
        return RELEASES + check.release_version
