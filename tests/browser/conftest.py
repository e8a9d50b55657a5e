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

from playwright.async_api import Browser, Page, async_playwright
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
    """Save a screenshot of the page for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png")
