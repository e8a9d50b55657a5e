"""Actions of Immich Hub: upload, run_job, album management, search and slideshows.

Each family of actions has its module, with its schemas and handlers; ``ACTIONS`` below is the
one table of what is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers.typing import VolSchemaType

from ..const import DOMAIN
from .albums import (
    ALBUM_ASSETS_SCHEMA,
    CREATE_ALBUM_SCHEMA,
    DELETE_ALBUM_SCHEMA,
    UPDATE_ALBUM_SCHEMA,
    async_add_to_album,
    async_create_album,
    async_delete_album,
    async_remove_from_album,
    async_update_album,
)
from .jobs import RUN_JOB_SCHEMA, async_run_job
from .search import SEARCH_SCHEMA, async_search
from .slideshow import (
    PLAY_SLIDESHOW_SCHEMA,
    STOP_SLIDESHOW_SCHEMA,
    async_play_slideshow,
    async_stop_slideshow,
)
from .upload import UPLOAD_SCHEMA, async_upload


@dataclass(frozen=True, slots=True)
class Action:
    """An action: its name, what carries it out, what it accepts and whether it answers."""

    name: str
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]
    schema: VolSchemaType
    supports_response: SupportsResponse = SupportsResponse.NONE


ACTIONS: Final = (
    Action("upload", async_upload, UPLOAD_SCHEMA, SupportsResponse.OPTIONAL),
    Action("run_job", async_run_job, RUN_JOB_SCHEMA),
    Action("create_album", async_create_album, CREATE_ALBUM_SCHEMA, SupportsResponse.OPTIONAL),
    Action("add_to_album", async_add_to_album, ALBUM_ASSETS_SCHEMA, SupportsResponse.OPTIONAL),
    Action(
        "remove_from_album",
        async_remove_from_album,
        ALBUM_ASSETS_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    Action("update_album", async_update_album, UPDATE_ALBUM_SCHEMA, SupportsResponse.OPTIONAL),
    Action("delete_album", async_delete_album, DELETE_ALBUM_SCHEMA),
    Action("search", async_search, SEARCH_SCHEMA, SupportsResponse.ONLY),
    Action("play_slideshow", async_play_slideshow, PLAY_SLIDESHOW_SCHEMA),
    Action("stop_slideshow", async_stop_slideshow, STOP_SLIDESHOW_SCHEMA),
)


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of Immich Hub."""
    for action in ACTIONS:
        hass.services.async_register(
            DOMAIN,
            action.name,
            action.handler,
            schema=action.schema,
            supports_response=action.supports_response,
        )
