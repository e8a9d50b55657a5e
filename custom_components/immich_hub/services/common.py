"""What every action shares: the entry it is for, Immich ids and choices checked, errors told."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import voluptuous as vol

from homeassistant.core import ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from ..const import DOMAIN
from ..data import ImmichHubConfigEntry, loaded_entry
from ..util import is_uuid, translated_error

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_ALBUM_ID: Final = "album_id"
ATTR_ALBUM_NAME: Final = "album_name"
ATTR_DESCRIPTION: Final = "description"
ATTR_FAVORITE: Final = "favorite"

ENTRY_FIELD: Final[dict[vol.Marker, Any]] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
"""The field naming the entry an action is for; optional while only one entry is loaded."""


def choice(options: Sequence[str]) -> Callable[[Any], str]:
    """Return the validator of a field that takes one of the options, in any case."""
    return vol.All(cv.string, vol.Strip, vol.Lower, vol.In(options))


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Build a translated error for bad input."""
    return translated_error(ServiceValidationError, key, **placeholders)


def failed(key: str, **placeholders: str) -> HomeAssistantError:
    """Build a translated error for a failure on Immich's side."""
    return translated_error(HomeAssistantError, key, **placeholders)


def get_entry(call: ServiceCall) -> ImmichHubConfigEntry:
    """Return the loaded entry an action is for (the only one when none is named)."""
    hass = call.hass
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        if (entry := loaded_entry(hass, entry_id)) is not None:
            return entry
        known = hass.config_entries.async_get_entry(entry_id)
        if known is not None and known.domain == DOMAIN:
            raise invalid("config_entry_not_loaded", title=known.title)
        raise invalid("config_entry_not_found", config_entry_id=entry_id)
    entries: list[ImmichHubConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise invalid("no_config_entry")
    if len(entries) > 1:
        raise invalid("config_entry_required")
    return entries[0]


def uuid(value: str, field: str) -> str:
    """Return an Immich id in canonical form, refusing anything that is not a UUID."""
    value = value.strip()
    if not is_uuid(value):
        raise invalid("invalid_id", field=field, value=value)
    return value.lower()


def uuids(values: Sequence[str], field: str) -> list[str]:
    """Return asset ids in canonical form, without repeats."""
    return list(dict.fromkeys(uuid(value, field) for value in values))
