"""Actions of Immich Hub: upload, run_job, album management and search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import partial
from pathlib import Path
import re
from typing import Any

from PIL import ExifTags, Image
import voluptuous as vol

from homeassistant.components import media_source
from homeassistant.components.media_player.const import (
    DOMAIN as MEDIA_PLAYER_DOMAIN,
    MediaPlayerEntityFeature,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_SUPPORTED_FEATURES, ENTITY_MATCH_ALL
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    State,
    SupportsResponse,
    split_entity_id,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.target import TargetSelection, async_extract_referenced_entity_ids
from homeassistant.util import dt as dt_util

from .api import (
    Album,
    AlbumUserRole,
    Asset,
    AssetPage,
    AssetType,
    AssetVisibility,
    BulkIdResult,
    ImmichAuthError,
    ImmichBadRequestError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    ImmichForbiddenError,
    ImmichNotFoundError,
    ImmichQueueRunningError,
    QueueCommand,
    to_snake,
)
from .const import CONF_SLIDESHOW_INTERVAL, DOMAIN, UPLOAD_CHUNK_SIZE, Feature
from .data import ImmichHubConfigEntry, option
from .slideshow import (
    SOURCES,
    SOURCES_WITH_ID,
    Slideshow,
    async_collect_slides,
    async_stop_slideshow,
)

ATTR_ALBUM_ID = "album_id"
ATTR_ALBUM_NAME = "album_name"
ATTR_ASSET_IDS = "asset_ids"
ATTR_COMMAND = "command"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_DESCRIPTION = "description"
ATTR_FAVORITE = "favorite"
ATTR_FILE = "file"
ATTR_FORCE = "force"
ATTR_JOB = "job"
ATTR_LIMIT = "limit"
ATTR_NAME = "name"
ATTR_PERSON_ID = "person_id"
ATTR_QUERY = "query"
ATTR_TAKEN_AFTER = "taken_after"
ATTR_TAKEN_BEFORE = "taken_before"
ATTR_TYPE = "type"
ATTR_VISIBILITY = "visibility"
ATTR_SOURCE = "source"
ATTR_SOURCE_ID = "source_id"
ATTR_INTERVAL = "interval"
ATTR_SHUFFLE = "shuffle"
ATTR_LOOP = "loop"

SERVICE_UPLOAD = "upload"
SERVICE_RUN_JOB = "run_job"
SERVICE_CREATE_ALBUM = "create_album"
SERVICE_ADD_TO_ALBUM = "add_to_album"
SERVICE_REMOVE_FROM_ALBUM = "remove_from_album"
SERVICE_UPDATE_ALBUM = "update_album"
SERVICE_DELETE_ALBUM = "delete_album"
SERVICE_SEARCH = "search"
SERVICE_PLAY_SLIDESHOW = "play_slideshow"
SERVICE_STOP_SLIDESHOW = "stop_slideshow"

SEARCH_LIMIT_DEFAULT = 25
SEARCH_LIMIT_MAX = 1000
# Fixed page sizes keep Immich's page offsets right while a search pages towards its limit.
METADATA_PAGE_SIZE = 250
SMART_PAGE_SIZE = 100

VISIBILITIES = tuple(visibility.value for visibility in AssetVisibility)
ASSET_TYPES = tuple(asset_type.value.lower() for asset_type in AssetType)
COMMANDS = tuple(command.value for command in QueueCommand)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_EXIF_DATE_FORMAT = "%Y:%m:%d %H:%M:%S"
_EXIF_OFFSET = re.compile(r"(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>\d{2})")

_ENTRY_FIELD: dict[vol.Marker, Any] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
_ALBUM_REF_FIELDS: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_ALBUM_ID): cv.string,
    vol.Optional(ATTR_ALBUM_NAME): cv.string,
}
_ASSET_IDS = vol.All(cv.ensure_list, [cv.string])

UPLOAD_SCHEMA = vol.Schema(
    {
        **_ENTRY_FIELD,
        vol.Required(ATTR_FILE): cv.string,
        **_ALBUM_REF_FIELDS,
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_VISIBILITY): cv.string,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)
RUN_JOB_SCHEMA = vol.Schema(
    {
        **_ENTRY_FIELD,
        vol.Required(ATTR_JOB): cv.string,
        vol.Optional(ATTR_COMMAND, default=QueueCommand.START.value): cv.string,
        vol.Optional(ATTR_FORCE, default=False): cv.boolean,
    }
)
CREATE_ALBUM_SCHEMA = vol.Schema(
    {
        **_ENTRY_FIELD,
        vol.Required(ATTR_NAME): cv.string,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_ASSET_IDS, default=list): _ASSET_IDS,
    }
)
ALBUM_ASSETS_SCHEMA = vol.Schema(
    {**_ENTRY_FIELD, **_ALBUM_REF_FIELDS, vol.Required(ATTR_ASSET_IDS): _ASSET_IDS}
)
UPDATE_ALBUM_SCHEMA = vol.Schema(
    {
        **_ENTRY_FIELD,
        vol.Required(ATTR_ALBUM_ID): cv.string,
        vol.Optional(ATTR_NAME): cv.string,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)
DELETE_ALBUM_SCHEMA = vol.Schema({**_ENTRY_FIELD, vol.Required(ATTR_ALBUM_ID): cv.string})
# The media players are a target: entities, or the devices, areas, floors or labels holding them.
PLAY_SLIDESHOW_SCHEMA = cv.make_entity_service_schema(
    {
        **_ENTRY_FIELD,
        vol.Optional(ATTR_SOURCE, default="memories"): cv.string,
        vol.Optional(ATTR_SOURCE_ID): cv.string,
        vol.Optional(ATTR_INTERVAL): vol.All(vol.Coerce(float), vol.Range(min=1, max=3600)),
        vol.Optional(ATTR_SHUFFLE, default=False): cv.boolean,
        vol.Optional(ATTR_LOOP, default=True): cv.boolean,
    }
)
STOP_SLIDESHOW_SCHEMA = cv.make_entity_service_schema({})
SEARCH_SCHEMA = vol.Schema(
    {
        **_ENTRY_FIELD,
        vol.Optional(ATTR_QUERY): cv.string,
        vol.Optional(ATTR_ALBUM_ID): cv.string,
        vol.Optional(ATTR_PERSON_ID): cv.string,
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_TAKEN_AFTER): vol.Any(cv.date, cv.datetime),
        vol.Optional(ATTR_TAKEN_BEFORE): vol.Any(cv.date, cv.datetime),
        vol.Optional(ATTR_TYPE): cv.string,
        vol.Optional(ATTR_LIMIT, default=SEARCH_LIMIT_DEFAULT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=SEARCH_LIMIT_MAX)
        ),
    }
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Build a translated error for bad input."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _failed(key: str, **placeholders: str) -> HomeAssistantError:
    """Build a translated error for a failure on Immich's side."""
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


ASSET_UPDATE = "asset.update"
"""The permission a description, favorite or visibility given to ``upload`` needs."""
ASSET_DELETE = "asset.delete"
"""The permission ``upload`` needs to bring a file back from Immich's trash."""
ALBUM_ASSET_CREATE = "albumAsset.create"
"""The permission ``create_album`` needs to put assets into the new album."""

# ---- input -----------------------------------------------------------------------------------


def _get_entry(call: ServiceCall) -> ImmichHubConfigEntry:
    """Return the loaded entry an action is for (the only one when none is named)."""
    hass = call.hass
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        entry: ImmichHubConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise _invalid("config_entry_not_found", config_entry_id=entry_id)
        if entry.state is not ConfigEntryState.LOADED:
            raise _invalid("config_entry_not_loaded", title=entry.title)
        return entry
    entries: list[ImmichHubConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise _invalid("no_config_entry")
    if len(entries) > 1:
        raise _invalid("config_entry_required")
    return entries[0]


def _uuid(value: str, field: str) -> str:
    """Return an Immich id in canonical form, refusing anything that is not a UUID."""
    value = value.strip()
    if not _UUID.fullmatch(value):
        raise _invalid("invalid_id", field=field, value=value)
    return value.lower()


def _uuids(values: Sequence[str], field: str) -> list[str]:
    """Return asset ids in canonical form, without repeats."""
    return list(dict.fromkeys(_uuid(value, field) for value in values))


def _choice(value: str | None, options: Sequence[str], field: str) -> str | None:
    """Return a value that must be one of the options (None stays None)."""
    if value is None:
        return None
    value = value.strip().lower()
    if value not in options:
        raise _invalid("invalid_option", field=field, value=value, options=", ".join(options))
    return value


def _album_ref(call: ServiceCall, *, required: bool) -> tuple[str | None, str | None]:
    """Return the album id or the album name an action names (never both)."""
    album_id: str | None = call.data.get(ATTR_ALBUM_ID)
    album_name: str | None = call.data.get(ATTR_ALBUM_NAME)
    if album_id is not None and album_name is not None:
        raise _invalid("album_id_and_name")
    if album_id is not None:
        return _uuid(album_id, ATTR_ALBUM_ID), None
    if album_name is not None and album_name.strip():
        return None, album_name.strip()
    if album_name is not None or required:
        raise _invalid("album_required")
    return None, None


def _name(value: str | None) -> str | None:
    """Return an album name, refusing an empty one."""
    if value is None:
        return None
    if not value.strip():
        raise _invalid("album_name_empty")
    return value.strip()


def _moment(value: date | None, *, end_of_day: bool) -> datetime | None:
    """Return a search bound as an aware date-time; a date is a whole day in local time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=dt_util.get_default_time_zone())
        return value
    day = value + timedelta(days=1) if end_of_day else value
    return datetime.combine(day, time(), dt_util.get_default_time_zone())


# ---- Immich errors ---------------------------------------------------------------------------


@contextmanager
def _immich_errors(hass: HomeAssistant, entry: ImmichHubConfigEntry) -> Iterator[None]:
    """Turn the client's errors into translated Home Assistant errors."""
    try:
        yield
    except ImmichForbiddenError as err:
        if err.permission:
            raise _failed("missing_permission", permission=err.permission) from err
        raise _failed("forbidden", error=err.message) from err
    except ImmichAuthError as err:
        entry.async_start_reauth(hass)
        raise _failed("invalid_auth") from err
    except ImmichConnectionError as err:
        raise _failed("cannot_connect", error=str(err)) from err
    except ImmichError as err:
        raise _failed("request_failed", error=str(err)) from err


# ---- albums ----------------------------------------------------------------------------------


async def _album_by_id(client: ImmichClient, album_id: str) -> Album:
    """Return an album by id; Immich answers an unknown one with 400 (or 404)."""
    try:
        return await client.get_album(album_id)
    except (ImmichBadRequestError, ImmichNotFoundError) as err:
        raise _invalid("album_not_found", album=album_id) from err


async def _album_by_name(entry: ImmichHubConfigEntry, name: str) -> Album | None:
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
        raise _invalid("album_name_ambiguous", album=name, count=str(len(matches)))
    return matches[0] if matches else None


async def _find_album(
    entry: ImmichHubConfigEntry, album_id: str | None, album_name: str | None
) -> Album:
    """Return the album an action names; an unknown one is bad input."""
    if album_id is not None:
        return await _album_by_id(entry.runtime_data.client, album_id)
    assert album_name is not None
    if (album := await _album_by_name(entry, album_name)) is None:
        raise _invalid("album_not_found", album=album_name)
    return album


async def _owned_album(entry: ImmichHubConfigEntry, album_id: str) -> Album:
    """Return an album the user owns (only owners may change or delete one)."""
    album = await _album_by_id(entry.runtime_data.client, album_id)
    if album.owner_id != entry.runtime_data.user.id:
        raise _invalid("album_not_owned", album=album.name)
    return album


def _album_response(album: Album) -> dict[str, Any]:
    """Describe an album in an action response."""
    return {
        "album_id": album.id,
        "name": album.name,
        "description": album.description,
        "asset_count": album.asset_count,
    }


def _outcomes(
    album: Album, results: list[BulkIdResult], done: str, unchanged_error: str
) -> dict[str, Any]:
    """Sort per-asset results into done, unchanged and failed (with Immich's reason)."""
    changed: list[str] = []
    unchanged: list[str] = []
    failed: list[dict[str, str]] = []
    for result in results:
        if result.success:
            changed.append(result.id)
        elif result.error == unchanged_error:
            unchanged.append(result.id)
        else:
            failed.append({"asset_id": result.id, "reason": result.error or "unknown"})
    return {"album_id": album.id, done: changed, "unchanged": unchanged, "failed": failed}


# ---- upload ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LocalFile:
    """A file that may be uploaded: its real path, the name it was given and its EXIF date."""

    path: Path
    name: str
    taken_at: datetime | None


def _exif_taken_at(path: Path, default_tz: tzinfo) -> datetime | None:
    """Read EXIF DateTimeOriginal (with its offset, if any); None for files without one."""
    try:
        with Image.open(path) as image:
            exif = image.getexif().get_ifd(ExifTags.IFD.Exif)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    raw = exif.get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(raw, str):
        return None
    try:
        taken = datetime.strptime(raw.strip("\x00 "), _EXIF_DATE_FORMAT)
    except ValueError:
        return None
    offset = exif.get(ExifTags.Base.OffsetTimeOriginal)
    if isinstance(offset, str) and (match := _EXIF_OFFSET.fullmatch(offset.strip("\x00 "))):
        delta = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
        return taken.replace(tzinfo=timezone(-delta if match["sign"] == "-" else delta))
    return taken.replace(tzinfo=default_tz)


def _inspect_file(hass: HomeAssistant, raw: str, default_tz: tzinfo) -> _LocalFile:
    """Check that a path is an allowed regular file and read its EXIF date (blocking)."""
    given = Path(hass.config.path(raw))
    # Symlinks are resolved first, so a link cannot lead out of the allowed directories.
    path = given.resolve()
    if not hass.config.is_allowed_path(str(path)):
        raise _invalid("path_not_allowed", file=raw)
    if not path.exists():
        raise _invalid("file_not_found", file=raw)
    if not path.is_file():
        raise _invalid("not_a_file", file=raw)
    return _LocalFile(path, given.name, _exif_taken_at(path, default_tz))


async def _local_file(hass: HomeAssistant, raw: str) -> _LocalFile:
    """Resolve a local path or a media-source URI of local media to a file to upload."""
    raw = raw.strip()
    if media_source.is_media_source_id(raw):
        try:
            media = await media_source.async_resolve_media(hass, raw, None)
        except HomeAssistantError as err:
            raise _invalid("media_not_resolved", file=raw, error=str(err)) from err
        if media.path is None:
            raise _invalid("media_not_local", file=raw)
        raw = str(media.path)
    return await hass.async_add_executor_job(
        _inspect_file, hass, raw, dt_util.get_default_time_zone()
    )


def _refuse_locked_extras(call: ServiceCall, visibility: str | None) -> None:
    """Refuse what cannot follow an upload into the locked folder.

    Immich lets only a session unlocked with the user's PIN change a locked asset, which an API
    key never is: a description, a favorite flag or an album would be refused after the upload.
    """
    if visibility != AssetVisibility.LOCKED:
        return
    given = [
        field
        for field in (ATTR_DESCRIPTION, ATTR_FAVORITE, ATTR_ALBUM_ID, ATTR_ALBUM_NAME)
        if call.data.get(field) is not None
    ]
    if given:
        raise _invalid("locked_upload", fields=", ".join(given))


async def _async_upload(call: ServiceCall) -> ServiceResponse:
    """Upload a local file, into an album if asked; report the asset and whether it was new."""
    entry = _get_entry(call)
    album_id, album_name = _album_ref(call, required=False)
    visibility = _choice(call.data.get(ATTR_VISIBILITY), VISIBILITIES, ATTR_VISIBILITY)
    _refuse_locked_extras(call, visibility)
    favorite: bool | None = call.data.get(ATTR_FAVORITE)
    description: str | None = call.data.get(ATTR_DESCRIPTION)
    local = await _local_file(call.hass, call.data[ATTR_FILE])
    data = entry.runtime_data
    # Checked before anything is sent, so that a refusal leaves no upload behind.
    wants_update = description is not None or favorite is not None or visibility is not None
    if wants_update and not data.api_key.has(ASSET_UPDATE):
        raise _failed("missing_permission", permission=ASSET_UPDATE)
    client = data.client
    with _immich_errors(call.hass, entry):
        album: Album | None = None
        if album_id is not None:
            album = await _album_by_id(client, album_id)
        elif album_name is not None:
            album = await _album_by_name(entry, album_name)
        if album is not None and not _may_add_to(album, data.user.id):
            raise _invalid("album_read_only", album=album.name)
        result = await client.upload_file(
            local.path,
            filename=local.name,
            file_created_at=local.taken_at,
            is_favorite=favorite,
            visibility=visibility,
            chunk_size=UPLOAD_CHUNK_SIZE,
        )
        if result.in_trash:
            # The file is in Immich's trash: uploading it again means wanting it back.
            if not data.api_key.has(ASSET_DELETE):
                raise _failed("duplicate_in_trash", permission=ASSET_DELETE)
            await client.restore_from_trash([result.id])
        # The upload form carries no description, and a duplicate was not sent at all.
        updates: dict[str, Any] = {"description": description}
        if result.is_duplicate:
            updates |= {"is_favorite": favorite, "visibility": visibility}
        if any(value is not None for value in updates.values()):
            await _update_uploaded(client, result.id, updates)
        if album is None and album_name is not None:
            album = await client.create_album(album_name)
        if album is not None:
            await _add_uploaded(client, album, result.id)
    return {
        "asset_id": result.id,
        "status": str(result.status),
        "album_id": album.id if album else None,
    }


def _may_add_to(album: Album, user_id: str) -> bool:
    """Tell whether the user may add assets to an album: its owner, or an editor of it."""
    return album.owner_id == user_id or any(
        member.user.id == user_id and member.role != AlbumUserRole.VIEWER
        for member in album.album_users
    )


async def _update_uploaded(client: ImmichClient, asset_id: str, updates: dict[str, Any]) -> None:
    """Apply the asked-for fields to an uploaded asset."""
    try:
        await client.update_asset(asset_id, **updates)
    except ImmichBadRequestError:
        # Only a duplicate gets a visibility here, and with locked nothing else (the rest is
        # refused up front). Immich refuses an API key every change to a locked asset, so a
        # refusal means that Immich's copy already is locked, as asked.
        if updates.get("visibility") != AssetVisibility.LOCKED:
            raise


async def _add_uploaded(client: ImmichClient, album: Album, asset_id: str) -> None:
    """Add an uploaded asset to its album; one already in it is fine."""
    try:
        results = await client.add_assets_to_album(album.id, [asset_id])
    except ImmichBadRequestError as err:
        raise _failed(
            "album_add_failed", asset_id=asset_id, album=album.name, error=err.message
        ) from err
    outcome = _outcomes(album, results, "added", "duplicate")
    if asset_id in outcome["added"] or asset_id in outcome["unchanged"]:
        return
    reason = next((failed["reason"] for failed in outcome["failed"]), "unknown")
    raise _failed("album_add_failed", asset_id=asset_id, album=album.name, error=reason)


# ---- jobs ------------------------------------------------------------------------------------


async def _async_run_job(call: ServiceCall) -> None:
    """Start, pause, resume, empty or clear a queue, or start a manual job."""
    entry = _get_entry(call)
    data = entry.runtime_data
    job = to_snake(call.data[ATTR_JOB].strip())
    command = _choice(call.data[ATTR_COMMAND], COMMANDS, ATTR_COMMAND)
    if not data.user.is_admin:
        raise _invalid("admin_required", action=SERVICE_RUN_JOB)
    with _immich_errors(call.hass, entry):
        manual_jobs = await data.client.list_manual_jobs()
        if job in manual_jobs and command == QueueCommand.START:
            await data.client.create_job(job)
            return
        queues = {queue.key for queue in await data.client.list_queues()}
        if job in queues:
            assert command is not None
            try:
                await data.client.run_queue_command(job, command, force=call.data[ATTR_FORCE])
            except ImmichQueueRunningError as err:
                raise _failed("queue_running", queue=job) from err
            return
    if job in manual_jobs:
        raise _invalid("command_not_supported", job=job, command=str(command))
    raise _invalid("unknown_job", job=job, jobs=", ".join(sorted({*queues, *manual_jobs})))


# ---- album actions ---------------------------------------------------------------------------


async def _async_create_album(call: ServiceCall) -> ServiceResponse:
    """Create an album, optionally with assets; report the outcome per asset."""
    entry = _get_entry(call)
    name = _name(call.data[ATTR_NAME])
    assert name is not None
    asset_ids = _uuids(call.data[ATTR_ASSET_IDS], ATTR_ASSET_IDS)
    data = entry.runtime_data
    if asset_ids and not data.api_key.has(ALBUM_ASSET_CREATE):
        raise _failed("missing_permission", permission=ALBUM_ASSET_CREATE)
    with _immich_errors(call.hass, entry):
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
                raise _failed(
                    "album_created_without_assets",
                    album=album.name,
                    album_id=album.id,
                    error=str(err),
                ) from err
    outcome = _outcomes(album, results, "added", "duplicate")
    return {**_album_response(album), "asset_count": len(outcome["added"]), **outcome}


async def _async_change_album_assets(
    call: ServiceCall,
    change: Callable[[ImmichClient, str, list[str]], Awaitable[list[BulkIdResult]]],
    done: str,
    unchanged_error: str,
) -> ServiceResponse:
    """Add assets to or remove them from an album; report the outcome per asset."""
    entry = _get_entry(call)
    album_id, album_name = _album_ref(call, required=True)
    asset_ids = _uuids(call.data[ATTR_ASSET_IDS], ATTR_ASSET_IDS)
    if not asset_ids:
        raise _invalid("asset_ids_required")
    with _immich_errors(call.hass, entry):
        album = await _find_album(entry, album_id, album_name)
        results = await change(entry.runtime_data.client, album.id, asset_ids)
    return _outcomes(album, results, done, unchanged_error)


async def _async_update_album(call: ServiceCall) -> ServiceResponse:
    """Rename an album or change its description."""
    entry = _get_entry(call)
    album_id = _uuid(call.data[ATTR_ALBUM_ID], ATTR_ALBUM_ID)
    name = _name(call.data.get(ATTR_NAME))
    description: str | None = call.data.get(ATTR_DESCRIPTION)
    if name is None and description is None:
        raise _invalid("nothing_to_update")
    with _immich_errors(call.hass, entry):
        await _owned_album(entry, album_id)
        album = await entry.runtime_data.client.update_album(
            album_id, name=name, description=description
        )
    return _album_response(album)


async def _async_delete_album(call: ServiceCall) -> None:
    """Delete an album; its assets stay in the library."""
    entry = _get_entry(call)
    album_id = _uuid(call.data[ATTR_ALBUM_ID], ATTR_ALBUM_ID)
    with _immich_errors(call.hass, entry):
        await _owned_album(entry, album_id)
        await entry.runtime_data.client.delete_album(album_id)


# ---- search ----------------------------------------------------------------------------------


def _asset_row(asset: Asset) -> dict[str, Any]:
    """Describe an asset in a search response."""
    taken_at = asset.file_created_at or asset.local_date_time
    return {
        "id": asset.id,
        "type": str(asset.type).lower(),
        "taken_at": taken_at.isoformat() if taken_at else None,
        "file_name": asset.original_file_name,
    }


async def _async_search(call: ServiceCall) -> ServiceResponse:
    """Search assets by meaning (smart search) and/or by filters, up to a limit."""
    entry = _get_entry(call)
    data = call.data
    query = (data.get(ATTR_QUERY) or "").strip()
    asset_type = _choice(data.get(ATTR_TYPE), ASSET_TYPES, ATTR_TYPE)
    album_id = data.get(ATTR_ALBUM_ID)
    person_id = data.get(ATTR_PERSON_ID)
    filters: dict[str, Any] = {
        "album_ids": [_uuid(album_id, ATTR_ALBUM_ID)] if album_id else None,
        "person_ids": [_uuid(person_id, ATTR_PERSON_ID)] if person_id else None,
        "is_favorite": data.get(ATTR_FAVORITE),
        "asset_type": asset_type.upper() if asset_type else None,
        "taken_after": _moment(data.get(ATTR_TAKEN_AFTER), end_of_day=False),
        "taken_before": _moment(data.get(ATTR_TAKEN_BEFORE), end_of_day=True),
    }
    limit: int = data[ATTR_LIMIT]
    client = entry.runtime_data.client
    fetch: Callable[..., Awaitable[AssetPage]]
    with _immich_errors(call.hass, entry):
        if query:
            if not (await client.get_features()).smart_search:
                raise _invalid("smart_search_disabled")
            fetch = partial(client.search_smart, query, size=min(limit, SMART_PAGE_SIZE))
        else:
            fetch = partial(client.search_metadata, size=min(limit, METADATA_PAGE_SIZE))
        assets: list[Asset] = []
        page: int | None = 1
        while page is not None and len(assets) < limit:
            result = await fetch(page=page, **filters)
            assets.extend(result.items)
            page = result.next_page_number
    return {"assets": [_asset_row(asset) for asset in assets[:limit]]}


# ---- slideshows ------------------------------------------------------------------------------


def _media_players(call: ServiceCall, *, to_play: bool) -> list[str]:
    """Return the targeted media players, refusing a named entity that cannot take part.

    Players reached through a device, area, floor or label are taken when they exist (and,
    ``to_play``, can play media); a target that reaches none is refused.
    """
    hass = call.hass
    selected = async_extract_referenced_entity_ids(hass, TargetSelection(call.data))
    named = selected.referenced
    if ENTITY_MATCH_ALL in named:
        named = set(hass.states.async_entity_ids(MEDIA_PLAYER_DOMAIN))
    for entity_id in sorted(named):
        if split_entity_id(entity_id)[0] != MEDIA_PLAYER_DOMAIN:
            raise _invalid("not_a_media_player", entity_id=entity_id)
        if (state := hass.states.get(entity_id)) is None:
            raise _invalid("media_player_not_found", entity_id=entity_id)
        if to_play and not _plays_media(state):
            raise _invalid("media_player_cannot_play", entity_id=entity_id)
    players = sorted(
        named
        | {
            entity_id
            for entity_id in selected.indirectly_referenced
            if split_entity_id(entity_id)[0] == MEDIA_PLAYER_DOMAIN
            and (state := hass.states.get(entity_id)) is not None
            and (not to_play or _plays_media(state))
        }
    )
    if not players:
        raise _invalid("no_media_player")
    return players


def _plays_media(state: State) -> bool:
    """Tell whether a media player says it can play media."""
    features = state.attributes.get(ATTR_SUPPORTED_FEATURES, 0)
    return bool(features & MediaPlayerEntityFeature.PLAY_MEDIA)


async def _async_play_slideshow(call: ServiceCall) -> None:
    """Start a slideshow on each targeted media player."""
    entry = _get_entry(call)
    if not entry.runtime_data.has(Feature.MEDIA_BROWSER):
        # The players fetch the slides through the media proxy, which needs these permissions.
        raise _invalid("media_browser_not_allowed", title=entry.title)
    players = _media_players(call, to_play=True)
    source = _choice(call.data[ATTR_SOURCE], SOURCES, ATTR_SOURCE)
    assert source is not None
    source_id: str | None = None
    if source in SOURCES_WITH_ID:
        if not (raw := call.data.get(ATTR_SOURCE_ID)):
            raise _invalid("source_id_required", source=source)
        source_id = _uuid(raw, ATTR_SOURCE_ID)
    with _immich_errors(call.hass, entry):
        try:
            slides = await async_collect_slides(entry.runtime_data.client, source, source_id)
        except (ImmichBadRequestError, ImmichNotFoundError) as err:
            raise _invalid("source_not_found", source=source, source_id=str(source_id)) from err
    if not slides:
        raise _invalid("source_empty", source=source)
    interval = call.data.get(ATTR_INTERVAL) or option(entry, CONF_SLIDESHOW_INTERVAL)
    for player in players:
        Slideshow(
            call.hass,
            entry,
            player,
            source,
            source_id,
            list(slides),
            float(interval),
            call.data[ATTR_SHUFFLE],
            call.data[ATTR_LOOP],
        ).async_start()


async def _async_stop_slideshow(call: ServiceCall) -> None:
    """Stop the slideshows on the targeted media players."""
    for player in _media_players(call, to_play=False):
        async_stop_slideshow(call.hass, player, "asked")


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of Immich Hub."""
    register = hass.services.async_register
    register(
        DOMAIN,
        SERVICE_UPLOAD,
        _async_upload,
        schema=UPLOAD_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    register(DOMAIN, SERVICE_RUN_JOB, _async_run_job, schema=RUN_JOB_SCHEMA)
    register(
        DOMAIN,
        SERVICE_CREATE_ALBUM,
        _async_create_album,
        schema=CREATE_ALBUM_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    register(
        DOMAIN,
        SERVICE_ADD_TO_ALBUM,
        partial(
            _async_change_album_assets,
            change=ImmichClient.add_assets_to_album,
            done="added",
            unchanged_error="duplicate",
        ),
        schema=ALBUM_ASSETS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    register(
        DOMAIN,
        SERVICE_REMOVE_FROM_ALBUM,
        partial(
            _async_change_album_assets,
            change=ImmichClient.remove_assets_from_album,
            done="removed",
            unchanged_error="not_found",
        ),
        schema=ALBUM_ASSETS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    register(
        DOMAIN,
        SERVICE_UPDATE_ALBUM,
        _async_update_album,
        schema=UPDATE_ALBUM_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    register(DOMAIN, SERVICE_DELETE_ALBUM, _async_delete_album, schema=DELETE_ALBUM_SCHEMA)
    register(
        DOMAIN,
        SERVICE_SEARCH,
        _async_search,
        schema=SEARCH_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    register(DOMAIN, SERVICE_PLAY_SLIDESHOW, _async_play_slideshow, schema=PLAY_SLIDESHOW_SCHEMA)
    register(DOMAIN, SERVICE_STOP_SLIDESHOW, _async_stop_slideshow, schema=STOP_SLIDESHOW_SCHEMA)
