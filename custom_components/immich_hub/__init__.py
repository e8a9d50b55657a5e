"""The Immich Hub integration."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import (
    ImmichAuthError,
    ImmichClient,
    ImmichError,
    ImmichForbiddenError,
    ImmichUnsupportedVersionError,
)
from .const import DOMAIN, REQUEST_TIMEOUT
from .coordinator import Coordinators
from .data import ImmichHubConfigEntry, ImmichHubData, missing_permissions
from .services import async_setup_services
from .views import async_setup_views

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up Immich Hub."""
    async_setup_services(hass)
    async_setup_views(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ImmichHubConfigEntry) -> bool:
    """Connect to Immich and set up the entry's platforms."""
    client = ImmichClient(
        async_get_clientsession(hass, entry.data[CONF_VERIFY_SSL]),
        entry.data[CONF_URL],
        entry.data[CONF_API_KEY],
        timeout=REQUEST_TIMEOUT,
    )
    try:
        server_version = await client.get_server_version()
        user = await client.get_my_user()
        api_key = await client.get_my_api_key()
    except ImmichUnsupportedVersionError as err:
        _async_unsupported_version_issue(hass, entry, str(err.version))
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported_version",
            translation_placeholders={"version": str(err.version)},
        ) from err
    except (ImmichAuthError, ImmichForbiddenError) as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ImmichError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err

    ir.async_delete_issue(hass, DOMAIN, f"unsupported_version_{entry.entry_id}")
    _async_permission_issue(hass, entry, missing_permissions(user, api_key))
    entry.runtime_data = data = ImmichHubData(client, user, api_key, server_version)
    data.coordinators = Coordinators.create(hass, entry, data)
    await data.coordinators.async_first_refresh()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ImmichHubConfigEntry) -> bool:
    """Unload the entry's platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ImmichHubConfigEntry) -> None:
    """Remove the repair issues an entry raised."""
    ir.async_delete_issue(hass, DOMAIN, f"missing_permissions_{entry.entry_id}")
    ir.async_delete_issue(hass, DOMAIN, f"unsupported_version_{entry.entry_id}")


def _async_permission_issue(
    hass: HomeAssistant, entry: ImmichHubConfigEntry, missing: list[str]
) -> None:
    """Raise or clear the repair issue that names the key's missing permissions."""
    issue_id = f"missing_permissions_{entry.entry_id}"
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="missing_permissions",
        translation_placeholders={"title": entry.title, "permissions": ", ".join(missing)},
    )


def _async_unsupported_version_issue(
    hass: HomeAssistant, entry: ImmichHubConfigEntry, version: str
) -> None:
    """Raise the repair issue for a server older than Immich 2.0."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"unsupported_version_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="unsupported_version",
        translation_placeholders={"title": entry.title, "version": version},
    )
