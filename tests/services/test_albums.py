"""Tests of the album actions."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from fake_immich import FakeImmich
from fake_immich.library import Album
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .conftest import add_entry, call, calls, changes, last

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def album(immich: FakeImmich, name: str, owner: str | None = None) -> Album:
    """Return a seeded album by name."""
    found = immich.library.find_album(name, owner or immich.admin_user_id)
    assert found is not None
    return found


def outside(immich: FakeImmich, target: Album, n: int) -> list[str]:
    """Return n of the owner's assets that are not in an album."""
    return [
        a.id
        for a in immich.library.assets.values()
        if a.owner_id == target.owner_id and a.id not in target.asset_ids
    ][:n]


async def test_create_album(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """An album is created with its description, then filled; the response describes both."""
    assets = outside(immich, album(immich, "Empty album"), 2)
    immich.clear_requests()

    response = await call(
        hass,
        "create_album",
        {"name": "Doorbell", "description": "Visitors", "asset_ids": [a.upper() for a in assets]},
    )

    assert response is not None
    created = immich.library.albums[str(response["album_id"])]
    assert calls(immich) == [("POST", "/albums"), ("PUT", f"/albums/{created.id}/assets")]
    assert last(immich, "POST", "/albums").json == {
        "albumName": "Doorbell",
        "description": "Visitors",
    }
    assert last(immich, "PUT", f"/albums/{created.id}/assets").json == {"ids": assets}
    assert response == {
        "album_id": created.id,
        "name": "Doorbell",
        "description": "Visitors",
        "asset_count": 2,
        "added": assets,
        "unchanged": [],
        "failed": [],
    }
    assert list(created.asset_ids) == assets


async def test_create_album_reports_refused_assets(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Assets Immich will not put into the album are reported one by one, with its reason."""
    own, locked = outside(immich, album(immich, "Empty album"), 2)
    immich.library.assets[locked].visibility = "locked"
    foreign = next(a.id for a in immich.library.assets.values() if a.owner_id != admin.unique_id)

    response = await call(
        hass, "create_album", {"name": "Mixed", "asset_ids": [own, locked, foreign, UNKNOWN]}
    )

    assert response is not None
    assert response["asset_count"] == 1
    assert response["added"] == [own]
    assert response["unchanged"] == []
    assert response["failed"] == [
        {"asset_id": asset_id, "reason": "no_permission"} for asset_id in (locked, foreign, UNKNOWN)
    ]
    assert list(immich.library.albums[str(response["album_id"])].asset_ids) == [own]


async def test_create_album_with_assets_needs_album_asset_create(
    hass: HomeAssistant, immich: FakeImmich
) -> None:
    """Without albumAsset.create only an empty album can be made; with assets nothing is sent."""
    key = immich.add_key("admin", ["user.read", "album.read", "album.create"])
    await add_entry(hass, immich, key, immich.admin_user_id)
    asset = outside(immich, album(immich, "Empty album"), 1)
    immich.clear_requests()

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "create_album", {"name": "Refused", "asset_ids": asset})

    assert err.value.translation_key == "missing_permission"
    assert err.value.translation_placeholders == {"permission": "albumAsset.create"}
    assert changes(immich) == []
    empty = await call(hass, "create_album", {"name": "Empty"})
    assert empty is not None
    assert (empty["asset_count"], empty["added"], empty["failed"]) == (0, [], [])


async def test_create_album_says_when_the_assets_are_not_added(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """When Immich fails to fill the new album, the error names the album that was created."""
    immich.add_fault("status", path=r"^/albums/[^/]+/assets$", method="PUT", status=500)
    asset = outside(immich, album(immich, "Empty album"), 1)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "create_album", {"name": "Half", "asset_ids": asset})

    created = immich.library.find_album("Half", immich.admin_user_id)
    assert created is not None
    assert err.value.translation_key == "album_created_without_assets"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["album_id"] == created.id
    assert "was created" in str(err.value)
    assert not created.asset_ids


async def test_create_album_bad_input(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """An empty name or a malformed asset id sends nothing."""
    immich.clear_requests()
    for data, key in (
        ({"name": " "}, "album_name_empty"),
        ({"name": "X", "asset_ids": ["1234"]}, "invalid_id"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "create_album", data)
        assert err.value.translation_key == key
    assert immich.requests == []


async def test_add_to_album_by_name(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Each asset is reported as added, unchanged (already there) or failed with the reason."""
    holidays = album(immich, "Holidays")
    new = outside(immich, holidays, 1)[0]
    present = next(iter(holidays.asset_ids))
    immich.clear_requests()

    response = await call(
        hass, "add_to_album", {"album_name": "Holidays", "asset_ids": [new, present, UNKNOWN, new]}
    )

    assert response == {
        "album_id": holidays.id,
        "added": [new],
        "unchanged": [present],
        "failed": [{"asset_id": UNKNOWN, "reason": "no_permission"}],
    }
    assert changes(immich) == [("PUT", f"/albums/{holidays.id}/assets")]
    assert last(immich, "PUT", f"/albums/{holidays.id}/assets").json == {
        "ids": [new, present, UNKNOWN]
    }
    assert new in holidays.asset_ids


async def test_add_to_shared_album_by_name(hass: HomeAssistant, immich: FakeImmich) -> None:
    """A name also finds an album shared with the user (Family, shared by Ada with Noah)."""
    await add_entry(hass, immich, immich.user_key, immich.user_user_id)
    family = album(immich, "Family")
    family.shared_with[immich.user_user_id] = "editor"
    mine = next(a.id for a in immich.library.assets.values() if a.owner_id == immich.user_user_id)

    response = await call(hass, "add_to_album", {"album_name": "Family", "asset_ids": mine})

    assert response is not None
    assert response["album_id"] == family.id
    assert response["added"] == [mine]


async def test_remove_from_album_by_id(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Removed assets and assets that were not in the album are told apart."""
    holidays = album(immich, "Holidays")
    present = next(iter(holidays.asset_ids))
    absent = outside(immich, holidays, 1)[0]
    immich.clear_requests()

    response = await call(
        hass, "remove_from_album", {"album_id": holidays.id, "asset_ids": [present, absent]}
    )

    assert response == {
        "album_id": holidays.id,
        "removed": [present],
        "unchanged": [absent],
        "failed": [],
    }
    assert calls(immich) == [
        ("GET", f"/albums/{holidays.id}"),
        ("DELETE", f"/albums/{holidays.id}/assets"),
    ]
    assert present not in holidays.asset_ids


@pytest.mark.parametrize("service", ["add_to_album", "remove_from_album"])
async def test_album_assets_bad_input(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, service: str
) -> None:
    """Malformed ids, both or neither album field, or no assets: nothing is sent."""
    holidays = album(immich, "Holidays")
    asset = next(iter(holidays.asset_ids))
    immich.clear_requests()
    cases = [
        ({"album_id": holidays.id, "asset_ids": ["nope"]}, "invalid_id"),
        ({"album_id": "Holidays", "asset_ids": [asset]}, "invalid_id"),
        ({"album_id": holidays.id, "album_name": "Holidays", "asset_ids": [asset]},
         "album_id_and_name"),
        ({"asset_ids": [asset]}, "album_required"),
        ({"album_id": holidays.id, "asset_ids": []}, "asset_ids_required"),
    ]  # fmt: skip
    for data, key in cases:
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, data)
        assert err.value.translation_key == key, data
    assert immich.requests == []


@pytest.mark.parametrize("service", ["add_to_album", "remove_from_album"])
async def test_album_assets_unknown_album(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, service: str
) -> None:
    """An unknown album name or id is refused; only lookups reached the server."""
    asset = next(iter(album(immich, "Holidays").asset_ids))
    immich.clear_requests()

    for ref in ({"album_name": "Nowhere"}, {"album_id": UNKNOWN}):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, {**ref, "asset_ids": [asset]})
        assert err.value.translation_key == "album_not_found"
        assert next(iter(ref.values())) in str(err.value)
    assert changes(immich) == []
    assert {method for method, _ in calls(immich)} == {"GET"}


async def test_update_album(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """An owned album is renamed and described; the response shows the result."""
    holidays = album(immich, "Holidays")
    immich.clear_requests()

    response = await call(
        hass,
        "update_album",
        {"album_id": holidays.id, "name": "Summer 2024", "description": "Sea"},
    )

    assert response == {
        "album_id": holidays.id,
        "name": "Summer 2024",
        "description": "Sea",
        "asset_count": 10,
    }
    assert calls(immich) == [("GET", f"/albums/{holidays.id}"), ("PATCH", f"/albums/{holidays.id}")]
    assert last(immich, "PATCH", f"/albums/{holidays.id}").json == {
        "albumName": "Summer 2024",
        "description": "Sea",
    }
    assert holidays.name == "Summer 2024"


async def test_update_album_bad_input(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Nothing to change or a malformed id sends nothing; an unknown id changes nothing."""
    holidays = album(immich, "Holidays")
    immich.clear_requests()
    for data, key in (
        ({"album_id": holidays.id}, "nothing_to_update"),
        ({"album_id": holidays.id, "name": ""}, "album_name_empty"),
        ({"album_id": "x", "name": "New"}, "invalid_id"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "update_album", data)
        assert err.value.translation_key == key
    assert immich.requests == []

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "update_album", {"album_id": UNKNOWN, "name": "New"})
    assert err.value.translation_key == "album_not_found"
    assert calls(immich) == [("GET", f"/albums/{UNKNOWN}")]


async def test_album_of_another_user_is_not_changed(
    hass: HomeAssistant, immich: FakeImmich
) -> None:
    """A shared album can be seen but not renamed or deleted by a guest."""
    await add_entry(hass, immich, immich.user_key, immich.user_user_id)
    family = album(immich, "Family")
    family.shared_with[immich.user_user_id] = "editor"
    immich.clear_requests()

    for service, data in (
        ("update_album", {"album_id": family.id, "name": "Mine"}),
        ("delete_album", {"album_id": family.id}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, data, response=service == "update_album")
        assert err.value.translation_key == "album_not_owned"
        assert "Family" in str(err.value)
    assert changes(immich) == []
    assert family.id in immich.library.albums


async def test_delete_album(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """An owned album is deleted; its assets stay."""
    holidays = album(immich, "Holidays")
    assets = list(holidays.asset_ids)
    immich.clear_requests()

    assert await call(hass, "delete_album", {"album_id": holidays.id}, response=False) is None

    assert changes(immich) == [("DELETE", f"/albums/{holidays.id}")]
    assert holidays.id not in immich.library.albums
    assert all(asset in immich.library.assets for asset in assets)


async def test_delete_album_bad_input(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A malformed id sends nothing; an unknown id deletes nothing."""
    immich.clear_requests()
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "delete_album", {"album_id": "Holidays"}, response=False)
    assert err.value.translation_key == "invalid_id"
    assert immich.requests == []

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "delete_album", {"album_id": UNKNOWN}, response=False)
    assert err.value.translation_key == "album_not_found"
    assert changes(immich) == []


async def test_delete_album_without_permission(hass: HomeAssistant, immich: FakeImmich) -> None:
    """The read-only key gets an error naming album.delete, and the album stays."""
    await add_entry(hass, immich, immich.limited_key, immich.user_user_id)
    pets = album(immich, "Pets", immich.user_user_id)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "delete_album", {"album_id": pets.id}, response=False)

    assert err.value.translation_key == "missing_permission"
    assert "album.delete" in str(err.value)
    assert pets.id in immich.library.albums
