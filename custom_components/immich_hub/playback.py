"""Where Immich's media plays from: the proxy view's paths, signed URLs, and assets resolved.

The media browser, the proxy view, slideshows and image entities all serve Immich's media
through Home Assistant. This module is what they share, so that none of them imports another:
the path of the proxy for an asset, a signed URL a media player can fetch without a login, and
what an asset resolves to (which of Immich's renditions, with which media type).
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.media_player.const import CONTENT_AUTH_EXPIRY_TIME
from homeassistant.components.media_source import PlayMedia, Unresolvable
from homeassistant.core import HomeAssistant

from .api import ImmichClient, ImmichError
from .const import CONF_IMAGE_SIZE, DOMAIN, IMAGE_SIZE_FULLSIZE, option
from .data import ImmichHubConfigEntry
from .util import immich_errors

_LOGGER = logging.getLogger(__name__)

PROXY_PREFIX: Final = f"/api/{DOMAIN}"
"""Path of the proxy view; below it ``{entry_id}/{kind}/{id}``."""
SIGNED_URL_LIFETIME: Final = timedelta(seconds=CONTENT_AUTH_EXPIRY_TIME)
"""How long a signed URL works (24 h), as Home Assistant signs media URLs for players: a cast
device fetches a video range by range while it plays, and a paused video resumed hours later
still needs a valid URL."""
IMAGE_TYPE: Final = "image/jpeg"
"""What Immich's thumbnails and previews are: a JPEG of every original, HEIC and RAW included."""
VIDEO_TYPE: Final = "video/mp4"


def proxy_path(entry_id: str, kind: str, object_id: str) -> str:
    """Return the (unsigned) path of the proxy serving an asset or a person's face."""
    return f"{PROXY_PREFIX}/{entry_id}/{kind}/{object_id}"


def asset_media_id(entry_id: str, asset_id: str) -> str:
    """Return the media-source identifier of an asset (below ``media-source://immich_hub/``)."""
    return f"{entry_id}/asset/{asset_id}"


async def async_resolve_asset(
    hass: HomeAssistant, entry: ImmichHubConfigEntry, asset_id: str
) -> PlayMedia:
    """Resolve an asset to a signed URL of the proxy and the media type a player gets.

    Photos are sent as Immich's JPEG preview (or, with the full-size option, as the original);
    videos as what Immich's playback serves.
    """
    media_id = asset_media_id(entry.entry_id, asset_id)
    client = entry.runtime_data.client
    with immich_errors(
        hass,
        entry,
        "resolve_failed",
        exception=Unresolvable,
        not_found="media_not_found",
        media_id=media_id,
    ):
        asset = await client.get_asset(asset_id)
    original_type = asset.original_mime_type or ""
    if asset.is_video:
        kind, mime_type = "video", await playback_type(client, asset.id)
    elif option(entry, CONF_IMAGE_SIZE) == IMAGE_SIZE_FULLSIZE and original_type:
        kind, mime_type = "original", original_type
    else:
        kind, mime_type = "preview", IMAGE_TYPE
    path = proxy_path(entry.entry_id, kind, asset.id)
    return PlayMedia(async_sign_path(hass, path, SIGNED_URL_LIFETIME), mime_type)


async def playback_type(client: ImmichClient, asset_id: str) -> str:
    """Return the media type to announce for a video: what Immich's playback endpoint serves.

    That is its MP4 transcode, or the original when Immich made none. A QuickTime original is
    announced as MP4, which players that do not know QuickTime play; so is a video whose type
    cannot be learned.
    """
    try:
        served = await client.get_video_type(asset_id)
    except ImmichError as err:
        _LOGGER.debug("Cannot learn the type of video %s: %s", asset_id, err)
        return VIDEO_TYPE
    if served is None or not served.startswith("video/") or served == "video/quicktime":
        return VIDEO_TYPE
    return served
