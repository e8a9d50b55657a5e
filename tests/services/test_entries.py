"""Tests of choosing the entry an action is for, and of Immich failures."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.service import async_get_all_descriptions

from .conftest import add_entry, call

SERVICES = (
    "play_slideshow",
    "stop_slideshow",
    "upload",
    "run_job",
    "create_album",
    "add_to_album",
    "remove_from_album",
    "update_album",
    "delete_album",
    "search",
)


async def test_actions_registered_with_descriptions(
    hass: HomeAssistant, admin: MockConfigEntry
) -> None:
    """Every action is registered at setup and described by services.yaml."""

    descriptions = await async_get_all_descriptions(hass)
    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(SERVICES)
    assert set(descriptions[DOMAIN]) == set(SERVICES)
    assert descriptions[DOMAIN]["run_job"]["fields"]["job"]["selector"]["select"]["custom_value"]


async def test_entry_by_id(hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry) -> None:
    """With two entries loaded the named one is used."""
    user = await add_entry(hass, immich, immich.user_key, immich.user_user_id)

    response = await call(hass, "search", {"config_entry_id": user.entry_id, "limit": 1000})

    assert response is not None
    lib = immich.library
    assert {lib.assets[str(row["id"])].owner_id for row in response["assets"]} == {
        immich.user_user_id
    }


async def test_bad_entries(hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry) -> None:
    """Unknown, foreign and unloaded entries, and two entries with none named, send nothing."""
    other = MockConfigEntry(domain="other_domain", title="Other")
    other.add_to_hass(hass)
    unloaded = MockConfigEntry(domain=DOMAIN, title="Sleeping", unique_id="sleeping")
    unloaded.add_to_hass(hass)
    immich.clear_requests()

    for entry_id, key in (
        ("does-not-exist", "config_entry_not_found"),
        (other.entry_id, "config_entry_not_found"),
        (unloaded.entry_id, "config_entry_not_loaded"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "search", {"config_entry_id": entry_id})
        assert err.value.translation_key == key
    assert "Sleeping" in str(err.value)

    await add_entry(hass, immich, immich.user_key, immich.user_user_id)
    immich.clear_requests()
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "search", {})
    assert err.value.translation_key == "config_entry_required"
    assert "config_entry_id" in str(err.value)
    assert immich.requests == []


async def test_no_loaded_entry(hass: HomeAssistant, admin: MockConfigEntry) -> None:
    """With no entry loaded an action says so."""
    assert await hass.config_entries.async_unload(admin.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "search", {})
    assert err.value.translation_key == "no_config_entry"


async def test_refused_key_starts_reauth(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A 401 fails the action and asks the user for a new key."""
    immich.add_fault("unauthorized", path="/search/metadata")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "search", {})

    assert err.value.translation_key == "invalid_auth"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize(
    ("fault", "key", "text"),
    [
        ({"kind": "status", "status": 500}, "request_failed", "Internal server error"),
        ({"kind": "reset"}, "cannot_connect", "Cannot connect"),
        ({"kind": "html"}, "request_failed", "not JSON"),
    ],
)
async def test_immich_failures(
    hass: HomeAssistant,
    immich: FakeImmich,
    admin: MockConfigEntry,
    *,
    fault: dict[str, object],
    key: str,
    text: str,
) -> None:
    """Failures on Immich's side become translated errors that say what went wrong."""
    immich.add_fault(path="/albums$", method="POST", **fault)  # type: ignore[arg-type]

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "create_album", {"name": "Doorbell"})

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == key
    assert text in str(err.value)
    assert immich.admin_key not in str(err.value)


async def test_forbidden_without_permission_name(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A 403 that names no permission is still a clear, translated error."""
    immich.add_fault("status", status=403, path="/albums$", method="POST")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "create_album", {"name": "Doorbell"})

    assert err.value.translation_key == "forbidden"
    assert "Immich refused" in str(err.value)
