"""A real Immich behind a reverse proxy at a subpath (https://example.org/immich, say)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import ClientSession, hdrs, web
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from tests.media.test_media_source import browse, folders, walk
from tests.test_config_flow import _submit

from .conftest import steady
from .immich_api import ImmichApi, Server, album_owner

SUBPATH = "/immich"
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
"""Headers a proxy does not pass on (RFC 9110), and Host, which names the proxy."""


@dataclass(frozen=True)
class ReverseProxy:
    """Where the proxy serves Immich, and the paths it was asked for."""

    url: str
    paths: list[str]


@pytest.fixture
async def proxy(server: Server) -> AsyncGenerator[ReverseProxy]:
    """Serve the real Immich below /immich on a port of its own, streaming both ways."""
    paths: list[str] = []

    async def forward(request: web.Request) -> web.StreamResponse:
        paths.append(request.path)
        target = URL(server.url + request.raw_path.removeprefix(SUBPATH), encoded=True)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with upstream.request(
            request.method,
            target,
            headers=headers,
            data=request.content if request.body_exists else None,
            allow_redirects=False,
        ) as answer:
            response = web.StreamResponse(status=answer.status, reason=answer.reason)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    response.headers.add(name, value)
            await response.prepare(request)
            async for chunk in answer.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    app = web.Application()
    app.router.add_route(hdrs.METH_ANY, SUBPATH + "/{tail:.*}", forward)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    async with ClientSession(auto_decompress=False) as upstream:
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            yield ReverseProxy(f"http://127.0.0.1:{runner.addresses[0][1]}{SUBPATH}", paths)
        finally:
            await runner.cleanup()


@pytest.mark.usefixtures("setup_media_source")
async def test_config_flow_browse_and_thumbnail(
    hass: HomeAssistant,
    server: Server,
    admin_api: ImmichApi,
    proxy: ReverseProxy,
    hass_client: ClientSessionGenerator,
) -> None:
    """The subpath address sets up, browses the albums and serves Immich's thumbnails.

    Every request goes through the proxy, below the subpath.
    """
    result = await _submit(hass, f"{proxy.url}/", server.admin_key)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == proxy.url
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert proxy.paths
    assert all(path.startswith(f"{SUBPATH}/api/") for path in proxy.paths)

    me = (await admin_api.me())["id"]

    async def owned() -> dict[str, dict[str, Any]]:
        return {a["albumName"]: a for a in await admin_api.albums() if album_owner(a) == me}

    albums, node = await steady(owned, partial(browse, hass, f"{entry.entry_id}/albums"))
    assert sorted(folders(node)) == sorted(albums)
    album = max(albums.values(), key=lambda a: a["assetCount"])
    assets, (found, _) = await steady(
        partial(admin_api.album_assets, album["id"]),
        partial(walk, hass, folders(node)[album["albumName"]]),
    )
    assert sorted(found) == sorted(assets)

    client = await hass_client()
    for asset_id in found:
        asked = len(proxy.paths)
        response = await client.get(f"/api/immich_hub/{entry.entry_id}/thumbnail/{asset_id}")
        _, headers, expected = await admin_api.fetch(f"/assets/{asset_id}/thumbnail?size=thumbnail")
        assert response.status == 200
        assert await response.read() == expected
        assert response.headers["Content-Type"] == headers["Content-Type"]
        assert proxy.paths[asked:] == [f"{SUBPATH}/api/assets/{asset_id}/thumbnail"]
