"""The slideshow actions: play_slideshow and stop_slideshow on the targeted media players."""

from __future__ import annotations

from typing import Final

import voluptuous as vol

from homeassistant.components.media_player.const import (
    DOMAIN as MEDIA_PLAYER_DOMAIN,
    MediaPlayerEntityFeature,
)
from homeassistant.const import ATTR_SUPPORTED_FEATURES, ENTITY_MATCH_ALL
from homeassistant.core import ServiceCall, State, split_entity_id
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.target import TargetSelection, async_extract_referenced_entity_ids

from .. import slideshow
from ..const import CONF_SLIDESHOW_INTERVAL, Feature, option
from ..util import UNKNOWN_ID_ERRORS, immich_errors
from .common import ENTRY_FIELD, choice, get_entry, invalid, uuid

ATTR_SOURCE: Final = "source"
ATTR_SOURCE_ID: Final = "source_id"
ATTR_INTERVAL: Final = "interval"
ATTR_SHUFFLE: Final = "shuffle"
ATTR_LOOP: Final = "loop"

# The media players are a target: entities, or the devices, areas, floors or labels holding them.
PLAY_SLIDESHOW_SCHEMA: Final = cv.make_entity_service_schema(
    {
        **ENTRY_FIELD,
        vol.Optional(ATTR_SOURCE, default="memories"): choice(slideshow.SOURCES),
        vol.Optional(ATTR_SOURCE_ID): cv.string,
        vol.Optional(ATTR_INTERVAL): vol.All(vol.Coerce(float), vol.Range(min=1, max=3600)),
        vol.Optional(ATTR_SHUFFLE, default=False): cv.boolean,
        vol.Optional(ATTR_LOOP, default=True): cv.boolean,
    }
)
STOP_SLIDESHOW_SCHEMA: Final = cv.make_entity_service_schema({})


def _media_players(call: ServiceCall, *, to_play: bool) -> list[str]:
    """Return the targeted media players, refusing a named entity that cannot take part.

    Players reached through a device, area, floor or label are taken when they exist (and,
    ``to_play``, can play media); a target that reaches none is refused.
    """
    hass = call.hass
    selected = async_extract_referenced_entity_ids(hass, TargetSelection(call.data))
    named = selected.referenced
    if ENTITY_MATCH_ALL in named:
        named = set(hass.states.async_entity_ids(MEDIA_PLAYER_DOMAIN))
    for entity_id in sorted(named):
        if split_entity_id(entity_id)[0] != MEDIA_PLAYER_DOMAIN:
            raise invalid("not_a_media_player", entity_id=entity_id)
        if (state := hass.states.get(entity_id)) is None:
            raise invalid("media_player_not_found", entity_id=entity_id)
        if to_play and not _plays_media(state):
            raise invalid("media_player_cannot_play", entity_id=entity_id)
    players = sorted(
        named
        | {
            entity_id
            for entity_id in selected.indirectly_referenced
            if split_entity_id(entity_id)[0] == MEDIA_PLAYER_DOMAIN
            and (state := hass.states.get(entity_id)) is not None
            and (not to_play or _plays_media(state))
        }
    )
    if not players:
        raise invalid("no_media_player")
    return players


def _plays_media(state: State) -> bool:
    """Tell whether a media player says it can play media."""
    features = state.attributes.get(ATTR_SUPPORTED_FEATURES, 0)
    return bool(features & MediaPlayerEntityFeature.PLAY_MEDIA)


async def async_play_slideshow(call: ServiceCall) -> None:
    """Start a slideshow on each targeted media player."""
    entry = get_entry(call)
    if not entry.runtime_data.has(Feature.MEDIA_BROWSER):
        # The players fetch the slides through the media proxy, which needs these permissions.
        raise invalid("media_browser_not_allowed", title=entry.title)
    players = _media_players(call, to_play=True)
    source: str = call.data[ATTR_SOURCE]
    source_id: str | None = None
    if source in slideshow.SOURCES_WITH_ID:
        if not (raw := call.data.get(ATTR_SOURCE_ID)):
            raise invalid("source_id_required", source=source)
        source_id = uuid(raw, ATTR_SOURCE_ID)
    with immich_errors(call.hass, entry):
        try:
            slides = await slideshow.async_collect_slides(
                entry.runtime_data.client, source, source_id
            )
        except UNKNOWN_ID_ERRORS as err:
            raise invalid("source_not_found", source=source, source_id=str(source_id)) from err
    if not slides:
        raise invalid("source_empty", source=source)
    interval = call.data.get(ATTR_INTERVAL) or option(entry, CONF_SLIDESHOW_INTERVAL)
    for player in players:
        slideshow.Slideshow(
            call.hass,
            entry,
            player,
            source,
            source_id,
            list(slides),
            float(interval),
            call.data[ATTR_SHUFFLE],
            call.data[ATTR_LOOP],
        ).async_start()


async def async_stop_slideshow(call: ServiceCall) -> None:
    """Stop the slideshows on the targeted media players."""
    for player in _media_players(call, to_play=False):
        slideshow.async_stop_slideshow(call.hass, player, "asked")
