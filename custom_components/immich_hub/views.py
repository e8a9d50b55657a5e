"""HTTP views that stream Immich's thumbnails, previews, originals and videos.

The path names only an entry and an asset (or person) id; both are checked before anything is
sent to Immich, so the view reaches exactly one of the endpoints below and no other Immich path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import logging
from typing import Final

from aiohttp import hdrs, web

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .api import (
    AssetMediaSize,
    AssetStream,
    ImmichClient,
    ImmichError,
    ImmichRangeNotSatisfiableError,
)
from .const import DOMAIN, Feature
from .data import loaded_entry
from .playback import PROXY_PREFIX
from .util import UNKNOWN_ID_ERRORS, is_uuid, reauth_if_refused

_LOGGER = logging.getLogger(__name__)

THUMBNAIL_CACHE_CONTROL: Final = "private, max-age=86400"
"""Thumbnails never change for an asset id; the browser may keep them for a day."""

_PASSED_HEADERS: Final = (
    hdrs.CONTENT_TYPE,
    hdrs.CONTENT_LENGTH,
    hdrs.CONTENT_RANGE,
    hdrs.ACCEPT_RANGES,
    hdrs.ETAG,
    hdrs.LAST_MODIFIED,
)

type Opener = Callable[[ImmichClient, str, Mapping[str, str]], Awaitable[AssetStream]]


def _sized(size: AssetMediaSize) -> Opener:
    """Return the opener of one of Immich's generated images."""

    def open_image(
        client: ImmichClient, asset_id: str, headers: Mapping[str, str]
    ) -> Awaitable[AssetStream]:
        """Open the generated image."""
        return client.get_thumbnail(asset_id, size=size, headers=headers)

    return open_image


def _original(
    client: ImmichClient, asset_id: str, headers: Mapping[str, str]
) -> Awaitable[AssetStream]:
    """Open the original file."""
    return client.get_original(asset_id, headers=headers)


def _video(
    client: ImmichClient, asset_id: str, headers: Mapping[str, str]
) -> Awaitable[AssetStream]:
    """Open the playable video."""
    return client.get_video(asset_id, headers=headers)


def _person(
    client: ImmichClient, person_id: str, headers: Mapping[str, str]
) -> Awaitable[AssetStream]:
    """Open a person's face thumbnail."""
    return client.get_person_thumbnail(person_id, headers=headers)


# What each kind of URL serves, and whether the browser may cache it.
KINDS: Final[dict[str, tuple[Opener, bool]]] = {
    "thumbnail": (_sized(AssetMediaSize.THUMBNAIL), True),
    "preview": (_sized(AssetMediaSize.PREVIEW), True),
    "fullsize": (_sized(AssetMediaSize.FULLSIZE), True),
    "original": (_original, False),
    "video": (_video, False),
    "person": (_person, True),
}


@callback
def async_setup_views(hass: HomeAssistant) -> None:
    """Register the proxy view."""
    hass.http.register_view(ImmichHubMediaView())


class ImmichHubMediaView(HomeAssistantView):
    """Stream an asset from Immich, with Range and conditional requests passed through."""

    url = PROXY_PREFIX + "/{entry_id}/{kind}/{object_id}"
    name = f"api:{DOMAIN}:media"
    requires_auth = True

    async def get(
        self, request: web.Request, entry_id: str, kind: str, object_id: str
    ) -> web.StreamResponse:
        """Stream the asset, the range asked for, or a 304 or 416 answer."""
        hass = request.app[KEY_HASS]
        entry = loaded_entry(hass, entry_id, Feature.MEDIA_BROWSER)
        if entry is None or kind not in KINDS or not is_uuid(object_id):
            raise web.HTTPNotFound
        opener, cacheable = KINDS[kind]
        try:
            stream = await opener(entry.runtime_data.client, object_id, request.headers)
        except ImmichRangeNotSatisfiableError as err:
            # Immich fails these itself; the answer HTTP asks for is ours to give.
            return web.Response(
                status=416,
                headers={hdrs.CONTENT_RANGE: f"bytes */{err.size}", hdrs.ACCEPT_RANGES: "bytes"},
            )
        except UNKNOWN_ID_ERRORS as err:
            # Immich answers 400 for an id that does not exist or is not the user's.
            raise web.HTTPNotFound from err
        except ImmichError as err:
            _LOGGER.warning("Cannot fetch %s %s from Immich: %s", kind, object_id, err)
            reauth_if_refused(hass, entry, err)
            raise web.HTTPBadGateway from err
        async with stream:
            response = web.StreamResponse(status=stream.status)
            for name in _PASSED_HEADERS:
                if (value := stream.headers.get(name)) is not None:
                    response.headers[name] = value
            if cacheable:
                response.headers[hdrs.CACHE_CONTROL] = THUMBNAIL_CACHE_CONTROL
            await response.prepare(request)
            try:
                async for chunk in stream.iter_any():
                    await response.write(chunk)
            except ImmichError as err:
                # The status line is sent: the only honest answer left is a cut-short body.
                _LOGGER.warning("Immich stopped sending %s %s: %s", kind, object_id, err)
                if request.transport is not None:
                    request.transport.abort()
                return response
            await response.write_eof()
        return response
