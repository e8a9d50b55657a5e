"""The media proxy under faults: a clear gateway error, no traceback, no connection held."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from fake_immich import FakeImmich
from homeassistant.core import HomeAssistant

from .conftest import TIMEOUT, assert_clean

# Faults on the way to the asset, and the status the browser gets for each.
FAULTS = {
    "5xx": ("status", {"status": 503}, 502),
    "timeout": ("timeout", {}, 502),
    "slow": ("latency", {"delay": TIMEOUT * 3}, 502),
    "401": ("unauthorized", {}, 502),
}
KINDS = ("thumbnail", "original", "video")


def _asset(immich: FakeImmich, kind: str) -> str:
    """Return one of the admin's assets fit for a kind of URL."""
    wanted = "VIDEO" if kind == "video" else "IMAGE"
    return next(
        asset.id
        for asset in immich.library.assets.values()
        if asset.owner_id == immich.admin_user_id and asset.type == wanted
    )


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_view_faults(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """Each kind of URL answers a gateway error while Immich fails, and the asset once it heals."""
    client = await hass_client()
    kind_of_fault, options, status = FAULTS[fault]
    for kind in KINDS:
        url = f"/api/immich_hub/{entry.entry_id}/{kind}/{_asset(immich, kind)}"
        immich.add_fault(kind_of_fault, path=r"^/assets/", **options)
        response = await client.get(url)
        assert response.status == status, kind
        await response.read()
        await assert_clean(hass, caplog)

        immich.clear_faults()
        response = await client.get(url)
        assert response.status == 200, kind
        assert await response.read()
        await assert_clean(hass, caplog)


@pytest.mark.parametrize("kind", KINDS)
async def test_reset_mid_stream(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    """Immich dropping the connection mid-body cuts the answer short, quietly, and frees it."""
    client = await hass_client()
    url = f"/api/immich_hub/{entry.entry_id}/{kind}/{_asset(immich, kind)}"
    immich.add_fault("reset", path=r"^/assets/", count=1)
    response = await client.get(url)
    # The status line was sent before the break: the browser sees a short body.
    assert response.status == 200
    with pytest.raises(Exception):  # noqa: B017, PT011 - aiohttp's payload error, whichever
        await response.read()
    await assert_clean(hass, caplog)

    response = await client.get(url)
    assert response.status == 200
    assert await response.read()
    await assert_clean(hass, caplog)


async def test_failed_range_inside_the_file_is_a_gateway_error(
    hass: HomeAssistant,
    immich: FakeImmich,
    entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only a range past the end becomes a 416: Immich failing a range it could serve is a 502."""
    client = await hass_client()
    url = f"/api/immich_hub/{entry.entry_id}/video/{_asset(immich, 'video')}"
    immich.add_fault("status", path=r"/video/playback$", status=500, count=1)

    response = await client.get(url, headers={"Range": "bytes=0-99"})

    assert response.status == 502
    await response.read()
    await assert_clean(hass, caplog)
