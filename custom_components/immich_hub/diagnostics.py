"""Diagnostics for Immich Hub: nothing that names the user, the key or the host."""

from __future__ import annotations

from typing import Any

from yarl import URL

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant

from .coordinator import Coordinators
from .data import ImmichHubConfigEntry, missing_permissions

TO_REDACT = {CONF_API_KEY, "unique_id", "title", "id", "user_id", "name", "email"}


def _redact_host(url: str) -> str:
    """Keep the scheme, port and subpath of a URL, not its host."""
    parsed = URL(url)
    return str(parsed.with_host("redacted")).replace("redacted", REDACTED, 1)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ImmichHubConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug an entry."""
    data = entry.runtime_data
    return {
        "entry": async_redact_data(
            {
                **entry.as_dict(),
                "data": {**entry.data, CONF_URL: _redact_host(entry.data[CONF_URL])},
            },
            TO_REDACT,
        ),
        "server_version": str(data.server_version),
        "user": {"is_admin": data.user.is_admin},
        "api_key": {"permissions": sorted(data.api_key.permissions)},
        "features": sorted(data.features),
        "missing_permissions": missing_permissions(data.user, data.api_key, data.server_version),
        "coordinators": _coordinators(data.coordinators),
        "live_events": _live_events(entry),
    }


def _live_events(entry: ImmichHubConfigEntry) -> dict[str, Any]:
    """Return the websocket's state; its last error may name the host, which is redacted."""
    live = entry.runtime_data.push.as_dict()
    host = URL(entry.data[CONF_URL]).host
    if live["last_error"] and host:
        live["last_error"] = live["last_error"].replace(host, REDACTED)
    return live


def _coordinators(coordinators: Coordinators) -> dict[str, Any]:
    """Summarise what each coordinator last read, without per-user details."""
    summary: dict[str, Any] = {}
    if (server := coordinators.server) is not None:
        data = server.data
        summary["server"] = {
            "last_update_success": server.last_update_success,
            "version": data.about.version if data.about else None,
            "storage": data.storage.model_dump() if data.storage else None,
            "statistics": data.statistics.model_dump(exclude={"usage_by_user"})
            if data.statistics
            else None,
            "release": data.version_check.release_version if data.version_check else None,
        }
    if (queues := coordinators.queues) is not None:
        summary["queues"] = {
            "last_update_success": queues.last_update_success,
            "queues": {
                key: {**queue.statistics.counts(), "paused": queue.is_paused}
                for key, queue in queues.data.items()
            },
        }
    if (library := coordinators.library) is not None:
        summary["library"] = {
            "last_update_success": library.last_update_success,
            "assets": library.data.assets.model_dump(),
            "albums": library.data.albums.model_dump(),
            "memories_today": library.data.memories_today.total,
        }
    return summary
