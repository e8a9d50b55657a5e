"""Repair issues an entry raises: missing API-key permissions and a server older than 2.0."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

if TYPE_CHECKING:
    from .data import ImmichHubConfigEntry


def _permissions_id(entry: ImmichHubConfigEntry) -> str:
    """Return the id of an entry's missing-permissions issue."""
    return f"missing_permissions_{entry.entry_id}"


def _version_id(entry: ImmichHubConfigEntry) -> str:
    """Return the id of an entry's unsupported-version issue."""
    return f"unsupported_version_{entry.entry_id}"


@callback
def async_permission_issue(
    hass: HomeAssistant, entry: ImmichHubConfigEntry, missing: list[str]
) -> None:
    """Raise or clear the repair issue that names the key's missing permissions."""
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, _permissions_id(entry))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _permissions_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="missing_permissions",
        translation_placeholders={"title": entry.title, "permissions": ", ".join(missing)},
    )


@callback
def async_version_issue(
    hass: HomeAssistant, entry: ImmichHubConfigEntry, version: str | None
) -> None:
    """Raise the issue for a server older than Immich 2.0, or clear it (``version`` None)."""
    if version is None:
        ir.async_delete_issue(hass, DOMAIN, _version_id(entry))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _version_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="unsupported_version",
        translation_placeholders={"title": entry.title, "version": version},
    )


@callback
def async_clear_issues(hass: HomeAssistant, entry: ImmichHubConfigEntry) -> None:
    """Remove every issue of an entry."""
    ir.async_delete_issue(hass, DOMAIN, _permissions_id(entry))
    ir.async_delete_issue(hass, DOMAIN, _version_id(entry))
