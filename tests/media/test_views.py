"""The proxy view: streamed assets with Range and caching headers, auth and id checks."""

from __future__ import annotations

from datetime import timedelta
import logging

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_hub.const import DOMAIN
from fake_immich import FakeImmich
from homeassistant.components.http.auth import async_sign_path
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant

from .conftest import add_entry

MISSING = "00000000-0000-4000-8000-000000000000"


def first_asset(immich: FakeImmich, kind: str = "IMAGE") -> str:
    """Return the id of one of the admin's assets of a kind."""
    return next(
        asset.id
        for asset in immich.library.assets.values()
        if asset.owner_id == immich.admin_user_id and asset.type == kind
    )


async def direct(immich: FakeImmich, path: str, headers: dict[str, str] | None = None) -> bytes:
    """Fetch an API path straight from the fake server with the admin key."""
    return (await direct_response(immich, path, headers))[1]


async def direct_response(
    immich: FakeImmich, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """Fetch an API path straight from the fake server; return the status and the body."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{immich.url}/api{path}", headers={"x-api-key": immich.admin_key, **(headers or {})}
        ) as response,
    ):
        return response.status, await response.read()


@pytest.mark.parametrize(
    ("kind", "immich_path"),
    [
        ("thumbnail", "/assets/{id}/thumbnail?size=thumbnail"),
        ("preview", "/assets/{id}/thumbnail?size=preview"),
        ("fullsize", "/assets/{id}/thumbnail?size=fullsize"),
    ],
)
async def test_images_are_cached(
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    kind: str,
    immich_path: str,
) -> None:
    """Generated images stream with their type, length, ETag, date and a cache header."""
    asset_id = first_asset(immich)
    client = await hass_client()

    response = await client.get(f"/api/immich_hub/{loaded_entry.entry_id}/{kind}/{asset_id}")

    assert response.status == 200
    body = await response.read()
    assert body == await direct(immich, immich_path.format(id=asset_id))
    # As Immich makes them: WebP thumbnails, JPEG previews, a JPEG's original as its full size.
    expected = "image/webp" if kind == "thumbnail" else "image/jpeg"
    assert response.headers["Content-Type"] == expected
    assert response.headers["Content-Length"] == str(len(body))
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "private, max-age=86400"

    again = await client.get(
        f"/api/immich_hub/{loaded_entry.entry_id}/{kind}/{asset_id}",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status == 304
    assert await again.read() == b""


async def test_person_face(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A person's face comes through the same proxy."""
    person_id = next(p.id for p in immich.library.people.values() if p.name == "Alice")
    client = await hass_client()

    response = await client.get(f"/api/immich_hub/{loaded_entry.entry_id}/person/{person_id}")

    assert response.status == 200
    assert await response.read() == await direct(immich, f"/people/{person_id}/thumbnail")
    assert response.headers["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("kind", "immich_path"), [("video", "/video/playback"), ("original", "/original")]
)
async def test_video_ranges(
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    kind: str,
    immich_path: str,
) -> None:
    """Videos and originals stream whole or by range (206), and a range past the end gets 416.

    Immich itself fails a range past the end (500 in 2.x, 404 in 3.x), telling the file's size
    in Content-Range: the proxy answers 416 with it, asking Immich nothing more.
    """
    asset_id = first_asset(immich, "VIDEO")
    whole = await direct(immich, f"/assets/{asset_id}{immich_path}")
    url = f"/api/immich_hub/{loaded_entry.entry_id}/{kind}/{asset_id}"
    client = await hass_client()

    response = await client.get(url)
    assert response.status == 200
    assert await response.read() == whole
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Length"] == str(len(whole))
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Cache-Control" not in response.headers

    immich.clear_requests()
    part = await client.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status == 206
    assert len(immich.requests) == 1
    assert await part.read() == whole[100:1100]
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(whole)}"
    assert part.headers["Content-Length"] == "1000"

    tail = await client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status == 206
    assert await tail.read() == whole[-10:]

    past_the_end = {"Range": f"bytes={len(whole) + 10}-"}
    immich_status, _ = await direct_response(
        immich, f"/assets/{asset_id}{immich_path}", past_the_end
    )
    assert immich_status == (500 if immich.api_version.startswith("2.") else 404)
    immich.clear_requests()
    beyond = await client.get(url, headers=past_the_end)
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(whole)}"
    assert [r.headers.get("Range") for r in immich.requests] == [past_the_end["Range"]]


async def test_authentication_required(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Without a login or a valid signature the view answers 401 and asks nothing of Immich."""
    path = f"/api/immich_hub/{loaded_entry.entry_id}/original/{first_asset(immich)}"
    client = await hass_client_no_auth()
    immich.clear_requests()

    assert (await client.get(path)).status == 401
    expired = async_sign_path(hass, path, timedelta(seconds=-1))
    assert (await client.get(expired)).status == 401
    other_path = async_sign_path(hass, path.replace("original", "preview"), timedelta(hours=1))
    assert (await client.get(path + "?" + other_path.split("?", 1)[1])).status == 401
    valid = async_sign_path(hass, path, timedelta(hours=1))
    head, signature = valid.rsplit(".", 1)
    # The first character of the signature carries six full bits: changing it changes the bytes.
    altered = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert (await client.get(altered)).status == 401
    assert immich.requests == []

    signed = async_sign_path(hass, path, timedelta(hours=1))
    assert (await client.get(signed)).status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/immich_hub/{entry}/original/not-a-uuid",
        "/api/immich_hub/{entry}/original/{asset}x",
        "/api/immich_hub/{entry}/download/{asset}",
        "/api/immich_hub/{entry}/original/%2E%2E",
        "/api/immich_hub/{entry}/original/{asset}%5C..%5Cserver",
        "/api/immich_hub/{entry}/original/{asset}/extra",
        "/api/immich_hub/01JAAAAAAAAAAAAAAAAAAAAAAA/original/{asset}",
        "/api/immich_hub/%2E%2E/original/{asset}",
    ],
)
async def test_bad_ids_are_not_found(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    path: str,
) -> None:
    """A non-UUID, an unknown kind or entry, or a traversal gets 404 before Immich is asked."""
    client = await hass_client()
    immich.clear_requests()

    response = await client.get(path.format(entry=loaded_entry.entry_id, asset=first_asset(immich)))

    assert response.status == 404
    assert immich.requests == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/immich_hub/{entry}/original/..%2F..%2Fserver%2Fabout",
        "/api/immich_hub/{entry}/original/{asset}%2F..%2F..%2Fserver",
    ],
)
async def test_slash_traversal_never_reaches_immich(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    path: str,
) -> None:
    """Home Assistant's own filter already refuses "../" (400); Immich is not asked either way."""
    client = await hass_client()
    immich.clear_requests()

    response = await client.get(path.format(entry=loaded_entry.entry_id, asset=first_asset(immich)))

    assert response.status in (400, 404)
    assert immich.requests == []


async def test_entry_without_media_permissions(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """An entry whose key may not browse media serves nothing."""
    limited = await add_entry(hass, immich, immich.limited_key, immich.user_user_id)
    client = await hass_client()
    immich.clear_requests()

    response = await client.get(f"/api/immich_hub/{limited.entry_id}/thumbnail/{MISSING}")

    assert response.status == 404
    assert immich.requests == []


async def test_unknown_asset_is_not_found(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """An asset Immich does not know (it answers 400) is a 404."""
    client = await hass_client()

    response = await client.get(f"/api/immich_hub/{loaded_entry.entry_id}/video/{MISSING}")

    assert response.status == 404


@pytest.mark.parametrize(
    "case", [("status", 404, 404), ("status", 500, 502), ("status", 403, 502), ("status", 400, 404)]
)
async def test_immich_failure(
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, int, int],
) -> None:
    """Immich's 404 is a 404, other failures a 502; the API key is in neither answer nor log."""
    caplog.set_level(logging.DEBUG)
    asset_id = first_asset(immich)
    kind, immich_status, status = case
    immich.add_fault(kind, path=f"/assets/{asset_id}/original", status=immich_status)
    client = await hass_client()

    response = await client.get(f"/api/immich_hub/{loaded_entry.entry_id}/original/{asset_id}")

    assert response.status == status
    assert immich.admin_key not in await response.text()
    assert immich.admin_key not in caplog.text


async def test_broken_body_is_cut_short(
    immich: FakeImmich, loaded_entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """When Immich drops the connection mid-body, the answer is cut short, never passed as whole."""
    asset_id = first_asset(immich, "VIDEO")
    immich.add_fault("reset", path=f"/assets/{asset_id}/video/playback")
    client = await hass_client()

    response = await client.get(f"/api/immich_hub/{loaded_entry.entry_id}/video/{asset_id}")

    assert response.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await response.read()


async def test_revoked_key_asks_for_a_new_one(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """When Immich no longer accepts the key, the view answers 502 and reauthentication starts."""
    asset_id = first_asset(immich)
    del immich.library.keys[immich.admin_key]
    client = await hass_client()

    response = await client.get(f"/api/immich_hub/{loaded_entry.entry_id}/preview/{asset_id}")
    await hass.async_block_till_done()

    assert response.status == 502
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
