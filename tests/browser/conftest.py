"""A real Home Assistant (scripts/demo.py) and Debian's Chromium, driven by Playwright.

These tests run in their own pytest session without Home Assistant's test plugin
(``pytest tests/browser -p no:homeassistant``, as scripts/test does), since they talk to a
Home Assistant process over real sockets rather than to an in-process instance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import json
import os
from pathlib import Path
import socket
import subprocess
import sys
import time
from typing import Any

from playwright.async_api import Browser, Page, async_playwright, expect
import pytest
import pytest_asyncio

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Flags for a closed network: no background requests to Google's services.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Stand in for the in-process fixture of the main suite: nothing to enable here."""


def _free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run Home Assistant with the demo Immich, Immich Hub not yet added."""
    folder = tmp_path_factory.mktemp("demo")
    ready = folder / "ready.json"
    log = (folder / "demo.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "demo.py"),
            "--config",
            str(folder / "config"),
            "--port",
            str(_free_port()),
            "--immich-port",
            str(_free_port()),
            "--ready-file",
            str(ready),
            "--no-integration",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the demo did not start; see {folder / 'demo.log'}")
            time.sleep(0.5)
        yield {**json.loads(ready.read_text()), "config": folder / "config"}
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Start Debian's Chromium headless."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def page(browser: Browser, demo: dict[str, Any]) -> AsyncIterator[Page]:
    """Return a page logged in to Home Assistant as the demo user."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(60_000)
    await page.goto(demo["url"])
    await page.get_by_label("Username", exact=True).fill("demo")
    await page.get_by_label("Password", exact=True).fill("demo-immich-hub")
    await page.keyboard.press("Enter")
    await page.get_by_text("Overview").first.wait_for()
    yield page
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    """Save a screenshot of the page for the README, once every image on it has loaded."""
    await images_loaded(page)
    await page.wait_for_timeout(500)  # a decoded image is painted on the next frames
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png")


# Every image Home Assistant shows on the page, shadow roots included: <img> elements and CSS
# background images (the media browser's thumbnails, which it fetches and inlines as data URLs).
# Not the brand icons of other integrations, which Home Assistant fetches from the internet,
# closed to these tests. Each is loaded and decoded in the page, which waits for it; the result is
# the URL of each image and its width (0 when it failed).
_LOAD_IMAGES = """async () => {
  const elements = [];
  const walk = (root) => {
    for (const element of root.querySelectorAll("*")) {
      elements.push(element);
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(document);
  const urls = new Set();
  for (const element of elements) {
    if (element.tagName === "IMG" && element.currentSrc) urls.add(element.currentSrc);
    const found = getComputedStyle(element).backgroundImage.match(/url\\("(.*)"\\)/);
    if (found) urls.add(found[1]);
  }
  const served = [...urls].filter((url) => {
    const { origin, pathname, protocol } = new URL(url, location.href);
    const brand = pathname.startsWith("/api/brands/") && !pathname.includes("/immich_hub/");
    return protocol === "data:" || (origin === location.origin && !brand);
  });
  return Promise.all(served.map(async (url) => {
    const image = new Image();
    image.src = url;
    try { await image.decode(); } catch (error) { return [url, 0]; }
    return [url, image.naturalWidth];
  }));
}"""


async def images_loaded(page: Page) -> int:
    """Wait until every image on the page has loaded; fail on one that does not. Return how many."""
    images: list[tuple[str, int]] = await page.evaluate(_LOAD_IMAGES)
    broken = [url for url, width in images if not width]
    assert not broken, f"images that did not load: {broken}"
    return len(images)


async def thumbnails_shown(page: Page, count: int) -> None:
    """Wait until the media browser shows ``count`` thumbnails, each loaded."""
    await expect(page.locator("ha-media-browser-thumbnail .image")).to_have_count(count)
    assert await images_loaded(page) >= count


# The text of every element, shadow roots included, that is cut off with an ellipsis.
_CUT_OFF = """() => {
  const cut = [];
  const walk = (root) => {
    for (const element of root.querySelectorAll("*")) {
      const style = getComputedStyle(element);
      if (style.textOverflow === "ellipsis" && element.scrollWidth > element.clientWidth) {
        cut.push(element.textContent.trim());
      }
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(document);
  return cut.filter((text) => text);
}"""


async def cut_off_texts(page: Page) -> list[str]:
    """Return the texts on the page that are cut off with an ellipsis."""
    texts: list[str] = await page.evaluate(_CUT_OFF)
    return texts
