"""Fixtures and helpers of the action tests."""

from __future__ import annotations

from datetime import datetime
import io
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich, RecordedRequest
from homeassistant.core import HomeAssistant, ServiceResponse

READ_ONLY = (("POST", "/assets/bulk-upload-check"), ("POST", "/search/metadata"),
             ("POST", "/search/smart"), ("POST", "/search/random"))  # fmt: skip


def make_jpeg(
    path: Path,
    *,
    taken: datetime | None = None,
    offset: str | None = None,
    color: tuple[int, int, int] = (200, 40, 40),
) -> Path:
    """Write a small real JPEG, with EXIF DateTimeOriginal (and its offset) when given."""
    exif = Image.Exif()
    if taken is not None:
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
        exif_ifd[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset is not None:
            exif_ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


def changes(immich: FakeImmich) -> list[tuple[str, str]]:
    """Return the requests that could have changed something on the server."""
    return [
        (r.method, r.path)
        for r in immich.requests
        if r.method != "GET" and (r.method, r.path) not in READ_ONLY
    ]


def calls(immich: FakeImmich) -> list[tuple[str, str]]:
    """Return every request as (method, path)."""
    return [(r.method, r.path) for r in immich.requests]


def last(immich: FakeImmich, method: str, path: str) -> RecordedRequest:
    """Return the last request to a path."""
    return [r for r in immich.requests if r.method == method and r.path == path][-1]


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = True
) -> ServiceResponse:
    """Call an Immich Hub action and return its response."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


@pytest.fixture
def allowed_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Return a directory uploads may come from."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    hass.config.allowlist_external_dirs = {str(allowed)}
    return allowed


@pytest.fixture
def admin(loaded_entry: MockConfigEntry) -> MockConfigEntry:
    """Return the loaded admin entry."""
    return loaded_entry


async def add_entry(
    hass: HomeAssistant, immich: FakeImmich, key: str, user_id: str
) -> MockConfigEntry:
    """Set up another entry for a key of the fake server."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Immich {key[:4]}",
        unique_id=user_id,
        data={"url": immich.url, "api_key": key, "verify_ssl": True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
