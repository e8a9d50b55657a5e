"""Switches that pause and resume Immich's job queues (admin keys)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ImmichHubConfigEntry
from .entity import QueueEntity, track_queues

PARALLEL_UPDATES = 1

UNPAUSABLE_QUEUES = frozenset({"background_task"})
"""Queues Immich refuses to pause: they get no switch."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch per queue, now and whenever a poll brings a new queue."""
    if (queues := entry.runtime_data.coordinators.queues) is not None:
        entry.async_on_unload(
            track_queues(
                queues,
                lambda queue: QueueSwitch(queues, queue),
                async_add_entities,
                skip=UNPAUSABLE_QUEUES,
            )
        )


class QueueSwitch(QueueEntity, SwitchEntity):
    """On while the queue runs, off while it is paused."""

    _attr_translation_key = "queue"
    _attr_entity_category = EntityCategory.CONFIG

    @property
    def is_on(self) -> bool:
        """Return whether the queue is running."""
        return not self.coordinator.data[self.queue].is_paused

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume the queue."""
        await self.coordinator.async_command(self.queue, "resume")

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause the queue."""
        await self.coordinator.async_command(self.queue, "pause")
