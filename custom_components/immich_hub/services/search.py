"""The search action: smart search and/or filters, paged up to a limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, Final

import voluptuous as vol

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from ..api import Asset, AssetPage, AssetType
from ..util import immich_errors
from .common import ATTR_ALBUM_ID, ATTR_FAVORITE, ENTRY_FIELD, choice, get_entry, invalid, uuid

ATTR_QUERY: Final = "query"
ATTR_PERSON_ID: Final = "person_id"
ATTR_TAKEN_AFTER: Final = "taken_after"
ATTR_TAKEN_BEFORE: Final = "taken_before"
ATTR_TYPE: Final = "type"
ATTR_LIMIT: Final = "limit"

SEARCH_LIMIT_DEFAULT: Final = 25
SEARCH_LIMIT_MAX: Final = 1000
# Fixed page sizes keep Immich's page offsets right while a search pages towards its limit.
METADATA_PAGE_SIZE: Final = 250
SMART_PAGE_SIZE: Final = 100

ASSET_TYPES: Final = tuple(asset_type.value.lower() for asset_type in AssetType)

SEARCH_SCHEMA: Final = vol.Schema(
    {
        **ENTRY_FIELD,
        vol.Optional(ATTR_QUERY): cv.string,
        vol.Optional(ATTR_ALBUM_ID): cv.string,
        vol.Optional(ATTR_PERSON_ID): cv.string,
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_TAKEN_AFTER): vol.Any(cv.date, cv.datetime),
        vol.Optional(ATTR_TAKEN_BEFORE): vol.Any(cv.date, cv.datetime),
        vol.Optional(ATTR_TYPE): choice(ASSET_TYPES),
        vol.Optional(ATTR_LIMIT, default=SEARCH_LIMIT_DEFAULT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=SEARCH_LIMIT_MAX)
        ),
    }
)


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


def _asset_row(asset: Asset) -> dict[str, Any]:
    """Describe an asset in a search response."""
    taken_at = asset.file_created_at or asset.local_date_time
    return {
        "id": asset.id,
        "type": str(asset.type).lower(),
        "taken_at": taken_at.isoformat() if taken_at else None,
        "file_name": asset.original_file_name,
    }


async def async_search(call: ServiceCall) -> ServiceResponse:
    """Search assets by meaning (smart search) and/or by filters, up to a limit."""
    entry = get_entry(call)
    data = call.data
    query = (data.get(ATTR_QUERY) or "").strip()
    asset_type: str | None = data.get(ATTR_TYPE)
    album_id = data.get(ATTR_ALBUM_ID)
    person_id = data.get(ATTR_PERSON_ID)
    filters: dict[str, Any] = {
        "album_ids": [uuid(album_id, ATTR_ALBUM_ID)] if album_id else None,
        "person_ids": [uuid(person_id, ATTR_PERSON_ID)] if person_id else None,
        "is_favorite": data.get(ATTR_FAVORITE),
        "asset_type": asset_type.upper() if asset_type else None,
        "taken_after": _moment(data.get(ATTR_TAKEN_AFTER), end_of_day=False),
        "taken_before": _moment(data.get(ATTR_TAKEN_BEFORE), end_of_day=True),
    }
    limit: int = data[ATTR_LIMIT]
    client = entry.runtime_data.client
    fetch: Callable[..., Awaitable[AssetPage]]
    with immich_errors(call.hass, entry):
        if query:
            if not (await client.get_features()).smart_search:
                raise invalid("smart_search_disabled")
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
