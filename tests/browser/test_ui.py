"""Immich Hub as a user meets it: added in the UI, on a dashboard, in the media browser."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect
import pytest

from .conftest import cut_off_texts, screenshot, thumbnails_shown

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(600)]


async def test_add_integration_in_the_ui(page: Page, demo: dict[str, Any]) -> None:
    """The config flow adds Immich Hub from the integrations page."""
    await page.goto(f"{demo['url']}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("Immich Hub")
    await page.get_by_text("Immich Hub", exact=True).click()
    # The frontend's fields do not expose their labels; the inputs are named by the schema.
    await page.locator("input[name='url']").fill(demo["immich_url"])
    await page.locator("input[name='api_key']").fill(demo["immich_api_key"])
    await screenshot(page, "config_flow")
    await page.get_by_role("button", name="Submit").click()
    # The flow ends by offering to name the new service device and put it in an area.
    await expect(page.get_by_text("Name and assign")).to_be_visible()
    await expect(page.locator("dialog-data-entry-flow input[type='text']")).to_have_value(
        "Immich Ada Admin"
    )
    await screenshot(page, "config_flow_done")
    await page.get_by_role("button", name="Skip and finish").click()


async def test_dashboard_shows_photos_library_and_server(page: Page, demo: dict[str, Any]) -> None:
    """The demo dashboard shows the photos, the library, the server and its job queues.

    Every photo has loaded and no name is cut off.
    """
    await page.set_viewport_size({"width": 1280, "height": 1200})
    await page.goto(f"{demo['url']}/dashboard-immich/immich")
    for _ in range(20):  # the demo fills the dashboard a few seconds after the entry exists
        if await page.get_by_text("Job queues").count():
            break
        await page.wait_for_timeout(3000)
        await page.reload()
    for text in ("On this day", "Random photo", "Memories today", "Disk used", "Immich server"):
        await expect(page.get_by_text(text, exact=True).first).to_be_visible()
    await expect(page.get_by_text("Thumbnail generation", exact=True)).to_be_visible()
    photos = page.locator("hui-picture-entity-card img")
    await expect(photos).to_have_count(3)
    for photo in await photos.all():
        await expect(photo).to_have_js_property("complete", True)
        assert await photo.evaluate("image => image.naturalWidth") > 0
    assert await cut_off_texts(page) == []
    await screenshot(page, "dashboard")
    await page.set_viewport_size({"width": 1280, "height": 900})


async def _open(page: Page, *titles: str) -> None:
    """Open folders of the media browser one after another, by their titles."""
    for title in titles:
        await page.locator("ha-media-player-browse .title", has_text=title).first.click()


async def _immich_hub(page: Page, demo: dict[str, Any]) -> None:
    """Open Immich Hub's entry in the media browser."""
    await page.goto(f"{demo['url']}/media-browser/browser")
    await page.locator("#grid-immich_hub").click()
    await _open(page, "Ada Admin")


async def test_media_browser_album_and_memory(page: Page, demo: dict[str, Any]) -> None:
    """The media browser opens an album and a memory, and plays a photo from the proxy."""
    await _immich_hub(page, demo)
    await _open(page, "Albums", "Holidays")
    await expect(page.get_by_text("Holidays (10)")).to_be_visible()
    await thumbnails_shown(page, 10)
    await screenshot(page, "media_browser_album")
    await page.locator("ha-media-player-browse .child").first.click()
    photo = page.locator("img[src*='/api/immich_hub/']")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("image => image.naturalWidth") > 0
    await screenshot(page, "media_browser_photo")

    await _immich_hub(page, demo)
    await _open(page, "Memories")
    memory = page.locator("ha-media-player-browse .title", has_text="years ago").first
    await expect(memory).to_be_visible()
    await memory.click()
    children = page.locator("ha-media-player-browse .child")
    await expect(children.first).to_be_visible()
    await thumbnails_shown(page, await children.count())
    await screenshot(page, "media_browser_memory")


async def test_media_browser_search(page: Page, demo: dict[str, Any]) -> None:
    """A search typed in Immich Hub's folder lists the matching photos, which play."""
    await _immich_hub(page, demo)
    search = page.locator("ha-media-player-browse ha-input-search input")
    await search.fill("beach")
    await search.press("Enter")
    results = page.locator("ha-media-player-browse .child")
    await expect(results).to_have_count(2)
    titles = await page.locator("ha-media-player-browse .child .title").all_inner_texts()
    assert all("beach" in title for title in titles), titles
    await thumbnails_shown(page, 2)
    await screenshot(page, "media_browser_search")
    await results.first.click()
    photo = page.locator("img[src*='/api/immich_hub/']")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("image => image.naturalWidth") > 0


async def test_demo_sets_up_everything_it_loads(demo: dict[str, Any]) -> None:
    """Every integration the demo loaded, for it and for the pages above, set up.

    A failed one greets the user with a notification.
    """
    log = (demo["config"] / "home-assistant.log").read_text()

    assert [line for line in log.splitlines() if "Setup failed for" in line] == []
