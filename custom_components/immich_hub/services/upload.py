"""The upload action: a local file or local media, checked and dated, into Immich."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
import re
from typing import Any, Final

from PIL import ExifTags, Image
import voluptuous as vol

from homeassistant.components import media_source
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from ..api import Album, AlbumUserRole, AssetVisibility, ImmichBadRequestError, ImmichClient
from ..const import UPLOAD_CHUNK_SIZE
from ..util import immich_errors
from .albums import ALBUM_REF_FIELDS, album_by_id, album_by_name, album_ref, outcomes
from .common import (
    ATTR_ALBUM_ID,
    ATTR_ALBUM_NAME,
    ATTR_DESCRIPTION,
    ATTR_FAVORITE,
    ENTRY_FIELD,
    choice,
    failed,
    get_entry,
    invalid,
)

ATTR_FILE: Final = "file"
ATTR_VISIBILITY: Final = "visibility"

VISIBILITIES: Final = tuple(visibility.value for visibility in AssetVisibility)
ASSET_UPDATE: Final = "asset.update"
"""The permission a description, favorite or visibility given to ``upload`` needs."""
ASSET_DELETE: Final = "asset.delete"
"""The permission ``upload`` needs to bring a file back from Immich's trash."""

_EXIF_DATE_FORMAT: Final = "%Y:%m:%d %H:%M:%S"
_EXIF_OFFSET: Final = re.compile(r"(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>\d{2})")

UPLOAD_SCHEMA: Final = vol.Schema(
    {
        **ENTRY_FIELD,
        vol.Required(ATTR_FILE): cv.string,
        **ALBUM_REF_FIELDS,
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_VISIBILITY): choice(VISIBILITIES),
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)


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
        raise invalid("path_not_allowed", file=raw)
    if not path.exists():
        raise invalid("file_not_found", file=raw)
    if not path.is_file():
        raise invalid("not_a_file", file=raw)
    return _LocalFile(path, given.name, _exif_taken_at(path, default_tz))


async def _local_file(hass: HomeAssistant, raw: str) -> _LocalFile:
    """Resolve a local path or a media-source URI of local media to a file to upload."""
    raw = raw.strip()
    if media_source.is_media_source_id(raw):
        try:
            media = await media_source.async_resolve_media(hass, raw, None)
        except HomeAssistantError as err:
            raise invalid("media_not_resolved", file=raw, error=str(err)) from err
        if media.path is None:
            raise invalid("media_not_local", file=raw)
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
        raise invalid("locked_upload", fields=", ".join(given))


async def async_upload(call: ServiceCall) -> ServiceResponse:
    """Upload a local file, into an album if asked; report the asset and whether it was new."""
    entry = get_entry(call)
    album_id, album_name = album_ref(call, required=False)
    visibility: str | None = call.data.get(ATTR_VISIBILITY)
    _refuse_locked_extras(call, visibility)
    favorite: bool | None = call.data.get(ATTR_FAVORITE)
    description: str | None = call.data.get(ATTR_DESCRIPTION)
    local = await _local_file(call.hass, call.data[ATTR_FILE])
    data = entry.runtime_data
    # Checked before anything is sent, so that a refusal leaves no upload behind.
    wants_update = description is not None or favorite is not None or visibility is not None
    if wants_update and not data.api_key.has(ASSET_UPDATE):
        raise failed("missing_permission", permission=ASSET_UPDATE)
    client = data.client
    with immich_errors(call.hass, entry):
        album: Album | None = None
        if album_id is not None:
            album = await album_by_id(client, album_id)
        elif album_name is not None:
            album = await album_by_name(entry, album_name)
        if album is not None and not _may_add_to(album, data.user.id):
            raise invalid("album_read_only", album=album.name)
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
                raise failed("duplicate_in_trash", permission=ASSET_DELETE)
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
        raise failed(
            "album_add_failed", asset_id=asset_id, album=album.name, error=err.message
        ) from err
    outcome = outcomes(album, results, "added", "duplicate")
    if asset_id in outcome["added"] or asset_id in outcome["unchanged"]:
        return
    reason = next((refused["reason"] for refused in outcome["failed"]), "unknown")
    raise failed("album_add_failed", asset_id=asset_id, album=album.name, error=reason)
