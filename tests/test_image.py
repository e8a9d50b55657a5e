"""Tests of the image entities: rotation, prefetching, memories and their fallback, pairing."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_hub.const import CONF_PAIR_PORTRAITS
from custom_components.immich_hub.image import _compose
from fake_immich import FakeImmich
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

RANDOM = "image.immich_ada_admin_random_photo"
FAVORITE = "image.immich_ada_admin_favorite_photo"
MEMORIES = "image.immich_ada_admin_memories"


async def _rotate(hass: HomeAssistant) -> None:
    """Let one image interval (60 s by default) pass."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done(wait_background_tasks=True)


def _previews(server: FakeImmich) -> list[str]:
    """Return the asset ids whose preview the fake served, in order."""
    return [
        r.path.split("/")[2]
        for r in server.requests
        if r.path.endswith("/thumbnail") and r.query.get("size") == "preview"
    ]


async def _image(hass_client: ClientSessionGenerator, entity_id: str) -> Image.Image:
    """Fetch an image entity's picture the way a dashboard does."""
    client = await hass_client()
    state_token = f"/api/image_proxy/{entity_id}"
    response = await client.get(state_token)
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    return Image.open(BytesIO(await response.read()))


async def test_random_photo(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """The random image shows a photo of the user's, with what is known about it."""
    state = hass.states.get(RANDOM)
    asset = immich.library.assets[state.attributes["asset_id"]]
    assert asset.owner_id == immich.admin_user_id
    assert asset.type == "IMAGE"
    assert state.attributes["file_name"] == asset.file_name
    assert state.attributes["taken_at"].startswith(asset.taken_at.date().isoformat())
    assert asset.city in state.attributes["place"]
    assert isinstance(state.attributes["people"], list)
    picture = await _image(hass_client, RANDOM)
    assert picture.format == "JPEG"


async def test_rotation_shows_the_prefetched_photo(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Each interval shows the photo fetched ahead of time, then fetches the next."""
    shown = hass.states.get(FAVORITE)
    previews = _previews(immich)
    assert shown.attributes["asset_id"] in previews

    immich.clear_requests()
    await _rotate(hass)
    rotated = hass.states.get(FAVORITE)
    assert rotated.state != shown.state  # the time the picture changed
    assert immich.library.assets[rotated.attributes["asset_id"]].is_favorite
    after = _previews(immich)
    # Three previews in flight per rotation: one per image entity, each for the next photo.
    assert len(after) == 3
    # What is shown now was downloaded before it was due.
    assert rotated.attributes["asset_id"] in previews


async def test_memories(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The memories image goes through today's memories and says how many years ago each is."""
    today = dt_util.now().date()
    seen = []
    for _ in range(4):
        state = hass.states.get(MEMORIES)
        asset = immich.library.assets[state.attributes["asset_id"]]
        assert (asset.taken_at.month, asset.taken_at.day) == (today.month, today.day)
        assert state.attributes["years_ago"] == today.year - asset.taken_at.year
        assert state.attributes["showing"] == "memory"
        assert state.attributes["memories_today"] >= 1
        seen.append(asset.id)
        await _rotate(hass)
    assert len(set(seen)) > 1  # it moves on through the memories


async def test_memories_fall_back_to_favorites(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """Without memories today, the memories image shows a favorite and says so."""
    immich.library.memories.clear()
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(MEMORIES)
    assert state.attributes["memories_today"] == 0
    assert state.attributes["showing"] == "favorite"
    assert immich.library.assets[state.attributes["asset_id"]].is_favorite


async def test_keeps_last_photo_while_server_is_down(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """When Immich cannot be reached, the image entities keep their last photo."""
    immich.add_fault("status", status=503)
    await _rotate(hass)  # shows the photo fetched before the outage
    during = hass.states.get(RANDOM)
    picture = (await _image(hass_client, RANDOM)).tobytes()

    await _rotate(hass)  # nothing new can come now
    after = hass.states.get(RANDOM)
    assert after.state == during.state
    assert after.attributes["asset_id"] == during.attributes["asset_id"]
    assert (await _image(hass_client, RANDOM)).tobytes() == picture

    immich.clear_faults()
    await _rotate(hass)
    await _rotate(hass)
    assert hass.states.get(RANDOM).state != during.state


@pytest.mark.parametrize("api_version", ["3.0.3"])
async def test_pairs_portraits(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    immich: FakeImmich,
    config_entry: MockConfigEntry,
) -> None:
    """With pairing on, a portrait photo is shown beside a second portrait."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options={CONF_PAIR_PORTRAITS: True})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    for _ in range(20):
        state = hass.states.get(RANDOM)
        if len(state.attributes["asset_ids"]) == 2:
            break
        await _rotate(hass)
    first, second = (immich.library.assets[i] for i in state.attributes["asset_ids"])
    assert first.height > first.width
    assert second.height > second.width
    picture = await _image(hass_client, RANDOM)
    assert picture.width > picture.height  # two portraits side by side


def test_compose_turns_photos_upright() -> None:
    """A photo whose EXIF says it was taken on its side is turned upright."""
    sideways = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    data = BytesIO()
    sideways.save(data, "JPEG", exif=exif)

    upright = Image.open(BytesIO(_compose([data.getvalue()])))
    assert upright.size == (20, 40)
