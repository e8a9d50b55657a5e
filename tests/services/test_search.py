"""Tests of the search action."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from fake_immich import FakeImmich
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .conftest import call, calls, last


async def search(hass: HomeAssistant, **data: object) -> list[dict[str, object]]:
    """Call search and return its assets."""
    response = await call(hass, "search", dict(data))
    assert response is not None
    assets = response["assets"]
    assert isinstance(assets, list)
    return assets


def own_assets(immich: FakeImmich) -> list[str]:
    """Return the ids of the admin's assets."""
    lib = immich.library
    return [a.id for a in lib.assets.values() if a.owner_id == immich.admin_user_id]


async def test_metadata_search(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Filters go to the metadata search; each asset comes back with id, type, time and name."""
    lib = immich.library
    for asset_id in own_assets(immich):
        lib.assets[asset_id].is_favorite = False
    favorites = [
        a for a in own_assets(immich)
        if lib.assets[a].visibility == "timeline" and not lib.assets[a].is_trashed
    ][:3]  # fmt: skip
    for asset_id in favorites:
        lib.assets[asset_id].is_favorite = True
    immich.clear_requests()

    assets = await search(hass, favorite=True, type="image")

    assert calls(immich) == [("POST", "/search/metadata")]
    assert last(immich, "POST", "/search/metadata").json == {
        "isFavorite": True,
        "type": "IMAGE",
        "page": 1,
        "size": 25,
    }
    expected = [a for a in favorites if lib.assets[a].type == "IMAGE"]
    assert sorted(row["id"] for row in assets) == sorted(expected)
    first = lib.assets[str(assets[0]["id"])]
    assert assets[0] == {
        "id": first.id,
        "type": "image",
        "taken_at": first.taken_at.isoformat(),
        "file_name": first.file_name,
    }


async def test_search_dates_album_and_person(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Dates are whole local days; album and person narrow the result."""
    lib = immich.library
    holidays = lib.find_album("Holidays", immich.admin_user_id)
    assert holidays is not None
    person = next(p for p in lib.people.values() if p.owner_id == immich.admin_user_id)
    immich.clear_requests()

    assets = await search(
        hass,
        album_id=holidays.id,
        person_id=person.id,
        taken_after="2015-01-01",
        taken_before="2030-12-31",
        limit=1000,
    )

    body = last(immich, "POST", "/search/metadata").json
    assert body == {
        "albumIds": [holidays.id],
        "personIds": [person.id],
        # US/Pacific is the test configuration's time zone.
        "takenAfter": "2015-01-01T00:00:00-08:00",
        "takenBefore": "2031-01-01T00:00:00-08:00",
        "page": 1,
        "size": 250,
    }
    for row in assets:
        asset = lib.assets[str(row["id"])]
        assert asset.id in holidays.asset_ids
        assert person.id in asset.person_ids
        assert asset.taken_at >= datetime(2015, 1, 1, 8, tzinfo=UTC)


async def test_search_date_time_bounds(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Date-times are sent as given; naive ones are local time."""
    immich.clear_requests()

    await search(hass, taken_after="2020-05-01T10:00:00+02:00", taken_before="2021-01-01 12:00")

    body = last(immich, "POST", "/search/metadata").json
    assert body["takenAfter"] == "2020-05-01T10:00:00+02:00"
    assert body["takenBefore"] == "2021-01-01T12:00:00-08:00"


async def test_limit_across_pages(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A limit above one page is honoured by reading further pages, and no more."""
    immich.add_assets(300)
    immich.clear_requests()

    assets = await search(hass, limit=260)

    assert len(assets) == 260
    assert len({row["id"] for row in assets}) == 260
    bodies = [r.json for r in immich.requests]
    assert bodies == [{"page": 1, "size": 250}, {"page": 2, "size": 250}]

    immich.clear_requests()
    assert len(await search(hass)) == 25
    assert len(immich.requests) == 1


async def test_smart_search(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A query uses smart search when the server has it, with the filters beside it."""
    lib = immich.library
    asset_id = own_assets(immich)[0]
    asset = lib.assets[asset_id]
    asset.description = "A dog on the beach"
    asset.is_favorite = asset.is_trashed = False
    asset.visibility = "timeline"
    immich.clear_requests()

    assets = await search(hass, query="dog beach", favorite=False)

    assert calls(immich) == [("GET", "/server/features"), ("POST", "/search/smart")]
    assert last(immich, "POST", "/search/smart").json == {
        "query": "dog beach",
        "isFavorite": False,
        "page": 1,
        "size": 25,
    }
    assert assets[0]["id"] == asset_id


async def test_smart_search_disabled(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A query on a server without smart search is refused; filters alone still work."""
    immich.features["smartSearch"] = False
    immich.clear_requests()

    with pytest.raises(ServiceValidationError) as err:
        await search(hass, query="dog")
    assert err.value.translation_key == "smart_search_disabled"
    assert calls(immich) == [("GET", "/server/features")]

    assert len(await search(hass, query="  ", limit=5)) == 5


async def test_search_bad_input(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Malformed ids and unknown types are refused before any request."""
    immich.clear_requests()
    for data in ({"album_id": "Holidays"}, {"person_id": "alice"}):
        with pytest.raises(ServiceValidationError) as err:
            await search(hass, **data)
        assert err.value.translation_key == "invalid_id"
    with pytest.raises(vol.Invalid) as refused:
        await search(hass, type="photo")
    assert refused.value.path == ["type"]
    assert "video" in str(refused.value)
    assert immich.requests == []

    # A type is read whatever its case and spaces.
    assert await search(hass, type=" Video ", limit=1) is not None
    assert last(immich, "POST", "/search/metadata").json["type"] == "VIDEO"
