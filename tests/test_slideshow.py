"""Tests of slideshows on media players, with a test player that records what it plays."""

from __future__ import annotations

from datetime import timedelta
import gc
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    setup_test_component_platform,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import voluptuous as vol

from custom_components.immich_hub.const import CONF_IMAGE_SIZE, DOMAIN
from custom_components.immich_hub.slideshow import Slideshow
from fake_immich import FakeImmich
from homeassistant.components.media_player import (
    MediaPlayerEntity,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    CONF_URL,
    CONF_VERIFY_SSL,
    SERVICE_TURN_OFF,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import area_registry as ar, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

PLAYER = "media_player.kitchen_display"
STATUS = "sensor.immich_ada_admin_slideshow"


class RecordingPlayer(MediaPlayerEntity):
    """A media player that remembers what it was asked to play."""

    _attr_name = "Kitchen display"
    _attr_unique_id = "kitchen_display"
    _attr_supported_features = (
        MediaPlayerEntityFeature.PLAY_MEDIA | MediaPlayerEntityFeature.TURN_OFF
    )
    _attr_state = MediaPlayerState.IDLE

    def __init__(self) -> None:
        """Start with nothing played."""
        self.played: list[tuple[str, str]] = []

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        """Record the media and show it."""
        self.played.append((media_type, media_id))
        self._attr_media_content_id = media_id
        self._attr_state = MediaPlayerState.PLAYING
        self.async_write_ha_state()

    async def async_turn_off(self) -> None:
        """Turn off."""
        self._attr_state = MediaPlayerState.OFF
        self.async_write_ha_state()


async def _add_player[P: RecordingPlayer](hass: HomeAssistant, entity: P) -> P:
    """Set up a test media player, with Home Assistant reachable at ha.local."""
    hass.config.internal_url = "http://ha.local:8123"
    setup_test_component_platform(hass, "media_player", [entity])
    assert await async_setup_component(hass, "media_player", {"media_player": {"platform": "test"}})
    await hass.async_block_till_done()
    return entity


@pytest.fixture
async def player(hass: HomeAssistant) -> RecordingPlayer:
    """Set up the recording media player."""
    return await _add_player(hass, RecordingPlayer())


def _asset_ids(player: RecordingPlayer, entry: MockConfigEntry) -> list[str]:
    """Return the asset ids the player was asked to play, checking each is a signed proxy URL."""
    ids = []
    for media_type, url in player.played:
        prefix = f"http://ha.local:8123/api/immich_hub/{entry.entry_id}/"
        assert url.startswith(prefix)
        assert "authSig=" in url
        kind, asset_id = url.removeprefix(prefix).split("?")[0].split("/")
        # The player is told the media type, as the media browser tells it.
        assert (kind, media_type) in (
            ("preview", "image/jpeg"),
            ("original", "image/jpeg"),
            ("original", "image/png"),
            ("video", "video/mp4"),
        )
        ids.append(asset_id)
    return ids


async def _next(hass: HomeAssistant, seconds: float = 11) -> None:
    """Let the given seconds pass."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done()


async def _play(hass: HomeAssistant, **data: Any) -> None:
    """Start a slideshow on the player."""
    await hass.services.async_call(
        DOMAIN, "play_slideshow", {ATTR_ENTITY_ID: PLAYER, "interval": 10, **data}, blocking=True
    )
    await hass.async_block_till_done()


async def _todays_memory_assets(entry: MockConfigEntry) -> list[str]:
    """Return the admin's memory assets of today, in the order Immich lists them."""
    memories = await entry.runtime_data.client.list_memories(day=dt_util.now().date())
    return [asset.id for memory in memories for asset in memory.assets]


async def test_memories_in_order(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    player: RecordingPlayer,
) -> None:
    """Today's memories play one per interval, in order, through signed URLs, then stop."""
    expected = await _todays_memory_assets(loaded_entry)
    assert len(expected) >= 2
    await _play(hass, loop=False)
    assert _asset_ids(player, loaded_entry) == expected[:1]
    status = hass.states.get(STATUS)
    assert status.state == "playing"
    assert status.attributes["player"] == PLAYER
    assert (status.attributes["position"], status.attributes["total"]) == (1, len(expected))

    for _ in expected[1:]:
        await _next(hass)
    assert _asset_ids(player, loaded_entry) == expected

    await _next(hass)
    assert len(player.played) == len(expected)  # it does not loop
    assert hass.states.get(STATUS).state == "idle"

    client = await hass_client_no_auth()
    response = await client.get(player.played[0][1].removeprefix("http://ha.local:8123"))
    assert response.status == 200
    assert response.content_type == "image/jpeg"


async def test_album_loops_and_shuffles(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """An album slideshow shows every asset once per round, shuffled, and loops."""
    album = next(a for a in immich.library.albums.values() if a.name == "Family")
    await _play(hass, source="album", source_id=album.id, shuffle=True)
    for _ in range(len(album.asset_ids) * 2 - 1):
        await _next(hass)
    shown = _asset_ids(player, loaded_entry)
    size = len(album.asset_ids)
    assert sorted(shown[:size]) == sorted(album.asset_ids)
    assert sorted(shown[size:]) == sorted(album.asset_ids)


async def test_stops_when_player_turns_off(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """Turning the player off stops the slideshow."""
    await _play(hass, source="favorites")
    await hass.services.async_call(
        "media_player", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: PLAYER}, blocking=True
    )
    await _next(hass)
    await _next(hass)
    assert len(player.played) == 1
    assert hass.states.get(STATUS).state == "idle"


async def test_stops_when_something_else_plays(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """Playing something else on the player stops the slideshow."""
    await _play(hass, source="random")
    await hass.services.async_call(
        "media_player",
        "play_media",
        {
            ATTR_ENTITY_ID: PLAYER,
            "media_content_id": "http://radio/stream",
            "media_content_type": "music",
        },
        blocking=True,
    )
    await _next(hass)
    assert player.played[-1] == ("music", "http://radio/stream")
    assert len(player.played) == 2


async def test_stop_action_and_replacement(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """A new slideshow replaces the old one on the player; stop_slideshow ends it."""
    favorites = {a.id for a in immich.library.assets.values() if a.is_favorite}
    await _play(hass, source="memories")
    await _play(hass, source="favorites")
    await _next(hass)
    assert set(_asset_ids(player, loaded_entry)[1:]) <= favorites
    assert len(hass.states.get(STATUS).attributes["slideshows"]) == 1

    await hass.services.async_call(
        DOMAIN, "stop_slideshow", {ATTR_ENTITY_ID: PLAYER}, blocking=True
    )
    played = len(player.played)
    await _next(hass)
    assert len(player.played) == played
    assert hass.states.get(STATUS).state == "idle"


async def test_pauses_while_immich_is_away(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """While Immich cannot be reached the slideshow pauses, then goes on where it was."""
    expected = await _todays_memory_assets(loaded_entry)
    await _play(hass)
    immich.add_fault("status", status=503)
    await _next(hass)
    await _next(hass)
    assert hass.states.get(STATUS).state == "paused"
    assert len(player.played) == 1

    immich.clear_faults()
    await _next(hass)
    assert hass.states.get(STATUS).state == "playing"
    assert _asset_ids(player, loaded_entry) == expected[:2]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"source": "album"}, "source_id_required"),
        ({"source": "album", "source_id": "not-a-uuid"}, "invalid_id"),
        (
            {"source": "album", "source_id": "8b1f0c2e-6a4d-4c3b-9e7f-1a2b3c4d5e6f"},
            "source_not_found",
        ),
        ({ATTR_ENTITY_ID: "sensor.immich_ada_admin_disk_size"}, "not_a_media_player"),
        ({ATTR_ENTITY_ID: "media_player.nowhere"}, "media_player_not_found"),
    ],
)
async def test_bad_input(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    player: RecordingPlayer,
    data: dict[str, Any],
    key: str,
) -> None:
    """A source or target that does not exist is refused; the player is left alone."""
    with pytest.raises(ServiceValidationError) as err:
        await _play(hass, **data)
    assert err.value.translation_key == key
    assert player.played == []
    assert hass.states.get(STATUS).state == "idle"


async def test_unknown_source(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """A source that is none of the six is refused by the action's schema; nothing plays."""
    immich.clear_requests()
    with pytest.raises(vol.Invalid) as err:
        await _play(hass, source="planets")
    assert err.value.path == ["source"]
    assert "memories" in str(err.value)
    assert immich.requests == []
    assert player.played == []
    assert hass.states.get(STATUS).state == "idle"


async def test_empty_album(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """An empty source is refused with a translated error."""
    empty = next(a for a in immich.library.albums.values() if a.name == "Empty album")
    with pytest.raises(ServiceValidationError) as err:
        await _play(hass, source="album", source_id=empty.id)
    assert err.value.translation_key == "source_empty"
    assert player.played == []


async def test_immich_failure(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """A failure on Immich's side while collecting the slides is a translated error."""
    immich.add_fault("status", path=r"^/memories$", status=500)
    with pytest.raises(HomeAssistantError) as err:
        await _play(hass)
    assert err.value.translation_key == "request_failed"
    assert player.played == []


async def test_full_size_option(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """With the full-size option, photos are sent to the player as their originals."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options={CONF_IMAGE_SIZE: "fullsize"})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await _play(hass, source="favorites")
    assert "/original/" in player.played[0][1]
    assert _asset_ids(player, config_entry)


async def test_key_without_media_permissions(
    hass: HomeAssistant, immich: FakeImmich, player: RecordingPlayer
) -> None:
    """A key that may not browse media cannot start a slideshow: the player could not load it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=immich.user_user_id,
        data={CONF_URL: immich.url, CONF_API_KEY: immich.limited_key, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await _play(hass)
    assert err.value.translation_key == "media_browser_not_allowed"
    assert player.played == []


class PickyPlayer(RecordingPlayer):
    """A media player that refuses videos, or everything, as some players do."""

    def __init__(self, refuse: str) -> None:
        """Refuse media whose type starts with ``refuse``."""
        super().__init__()
        self.refuse = refuse
        self.refused = 0

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        """Refuse what it cannot play, as a player integration does."""
        if media_type.startswith(self.refuse):
            self.refused += 1
            raise HomeAssistantError(f"cannot play {media_type}")
        await super().async_play_media(media_type, media_id, **kwargs)


async def test_skips_what_the_player_refuses(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A slide the player refuses is skipped; the slideshow goes on with the next."""
    picky = await _add_player(hass, PickyPlayer("video/"))
    library = immich.library
    album = next(a for a in library.albums.values() if a.name == "Holidays")
    video = next(
        a.id for a in library.assets.values() if a.owner_id == album.owner_id and not a.is_image
    )
    album.asset_ids[video] = None
    await _play(hass, source="album", source_id=album.id, loop=False)
    for _ in album.asset_ids:
        await _next(hass)

    assert picky.refused == 1
    shown = _asset_ids(picky, loaded_entry)
    assert len(shown) == len(album.asset_ids) - 1
    assert set(shown) == set(album.asset_ids) - {video}
    assert hass.states.get(STATUS).state == "idle"


async def test_stops_when_the_player_refuses_everything(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A player that refuses every slide ends the slideshow after three tries, not forever."""
    picky = await _add_player(hass, PickyPlayer(""))
    await _play(hass, source="favorites")
    for _ in range(5):
        await _next(hass)

    assert picky.refused == 3
    assert hass.states.get(STATUS).state == "idle"


class SwitchingPlayer(RecordingPlayer):
    """A player that reports the slide it leaves once more before the new one, as casts do."""

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        """Go idle on the old media, then play the new."""
        self._attr_state = MediaPlayerState.BUFFERING
        self.async_write_ha_state()
        await super().async_play_media(media_type, media_id, **kwargs)


async def test_goes_on_while_the_player_switches(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The player still showing the previous slide while it loads the next is not a stop."""
    switching = await _add_player(hass, SwitchingPlayer())
    await _play(hass, source="favorites")
    await _next(hass)
    await _next(hass)

    assert len(switching.played) == 3
    assert hass.states.get(STATUS).state == "playing"


async def test_target_by_area(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """A slideshow may target an area: it plays on the area's media players."""
    kitchen = ar.async_get(hass).async_create("Kitchen")
    er.async_get(hass).async_update_entity(PLAYER, area_id=kitchen.id)
    await hass.services.async_call(
        DOMAIN, "play_slideshow", {"area_id": kitchen.id, "interval": 10}, blocking=True
    )
    await hass.async_block_till_done()
    assert len(player.played) == 1

    await hass.services.async_call(DOMAIN, "stop_slideshow", {"area_id": kitchen.id}, blocking=True)
    await _next(hass)
    assert len(player.played) == 1
    assert hass.states.get(STATUS).state == "idle"


async def test_target_without_a_player(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """An area without media players is refused with a translated error."""
    hall = ar.async_get(hass).async_create("Hall")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "play_slideshow", {"area_id": hall.id}, blocking=True
        )
    assert err.value.translation_key == "no_media_player"
    assert player.played == []


class SpeakerWithoutMedia(RecordingPlayer):
    """A media player that cannot play media (only turns off)."""

    _attr_name = "Hall speaker"
    _attr_unique_id = "hall_speaker"
    _attr_supported_features = MediaPlayerEntityFeature.TURN_OFF


async def test_player_that_cannot_play_media(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A player that cannot play media is refused by name, before anything is sent."""
    speaker = await _add_player(hass, SpeakerWithoutMedia())
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "play_slideshow",
            {ATTR_ENTITY_ID: "media_player.hall_speaker"},
            blocking=True,
        )
    assert err.value.translation_key == "media_player_cannot_play"
    assert speaker.played == []


@pytest.mark.parametrize("api_version", ["3.0.3"])
async def test_stopped_slideshows_are_not_kept(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, player: RecordingPlayer
) -> None:
    """A nightly automation's slideshows, started and stopped 1,000 times, leave nothing behind.

    Neither the entry nor anything else holds on to a stopped slideshow or its slides.
    """
    unload_callbacks = len(loaded_entry._on_unload or [])
    for _ in range(1000):
        await _play(hass, source="favorites")
        assert loaded_entry.runtime_data.slideshows[PLAYER].status == "playing"
        await hass.services.async_call(
            DOMAIN, "stop_slideshow", {ATTR_ENTITY_ID: PLAYER}, blocking=True
        )
    await hass.async_block_till_done()
    gc.collect()

    assert loaded_entry.runtime_data.slideshows == {}
    assert len(loaded_entry._on_unload or []) == unload_callbacks
    assert not [thing for thing in gc.get_objects() if isinstance(thing, Slideshow)]
    assert hass.states.get(STATUS).state == "idle"
