"""Config flow for Immich Hub."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import voluptuous as vol
from yarl import URL

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import (
    ApiKey,
    ImmichAuthError,
    ImmichClient,
    ImmichError,
    ImmichForbiddenError,
    ImmichSSLError,
    ImmichUnsupportedVersionError,
    ServerVersion,
    User,
)
from .const import (
    CONF_IMAGE_SIZE,
    CONF_PAIR_PORTRAITS,
    DEFAULT_OPTIONS,
    DOMAIN,
    IMAGE_SIZE_FULLSIZE,
    IMAGE_SIZE_PREVIEW,
    INTERVAL_LIMITS,
    LOGGER,
    REQUEST_TIMEOUT,
)
from .data import ImmichHubConfigEntry, missing_permissions

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        vol.Required(CONF_API_KEY): PASSWORD,
        vol.Required(CONF_VERIFY_SSL, default=True): BooleanSelector(),
    }
)
REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_API_KEY): PASSWORD})
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        vol.Required(CONF_VERIFY_SSL): BooleanSelector(),
        vol.Optional(CONF_API_KEY): PASSWORD,
    }
)


def _seconds(minimum: int, maximum: int) -> NumberSelector:
    """Build a selector for an interval in seconds."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="s"
        )
    )


OPTIONS_SCHEMA = vol.Schema(
    {
        **{
            vol.Required(key): vol.All(_seconds(*limits), vol.Coerce(int))
            for key, limits in INTERVAL_LIMITS.items()
        },
        vol.Required(CONF_IMAGE_SIZE): SelectSelector(
            SelectSelectorConfig(
                options=[IMAGE_SIZE_PREVIEW, IMAGE_SIZE_FULLSIZE],
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_IMAGE_SIZE,
            )
        ),
        vol.Required(CONF_PAIR_PORTRAITS): BooleanSelector(),
    }
)


class InvalidUrlError(ValueError):
    """The URL is not an http(s) address of a server."""


def normalize_url(raw: str) -> str:
    """Return the server's base URL, keeping any subpath and dropping a trailing /api."""
    try:
        url = URL(raw.strip())
    except ValueError as err:
        raise InvalidUrlError from err
    if (
        url.scheme not in ("http", "https")
        or not url.host
        or url.user is not None
        or url.query_string
        or url.fragment
    ):
        raise InvalidUrlError
    path = url.path.rstrip("/")
    path = path.removesuffix("/api")
    return str(url.with_path(path or "/")).rstrip("/")


@dataclass(slots=True)
class _Account:
    """What a key and URL turned out to be."""

    url: str
    user: User
    api_key: ApiKey
    version: ServerVersion


USER_READ = "user.read"
"""The permission setting up needs: it tells whose library the key opens."""


async def _async_validate(
    hass: HomeAssistant, url: str, api_key: str, verify_ssl: bool
) -> _Account:
    """Check that the URL is a supported Immich server and the key is valid."""
    client = ImmichClient(
        async_get_clientsession(hass, verify_ssl), url, api_key, timeout=REQUEST_TIMEOUT
    )
    version = await client.get_server_version()
    user = await client.get_my_user()
    # The address Immich answers at, should it redirect (say from http:// to https://).
    return _Account(client.url, user, await client.get_my_api_key(), version)


async def _async_try_validate(
    hass: HomeAssistant, raw_url: str, api_key: str, verify_ssl: bool, errors: dict[str, str]
) -> _Account | None:
    """Validate the input, filling errors with what went wrong."""
    try:
        url = normalize_url(raw_url)
    except InvalidUrlError:
        errors[CONF_URL] = "invalid_url"
        return None
    try:
        return await _async_validate(hass, url, api_key, verify_ssl)
    except ImmichUnsupportedVersionError as err:
        LOGGER.debug("Immich at %s is %s, older than 2.0", url, err.version)
        errors["base"] = "unsupported_version"
    except ImmichForbiddenError as err:
        # Immich names the permission: only user.read is needed before the key is known.
        errors["base"] = "user_read_required" if err.permission == USER_READ else "invalid_auth"
    except ImmichAuthError:
        errors["base"] = "invalid_auth"
    except ImmichSSLError as err:
        LOGGER.warning(
            "The TLS certificate of %s could not be verified (%s); fix the certificate, "
            "or turn off certificate verification if you trust this server",
            url,
            err,
        )
        errors["base"] = "cannot_connect"
    except ImmichError as err:
        LOGGER.debug("Cannot connect to Immich at %s: %s", url, err)
        errors["base"] = "cannot_connect"
    except Exception:
        LOGGER.exception("Unexpected error while connecting to Immich at %s", url)
        errors["base"] = "unknown"
    return None


class ImmichHubConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up Immich Hub for one Immich user."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing validated."""
        self._data: dict[str, Any] = {}
        self._account: _Account | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ImmichHubConfigEntry) -> ImmichHubOptionsFlow:
        """Return the options flow."""
        return ImmichHubOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server's URL and an API key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            account = await _async_try_validate(
                self.hass,
                user_input[CONF_URL],
                user_input[CONF_API_KEY],
                user_input[CONF_VERIFY_SSL],
                errors,
            )
            if account is not None:
                await self.async_set_unique_id(account.user.id)
                self._abort_if_unique_id_configured()
                self._account = account
                self._data = {
                    CONF_URL: account.url,
                    CONF_API_KEY: user_input[CONF_API_KEY],
                    CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
                }
                if missing_permissions(account.user, account.api_key, account.version):
                    return await self.async_step_missing_permissions()
                return self._async_create()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_missing_permissions(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell which permissions the key lacks before setting up without them."""
        if user_input is not None:
            return self._async_create()
        assert self._account is not None
        return self.async_show_form(
            step_id="missing_permissions",
            description_placeholders={
                "permissions": ", ".join(
                    missing_permissions(
                        self._account.user, self._account.api_key, self._account.version
                    )
                )
            },
        )

    @callback
    def _async_create(self) -> ConfigFlowResult:
        """Create the entry for the validated account."""
        assert self._account is not None
        return self.async_create_entry(
            title=f"{self._account.user.name} @ {URL(self._account.url).host}", data=self._data
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after Immich refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key of the same user."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            account = await _async_try_validate(
                self.hass,
                entry.data[CONF_URL],
                user_input[CONF_API_KEY],
                entry.data[CONF_VERIFY_SSL],
                errors,
            )
            if account is not None:
                await self.async_set_unique_id(account.user.id)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: user_input[CONF_API_KEY]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            description_placeholders={"url": entry.data[CONF_URL]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the URL, certificate check or key of an entry."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key = user_input.get(CONF_API_KEY) or entry.data[CONF_API_KEY]
            account = await _async_try_validate(
                self.hass, user_input[CONF_URL], api_key, user_input[CONF_VERIFY_SSL], errors
            )
            if account is not None:
                await self.async_set_unique_id(account.user.id)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_URL: account.url,
                        CONF_API_KEY: api_key,
                        CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
                    },
                )
        suggested = {
            CONF_URL: entry.data[CONF_URL],
            CONF_VERIFY_SSL: entry.data[CONF_VERIFY_SSL],
            **{k: v for k, v in (user_input or {}).items() if k != CONF_API_KEY},
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(RECONFIGURE_SCHEMA, suggested),
            errors=errors,
        )


class ImmichHubOptionsFlow(OptionsFlowWithReload):
    """Polling intervals and the image and slideshow defaults."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, {**DEFAULT_OPTIONS, **self.config_entry.options}
            ),
        )
