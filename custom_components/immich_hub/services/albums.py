"""Album actions: create_album, add_to_album, remove_from_album, update_album, delete_album."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Final

import voluptuous as vol

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv

from ..api import Album, BulkIdResult, ImmichAuthError, ImmichClient, ImmichError
from ..data import ImmichHubConfigEntry
from ..util import UNKNOWN_ID_ERRORS, immich_errors
from .common import (
    ATTR_ALBUM_ID,
    ATTR_ALBUM_NAME,
    ATTR_DESCRIPTION,
    ENTRY_FIELD,
    failed,
    get_entry,
    invalid,
    uuid,
    uuids,
)

ATTR_ASSET_IDS: Final = "asset_ids"
ATTR_NAME: Final = "name"

ALBUM_ASSET_CREATE: Final = "albumAsset.create"
"""The permission ``create_album`` needs to put assets into the new album."""

ALBUM_REF_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_ALBUM_ID): cv.string,
    vol.Optional(ATTR_ALBUM_NAME): cv.string,
}
"""The fields naming an album: by id, or by name."""
_ASSET_IDS: Final = vol.All(cv.ensure_list, [cv.string])

CREATE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **ENTRY_FIELD,
        vol.Required(ATTR_NAME): cv.string,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_ASSET_IDS, default=list): _ASSET_IDS,
    }
)
ALBUM_ASSETS_SCHEMA: Final = vol.Schema(
    {**ENTRY_FIELD, **ALBUM_REF_FIELDS, vol.Required(ATTR_ASSET_IDS): _ASSET_IDS}
)
UPDATE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **ENTRY_FIELD,
        vol.Required(ATTR_ALBUM_ID): cv.string,
        vol.Optional(ATTR_NAME): cv.string,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)
DELETE_ALBUM_SCHEMA: Final = vol.Schema({**ENTRY_FIELD, vol.Required(ATTR_ALBUM_ID): cv.string})


def album_ref(call: ServiceCall, *, required: bool) -> tuple[str | None, str | None]:
    """Return the album id or the album name an action names (never both)."""
    album_id: str | None = call.data.get(ATTR_ALBUM_ID)
    album_name: str | None = call.data.get(ATTR_ALBUM_NAME)
    if album_id is not None and album_name is not None:
        raise invalid("album_id_and_name")
    if album_id is not None:
        return uuid(album_id, ATTR_ALBUM_ID), None
    if album_name is not None and album_name.strip():
        return None, album_name.strip()
    if album_name is not None or required:
        raise invalid("album_required")
    return None, None


def _name(value: str | None) -> str | None:
    """Return an album name, refusing an empty one."""
    if value is None:
        return None
    if not value.strip():
        raise invalid("album_name_empty")
    return value.strip()


async def album_by_id(client: ImmichClient, album_id: str) -> Album:
    """Return an album by id; Immich answers an unknown one with 400 (or 404)."""
    try:
        return await client.get_album(album_id)
    except UNKNOWN_ID_ERRORS as err:
        raise invalid("album_not_found", album=album_id) from err


async def album_by_name(entry: ImmichHubConfigEntry, name: str) -> Album | None:
    """Return the user's album of that exact name, or one shared with them; None if none."""
    client, user_id = entry.runtime_data.client, entry.runtime_data.user.id
    matches = [album for album in await client.list_albums() if album.name == name]
    if not matches:
        matches = [
            album
            for album in await client.list_shared_albums()
            if album.name == name and album.owner_id != user_id
        ]
    if len(matches) > 1:
        raise invalid("album_name_ambiguous", album=name, count=str(len(matches)))
    return matches[0] if matches else None


async def _find_album(
    entry: ImmichHubConfigEntry, album_id: str | None, album_name: str | None
) -> Album:
    """Return the album an action names; an unknown one is bad input."""
    if album_id is not None:
        return await album_by_id(entry.runtime_data.client, album_id)
    assert album_name is not None
    if (album := await album_by_name(entry, album_name)) is None:
        raise invalid("album_not_found", album=album_name)
    return album


async def _owned_album(entry: ImmichHubConfigEntry, album_id: str) -> Album:
    """Return an album the user owns (only owners may change or delete one)."""
    album = await album_by_id(entry.runtime_data.client, album_id)
    if album.owner_id != entry.runtime_data.user.id:
        raise invalid("album_not_owned", album=album.name)
    return album


def _album_response(album: Album) -> dict[str, Any]:
    """Describe an album in an action response."""
    return {
        "album_id": album.id,
        "name": album.name,
        "description": album.description,
        "asset_count": album.asset_count,
    }


def outcomes(
    album: Album, results: list[BulkIdResult], done: str, unchanged_error: str
) -> dict[str, Any]:
    """Sort per-asset results into done, unchanged and failed (with Immich's reason)."""
    changed: list[str] = []
    unchanged: list[str] = []
    failed_assets: list[dict[str, str]] = []
    for result in results:
        if result.success:
            changed.append(result.id)
        elif result.error == unchanged_error:
            unchanged.append(result.id)
        else:
            failed_assets.append({"asset_id": result.id, "reason": result.error or "unknown"})
    return {"album_id": album.id, done: changed, "unchanged": unchanged, "failed": failed_assets}


async def async_create_album(call: ServiceCall) -> ServiceResponse:
    """Create an album, optionally with assets; report the outcome per asset."""
    entry = get_entry(call)
    name = _name(call.data[ATTR_NAME])
    assert name is not None
    asset_ids = uuids(call.data[ATTR_ASSET_IDS], ATTR_ASSET_IDS)
    data = entry.runtime_data
    if asset_ids and not data.api_key.has(ALBUM_ASSET_CREATE):
        raise failed("missing_permission", permission=ALBUM_ASSET_CREATE)
    with immich_errors(call.hass, entry):
        # Created empty and then filled, as add_to_album does: only that answer tells, asset
        # by asset, what Immich refused and why (creating with assets leaves them out silently).
        album = await data.client.create_album(name, description=call.data.get(ATTR_DESCRIPTION))
        results: list[BulkIdResult] = []
        if asset_ids:
            try:
                results = await data.client.add_assets_to_album(album.id, asset_ids)
            except ImmichAuthError:
                raise
            except ImmichError as err:
                raise failed(
                    "album_created_without_assets",
                    album=album.name,
                    album_id=album.id,
                    error=str(err),
                ) from err
    outcome = outcomes(album, results, "added", "duplicate")
    return {**_album_response(album), "asset_count": len(outcome["added"]), **outcome}


async def _async_change_album_assets(
    call: ServiceCall,
    change: Callable[[ImmichClient, str, list[str]], Awaitable[list[BulkIdResult]]],
    done: str,
    unchanged_error: str,
) -> ServiceResponse:
    """Add assets to or remove them from an album; report the outcome per asset."""
    entry = get_entry(call)
    album_id, album_name = album_ref(call, required=True)
    asset_ids = uuids(call.data[ATTR_ASSET_IDS], ATTR_ASSET_IDS)
    if not asset_ids:
        raise invalid("asset_ids_required")
    with immich_errors(call.hass, entry):
        album = await _find_album(entry, album_id, album_name)
        results = await change(entry.runtime_data.client, album.id, asset_ids)
    return outcomes(album, results, done, unchanged_error)


async_add_to_album: Final = partial(
    _async_change_album_assets,
    change=ImmichClient.add_assets_to_album,
    done="added",
    unchanged_error="duplicate",
)
"""Add assets to an album; one already in it is unchanged."""
async_remove_from_album: Final = partial(
    _async_change_album_assets,
    change=ImmichClient.remove_assets_from_album,
    done="removed",
    unchanged_error="not_found",
)
"""Remove assets from an album; one not in it is unchanged."""


async def async_update_album(call: ServiceCall) -> ServiceResponse:
    """Rename an album or change its description."""
    entry = get_entry(call)
    album_id = uuid(call.data[ATTR_ALBUM_ID], ATTR_ALBUM_ID)
    name = _name(call.data.get(ATTR_NAME))
    description: str | None = call.data.get(ATTR_DESCRIPTION)
    if name is None and description is None:
        raise invalid("nothing_to_update")
    with immich_errors(call.hass, entry):
        await _owned_album(entry, album_id)
        album = await entry.runtime_data.client.update_album(
            album_id, name=name, description=description
        )
    return _album_response(album)


async def async_delete_album(call: ServiceCall) -> None:
    """Delete an album; its assets stay in the library."""
    entry = get_entry(call)
    album_id = uuid(call.data[ATTR_ALBUM_ID], ATTR_ALBUM_ID)
    with immich_errors(call.hass, entry):
        await _owned_album(entry, album_id)
        await entry.runtime_data.client.delete_album(album_id)
