"""Endpoint handlers of the fake Immich server, keyed by the spec's operationId.

Handlers see already authenticated and validated input (`Context`); they raise `ApiError` for
the errors Immich itself would answer, with Immich's wording. Those that change assets announce
it on the websocket as Immich 2.7.4 and 3.0.3 do (upload, trash, restore, delete).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import io
from pathlib import PurePath
import re
from typing import Any, Final, Protocol
from urllib.parse import quote, urlencode

from aiohttp import BodyPartReader, web
from PIL import Image

from .context import Context, Handler, empty_response, json_response
from .dto import Dto, iso
from .errors import ApiError, validation_error
from .library import Album, Asset, Library, Memory
from .media import SyntheticBody

CHUNK: Final = 64 * 1024
MAX_KEPT_UPLOAD: Final = 32 * 1024 * 1024
_VIDEO_EXTENSIONS: Final = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")
# Images a browser shows, by extension: Immich sends their original as the full size.
_WEB_IMAGE_EXTENSIONS: Final = (".avif", ".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp")
CACHED: Final = (
    "private, max-age=86400, no-transform, stale-while-revalidate=2592000, stale-if-error=2592000"
)
NOT_CACHED: Final = "private, no-cache, no-transform"
MIN_FACES: Final = 3  # Immich's default machineLearning.facialRecognition.minFaces
_URI_SAFE: Final = "-_.!~*'()"  # what JavaScript's encodeURIComponent leaves as it is
_ASSET_UPDATES: Final = (
    ("isFavorite", "is_favorite"),
    ("visibility", "visibility"),
    ("rating", "rating"),
    ("latitude", "latitude"),
    ("longitude", "longitude"),
)
HANDLERS: dict[str, Handler] = {}


def handles(*operation_ids: str) -> Callable[[Handler], Handler]:
    """Register a handler for operationIds."""

    def register(func: Handler) -> Handler:
        for operation_id in operation_ids:
            HANDLERS[operation_id] = func
        return func

    return register


def dto(ctx: Context) -> Dto:
    """Return the DTO builder of the request's dialect."""
    return Dto(ctx.library, ctx.server.api_version)


def no_access(permission: str) -> ApiError:
    """Immich's answer to an unknown id or one the user may not use (a 400, not a 404)."""
    return ApiError(400, f"Not found or no {permission} access")


def parse_time(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp or date into an aware datetime."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise validation_error([("date", f"{value!r} is not a valid date")]) from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def human_size(size: float) -> str:
    """Format bytes as Immich does ("1.8 TiB")."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} TiB"


def readable_asset(ctx: Context, asset_id: str, permission: str = "asset.read") -> Asset:
    """Return an asset the user may read, or raise Immich's 400.

    A locked asset is out of reach: only a session unlocked with the PIN sees those, which an API
    key never is.
    """
    asset = ctx.library.assets.get(asset_id)
    if (
        asset is None
        or asset.visibility == "locked"
        or not ctx.library.can_read_asset(ctx.auth_user.id, asset)
    ):
        raise no_access(permission)
    return asset


def readable_album(ctx: Context, album_id: str, permission: str = "album.read") -> Album:
    """Return an album the user owns or that is shared with them."""
    album = ctx.library.albums.get(album_id)
    user_id = ctx.auth_user.id
    if album is None or (album.owner_id != user_id and user_id not in album.shared_with):
        raise no_access(permission)
    return album


class _Owned(Protocol):
    owner_id: str


def owned[T: _Owned](ctx: Context, items: Mapping[str, T], item_id: str, permission: str) -> T:
    """Return one of the user's own items, or Immich's "no access" answer."""
    item = items.get(item_id)
    if item is None or item.owner_id != ctx.auth_user.id:
        raise no_access(permission)
    return item


def owned_album(ctx: Context, album_id: str, permission: str) -> Album:
    """Return an album the user owns."""
    return owned(ctx, ctx.library.albums, album_id, permission)


def sample_value(schema: dict[str, Any], name: str) -> Any:
    """Give a plausible value for a spec property (used to fill flag/config DTOs)."""
    kind = schema.get("type")
    if kind == "boolean":
        return name not in {"oauth", "oauthAutoLaunch", "email", "configFile", "maintenanceMode",
                            "publicUsers", "importFaces"}  # fmt: skip
    if kind == "integer":
        return {"trashDays": 30, "userDeleteDelay": 7, "minFaces": 3}.get(name, 0)
    if kind == "string":
        return {"oauthButtonText": "Login with OAuth"}.get(name, "")
    return None


def fill_from_schema(ctx: Context, name: str) -> dict[str, Any]:
    """Build a flat DTO with every declared property of a schema."""
    schema = ctx.server.spec.schema(name)
    return {prop: sample_value(sub, prop) for prop, sub in schema.get("properties", {}).items()}


# --- users and server -----------------------------------------------------------------------------


@handles("getMyUser")
async def get_my_user(ctx: Context) -> web.StreamResponse:
    """GET /users/me."""
    return json_response(dto(ctx).user_admin(ctx.auth_user))


@handles("getMyApiKey")
async def get_my_api_key(ctx: Context) -> web.StreamResponse:
    """GET /api-keys/me."""
    assert ctx.key is not None
    return json_response(dto(ctx).api_key(ctx.key))


@handles("pingServer")
async def ping(ctx: Context) -> web.StreamResponse:
    """GET /server/ping."""
    return json_response({"res": "pong"})


@handles("getServerVersion")
async def server_version(ctx: Context) -> web.StreamResponse:
    """GET /server/version."""
    major, minor, patch = ctx.server.server_version
    body: dict[str, Any] = {"major": major, "minor": minor, "patch": patch}
    if "prerelease" in ctx.server.spec.schema("ServerVersionResponseDto").get("properties", {}):
        body["prerelease"] = None
    return json_response(body)


@handles("getAboutInfo")
async def about(ctx: Context) -> web.StreamResponse:
    """GET /server/about."""
    version = "v{}.{}.{}".format(*ctx.server.server_version)
    return json_response(
        {
            "build": "1234567890",
            "buildImage": version,
            "buildImageUrl": f"https://github.com/immich-app/immich/pkgs/container/immich-server?tag={version}",
            "buildUrl": "https://github.com/immich-app/immich/actions/runs/1234567890",
            "exiftool": "13.00",
            "ffmpeg": "7.0.2-7",
            "imagemagick": "7.1.1-47",
            "libvips": "8.16.1",
            "licensed": False,
            "nodejs": "v22.18.0",
            "repository": "immich-app/immich",
            "repositoryUrl": "https://github.com/immich-app/immich",
            "sourceCommit": "0123456789abcdef0123456789abcdef01234567",
            "sourceRef": version,
            "sourceUrl": f"https://github.com/immich-app/immich/commit/{version}",
            "version": version,
            "versionUrl": f"https://github.com/immich-app/immich/releases/tag/{version}",
        }
    )


@handles("getServerFeatures")
async def features(ctx: Context) -> web.StreamResponse:
    """GET /server/features: smart search and face recognition on, OAuth and e-mail off."""
    body = fill_from_schema(ctx, "ServerFeaturesDto")
    body.update(ctx.server.features)
    return json_response(body)


@handles("getServerConfig")
async def server_config(ctx: Context) -> web.StreamResponse:
    """GET /server/config."""
    body = fill_from_schema(ctx, "ServerConfigDto")
    body.update({"isInitialized": True, "isOnboarded": True, "externalDomain": ""})
    return json_response(body)


@handles("getStorage")
async def storage(ctx: Context) -> web.StreamResponse:
    """GET /server/storage."""
    lib = ctx.library
    size, used = lib.disk_size, lib.disk_used
    return json_response(
        {
            "diskAvailable": human_size(size - used),
            "diskAvailableRaw": size - used,
            "diskSize": human_size(size),
            "diskSizeRaw": size,
            "diskUsagePercentage": round(used / size * 100, 2),
            "diskUse": human_size(used),
            "diskUseRaw": used,
        }
    )


@handles("getServerStatistics")
async def statistics(ctx: Context) -> web.StreamResponse:
    """GET /server/statistics (admin): totals and usage per user."""
    lib = ctx.library
    per_user: list[dict[str, Any]] = []
    for user in lib.users.values():
        assets = lib.owned_assets(user.id)
        photos = [a for a in assets if a.is_image]
        videos = [a for a in assets if not a.is_image]
        per_user.append(
            {
                "photos": len(photos),
                "quotaSizeInBytes": user.quota_size,
                "usage": sum(a.size for a in assets),
                "usagePhotos": sum(a.size for a in photos),
                "usageVideos": sum(a.size for a in videos),
                "userId": user.id,
                "userName": user.name,
                "videos": len(videos),
            }
        )
    totals: dict[str, int] = {
        key: sum(entry[key] for entry in per_user)
        for key in ("photos", "videos", "usage", "usagePhotos", "usageVideos")
    }
    return json_response({**totals, "usageByUser": per_user})


@handles("getVersionCheck")
async def version_check(ctx: Context) -> web.StreamResponse:
    """GET /server/version-check: the latest release Immich knows of."""
    checked = datetime.combine(ctx.library.today, datetime.min.time(), UTC)
    return json_response({"checkedAt": iso(checked), "releaseVersion": ctx.library.release_version})


# --- queues and jobs ------------------------------------------------------------------------------


def _queue_names(ctx: Context) -> list[str]:
    """Return the spec's queue names, then any a test added that a newer server would have."""
    known = ctx.server.spec.enum("QueueName")
    return known + [name for name in ctx.library.queues if name not in known]


def _queue(ctx: Context, name: str) -> dict[str, Any]:
    queue = ctx.library.queues[name]
    return {"isPaused": queue.is_paused, "name": name, "statistics": queue.counts()}


def _queue_legacy(ctx: Context, name: str) -> dict[str, Any]:
    queue = ctx.library.queues[name]
    return {
        "jobCounts": queue.counts(),
        "queueStatus": {"isActive": queue.active > 0, "isPaused": queue.is_paused},
    }


@handles("getQueues")
async def get_queues(ctx: Context) -> web.StreamResponse:
    """GET /queues."""
    return json_response([_queue(ctx, name) for name in _queue_names(ctx)])


@handles("getQueue")
async def get_queue(ctx: Context) -> web.StreamResponse:
    """GET /queues/{name}."""
    return json_response(_queue(ctx, ctx.params["name"]))


@handles("updateQueue")
async def update_queue(ctx: Context) -> web.StreamResponse:
    """PUT /queues/{name}: pause or resume."""
    queue = ctx.library.queues[ctx.params["name"]]
    if isinstance(ctx.body, dict) and "isPaused" in ctx.body:
        if ctx.body["isPaused"] and queue.name == "backgroundTask":
            # As Immich's queue service does.
            raise ApiError(400, "The BackgroundTask queue cannot be paused")
        if ctx.body["isPaused"]:
            queue.pause()
        else:
            queue.resume()
    return json_response(_queue(ctx, queue.name))


@handles("emptyQueue")
async def empty_queue(ctx: Context) -> web.StreamResponse:
    """DELETE /queues/{name}/jobs: drop the jobs not started yet (and failed ones if asked)."""
    queue = ctx.library.queues[ctx.params["name"]]
    queue.drain()
    if isinstance(ctx.body, dict) and ctx.body.get("failed"):
        queue.failed = 0
    return empty_response()


@handles("getQueueJobs")
async def queue_jobs(ctx: Context) -> web.StreamResponse:
    """GET /queues/{name}/jobs: the fake keeps no individual jobs."""
    return json_response([])


@handles("getQueuesLegacy")
async def get_jobs(ctx: Context) -> web.StreamResponse:
    """GET /jobs (deprecated): every queue by name."""
    names = ctx.server.spec.schema("QueuesResponseLegacyDto").get("properties", {})
    return json_response({name: _queue_legacy(ctx, name) for name in names})


@handles("runQueueCommandLegacy")
async def run_queue_command(ctx: Context) -> web.StreamResponse:
    """PUT /jobs/{name}: start, pause, resume, empty or clear-failed."""
    queue = ctx.library.queues[ctx.params["name"]]
    command = ctx.body["command"]
    force = bool(ctx.body.get("force"))
    if command == "start":
        if queue.active:
            # As Immich's queue service does, whether forced or not.
            raise ApiError(400, "Job is already running")
        queue.enqueue(25 if force else 5)
    elif command == "pause":
        queue.pause()
    elif command == "resume":
        queue.resume()
    elif command == "empty":
        queue.drain()
    elif command == "clear-failed":
        queue.failed = 0
    return json_response(_queue_legacy(ctx, queue.name))


@handles("createJob")
async def create_job(ctx: Context) -> web.StreamResponse:
    """POST /jobs: queue a manual job."""
    ctx.library.queues[next(iter(ctx.library.queues))].enqueue()
    return empty_response()


# --- albums ---------------------------------------------------------------------------------------


@handles("getAllAlbums")
async def get_albums(ctx: Context) -> web.StreamResponse:
    """GET /albums.

    2.x: `shared` true = albums shared by or with the user, false = owned and not shared,
    absent = owned albums only. 3.x: `isOwned`/`isShared` filter all accessible albums.
    """
    lib, query, user_id = ctx.library, ctx.query, ctx.auth_user.id
    visible = lib.albums_visible_to(user_id)
    if not ctx.server.api_version.startswith("2."):
        albums = visible
        if "isOwned" in query:
            albums = [a for a in albums if (a.owner_id == user_id) == query["isOwned"]]
        if "isShared" in query:
            albums = [a for a in albums if bool(a.shared_with) == query["isShared"]]
        if "name" in query:
            albums = [a for a in albums if a.name == query["name"]]
        if "id" in query:
            albums = [a for a in albums if a.id == query["id"]]
    elif query.get("shared") is True:
        albums = [a for a in visible if a.shared_with]
    elif query.get("shared") is False:
        albums = [a for a in visible if a.owner_id == user_id and not a.shared_with]
    else:
        albums = [a for a in visible if a.owner_id == user_id]
    if "assetId" in query:
        albums = [a for a in albums if query["assetId"] in a.asset_ids]
    builder = dto(ctx)
    return json_response([builder.album(a) for a in albums])


@handles("getAlbumStatistics")
async def album_statistics(ctx: Context) -> web.StreamResponse:
    """GET /albums/statistics."""
    user_id = ctx.auth_user.id
    visible = ctx.library.albums_visible_to(user_id)
    owned = [a for a in visible if a.owner_id == user_id]
    return json_response(
        {
            "owned": len(owned),
            "shared": len([a for a in visible if a.shared_with]),
            "notShared": len([a for a in owned if not a.shared_with]),
        }
    )


@handles("createAlbum")
async def create_album(ctx: Context) -> web.StreamResponse:
    """POST /albums."""
    body, lib, user = ctx.body, ctx.library, ctx.auth_user
    album = lib.create_album(user.id, body["albumName"], body.get("description", ""))
    for asset_id in body.get("assetIds", []):
        # As Immich does, assets the user may not share are left out without a word.
        if lib.can_share_asset(user.id, lib.assets.get(asset_id)):
            album.asset_ids[asset_id] = None
    for album_user in body.get("albumUsers", []):
        if album_user["userId"] not in lib.users:
            raise ApiError(400, "User not found")
        album.shared_with[album_user["userId"]] = album_user.get("role", "editor")
    album.thumbnail_id = next(iter(album.asset_ids), None)
    return json_response(dto(ctx).album(album, with_assets=True, listed=False), status=201)


@handles("getAlbumInfo")
async def get_album(ctx: Context) -> web.StreamResponse:
    """GET /albums/{id} (2.x lists the assets unless `withoutAssets=true`)."""
    album = readable_album(ctx, ctx.params["id"])
    with_assets = not ctx.query.get("withoutAssets", False)
    body = dto(ctx).album(album, with_assets=with_assets)
    if album.shared_with:
        body["contributorCounts"] = _contributor_counts(ctx.library, album)
    return json_response(body)


def _contributor_counts(lib: Library, album: Album) -> list[dict[str, Any]]:
    """Count a shared album's assets by the user who owns them, most first."""
    counts: dict[str, int] = {}
    for asset_id in album.asset_ids:
        asset = lib.assets.get(asset_id)
        if asset is not None and not asset.is_trashed:
            counts[asset.owner_id] = counts.get(asset.owner_id, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [{"assetCount": count, "userId": user_id} for user_id, count in ranked]


@handles("updateAlbumInfo")
async def update_album(ctx: Context) -> web.StreamResponse:
    """PATCH /albums/{id}."""
    album = owned_album(ctx, ctx.params["id"], "album.update")
    body = ctx.body
    if "albumName" in body:
        album.name = body["albumName"]
    if "description" in body:
        album.description = body["description"] or ""
    if "albumThumbnailAssetId" in body:
        if body["albumThumbnailAssetId"] not in album.asset_ids:
            raise ApiError(400, "Invalid album thumbnail")
        album.thumbnail_id = body["albumThumbnailAssetId"]
    if "isActivityEnabled" in body:
        album.is_activity_enabled = body["isActivityEnabled"]
    if "order" in body:
        album.order = body["order"]
    album.updated_at = ctx.library.now()
    return json_response(dto(ctx).album(album, listed=False))


@handles("deleteAlbum")
async def delete_album(ctx: Context) -> web.StreamResponse:
    """DELETE /albums/{id}."""
    album = owned_album(ctx, ctx.params["id"], "album.delete")
    del ctx.library.albums[album.id]
    return empty_response()


@handles("addAssetsToAlbum")
async def add_to_album(ctx: Context) -> web.StreamResponse:
    """PUT /albums/{id}/assets: one result per id."""
    lib, user_id = ctx.library, ctx.auth_user.id
    album = lib.albums.get(ctx.params["id"])
    if album is None:
        raise ApiError(400, "Album not found")  # Immich looks the album up before the access
    if not (album.owner_id == user_id or album.shared_with.get(user_id) == "editor"):
        raise no_access("albumAsset.create")
    results = []
    for asset_id in ctx.body["ids"]:
        if asset_id in album.asset_ids:
            results.append({"id": asset_id, "success": False, "error": "duplicate"})
        elif not lib.can_share_asset(user_id, lib.assets.get(asset_id)):
            # Immich says no_permission for an unknown asset, another user's or a locked one.
            results.append({"id": asset_id, "success": False, "error": "no_permission"})
        else:
            album.asset_ids[asset_id] = None
            results.append({"id": asset_id, "success": True})
    if any(r["success"] for r in results):
        album.updated_at = lib.now()
        album.thumbnail_id = album.thumbnail_id or next(iter(album.asset_ids), None)
    return json_response(results)


@handles("removeAssetFromAlbum")
async def remove_from_album(ctx: Context) -> web.StreamResponse:
    """DELETE /albums/{id}/assets: one result per id."""
    lib, user_id = ctx.library, ctx.auth_user.id
    album = readable_album(ctx, ctx.params["id"], "albumAsset.delete")
    results = []
    for asset_id in ctx.body["ids"]:
        asset = lib.assets.get(asset_id)
        if asset_id not in album.asset_ids:
            results.append({"id": asset_id, "success": False, "error": "not_found"})
        elif album.owner_id != user_id and (asset is None or asset.owner_id != user_id):
            results.append({"id": asset_id, "success": False, "error": "no_permission"})
        else:
            del album.asset_ids[asset_id]
            results.append({"id": asset_id, "success": True})
    if any(r["success"] for r in results):
        album.updated_at = lib.now()
        if album.thumbnail_id not in album.asset_ids:
            album.thumbnail_id = next(iter(album.asset_ids), None)
    return json_response(results)


# --- assets ---------------------------------------------------------------------------------------


@handles("getAssetStatistics")
async def asset_statistics(ctx: Context) -> web.StreamResponse:
    """GET /assets/statistics."""
    query = ctx.query
    assets = [a for a in ctx.library.assets.values() if a.owner_id == ctx.auth_user.id]
    assets = [a for a in assets if a.is_trashed == query.get("isTrashed", False)]
    if "isFavorite" in query:
        assets = [a for a in assets if a.is_favorite == query["isFavorite"]]
    if "visibility" in query:
        assets = [a for a in assets if a.visibility == query["visibility"]]
    images = sum(1 for a in assets if a.is_image)
    return json_response({"images": images, "videos": len(assets) - images, "total": len(assets)})


@handles("getAssetInfo")
async def get_asset(ctx: Context) -> web.StreamResponse:
    """GET /assets/{id}."""
    asset = readable_asset(ctx, ctx.params["id"])
    body = dto(ctx).asset(
        asset, with_exif=True, with_people=True, with_tags=True, with_owner=True, with_stack=True
    )
    if asset.owner_id != ctx.auth_user.id:
        body["people"] = []  # as Immich: only the owner sees who is in a photo
    return json_response(body)


@handles("updateAsset")
async def update_asset(ctx: Context) -> web.StreamResponse:
    """PUT /assets/{id}; a locked asset is out of an API key's reach, as in Immich."""
    asset = owned(ctx, ctx.library.assets, ctx.params["id"], "asset.update")
    if asset.visibility == "locked":
        raise no_access("asset.update")
    body = ctx.body
    for field_name, attr in _ASSET_UPDATES:
        if field_name in body:
            setattr(asset, attr, body[field_name])
    if "description" in body:
        asset.description = body["description"]
    if "dateTimeOriginal" in body:
        taken = parse_time(body["dateTimeOriginal"])
        if taken is not None:
            asset.taken_at = taken
    asset.updated_at = ctx.library.now()
    # As Immich: with EXIF data and faces, without tags or owner.
    return json_response(dto(ctx).asset(asset, with_exif=True, with_people=True))


@handles("getRandom")
async def random_assets(ctx: Context) -> web.StreamResponse:
    """GET /assets/random (2.x only, deprecated)."""
    count = int(ctx.query.get("count", 1))
    pool = [a for a in ctx.library.owned_assets(ctx.auth_user.id) if a.visibility == "timeline"]
    picked = ctx.library.motion.sample(pool, min(count, len(pool)))
    builder = dto(ctx)
    return json_response([builder.asset(a, with_exif=True) for a in picked])


def _etag(asset: Asset, variant: str) -> str:
    """Return a weak ETag, as Express makes them from a file's size and time."""
    digest = hashlib.sha1(f"{asset.id}:{variant}".encode(), usedforsecurity=False).hexdigest()
    return f'W/"{digest[:16]}"'


@contextlib.contextmanager
def sending_file(ctx: Context) -> Iterator[None]:
    """Answer a failure of a route that sends a file as Immich does.

    Immich 3 turns every error of its sendFile helper (originals, video, faces) into a bare
    404; 2.x sends the error as raised.
    """
    try:
        yield
    except ApiError as error:
        if ctx.server.api_version.startswith("2."):
            raise
        raise ApiError(404, "Not Found") from error


async def binary_response(
    ctx: Context,
    data: bytes | SyntheticBody,
    content_type: str,
    *,
    etag: str,
    last_modified: datetime,
    filename: str | None = None,
    cache_control: str = CACHED,
) -> web.StreamResponse:
    """Stream bytes with caching headers and single-range support (206; no 416, as Immich)."""
    request = ctx.request
    headers = {
        "ETag": etag,
        "Last-Modified": last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Accept-Ranges": "bytes",
        "Cache-Control": cache_control,
    }
    if filename:
        encoded = quote(filename, safe=_URI_SAFE)
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{encoded}"
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    total = data.size if isinstance(data, SyntheticBody) else len(data)
    start, end = 0, total - 1
    status = 200
    range_header = request.headers.get("Range")
    if range_header:
        parsed = _parse_range(range_header, total)
        if parsed is None:
            # Express, which sends Immich's files, fails such a range with an error that is no
            # HTTP exception of Immich's: 2.x answers it 500, 3.x turns it into a bare 404.
            # The answer still tells the size, as Express set Content-Range before failing.
            size = {"Content-Range": f"bytes */{total}"}
            if ctx.server.api_version.startswith("2."):
                raise ApiError(500, "Internal server error", titled=False, headers=size)
            raise ApiError(404, "Not Found", headers=size)
        start, end = parsed
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    response = web.StreamResponse(status=status, headers=headers)
    response.content_type = content_type
    response.content_length = end - start + 1
    await response.prepare(request)
    for offset in range(start, end + 1, CHUNK):
        length = min(CHUNK, end + 1 - offset)
        if isinstance(data, SyntheticBody):
            await response.write(data.chunk(offset, length))
        else:
            await response.write(data[offset : offset + length])
    await response.write_eof()
    return response


def _parse_range(header: str, total: int) -> tuple[int, int] | None:
    """Parse a single `bytes=` range; None when it cannot be satisfied."""
    found = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not found or total == 0:
        return None
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            return None
        return max(0, total - length), total - 1
    start = int(first)
    end = min(int(last), total - 1) if last else total - 1
    if start >= total or end < start:
        return None
    return start, end


def _original(lib: Library, asset: Asset) -> bytes | SyntheticBody:
    """Return an asset's original: rendered bytes, or a body generated as it is sent."""
    return lib.synthetic.get(asset.payload) or lib.media.original(asset.payload)


@handles("viewAsset")
async def view_asset(ctx: Context) -> web.StreamResponse:
    """GET /assets/{id}/thumbnail?size=thumbnail|preview|fullsize.

    As Immich: the thumbnail is WebP, the preview JPEG; the full size of a photo a browser
    shows is a redirect to its original, of anything else to its preview (Immich makes no
    full-size renditions unless told to).
    """
    asset = readable_asset(ctx, ctx.params["id"], "asset.view")
    size = ctx.query.get("size", "thumbnail")
    stem = PurePath(asset.file_name).stem
    if size == "original":
        if ctx.server.api_version.startswith("2."):
            raise ApiError(400, "May not request original file")
        return _redirect(ctx, "original")
    if size == "fullsize":
        web_image = asset.file_name.lower().endswith(_WEB_IMAGE_EXTENSIONS)
        return _redirect(ctx, "original" if web_image else "preview")
    if size == "thumbnail":
        data, ctype = ctx.library.media.webp_thumbnail(asset.payload), "image/webp"
        filename = f"{stem}_thumbnail.webp"
    else:
        data, ctype = ctx.library.media.sized(asset.payload, size), "image/jpeg"
        filename = f"{stem}_{size}.jpeg"
    return await binary_response(
        ctx, data, ctype, etag=_etag(asset, size), last_modified=asset.modified_at,
        filename=filename,
    )  # fmt: skip


def _redirect(ctx: Context, target: str) -> web.StreamResponse:
    """Redirect a rendition as Immich does: to the original (relative) or to another size."""
    query = {name: value for name, value in ctx.request.query.items() if name != "size"}
    if target == "original":
        location = "original?" + urlencode(query)
    else:
        location = ctx.request.path + "?" + urlencode({**query, "size": target})
    return web.Response(
        status=302, headers={"Location": location}, text=f"Found. Redirecting to {location}"
    )


@handles("downloadAsset")
async def download_asset(ctx: Context) -> web.StreamResponse:
    """GET /assets/{id}/original."""
    with sending_file(ctx):
        asset = readable_asset(ctx, ctx.params["id"], "asset.download")
    data = _original(ctx.library, asset)
    return await binary_response(
        ctx, data, asset.mime, etag=_etag(asset, "original"), last_modified=asset.modified_at,
        filename=asset.file_name,
    )  # fmt: skip


@handles("playAssetVideo")
async def play_video(ctx: Context) -> web.StreamResponse:
    """GET /assets/{id}/video/playback."""
    with sending_file(ctx):
        asset = readable_asset(ctx, ctx.params["id"], "asset.view")
        if asset.is_image:
            raise ApiError(404, "Asset not found or asset is not a video")
    # As Immich does: the MP4 transcode when there is one, else the original.
    data = _original(ctx.library, asset)
    served = "video/mp4" if asset.encoded else asset.mime
    return await binary_response(
        ctx, data, served, etag=_etag(asset, "video"), last_modified=asset.modified_at
    )


def _find_checksum(lib: Library, owner_id: str, checksum: str) -> str | None:
    """Find an owner's asset by checksum (base64 or hex SHA-1)."""
    if re.fullmatch(r"[0-9a-fA-F]{40}", checksum):
        checksum = base64.b64encode(bytes.fromhex(checksum)).decode()
    found = lib.checksums.get((owner_id, checksum))
    if found is None:
        # Seeded assets hash their original lazily; hash them now.
        for asset in lib.assets.values():
            if asset.owner_id == owner_id and asset.checksum is None:
                lib.checksum(asset)
        found = lib.checksums.get((owner_id, checksum))
    return found if found in lib.assets else None


@handles("checkBulkUpload")
async def bulk_upload_check(ctx: Context) -> web.StreamResponse:
    """POST /assets/bulk-upload-check."""
    results = []
    for item in ctx.body["assets"]:
        existing = _find_checksum(ctx.library, ctx.auth_user.id, item["checksum"])
        if existing is None:
            results.append({"action": "accept", "id": item["id"]})
        else:
            asset = ctx.library.assets[existing]
            results.append({"action": "reject", "id": item["id"], "assetId": existing,
                            "isTrashed": asset.is_trashed, "reason": "duplicate"})  # fmt: skip
    return json_response({"results": results})


@handles("restoreAssets")
async def restore_assets(ctx: Context) -> web.StreamResponse:
    """POST /trash/restore/assets: the user's own trashed assets back to the library.

    Immich announces every id asked for (`on_asset_restore`), trashed or not.
    """
    ids: list[str] = ctx.body["ids"]
    assets = [owned(ctx, ctx.library.assets, asset_id, "asset.delete") for asset_id in ids]
    restored = 0
    for asset in assets:
        if asset.is_trashed:
            asset.is_trashed = False
            asset.updated_at = ctx.library.now()
            restored += 1
    if ids:
        ctx.server.emit(ctx.auth_user.id, "on_asset_restore", ids)
    return json_response({"count": restored})


@handles("restoreTrash")
async def restore_trash(ctx: Context) -> web.StreamResponse:
    """POST /trash/restore: all of the user's trash back to the library.

    Unlike the route above, Immich 2.7.4 and 3.0.3 announce nothing on the websocket for it.
    """
    restored = 0
    for asset in ctx.library.assets.values():
        if asset.owner_id == ctx.auth_user.id and asset.is_trashed:
            asset.is_trashed = False
            asset.updated_at = ctx.library.now()
            restored += 1
    return json_response({"count": restored})


@handles("deleteAssets")
async def delete_assets(ctx: Context) -> web.StreamResponse:
    """DELETE /assets: to the trash (`on_asset_trash` with the ids), or for good with `force`.

    Deleted for good, each asset is announced on its own (`on_asset_delete`), as Immich's
    deletion jobs do. Locked assets are out of an API key's reach.
    """
    ids: list[str] = ctx.body["ids"]
    assets = [owned(ctx, ctx.library.assets, asset_id, "asset.delete") for asset_id in ids]
    if any(asset.visibility == "locked" for asset in assets):
        raise no_access("asset.delete")
    user_id = ctx.auth_user.id
    if ctx.body.get("force"):
        for asset_id in dict.fromkeys(ids):
            ctx.library.remove_asset(asset_id)
            ctx.server.emit(user_id, "on_asset_delete", asset_id)
        return empty_response()
    for asset in assets:
        asset.is_trashed = True
        asset.updated_at = ctx.library.now()
    if ids:
        ctx.server.emit(user_id, "on_asset_trash", ids)
    return empty_response()


@dataclass(slots=True)
class _Upload:
    """What a streamed multipart upload carried."""

    fields: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None
    file_type: str = "application/octet-stream"
    size: int = 0
    checksum: str = ""
    data: bytes = b""
    problems: list[tuple[str, str]] = field(default_factory=list)


async def _read_upload(request: web.Request, properties: dict[str, Any]) -> _Upload:
    """Stream the multipart body: the file is read chunk by chunk and hashed with SHA-1."""
    upload = _Upload()
    digest = hashlib.sha1(usedforsecurity=False)
    kept = io.BytesIO()
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            upload.problems.append(("body", "nested multipart is not accepted"))
            continue
        name = part.name or ""
        if name not in properties:
            upload.problems.append((name, "is not a field of AssetMediaCreateDto"))
        if part.filename is None:
            upload.fields[name] = await part.text()
            continue
        if name == "assetData":
            upload.file_name = part.filename
            upload.file_type = part.headers.get("Content-Type", upload.file_type)
        while chunk := await part.read_chunk(CHUNK):
            if name == "assetData":
                digest.update(chunk)
                upload.size += len(chunk)
                # Big uploads are hashed but not kept: the fake serves a placeholder for them.
                if upload.size <= MAX_KEPT_UPLOAD:
                    kept.write(chunk)
    upload.checksum = base64.b64encode(digest.digest()).decode()
    upload.data = kept.getvalue() if upload.size <= MAX_KEPT_UPLOAD else b""
    return upload


def _check_upload(ctx: Context, upload: _Upload, schema: Mapping[str, Any]) -> None:
    """Check the form fields against AssetMediaCreateDto (names, required, types)."""
    spec = ctx.server.spec
    properties: dict[str, Any] = schema.get("properties", {})
    problems = upload.problems
    if upload.file_name is None:
        problems.append(("assetData", "is required"))
    problems.extend(
        (name, "is required")
        for name in schema.get("required", [])
        if name != "assetData" and name not in upload.fields
    )
    for name, raw in upload.fields.items():
        prop = properties.get(name)
        if prop is None or prop.get("format") == "binary":
            continue
        if spec.resolve(prop).get("type") == "array":
            continue  # sent JSON-encoded; Immich parses it
        value = spec.coerce(prop, raw)
        problems.extend((name, error) for error in spec.request_compiler.compile(prop)(value) or [])
    if problems:
        listing = "; ".join(f"{p} {m}" for p, m in problems)
        ctx.server.violation(f"POST {ctx.path}: invalid upload for uploadAsset: {listing}")
        raise validation_error(problems)


@handles("uploadAsset")
async def upload_asset(ctx: Context) -> web.StreamResponse:
    """POST /assets (multipart): stream `assetData`, hash it, create or report a duplicate."""
    request = ctx.request
    if not request.content_type.startswith("multipart/form-data"):
        ctx.server.violation(f"POST {ctx.path}: upload must be multipart/form-data")
        raise validation_error([("body", "must be multipart/form-data")])
    schema = ctx.server.spec.schema("AssetMediaCreateDto")
    upload = await _read_upload(request, schema.get("properties", {}))
    _check_upload(ctx, upload, schema)
    lib, owner, fields = ctx.library, ctx.auth_user, upload.fields
    existing = _find_checksum(lib, owner.id, upload.checksum)
    if existing is not None:
        return json_response({"id": existing, "status": "duplicate"}, status=200)
    name = fields.get("filename") or upload.file_name or "upload.bin"
    is_video = upload.file_type.startswith("video/") or name.lower().endswith(_VIDEO_EXTENSIONS)
    width, height = 0, 0
    if upload.data and not is_video:
        with contextlib.suppress(OSError), Image.open(io.BytesIO(upload.data)) as image:
            width, height = image.size
    asset = lib.add_asset(
        owner.id, file_name=name, taken_at=parse_time(fields.get("fileCreatedAt")) or lib.now(),
        kind="VIDEO" if is_video else "IMAGE", width=width, height=height,
        payload=f"upload:{upload.checksum}", checksum=upload.checksum, size=upload.size,
        created_at=lib.now(),
    )  # fmt: skip
    if upload.file_type != "application/octet-stream":
        asset.mime = upload.file_type
    asset.is_favorite = fields.get("isFavorite") == "true"
    asset.visibility = fields.get("visibility", "timeline")
    asset.make = asset.model = asset.city = asset.country = None
    asset.latitude = asset.longitude = None
    lib.media.store(asset.payload, upload.data or b"\0")
    lib.enqueue("metadataExtraction")  # as Immich does for every new asset
    if is_video and "duration" in fields:
        asset.duration_ms = _duration_ms(fields["duration"])
    ctx.server.socket_hub.upload_success(asset.id)
    return json_response({"id": asset.id, "status": "created"}, status=201)


def _duration_ms(raw: str) -> int | None:
    if raw.isdigit():
        return int(raw)
    found = re.fullmatch(r"(\d+):(\d+):(\d+(?:\.\d+)?)", raw)
    if not found:
        return None
    hours, minutes, seconds = found.groups()
    return int((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


# --- search ---------------------------------------------------------------------------------------


_SIMPLE_FILTERS: Final[dict[str, Callable[[Asset], Any]]] = {
    "isFavorite": lambda a: a.is_favorite,
    "type": lambda a: a.type,
    "id": lambda a: a.id,
    "city": lambda a: a.city,
    "country": lambda a: a.country,
    "make": lambda a: a.make,
    "model": lambda a: a.model,
    "rating": lambda a: a.rating,
    "isMotion": lambda a: False,
    "isOffline": lambda a: False,
    "isEncoded": lambda a: a.encoded and not a.is_image,
}
_TEXT_FILTERS: Final[dict[str, Callable[[Asset], str]]] = {
    "originalFileName": lambda a: a.file_name,
    "description": lambda a: a.description,
}
_RANGE_FILTERS: Final[tuple[tuple[str, str, Callable[[Asset], datetime]], ...]] = (
    ("takenAfter", "takenBefore", lambda a: a.taken_at),
    ("createdAfter", "createdBefore", lambda a: a.created_at),
    ("updatedAfter", "updatedBefore", lambda a: a.modified_at),
)


def _filter_assets(ctx: Context, body: dict[str, Any], assets: Iterable[Asset]) -> list[Asset]:
    """Apply MetadataSearchDto/RandomSearchDto/SmartSearchDto filters."""
    lib = ctx.library
    checks: list[Callable[[Asset], bool]] = []
    with_deleted = bool(body.get("withDeleted"))
    visibilities = (body["visibility"],) if body.get("visibility") else ("timeline", "archive")
    for album_id in body.get("albumIds") or []:
        album = lib.albums.get(album_id)
        members: dict[str, None] = album.asset_ids if album else {}
        checks.append(lambda a, members=members: a.id in members)  # type: ignore[misc]
    if body.get("isNotInAlbum"):
        in_albums = {i for album in lib.albums.values() for i in album.asset_ids}
        checks.append(lambda a: a.id not in in_albums)
    for person_id in body.get("personIds") or []:
        checks.append(lambda a, p=person_id: p in a.person_ids)  # type: ignore[misc]
    for tag_id in body.get("tagIds") or []:
        tags = _tag_descendants(lib, tag_id)
        checks.append(lambda a, tags=tags: bool(tags.intersection(a.tag_ids)))  # type: ignore[misc]
    checks.extend(_value_checks(ctx, body))
    result = [
        a for a in assets if a.visibility in visibilities and (with_deleted or not a.is_trashed)
    ]
    for check in checks:
        result = [a for a in result if check(a)]
    return result


def _value_checks(ctx: Context, body: dict[str, Any]) -> list[Callable[[Asset], bool]]:
    """Build the per-field checks of a search body (equality, text, date ranges)."""
    lib = ctx.library
    checks: list[Callable[[Asset], bool]] = []
    for name, getter in _SIMPLE_FILTERS.items():
        if name in body:
            checks.append(lambda a, g=getter, want=body[name]: g(a) == want)  # type: ignore[misc]
    for name, text in _TEXT_FILTERS.items():
        if name in body:
            needle = str(body[name]).lower()
            checks.append(lambda a, t=text, n=needle: n in t(a).lower())  # type: ignore[misc]
    if "checksum" in body:
        checks.append(lambda a: lib.checksum(a) == body["checksum"])
    for after_key, before_key, moment in _RANGE_FILTERS:
        after, before = parse_time(body.get(after_key)), parse_time(body.get(before_key))
        if after is not None:
            checks.append(lambda a, m=moment, t=after: m(a) >= t)  # type: ignore[misc]
        if before is not None:
            checks.append(lambda a, m=moment, t=before: m(a) <= t)  # type: ignore[misc]
    return checks


def _search_pool(ctx: Context, body: dict[str, Any]) -> list[Asset]:
    """Return the user's own assets (2.7/3.0 search only the owner's), album-narrowed early."""
    lib, user_id = ctx.library, ctx.auth_user.id
    album_ids = body.get("albumIds") or []
    if album_ids and album_ids[0] in lib.albums:
        candidates: Iterable[Asset] = (
            lib.assets[i] for i in lib.albums[album_ids[0]].asset_ids if i in lib.assets
        )
    else:
        candidates = lib.assets.values()
    return [a for a in candidates if a.owner_id == user_id]


def _tag_descendants(lib: Library, tag_id: str) -> set[str]:
    found = {tag_id}
    changed = True
    while changed:
        changed = False
        for tag in lib.tags.values():
            if tag.parent_id in found and tag.id not in found:
                found.add(tag.id)
                changed = True
    return found


def _search_page(ctx: Context, assets: list[Asset], body: dict[str, Any]) -> web.StreamResponse:
    page = int(body.get("page") or 1)
    size = int(body.get("size") or 250)
    start = (page - 1) * size
    items = assets[start : start + size]
    has_next = start + size < len(assets)
    builder = dto(ctx)
    with_exif = bool(body.get("withExif"))
    with_people = bool(body.get("withPeople"))
    return json_response(
        {
            "albums": {"count": 0, "facets": [], "items": [], "total": 0},
            "assets": {
                "count": len(items),
                "facets": [],
                "items": [
                    builder.asset(a, with_exif=with_exif, with_people=with_people) for a in items
                ],
                "nextPage": str(page + 1) if has_next else None,
                "total": len(items),
            },
        }
    )


@handles("searchAssets")
async def search_metadata(ctx: Context) -> web.StreamResponse:
    """POST /search/metadata: the user's own assets (Immich 2.7/3.0 limit search to the owner)."""
    body: dict[str, Any] = ctx.body or {}
    assets = _filter_assets(ctx, body, _search_pool(ctx, body))
    assets.sort(key=lambda a: (a.taken_at, a.id), reverse=body.get("order", "desc") == "desc")
    return _search_page(ctx, assets, body)


@handles("searchRandom")
async def search_random(ctx: Context) -> web.StreamResponse:
    """POST /search/random."""
    body: dict[str, Any] = ctx.body or {}
    pool = _filter_assets(ctx, body, _search_pool(ctx, body))
    size = int(body.get("size") or 250)
    picked = ctx.library.motion.sample(pool, min(size, len(pool)))
    builder = dto(ctx)
    return json_response(
        [
            builder.asset(
                a, with_exif=bool(body.get("withExif")), with_people=bool(body.get("withPeople"))
            )
            for a in picked
        ]
    )


@handles("searchSmart")
async def search_smart(ctx: Context) -> web.StreamResponse:
    """POST /search/smart: a deterministic stand-in for CLIP, ranking by word matches."""
    if ctx.server.features.get("smartSearch") is False:
        raise ApiError(400, "Smart search is not enabled")
    body: dict[str, Any] = ctx.body or {}
    words = [w for w in re.split(r"\W+", str(body.get("query", "")).lower()) if w]
    pool = _filter_assets(ctx, body, _search_pool(ctx, body))

    def score(asset: Asset) -> int:
        text = " ".join(
            filter(None, (asset.file_name, asset.description, asset.city, asset.country))
        ).lower()
        return sum(text.count(word) for word in words)

    ranked = sorted(
        ((score(a), a) for a in pool), key=lambda pair: (-pair[0], -pair[1].taken_at.timestamp())
    )
    matches = [a for s, a in ranked if s > 0 or not words]
    return _search_page(ctx, matches, body)


# --- memories -------------------------------------------------------------------------------------


def _memories(ctx: Context) -> list[Memory]:
    query = ctx.query
    memories = [m for m in ctx.library.memories.values() if m.owner_id == ctx.auth_user.id]
    if "for" in query:
        moment = parse_time(query["for"])
        assert moment is not None
        day = moment.date() if isinstance(moment, datetime) else moment
        memories = [m for m in memories if m.show_at.date() <= day <= m.hide_at.date()]
    if "isSaved" in query:
        memories = [m for m in memories if m.is_saved == query["isSaved"]]
    if query.get("isTrashed"):
        memories = []
    memories.sort(key=lambda m: (m.memory_at, m.year), reverse=query.get("order") != "asc")
    if query.get("order") == "random":
        ctx.library.motion.shuffle(memories)
    if "size" in query:
        memories = memories[: int(query["size"])]
    return memories


@handles("searchMemories")
async def search_memories(ctx: Context) -> web.StreamResponse:
    """GET /memories."""
    builder = dto(ctx)
    return json_response([builder.memory(m) for m in _memories(ctx)])


@handles("memoriesStatistics")
async def memory_statistics(ctx: Context) -> web.StreamResponse:
    """GET /memories/statistics."""
    return json_response({"total": len(_memories(ctx))})


@handles("getMemory")
async def get_memory(ctx: Context) -> web.StreamResponse:
    """GET /memories/{id}."""
    memory = owned(ctx, ctx.library.memories, ctx.params["id"], "memory.read")
    return json_response(dto(ctx).memory(memory))


# --- people and tags ------------------------------------------------------------------------------


@handles("getAllPeople")
async def get_people(ctx: Context) -> web.StreamResponse:
    """GET /people.

    As Immich: only people with a face on a photo in the timeline count; an unnamed one is
    listed from ``MIN_FACES`` faces on.
    """
    query, lib = ctx.query, ctx.library
    faces: dict[str, int] = {}
    for asset in lib.assets.values():
        if asset.visibility == "timeline" and not asset.is_trashed:
            for person_id in asset.person_ids:
                faces[person_id] = faces.get(person_id, 0) + 1
    people = [p for p in lib.people.values() if p.owner_id == ctx.auth_user.id and p.id in faces]
    hidden = sum(1 for p in people if p.is_hidden)
    listed = [p for p in people if p.name or faces[p.id] >= MIN_FACES]
    visible = listed if query.get("withHidden") else [p for p in listed if not p.is_hidden]
    visible.sort(key=lambda p: (not p.is_favorite, p.name == "", p.name))
    page, size = int(query.get("page", 1)), int(query.get("size", 500))
    start = (page - 1) * size
    builder = dto(ctx)
    return json_response(
        {
            "hasNextPage": start + size < len(visible),
            "hidden": hidden,
            "people": [builder.person(p) for p in visible[start : start + size]],
            "total": len(people),
        }
    )


@handles("getPerson")
async def get_person(ctx: Context) -> web.StreamResponse:
    """GET /people/{id}."""
    person = owned(ctx, ctx.library.people, ctx.params["id"], "person.read")
    return json_response(dto(ctx).person(person))


@handles("getPersonThumbnail")
async def person_thumbnail(ctx: Context) -> web.StreamResponse:
    """GET /people/{id}/thumbnail: a face crop (here: the thumbnail of the person's asset)."""
    with sending_file(ctx):
        person = owned(ctx, ctx.library.people, ctx.params["id"], "person.read")
        asset = ctx.library.assets.get(person.thumbnail_asset_id or "")
        if asset is None:
            raise ApiError(404, "Not Found", titled=False)
    data = ctx.library.media.sized(asset.payload, "thumbnail")
    return await binary_response(
        ctx, data, "image/jpeg", etag=f'W/"{person.id[:16]}"', last_modified=person.updated_at,
        cache_control=NOT_CACHED,
    )  # fmt: skip


@handles("getAllTags")
async def get_tags(ctx: Context) -> web.StreamResponse:
    """GET /tags."""
    builder = dto(ctx)
    tags = sorted(
        (t for t in ctx.library.tags.values() if t.owner_id == ctx.auth_user.id),
        key=lambda t: t.value,
    )
    return json_response([builder.tag(t) for t in tags])


@handles("getTagById")
async def get_tag(ctx: Context) -> web.StreamResponse:
    """GET /tags/{id}."""
    tag = owned(ctx, ctx.library.tags, ctx.params["id"], "tag.read")
    return json_response(dto(ctx).tag(tag))


# --- timeline -------------------------------------------------------------------------------------


def _timeline_assets(ctx: Context) -> list[Asset]:
    lib, query, user_id = ctx.library, ctx.query, ctx.auth_user.id
    if "albumId" in query:
        album = readable_album(ctx, query["albumId"])
        assets = [lib.assets[i] for i in album.asset_ids if i in lib.assets]
    else:
        owner = query.get("userId", user_id)
        if owner != user_id:
            raise no_access("timeline.read")
        assets = [a for a in lib.assets.values() if a.owner_id == owner]
    assets = [a for a in assets if a.is_trashed == bool(query.get("isTrashed", False))]
    if "visibility" in query:
        assets = [a for a in assets if a.visibility == query["visibility"]]
    elif "albumId" not in query:
        assets = [a for a in assets if a.visibility == "timeline"]
    if "isFavorite" in query:
        assets = [a for a in assets if a.is_favorite == query["isFavorite"]]
    if "personId" in query:
        assets = [a for a in assets if query["personId"] in a.person_ids]
    if "tagId" in query:
        tags = _tag_descendants(lib, query["tagId"])
        assets = [a for a in assets if tags.intersection(a.tag_ids)]
    assets.sort(key=lambda a: (a.taken_at, a.id), reverse=query.get("order", "desc") == "desc")
    return assets


def _bucket_of(asset: Asset) -> str:
    return f"{asset.taken_at.year:04d}-{asset.taken_at.month:02d}-01"


@handles("getTimeBuckets")
async def time_buckets(ctx: Context) -> web.StreamResponse:
    """GET /timeline/buckets: months with their asset counts."""
    counts: dict[str, int] = {}
    for asset in _timeline_assets(ctx):
        bucket = _bucket_of(asset)
        counts[bucket] = counts.get(bucket, 0) + 1
    return json_response([{"count": n, "timeBucket": b} for b, n in counts.items()])


@handles("getTimeBucket")
async def time_bucket(ctx: Context) -> web.StreamResponse:
    """GET /timeline/bucket?timeBucket=YYYY-MM-01: the assets of one month, as columns."""
    raw = str(ctx.query["timeBucket"])
    found = re.match(r"^(\d{4})-(\d{2})", raw)
    if not found:
        raise validation_error([("timeBucket", f"{raw!r} is not a valid time bucket")])
    wanted = f"{found.group(1)}-{found.group(2)}-01"
    assets = [a for a in _timeline_assets(ctx) if _bucket_of(a) == wanted]
    with_coordinates = bool(ctx.query.get("withCoordinates"))
    return json_response(dto(ctx).time_bucket(assets, with_coordinates=with_coordinates))
