"""The Immich Hub integration."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
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
from .coordinator import Coordinators, events_store
from .data import ImmichHubConfigEntry, ImmichHubData, allowed_features, missing_permissions
from .issues import async_clear_issues, async_permission_issue, async_version_issue
from .push import LivePush
from .services import async_setup_services
from .util import translated_error
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
        async_version_issue(hass, entry, str(err.version))
        raise translated_error(
            ConfigEntryError, "unsupported_version", version=str(err.version)
        ) from err
    except (ImmichAuthError, ImmichForbiddenError) as err:
        raise translated_error(ConfigEntryAuthFailed, "invalid_auth") from err
    except ImmichError as err:
        raise translated_error(ConfigEntryNotReady, "cannot_connect", error=str(err)) from err

    if client.url != entry.data[CONF_URL]:
        # Immich redirected to another address of the same host (say https://): keep that.
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_URL: client.url})
    async_version_issue(hass, entry, None)
    async_permission_issue(hass, entry, missing_permissions(user, api_key, server_version))
    features = allowed_features(user, api_key, server_version)
    coordinators = Coordinators.create(hass, entry, client, features)
    await coordinators.async_first_refresh()
    push = LivePush(hass, entry, client, coordinators)
    entry.runtime_data = ImmichHubData(
        client, user, api_key, server_version, features, coordinators, push
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Once the entities listen: nothing Immich pushes is lost to an entity not there yet.
    push.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ImmichHubConfigEntry) -> bool:
    """Stop the entry's slideshows and unload its platforms."""
    for show in list(entry.runtime_data.slideshows.values()):
        show.async_stop("entry unloaded")
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ImmichHubConfigEntry) -> None:
    """Remove the repair issues an entry raised and the point its asset events reached."""
    async_clear_issues(hass, entry)
    await events_store(hass, entry.entry_id).async_remove()
