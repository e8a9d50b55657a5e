"""What the parts of Immich Hub share: Immich ids, and Immich's errors translated.

Reolink's ``util.py`` is the model: one place turns the client's errors into translated Home
Assistant errors, so every action, the media source, the proxy and the coordinators tell a
failure the same way and all of them ask for a new key when Immich refuses the entry's one.
It imports nothing of the integration but ``api`` and ``const``, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import re
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .api import (
    ImmichAuthError,
    ImmichBadRequestError,
    ImmichConnectionError,
    ImmichError,
    ImmichForbiddenError,
    ImmichNotFoundError,
)
from .const import DOMAIN

UUID_PATTERN: Final = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
"""An Immich id (a UUID, either case), to embed in a larger regular expression."""
_UUID: Final = re.compile(UUID_PATTERN)

UNKNOWN_ID_ERRORS: Final = (ImmichBadRequestError, ImmichNotFoundError)
"""What Immich answers for an id it does not know or the user may not see: 400 (or 404)."""


def is_uuid(value: str) -> bool:
    """Tell whether a value is an Immich id."""
    return _UUID.fullmatch(value) is not None


def reauth_if_refused(hass: HomeAssistant, entry: ConfigEntry, err: ImmichError) -> None:
    """Ask the user for a new key when Immich no longer accepts the entry's one."""
    if isinstance(err, ImmichAuthError):
        entry.async_start_reauth(hass)


def translated_error[ErrorT: HomeAssistantError](
    exception: type[ErrorT], key: str, **placeholders: str
) -> ErrorT:
    """Return a Home Assistant error of that class, told by a message of strings.json."""
    return exception(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def immich_error(
    hass: HomeAssistant,
    entry: ConfigEntry,
    err: ImmichError,
    key: str | None = None,
    *,
    exception: type[HomeAssistantError] = HomeAssistantError,
    not_found: str | None = None,
    **placeholders: str,
) -> HomeAssistantError:
    """Return the translated error for a failure of Immich's; a refused key starts reauth.

    With ``key`` every failure is told by that message, with Immich's reason as ``{error}``;
    without, by its kind: a missing permission, a refused key, an unreachable server or a failed
    request. With ``not_found``, an id Immich does not know is told by that message instead.
    """
    reauth_if_refused(hass, entry, err)
    if not_found is not None and isinstance(err, UNKNOWN_ID_ERRORS):
        return translated_error(exception, not_found, **placeholders)
    if key is None:
        key, told = _by_kind(err)
    else:
        told = {"error": str(err)}
    return translated_error(exception, key, **{**placeholders, **told})


def _by_kind(err: ImmichError) -> tuple[str, dict[str, str]]:
    """Return the message that tells a failure by its kind, and its placeholders."""
    if isinstance(err, ImmichForbiddenError):
        if err.permission:
            return "missing_permission", {"permission": err.permission}
        return "forbidden", {"error": err.message}
    if isinstance(err, ImmichAuthError):
        return "invalid_auth", {}
    if isinstance(err, ImmichConnectionError):
        return "cannot_connect", {"error": str(err)}
    return "request_failed", {"error": str(err)}


@contextmanager
def immich_errors(
    hass: HomeAssistant,
    entry: ConfigEntry,
    key: str | None = None,
    *,
    exception: type[HomeAssistantError] = HomeAssistantError,
    not_found: str | None = None,
    **placeholders: str,
) -> Iterator[None]:
    """Raise the client's errors in the block as translated errors, as ``immich_error`` tells."""
    try:
        yield
    except ImmichError as err:
        raise immich_error(
            hass, entry, err, key, exception=exception, not_found=not_found, **placeholders
        ) from err
