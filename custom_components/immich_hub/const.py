"""Constants for Immich Hub."""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Final

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


@dataclass(frozen=True, slots=True)
class Feature:
    """A part of the integration and the API-key permissions it needs."""

    key: str
    permissions: tuple[str, ...]
    admin_only: bool = False


BEFORE_QUEUES_API: Final = {"queue.read": "job.read", "queue.update": "job.create"}
"""Immich before 2.4 had no ``/queues``: its ``/jobs`` endpoints need these permissions instead."""

FEATURES: Final = (
    Feature("server_sensors", ("server.about", "server.storage")),
    Feature("server_update", ("server.about", "server.versionCheck")),
    Feature("library_sensors", ("asset.statistics", "album.statistics", "memory.statistics")),
    Feature(
        "media_browser",
        (
            "asset.read",
            "asset.view",
            "asset.download",
            "album.read",
            "memory.read",
            "person.read",
            "tag.read",
            "timeline.read",
        ),
    ),
    Feature(
        "upload",
        ("asset.upload", "asset.update", "album.read", "album.create", "albumAsset.create"),
    ),
    Feature(
        "album_management",
        ("album.create", "album.update", "album.delete", "albumAsset.create", "albumAsset.delete"),
    ),
    Feature("image_entities", ("asset.read", "asset.view", "memory.read", "album.read")),
    Feature("asset_events", ("asset.read", "album.read")),
    Feature("server_statistics", ("server.statistics",), admin_only=True),
    Feature("job_queues", ("queue.read", "queue.update", "job.create"), admin_only=True),
)
