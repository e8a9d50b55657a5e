"""Repair issues an entry raises: missing API-key permissions and a server older than 2.0."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

MISSING_PERMISSIONS = "missing_permissions"
UNSUPPORTED_VERSION = "unsupported_version"


def _issue_id(key: str, entry: ConfigEntry) -> str:
    """Return the id of one of an entry's issues: its translation key and the entry."""
    return f"{key}_{entry.entry_id}"


@callback
def _set_issue(
    hass: HomeAssistant,
    entry: ConfigEntry,
    key: str,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str] | None,
) -> None:
    """Raise an entry's issue with these placeholders, or clear it when there are none."""
    if placeholders is None:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(key, entry))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(key, entry),
        is_fixable=False,
        severity=severity,
        translation_key=key,
        translation_placeholders={"title": entry.title, **placeholders},
    )


@callback
def async_permission_issue(hass: HomeAssistant, entry: ConfigEntry, missing: list[str]) -> None:
    """Raise or clear the repair issue that names the key's missing permissions."""
    placeholders = {"permissions": ", ".join(missing)} if missing else None
    _set_issue(hass, entry, MISSING_PERMISSIONS, ir.IssueSeverity.WARNING, placeholders)


@callback
def async_version_issue(hass: HomeAssistant, entry: ConfigEntry, version: str | None) -> None:
    """Raise the issue for a server older than Immich 2.0, or clear it (``version`` None)."""
    placeholders = {"version": version} if version is not None else None
    _set_issue(hass, entry, UNSUPPORTED_VERSION, ir.IssueSeverity.ERROR, placeholders)


@callback
def async_clear_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove every issue of an entry."""
    for key in (MISSING_PERMISSIONS, UNSUPPORTED_VERSION):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(key, entry))
