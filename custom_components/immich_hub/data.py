"""Runtime data of an Immich Hub config entry: built complete, once its coordinators are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant

from .api import ApiKey, Dialect, ImmichClient, ServerVersion, User
from .const import BEFORE_QUEUES_API, DOMAIN, FEATURES, Feature, FeatureNeeds
from .coordinator import Coordinators
from .push import LivePush

type ImmichHubConfigEntry = ConfigEntry[ImmichHubData]


class RunningSlideshow(Protocol):
    """What the entry and its slideshow sensor need of a running slideshow."""

    player: str
    status: str

    def async_stop(self, reason: str) -> None:
        """Stop the slideshow."""

    def as_dict(self) -> dict[str, Any]:
        """Return what a dashboard shows of the slideshow."""


@dataclass(frozen=True, slots=True)
class ImmichHubData:
    """What an entry knows of its server, user and key, and what it runs."""

    client: ImmichClient
    user: User
    api_key: ApiKey
    server_version: ServerVersion
    features: frozenset[Feature]
    coordinators: Coordinators
    push: LivePush
    slideshows: dict[str, RunningSlideshow] = field(default_factory=dict)
    """The slideshows running now, by media player, the one started last at the end."""

    def has(self, feature: Feature) -> bool:
        """Tell whether the key and the user's role allow a feature."""
        return feature in self.features


def signal_slideshow(entry_id: str) -> str:
    """Return the dispatcher signal sent when an entry's slideshows change."""
    return f"{DOMAIN}_slideshow_{entry_id}"


def allowed_features(user: User, api_key: ApiKey, version: ServerVersion) -> frozenset[Feature]:
    """Return the features the user's role and the key's permissions allow."""
    return frozenset(
        needs.feature for needs in usable_features(user) if not missing(needs, api_key, version)
    )


def usable_features(user: User) -> tuple[FeatureNeeds, ...]:
    """Return the features the user's role allows, whatever the key's permissions."""
    return tuple(needs for needs in FEATURES if user.is_admin or not needs.admin_only)


def needed(feature: FeatureNeeds, version: ServerVersion) -> tuple[str, ...]:
    """Return the permissions a feature needs on a server of this version."""
    if not Dialect(version).has_queues_api:
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


def loaded_entry(
    hass: HomeAssistant, entry_id: str, feature: Feature | None = None
) -> ImmichHubConfigEntry | None:
    """Return the loaded Immich Hub entry of that id (whose key allows ``feature``), else None."""
    entry: ImmichHubConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    if feature is not None and not entry.runtime_data.has(feature):
        return None
    return entry
