"""The event entity that reports uploads, trash, deletions and albums that changed."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import AssetEvent, EventsCoordinator
from .data import ImmichHubConfigEntry
from .entity import ImmichHubEntity

PARALLEL_UPDATES = 0

ASSETS = EventEntityDescription(
    key="assets",
    translation_key="assets",
    event_types=[
        "asset_added",
        "album_changed",
        "asset_trashed",
        "asset_restored",
        "asset_removed",
    ],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity when the key may read assets and albums."""
    if (events := entry.runtime_data.coordinators.events) is not None:
        async_add_entities([AssetsEvent(events)])


class AssetsEvent(ImmichHubEntity[EventsCoordinator], EventEntity):
    """Fires the library's events as Immich pushes them or a poll finds them."""

    def __init__(self, coordinator: EventsCoordinator) -> None:
        """Set up the entity."""
        super().__init__(coordinator, ASSETS.key)
        self.entity_description = ASSETS

    async def async_added_to_hass(self) -> None:
        """Fire what the poll at setup found, such as assets added while Home Assistant was off."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_listen_pushed(self._fire))
        if self.coordinator.data:
            self._handle_coordinator_update()

    @property
    def available(self) -> bool:
        """Tell whether events can arrive: the last poll worked, or Immich's websocket is up.

        A poll that failed while the websocket is up must not swallow what it pushes.
        """
        return super().available or self.coordinator.push_connected

    @callback
    def _handle_coordinator_update(self) -> None:
        """Fire the events the last poll found."""
        if not self.coordinator.last_update_success or not self.coordinator.data:
            super()._handle_coordinator_update()
            return
        self._fire(self.coordinator.data)

    @callback
    def _fire(self, events: list[AssetEvent]) -> None:
        """Fire events, each with its own state change so that automations see every one."""
        for event in events:
            self._trigger_event(event.type, event.data)
            self.async_write_ha_state()
