"""Immich Hub as a user meets it: added in the UI, on a dashboard, in the media browser."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect
import pytest

from .conftest import screenshot

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(600)]


async def test_add_integration_in_the_ui(page: Page, demo: dict[str, Any]) -> None:
    """The config flow adds Immich Hub from the integrations page."""
    await page.goto(f"{demo['url']}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_label("Search for a brand name").fill("Immich Hub")
    await page.get_by_text("Immich Hub", exact=True).click()
    await page.get_by_label("URL").fill(demo["immich_url"])
    await page.get_by_label("API key").fill(demo["immich_api_key"])
    await screenshot(page, "config_flow")
    await page.get_by_role("button", name="Submit").click()
    # The flow ends by offering to put the new service device in an area.
    await expect(page.get_by_label("Device name")).to_have_value("Immich Ada Admin")
    await screenshot(page, "config_flow_done")
    await page.get_by_role("button", name="Skip and finish").click()


async def test_dashboard_shows_sensors_and_photos(page: Page, demo: dict[str, Any]) -> None:
    """The dashboard shows Immich Hub's sensors and an image entity's photo."""
    await page.goto(f"{demo['url']}/dashboard-immich/immich")
    for _ in range(20):  # the demo fills the dashboard a few seconds after the entry exists
        if await page.get_by_text("Disk usage").count():
            break
        await page.wait_for_timeout(3000)
        await page.reload()
    await expect(page.get_by_text("Disk usage").first).to_be_visible()
    await expect(page.get_by_text("My photos").first).to_be_visible()
    photo = page.locator("hui-picture-entity-card img").first
    await expect(photo).to_be_visible()
    assert await photo.evaluate("image => image.naturalWidth") > 0
    await screenshot(page, "dashboard")


async def _open(page: Page, *titles: str) -> None:
    """Open folders of the media browser one after another, by their titles."""
    for title in titles:
        await page.locator("ha-media-player-browse .title", has_text=title).first.click()


async def test_media_browser_album_and_memory(page: Page, demo: dict[str, Any]) -> None:
    """The media browser opens an album and a memory, and plays a photo from the proxy."""
    await page.goto(f"{demo['url']}/media-browser/browser")
    await page.locator("#grid-immich_hub").click()
    await _open(page, "Ada Admin", "Albums", "Holidays")
    await expect(page.get_by_text("Holidays (10)")).to_be_visible()
    await screenshot(page, "media_browser_album")
    await page.locator("ha-media-player-browse .child").first.click()
    photo = page.locator("img[src*='/api/immich_hub/']")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("image => image.naturalWidth") > 0
    await screenshot(page, "media_browser_photo")

    await page.goto(f"{demo['url']}/media-browser/browser")
    await page.locator("#grid-immich_hub").click()
    await _open(page, "Ada Admin", "Memories")
    memory = page.locator("ha-media-player-browse .title", has_text="years ago").first
    await expect(memory).to_be_visible()
    await memory.click()
    await expect(page.locator("ha-media-player-browse .child").first).to_be_visible()
    await screenshot(page, "media_browser_memory")
