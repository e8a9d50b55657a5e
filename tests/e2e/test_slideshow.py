"""Slideshows from a real Immich on a test media player, with URLs that serve Immich's bytes."""

from __future__ import annotations

from typing import Any

from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_hub.const import DOMAIN
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from tests.test_slideshow import PLAYER, RecordingPlayer, _asset_ids, _next, _play

from .conftest import memories_shown_now, state
from .immich_api import ImmichApi, album_owner


async def test_album_slideshow_serves_immich_previews(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    player: RecordingPlayer,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """An album plays in the order its photos were taken; each URL serves Immich's preview."""
    me = (await admin_api.me())["id"]
    album = max(
        (a for a in await admin_api.albums() if album_owner(a) == me),
        key=lambda a: a["assetCount"],
    )
    assets = [
        await admin_api.get(f"/assets/{i}") for i in await admin_api.album_assets(album["id"])
    ]
    assert len(assets) >= 2
    taken_order = [a["id"] for a in sorted(assets, key=lambda a: a["fileCreatedAt"])]

    await _play(hass, source="album", source_id=album["id"], loop=False)
    for _ in taken_order[1:]:
        await _next(hass)
    assert _asset_ids(player, admin_entry) == taken_order
    status = state(hass, admin_entry, "sensor", "slideshow")
    assert status.state == "playing"
    assert (status.attributes["position"], status.attributes["total"]) == (len(assets),) * 2

    client = await hass_client_no_auth()
    for (media_type, url), asset_id in zip(player.played, taken_order, strict=True):
        response = await client.get(url.removeprefix(hass.config.internal_url or ""))
        _, headers, preview = await admin_api.fetch(f"/assets/{asset_id}/thumbnail?size=preview")
        assert response.status == 200
        assert await response.read() == preview
        assert response.headers["Content-Type"] == headers["Content-Type"] == media_type

    await _next(hass)
    assert len(player.played) == len(assets)
    assert state(hass, admin_entry, "sensor", "slideshow").state == "idle"


async def test_memories_slideshow_stops_when_asked(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    player: RecordingPlayer,
    todays_memory: dict[str, Any],
) -> None:
    """Today's memories play, each of their photos once; stop_slideshow ends the show."""
    expected = [a["id"] for m in await memories_shown_now(admin_api) for a in m["assets"]]
    assert todays_memory["assets"][0]["id"] in expected
    await _play(hass, source="memories")
    for _ in expected[1:]:
        await _next(hass)
    assert sorted(_asset_ids(player, admin_entry)) == sorted(expected)

    await hass.services.async_call(
        DOMAIN, "stop_slideshow", {ATTR_ENTITY_ID: PLAYER}, blocking=True
    )
    await _next(hass)
    assert len(player.played) == len(expected)
    assert state(hass, admin_entry, "sensor", "slideshow").state == "idle"
