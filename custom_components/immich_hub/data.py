"""Runtime data of an Immich Hub config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .api import ApiKey, ImmichAuthError, ImmichClient, ImmichError, ServerVersion, User
from .api.dialect import QUEUES_API_VERSION
from .const import (
    BEFORE_QUEUES_API,
    DEFAULT_OPTIONS,
    FEATURES,
    INTERVAL_LIMITS,
    Feature,
    FeatureNeeds,
)

if TYPE_CHECKING:
    from .coordinator import Coordinators

type ImmichHubConfigEntry = ConfigEntry[ImmichHubData]


@dataclass(slots=True)
class ImmichHubData:
    """What an entry knows about its server, its user and its API key."""

    client: ImmichClient
    user: User
    api_key: ApiKey
    server_version: ServerVersion
    features: frozenset[Feature] = field(init=False)
    coordinators: Coordinators = field(init=False)

    def __post_init__(self) -> None:
        """Work out which features this key can serve."""
        self.features = frozenset(
            needs.feature
            for needs in usable_features(self.user)
            if not missing(needs, self.api_key, self.server_version)
        )

    def has(self, feature: Feature) -> bool:
        """Tell whether the key and the user's role allow a feature."""
        return feature in self.features


def usable_features(user: User) -> tuple[FeatureNeeds, ...]:
    """Return the features the user's role allows, whatever the key's permissions."""
    return tuple(needs for needs in FEATURES if user.is_admin or not needs.admin_only)


def needed(feature: FeatureNeeds, version: ServerVersion) -> tuple[str, ...]:
    """Return the permissions a feature needs on a server of this version."""
    if version < QUEUES_API_VERSION:
        return tuple(dict.fromkeys(BEFORE_QUEUES_API.get(p, p) for p in feature.permissions))
    return feature.permissions


def missing(feature: FeatureNeeds, api_key: ApiKey, version: ServerVersion) -> list[str]:
    """Return the permissions the key lacks for a feature."""
    return [p for p in needed(feature, version) if not api_key.has(p)]


def missing_permissions(user: User, api_key: ApiKey, version: ServerVersion) -> list[str]:
    """Return every permission the key lacks for the features the user's role allows."""
    lacking = {
        permission
        for feature in usable_features(user)
        for permission in missing(feature, api_key, version)
    }
    return sorted(lacking)


def option(entry: ConfigEntry, key: str) -> Any:
    """Return an option of the entry, or its default; an interval within its limits."""
    value = entry.options.get(key, DEFAULT_OPTIONS[key])
    if (limits := INTERVAL_LIMITS.get(key)) is not None:
        return min(max(int(value), limits[0]), limits[1])
    return value


def reauth_if_refused(hass: HomeAssistant, entry: ImmichHubConfigEntry, err: ImmichError) -> None:
    """Ask the user for a new key when Immich no longer accepts the entry's one."""
    if isinstance(err, ImmichAuthError):
        entry.async_start_reauth(hass)
