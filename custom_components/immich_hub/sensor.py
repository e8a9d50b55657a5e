"""Sensors: server and library counts, job queues, the slideshow and the live events' socket."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfInformation
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import PushState
from .const import Feature
from .coordinator import ImmichHubCoordinator
from .data import ImmichHubConfigEntry, RunningSlideshow, signal_slideshow
from .entity import ImmichHubEntity, QueueEntity, device_info, track_queues

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ImmichHubSensorDescription(SensorEntityDescription):
    """A sensor read from one coordinator's data."""

    feature: Feature
    """The feature the key and role must allow (admin-only features are marked in FEATURES)."""
    value: Callable[[Any], StateType]
    part: str | None = None
    """The part of the coordinator's data the value comes from, when a poll may lack it."""


def _count(
    key: str, value: Callable[[Any], StateType], feature: Feature, part: str | None = None
) -> ImmichHubSensorDescription:
    """Describe a count sensor."""
    return ImmichHubSensorDescription(
        key=key,
        translation_key=key,
        feature=feature,
        value=value,
        part=part,
        state_class=SensorStateClass.MEASUREMENT,
    )


def _bytes(
    key: str, value: Callable[[Any], StateType], feature: Feature, part: str | None = None
) -> ImmichHubSensorDescription:
    """Describe a data-size sensor shown in GiB."""
    return replace(
        _count(key, value, feature, part),
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
    )


SERVER_SENSORS: tuple[ImmichHubSensorDescription, ...] = (
    _bytes("disk_size", lambda d: d.storage.disk_size_raw, Feature.SERVER_SENSORS),
    _bytes("disk_used", lambda d: d.storage.disk_use_raw, Feature.SERVER_SENSORS),
    _bytes("disk_available", lambda d: d.storage.disk_available_raw, Feature.SERVER_SENSORS),
    ImmichHubSensorDescription(
        key="disk_usage",
        translation_key="disk_usage",
        feature=Feature.SERVER_SENSORS,
        value=lambda d: d.storage.disk_usage_percentage,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    _count("photos", lambda d: d.statistics.photos, Feature.SERVER_STATISTICS, "statistics"),
    _count("videos", lambda d: d.statistics.videos, Feature.SERVER_STATISTICS, "statistics"),
    _bytes("usage", lambda d: d.statistics.usage, Feature.SERVER_STATISTICS, "statistics"),
    _bytes(
        "usage_photos", lambda d: d.statistics.usage_photos, Feature.SERVER_STATISTICS, "statistics"
    ),
    _bytes(
        "usage_videos", lambda d: d.statistics.usage_videos, Feature.SERVER_STATISTICS, "statistics"
    ),
)

LIBRARY_SENSORS: tuple[ImmichHubSensorDescription, ...] = (
    _count("my_photos", lambda d: d.assets.images, Feature.LIBRARY_SENSORS),
    _count("my_videos", lambda d: d.assets.videos, Feature.LIBRARY_SENSORS),
    _count("my_albums", lambda d: d.albums.owned, Feature.LIBRARY_SENSORS),
    _count("memories_today", lambda d: d.memories_today.total, Feature.LIBRARY_SENSORS),
)

QUEUE_TOTALS: tuple[ImmichHubSensorDescription, ...] = (
    _count(
        "jobs_pending", lambda q: sum(queue.pending for queue in q.values()), Feature.JOB_QUEUES
    ),
    _count(
        "jobs_failed",
        lambda q: sum(queue.statistics.failed for queue in q.values()),
        Feature.JOB_QUEUES,
    ),
)

DISABLED_BY_DEFAULT = frozenset({"usage_photos", "usage_videos"})


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the entry's key can serve."""
    data = entry.runtime_data
    coordinators = data.coordinators
    groups = (
        (coordinators.server, SERVER_SENSORS),
        (coordinators.library, LIBRARY_SENSORS),
        (coordinators.queues, QUEUE_TOTALS),
    )
    async_add_entities(
        ImmichHubSensor(coordinator, description)
        for coordinator, descriptions in groups
        if coordinator is not None
        for description in descriptions
        if data.has(description.feature)
    )
    if (queues := coordinators.queues) is not None:
        entry.async_on_unload(
            track_queues(queues, lambda queue: QueueSensor(queues, queue), async_add_entities)
        )
    if data.has(Feature.MEDIA_BROWSER):
        async_add_entities([SlideshowSensor(entry)])
    async_add_entities([LiveEventsSensor(entry)])


class ImmichHubSensor(ImmichHubEntity[ImmichHubCoordinator[Any]], SensorEntity):
    """A sensor described by an ImmichHubSensorDescription."""

    entity_description: ImmichHubSensorDescription

    def __init__(
        self, coordinator: ImmichHubCoordinator[Any], description: ImmichHubSensorDescription
    ) -> None:
        """Set up the sensor from its description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description
        self._attr_entity_registry_enabled_default = description.key not in DISABLED_BY_DEFAULT

    @property
    def available(self) -> bool:
        """Tell whether the last poll got what the value comes from."""
        part = self.entity_description.part
        return super().available and (
            part is None or getattr(self.coordinator.data, part) is not None
        )

    @property
    def native_value(self) -> StateType:
        """Return the value from the last poll."""
        return self.entity_description.value(self.coordinator.data)


class QueueSensor(QueueEntity, SensorEntity):
    """Jobs not yet done in one queue (active, waiting, paused and delayed)."""

    _attr_translation_key = "queue"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # The counts move with every job; the state already records what is pending.
    _unrecorded_attributes = frozenset(
        {"active", "completed", "delayed", "failed", "waiting", "paused_jobs"}
    )

    @property
    def native_value(self) -> StateType:
        """Return the queue's pending jobs."""
        return self.coordinator.data[self.queue].pending

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return every count Immich reports for the queue, and whether it is paused.

        Immich's count of paused jobs is named ``paused_jobs`` here, as ``paused`` tells
        whether the queue itself is paused.
        """
        queue = self.coordinator.data[self.queue]
        counts = queue.statistics.counts()
        counts["paused_jobs"] = counts.pop("paused", 0)
        return {**counts, "paused": queue.is_paused}


class SlideshowSensor(SensorEntity):
    """The entry's slideshow: idle, playing or paused, with where it is."""

    _attr_has_entity_name = True
    _attr_translation_key = "slideshow"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_should_poll = False
    # Where a slideshow is changes with every slide; the recorder keeps the status only.
    _unrecorded_attributes = frozenset({"position", "total", "asset_id", "slideshows"})

    def __init__(self, entry: ImmichHubConfigEntry) -> None:
        """Attach the sensor to the entry's device."""
        self.entry = entry
        self._attr_options = ["idle", "playing", "paused"]
        self._attr_unique_id = f"{entry.unique_id}_slideshow"
        self._attr_device_info = device_info(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the entry's slideshows."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_slideshow(self.entry.entry_id), self.async_write_ha_state
            )
        )

    def _latest(self) -> RunningSlideshow | None:
        """Return the slideshow started last."""
        shows = list(self.entry.runtime_data.slideshows.values())
        return shows[-1] if shows else None

    @property
    def native_value(self) -> str:
        """Return what the latest slideshow is doing."""
        latest = self._latest()
        return latest.status if latest else "idle"

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the latest slideshow's player, source and position, and every slideshow."""
        latest = self._latest()
        shows = self.entry.runtime_data.slideshows.values()
        return {
            **(latest.as_dict() if latest else {}),
            "slideshows": [show.as_dict() for show in shows],
        }


class LiveEventsSensor(SensorEntity):
    """Whether Immich's websocket is connected, so that events arrive as they happen."""

    _attr_has_entity_name = True
    _attr_translation_key = "live_events"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_should_poll = False
    _unrecorded_attributes = frozenset({"connected_since", "reconnects"})

    def __init__(self, entry: ImmichHubConfigEntry) -> None:
        """Attach the sensor to the entry's device."""
        self.push = entry.runtime_data.push
        self._attr_options = [state.value for state in PushState if state is not PushState.STOPPED]
        self._attr_unique_id = f"{entry.unique_id}_live_events"
        self._attr_device_info = device_info(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the socket's state."""
        self.async_on_remove(self.push.async_listen(self.async_write_ha_state))

    @property
    def native_value(self) -> str:
        """Return the socket's state (a retry after a failure shows as the failure)."""
        return self.push.shown.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return since when the socket is connected and how often it was lost."""
        since = self.push.socket.connected_since
        return {
            "connected_since": since.isoformat() if since else None,
            "reconnects": self.push.socket.reconnects,
        }
