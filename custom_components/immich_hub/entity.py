"""Base entity of Immich Hub: one service device per entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import ImmichHubCoordinator, QueuesCoordinator
from .data import ImmichHubConfigEntry

# Queues most people never look at: their entities start disabled.
QUIET_QUEUES = frozenset(
    {
        "background_task",
        "backup_database",
        "editor",
        "migration",
        "notifications",
        "search",
        "sidecar",
        "storage_template_migration",
        "workflow",
    }
)


class ImmichHubEntity[CoordinatorT: ImmichHubCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity of an Immich Hub entry's service device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoordinatorT, key: str) -> None:
        """Attach the entity to the entry's device under a stable unique id."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.unique_id}_{key}"
        self._attr_device_info = device_info(entry)


def device_info(entry: ImmichHubConfigEntry) -> DeviceInfo:
    """Return the entry's service device."""
    data = entry.runtime_data
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Immich",
        model="Immich server",
        name=f"Immich {data.user.name}",
        sw_version=str(data.server_version),
        configuration_url=data.client.url,
    )


def queue_name(key: str) -> str:
    """Return a queue's key as words: ``thumbnail_generation`` -> ``Thumbnail generation``."""
    return key.replace("_", " ").capitalize()


class QueueEntity(ImmichHubEntity[QueuesCoordinator]):
    """An entity of one job queue; unavailable while the server does not list it."""

    def __init__(self, coordinator: QueuesCoordinator, queue: str) -> None:
        """Name the entity after its queue."""
        super().__init__(coordinator, f"queue_{queue}")
        self.queue = queue
        self._attr_translation_placeholders = {"queue": queue_name(queue)}
        self._attr_entity_registry_enabled_default = queue not in QUIET_QUEUES

    @property
    def available(self) -> bool:
        """Tell whether the queue is in the last poll."""
        return super().available and self.queue in self.coordinator.data


def track_queues(
    coordinator: QueuesCoordinator,
    create: Callable[[str], Entity],
    add: Callable[[Iterable[Entity]], None],
    *,
    skip: frozenset[str] = frozenset(),
) -> Callable[[], None]:
    """Add an entity for every queue not in ``skip``, now and as later polls bring new ones."""
    known: set[str] = set(skip)

    @callback
    def _add_new() -> None:
        new = [queue for queue in coordinator.data if queue not in known]
        known.update(new)
        if new:
            add(create(queue) for queue in new)

    _add_new()
    return coordinator.async_add_listener(_add_new)
