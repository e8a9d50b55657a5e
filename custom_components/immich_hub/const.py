"""Constants for Immich Hub."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import logging
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry

DOMAIN: Final = "immich_hub"
LOGGER = logging.getLogger(__package__)

REQUEST_TIMEOUT: Final = 10.0
"""Seconds one request to Immich may take, connect and each read included."""

UPLOAD_CHUNK_SIZE: Final = 1024 * 1024
"""Bytes read from disk at a time by the upload action (fewer executor hops, still small)."""

CONF_SERVER_INTERVAL: Final = "server_interval"
CONF_QUEUES_INTERVAL: Final = "queues_interval"
CONF_LIBRARY_INTERVAL: Final = "library_interval"
CONF_EVENTS_INTERVAL: Final = "events_interval"
CONF_IMAGE_INTERVAL: Final = "image_interval"
CONF_SLIDESHOW_INTERVAL: Final = "slideshow_interval"
CONF_IMAGE_SIZE: Final = "image_size"
CONF_PAIR_PORTRAITS: Final = "pair_portraits"

IMAGE_SIZE_PREVIEW: Final = "preview"
IMAGE_SIZE_FULLSIZE: Final = "fullsize"

DEFAULT_OPTIONS: Final[dict[str, int | str | bool]] = {
    CONF_SERVER_INTERVAL: 60,
    CONF_QUEUES_INTERVAL: 15,
    CONF_LIBRARY_INTERVAL: 300,
    CONF_EVENTS_INTERVAL: 60,
    CONF_IMAGE_INTERVAL: 60,
    CONF_SLIDESHOW_INTERVAL: 10,
    CONF_IMAGE_SIZE: IMAGE_SIZE_PREVIEW,
    CONF_PAIR_PORTRAITS: False,
}

INTERVAL_LIMITS: Final[dict[str, tuple[int, int]]] = {
    # Server statistics scan the whole database: not more often than every 30 s.
    CONF_SERVER_INTERVAL: (30, 3600),
    # Each poll asks Redis for every queue's counts.
    CONF_QUEUES_INTERVAL: (10, 3600),
    # Three statistics queries over the user's library.
    CONF_LIBRARY_INTERVAL: (60, 86400),
    # The album lists and a search.
    CONF_EVENTS_INTERVAL: (30, 3600),
    # Each of the three image entities: a random search, its albums and a preview.
    CONF_IMAGE_INTERVAL: (15, 86400),
    # A slide: a check that Immich answers, then the player fetches a preview or a video.
    CONF_SLIDESHOW_INTERVAL: (3, 3600),
}
"""Shortest and longest interval of each polling option, in seconds; shorter would load Immich
for little gain. An entry saved with a value outside is read as the nearest limit."""


def option(entry: ConfigEntry, key: str) -> Any:
    """Return an option of the entry, or its default; an interval within its limits."""
    value = entry.options.get(key, DEFAULT_OPTIONS[key])
    if (limits := INTERVAL_LIMITS.get(key)) is not None:
        return min(max(int(value), limits[0]), limits[1])
    return value


class Feature(StrEnum):
    """A part of the integration that the key's permissions and the user's role may allow."""

    SERVER_SENSORS = "server_sensors"
    SERVER_UPDATE = "server_update"
    LIBRARY_SENSORS = "library_sensors"
    MEDIA_BROWSER = "media_browser"
    UPLOAD = "upload"
    ALBUM_MANAGEMENT = "album_management"
    IMAGE_ENTITIES = "image_entities"
    ASSET_EVENTS = "asset_events"
    SERVER_STATISTICS = "server_statistics"
    JOB_QUEUES = "job_queues"


@dataclass(frozen=True, slots=True)
class FeatureNeeds:
    """What a feature needs: API-key permissions, and an admin for some."""

    feature: Feature
    permissions: tuple[str, ...]
    admin_only: bool = False


BEFORE_QUEUES_API: Final = {"queue.read": "job.read", "queue.update": "job.create"}
"""Immich before 2.4 had no ``/queues``: its ``/jobs`` endpoints need these permissions instead."""

FEATURES: Final = (
    FeatureNeeds(Feature.SERVER_SENSORS, ("server.about", "server.storage")),
    FeatureNeeds(Feature.SERVER_UPDATE, ("server.about", "server.versionCheck")),
    FeatureNeeds(
        Feature.LIBRARY_SENSORS, ("asset.statistics", "album.statistics", "memory.statistics")
    ),
    FeatureNeeds(
        Feature.MEDIA_BROWSER,
        (
            "asset.read",
            "asset.view",
            "asset.download",
            "album.read",
            "memory.read",
            "person.read",
            "tag.read",
        ),
    ),
    FeatureNeeds(
        Feature.UPLOAD,
        ("asset.upload", "asset.update", "album.read", "album.create", "albumAsset.create"),
    ),
    FeatureNeeds(
        Feature.ALBUM_MANAGEMENT,
        ("album.create", "album.update", "album.delete", "albumAsset.create", "albumAsset.delete"),
    ),
    FeatureNeeds(Feature.IMAGE_ENTITIES, ("asset.read", "asset.view", "memory.read", "album.read")),
    FeatureNeeds(Feature.ASSET_EVENTS, ("asset.read", "album.read")),
    FeatureNeeds(Feature.SERVER_STATISTICS, ("server.statistics",), admin_only=True),
    FeatureNeeds(Feature.JOB_QUEUES, ("queue.read", "queue.update", "job.create"), admin_only=True),
)
