"""Tests of the image entities: rotation while someone looks, nothing asked of Immich otherwise,
memories and their fallback, pairing."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from freezegun.api import FrozenDateTimeFactory
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_hub.const import CONF_PAIR_PORTRAITS
from custom_components.immich_hub.image import _compose
from fake_immich import FakeImmich
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

RANDOM = "image.immich_ada_admin_random_photo"
FAVORITE = "image.immich_ada_admin_favorite_photo"
MEMORIES = "image.immich_ada_admin_memories"
INTERVAL = 60
"""The default image rotation interval, in seconds."""


async def _wait(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int = 61) -> None:
    """Let time pass (by default one image interval) and wait for what it sets off."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _previews(server: FakeImmich) -> list[str]:
    """Return the asset ids whose preview the fake served, in order."""
    return [
        r.path.split("/")[2]
        for r in server.requests
        if r.path.endswith("/thumbnail") and r.query.get("size") == "preview"
    ]


def _photo_requests(server: FakeImmich) -> list[str]:
    """Return the requests made to pick or download a photo: searches, memories, previews."""
    return [
        r.path
        for r in server.requests
        if r.path in ("/search/random", "/memories")
        or r.path.endswith("/thumbnail")
        or (r.path == "/albums" and "assetId" in r.query)
    ]


async def _look(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entity_id: str
) -> Image.Image:
    """Fetch an image entity's picture as a dashboard does, by its entity_picture URL."""
    client = await hass_client()
    response = await client.get(hass.states.get(entity_id).attributes["entity_picture"])
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    picture = Image.open(BytesIO(await response.read()))
    await hass.async_block_till_done(wait_background_tasks=True)
    return picture


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
    picture = await _look(hass, hass_client, RANDOM)
    assert picture.format == "JPEG"


async def test_nobody_looking_costs_immich_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """Each image fetches one photo at startup; with nobody looking, hours ask Immich nothing."""
    assert len(_previews(immich)) == 3  # one photo per image entity, nothing fetched ahead
    shown = {entity_id: hass.states.get(entity_id) for entity_id in (RANDOM, FAVORITE, MEMORIES)}

    immich.clear_requests()
    for _ in range(120):
        await _wait(hass, freezer)

    assert _photo_requests(immich) == []
    assert any(r.path == "/server/about" for r in immich.requests)  # time did pass for the rest
    for entity_id, before in shown.items():
        after = hass.states.get(entity_id)
        assert after.state == before.state
        assert after.attributes["asset_id"] == before.attributes["asset_id"]


async def test_a_viewer_gets_the_next_photo_each_interval(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """While its picture is looked at, the image moves on every interval to a photo fetched
    ahead of time; once nobody looks any more, it stops after one more."""
    immich.clear_requests()
    await _look(hass, hass_client, FAVORITE)
    fetched_ahead = _previews(immich)
    assert len(fetched_ahead) == 1  # the next photo, for this entity only

    for _ in range(3):
        shown = hass.states.get(FAVORITE)
        immich.clear_requests()
        await _wait(hass, freezer)
        rotated = hass.states.get(FAVORITE)
        assert rotated.state != shown.state  # the time the picture changed
        assert rotated.attributes["asset_id"] == fetched_ahead[0]
        assert immich.library.assets[rotated.attributes["asset_id"]].is_favorite
        assert _photo_requests(immich) == []  # it was ready when due

        await _look(hass, hass_client, FAVORITE)
        fetched_ahead = _previews(immich)
        assert len(fetched_ahead) == 1

    # Nobody looks from now on: the photo fetched for the last look is shown, then nothing.
    immich.clear_requests()
    await _wait(hass, freezer)
    last = hass.states.get(FAVORITE)
    assert last.attributes["asset_id"] == fetched_ahead[0]
    for _ in range(5):
        await _wait(hass, freezer)
    assert hass.states.get(FAVORITE).state == last.state
    assert _photo_requests(immich) == []


async def test_a_late_look_brings_a_new_photo_soon(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """A picture left unseen for longer than an interval is replaced as soon as it is looked at,
    and the state changes so that the dashboard shows the new photo."""
    await _wait(hass, freezer, 3600)
    old = hass.states.get(MEMORIES)
    old_picture = (await _look(hass, hass_client, MEMORIES)).tobytes()

    new = hass.states.get(MEMORIES)
    assert new.state != old.state
    assert new.attributes["asset_id"] != old.attributes["asset_id"]  # the next memory
    assert new.attributes["asset_id"] == _previews(immich)[-1]
    assert dt_util.utcnow() - dt_util.parse_datetime(new.state) < timedelta(seconds=INTERVAL)
    # The dashboard fetches the picture again for the new state and gets the new photo.
    new_picture = (await _look(hass, hass_client, MEMORIES)).tobytes()
    assert new_picture != old_picture
    # Now that it is looked at, it moves on at the next interval.
    await _wait(hass, freezer)
    assert hass.states.get(MEMORIES).state != new.state


async def test_update_entity_replaces_a_stale_photo(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """homeassistant.update_entity shows a new photo at once if the one shown is stale, so that
    an automation reads the details of a current photo; a fresh one is kept."""
    assert await async_setup_component(hass, "homeassistant", {})
    update = {"entity_id": MEMORIES}
    fresh = hass.states.get(MEMORIES)
    immich.clear_requests()
    await hass.services.async_call("homeassistant", "update_entity", update, blocking=True)
    assert hass.states.get(MEMORIES).state == fresh.state
    assert _photo_requests(immich) == []

    await _wait(hass, freezer, 3600)
    await hass.services.async_call("homeassistant", "update_entity", update, blocking=True)
    updated = hass.states.get(MEMORIES)
    assert updated.state != fresh.state
    assert updated.attributes["asset_id"] == _previews(immich)[-1]
    assert updated.attributes["showing"] == "memory"


async def test_memories(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
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
        await _look(hass, hass_client, MEMORIES)
        await _wait(hass, freezer)
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
    freezer: FrozenDateTimeFactory,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """When Immich cannot be reached, the image entities keep their last photo, and one that is
    looked at moves on once Immich is back."""
    await _look(hass, hass_client, RANDOM)
    immich.add_fault("status", status=503)
    await _wait(hass, freezer)  # shows the photo fetched before the outage
    during = hass.states.get(RANDOM)
    picture = (await _look(hass, hass_client, RANDOM)).tobytes()

    await _wait(hass, freezer)  # nothing new can come now
    after = hass.states.get(RANDOM)
    assert after.state == during.state
    assert after.attributes["asset_id"] == during.attributes["asset_id"]
    assert (await _look(hass, hass_client, RANDOM)).tobytes() == picture

    immich.clear_faults()
    await _wait(hass, freezer)
    assert hass.states.get(RANDOM).state != during.state


async def test_disabled_images_ask_immich_nothing(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
) -> None:
    """Images disabled while looked at, one of them fetching a new photo, move on no more."""

    async def later(seconds: int) -> None:
        # The clock runs here, so that Immich's answer comes after its latency.
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
        await hass.async_block_till_done(wait_background_tasks=True)

    await later(3600)
    await _look(hass, hass_client, FAVORITE)  # a new photo, after long unseen
    await _look(hass, hass_client, FAVORITE)  # looked at: the next is due in an interval
    immich.add_fault("latency", path="^/memories$", delay=0.2)
    client = await hass_client()
    response = await client.get(hass.states.get(MEMORIES).attributes["entity_picture"])
    assert response.status == 200  # served the old photo; the new one is on its way

    registry = er.async_get(hass)
    for entity_id in (FAVORITE, MEMORIES):
        registry.async_update_entity(entity_id, disabled_by=er.RegistryEntryDisabler.USER)
    await hass.async_block_till_done(wait_background_tasks=True)
    immich.clear_requests()
    for _ in range(3):
        await later(61)

    assert hass.states.get(FAVORITE) is None
    assert hass.states.get(MEMORIES) is None
    assert _photo_requests(immich) == []
    assert "incorrectly being triggered" not in caplog.text


@pytest.mark.parametrize("api_version", ["3.0.3"])
async def test_pairs_portraits(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
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
        await _look(hass, hass_client, RANDOM)
        await _wait(hass, freezer)
    first, second = (immich.library.assets[i] for i in state.attributes["asset_ids"])
    assert first.height > first.width
    assert second.height > second.width
    picture = await _look(hass, hass_client, RANDOM)
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
