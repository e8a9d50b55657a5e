"""Immich Hub's icon and logo, served by Home Assistant from the integration's own folder."""

from __future__ import annotations

from importlib.util import find_spec
from io import BytesIO
from pathlib import Path

from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "immich_hub" / "brand"
SIZES = {"icon.png": (256, 256), "icon@2x.png": (512, 512)}


@pytest.mark.parametrize("name", ["icon.png", "icon@2x.png", "logo.png", "logo@2x.png"])
def test_brand_images(name: str) -> None:
    """Each image is a PNG with transparency; icons are square at Home Assistant's sizes."""
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        if name in SIZES:
            assert image.size == SIZES[name]
        else:
            assert image.height == SIZES[name.replace("logo", "icon")][1]


async def test_home_assistant_shows_our_icon(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """Where Home Assistant has its brands integration (2026.3 on), it serves our icon.

    Before, there is no such integration and the icon comes from nowhere but HACS.
    """
    if find_spec("homeassistant.components.brands") is None:
        assert not await async_setup_component(hass, "brands", {})
        return
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    response = await client.get("/api/brands/integration/immich_hub/icon.png?placeholder=no")
    assert response.status == 200
    served = Image.open(BytesIO(await response.read()))
    assert served.size == SIZES["icon.png"]
    assert await response.read() == (BRAND / "icon.png").read_bytes()
