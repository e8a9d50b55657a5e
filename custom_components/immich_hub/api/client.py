"""Async client for the Immich API (2.x and 3.x)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime, time
import json
import logging
import os
from pathlib import Path
from typing import Any, TypedDict, TypeVar, Unpack

import aiohttp
from pydantic import BaseModel, TypeAdapter, ValidationError
from yarl import URL

from .const import (
    API_PATH,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_TIMEOUT,
    DEVICE_ID,
    HEADER_API_KEY,
    HEADER_CHECKSUM,
    HEADER_CORRELATION_IDS,
    SMART_SEARCH_TIMEOUT_FACTOR,
    STREAM_READ_BUFFER,
    STREAM_REQUEST_HEADERS,
    AssetMediaSize,
    QueueCommand,
    to_camel,
    to_kebab,
)
from .dialect import MIN_VERSION, Dialect
from .errors import (
    ImmichAuthError,
    ImmichBadRequestError,
    ImmichConnectionError,
    ImmichError,
    ImmichInvalidResponseError,
    ImmichNotFoundError,
    ImmichQueueRunningError,
    ImmichRangeNotSatisfiableError,
    ImmichServerError,
    ImmichUnsupportedVersionError,
    error_for_status,
)
from .models import (
    Album,
    AlbumStatistics,
    ApiKey,
    Asset,
    AssetPage,
    AssetStatistics,
    BulkIdResult,
    Memory,
    MemoryStatistics,
    PeoplePage,
    Person,
    Queue,
    QueueLegacy,
    SearchResult,
    ServerAbout,
    ServerFeatures,
    ServerStatistics,
    ServerStorage,
    ServerVersion,
    ServerVersionInfo,
    Tag,
    TimeBucket,
    TimeBucketAssets,
    TrashResponse,
    UploadCheck,
    UploadCheckResponse,
    UploadResult,
    UploadStatus,
    User,
    VersionCheck,
)
from .stream import AssetStream, range_unsatisfiable, translate_errors
from .upload import (
    build_form,
    bytes_chunks,
    device_asset_id,
    file_chunks,
    format_timestamp,
    guess_content_type,
    read_file_info,
    sha1_hex,
)

_LOGGER = logging.getLogger(__name__)

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)

_ALBUMS = TypeAdapter(list[Album])
_ASSETS = TypeAdapter(list[Asset])
_BULK_IDS = TypeAdapter(list[BulkIdResult])
_MEMORIES = TypeAdapter(list[Memory])
_QUEUES = TypeAdapter(list[Queue])
_LEGACY_QUEUES = TypeAdapter(dict[str, QueueLegacy])
_TAGS = TypeAdapter(list[Tag])
_TIME_BUCKETS = TypeAdapter(list[TimeBucket])

_ALREADY_RUNNING = "already running"
"""What Immich says when asked to start a queue that has active jobs ("Job is already running")."""

_LEGACY_COMMANDS = {
    QueueCommand.START: "start",
    QueueCommand.PAUSE: "pause",
    QueueCommand.RESUME: "resume",
    QueueCommand.EMPTY: "empty",
    QueueCommand.CLEAR_FAILED: "clear-failed",
}


def _encode(value: Any) -> Any:
    """Encode one value for a JSON body or a query string.

    Immich's filters take date-times only, so a plain date means its midnight in UTC.
    """
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_timestamp(datetime.combine(value, time(), UTC))
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def _body(**values: Any) -> dict[str, Any]:
    """Build a JSON body from camelCase keyword arguments, leaving out None."""
    return {key: _encode(value) for key, value in values.items() if value is not None}


def _query(**values: Any) -> dict[str, str]:
    """Build a query string from camelCase keyword arguments, leaving out None."""
    query: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        else:
            query[key] = str(_encode(value))
    return query


class SearchFilters(TypedDict, total=False):
    """Filters shared by the metadata, random and smart searches."""

    album_ids: Sequence[str] | None
    person_ids: Sequence[str] | None
    tag_ids: Sequence[str] | None
    is_favorite: bool | None
    asset_type: str | None
    taken_after: date | None
    taken_before: date | None
    visibility: str | None
    with_exif: bool | None
    extra: Mapping[str, Any] | None
    """Raw Immich fields, sent as given (for example ``updatedAfter``)."""


def _search_filters(filters: SearchFilters) -> dict[str, Any]:
    """Build the body of a search from its filters."""
    album_ids, person_ids, tag_ids = (
        filters.get("album_ids"),
        filters.get("person_ids"),
        filters.get("tag_ids"),
    )
    body = _body(
        albumIds=list(album_ids) if album_ids else None,
        personIds=list(person_ids) if person_ids else None,
        tagIds=list(tag_ids) if tag_ids else None,
        isFavorite=filters.get("is_favorite"),
        type=filters.get("asset_type"),
        takenAfter=filters.get("taken_after"),
        takenBefore=filters.get("taken_before"),
        visibility=filters.get("visibility"),
        withExif=filters.get("with_exif"),
    )
    if extra := filters.get("extra"):
        body.update({key: _encode(value) for key, value in extra.items()})
    return body


class TimelineFilters(TypedDict, total=False):
    """Filters shared by the timeline endpoints (the months, and the assets of one)."""

    album_id: str | None
    person_id: str | None
    tag_id: str | None
    is_favorite: bool | None
    is_trashed: bool | None
    visibility: str | None
    order: str | None
    with_partners: bool | None


def _timeline_query(filters: TimelineFilters) -> dict[str, str]:
    """Build the query of a timeline request from its filters."""
    return _query(
        albumId=filters.get("album_id"),
        personId=filters.get("person_id"),
        tagId=filters.get("tag_id"),
        isFavorite=filters.get("is_favorite"),
        isTrashed=filters.get("is_trashed"),
        visibility=filters.get("visibility"),
        order=filters.get("order"),
        withPartners=filters.get("with_partners"),
    )


class ImmichClient:
    """Talks to one Immich server with one API key.

    ``url`` is the server's base URL, which may carry a subpath (``https://host/immich``);
    the API is reached below ``url + "/api"``. The session is injected and never closed here.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._session = session
        self._url = url.strip().rstrip("/")
        if self._url.endswith(API_PATH):
            self._url = self._url[: -len(API_PATH)]
        self._api_url = self._url + API_PATH
        self._api_key = api_key
        self._timeout = timeout
        self._version: ServerVersion | None = None
        self._version_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<ImmichClient {self._url}>"

    @property
    def url(self) -> str:
        """Return the normalised base URL (without ``/api``)."""
        return self._url

    @property
    def server_version(self) -> ServerVersion | None:
        """Return the server version, once learned."""
        return self._version

    # ---- transport -------------------------------------------------------------------------

    def _follow_move(self, asked: str, answered: str) -> None:
        """Talk to the address a server redirected to, when it is the same API on the same host.

        A proxy that sends ``http://`` to ``https://`` answers a GET after a redirect, but turns
        a POST into a GET without its body; speaking to the new address spares every request.
        """
        path = asked.removeprefix(self._api_url)
        if not answered.endswith(API_PATH + path) or answered == asked:
            return
        moved_to = answered[: -len(API_PATH + path)]
        if URL(moved_to).host != URL(self._url).host:
            return
        _LOGGER.info("Immich at %s answers at %s: using that address", self._url, moved_to)
        self._url, self._api_url = moved_to, moved_to + API_PATH

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Return the request headers, API key included."""
        headers = {HEADER_API_KEY: self._api_key, "Accept": "application/json"}
        if extra:
            headers.update(extra)
        return headers

    def _request_timeout(self) -> aiohttp.ClientTimeout:
        """Return the timeout of a whole (small) request."""
        return aiohttp.ClientTimeout(total=self._timeout)

    def _stream_timeout(self) -> aiohttp.ClientTimeout:
        """Return the timeout of a streamed request: connecting and each read, not the body."""
        return aiohttp.ClientTimeout(
            total=None, sock_connect=self._timeout, sock_read=self._timeout
        )

    async def _raise_for_status(self, response: aiohttp.ClientResponse) -> None:
        """Raise the typed error for an HTTP error response."""
        if response.status < 400:
            return
        raw = await response.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        raise error_for_status(
            response.status,
            body,
            response.reason or f"HTTP {response.status}",
            next(filter(None, map(response.headers.get, HEADER_CORRELATION_IDS)), None),
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        client_timeout: aiohttp.ClientTimeout | None = None,
    ) -> Any:
        """Send a request and return its decoded JSON body (None when empty)."""
        url = self._api_url + path
        with translate_errors(self._url):
            async with self._session.request(
                method,
                url,
                params=params,
                json=json_body,
                data=data,
                headers=self._headers(headers),
                timeout=client_timeout or self._request_timeout(),
            ) as response:
                await self._raise_for_status(response)
                raw = await response.read()
                if response.history:
                    self._follow_move(url, str(response.url.with_query(None)))
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as err:
            content_type = response.headers.get("content-type", "unknown")
            raise ImmichInvalidResponseError(
                f"{method} {path} returned a body that is not JSON ({content_type});"
                " is this an Immich server?"
            ) from err

    @staticmethod
    def _parse(adapter: TypeAdapter[_T], data: Any, what: str) -> _T:
        """Validate a decoded body against the expected type."""
        try:
            return adapter.validate_python(data)
        except ValidationError as err:
            raise ImmichInvalidResponseError(
                f"Unexpected {what} from Immich: {err.error_count()} validation error(s), "
                f"first: {err.errors()[0]['msg']} at {err.errors()[0]['loc']}"
            ) from err

    def _model(self, model: type[_M], data: Any) -> _M:
        """Validate a decoded body against a model."""
        return self._parse(TypeAdapter(model), data, model.__name__)

    async def _get_model(
        self, model: type[_M], path: str, params: Mapping[str, str] | None = None
    ) -> _M:
        """GET a path and validate the body against a model."""
        return self._model(model, await self._request("GET", path, params=params))

    async def _open_stream(
        self,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> AssetStream:
        """Open a streamed GET; Range and conditional request headers are passed through.

        A range that starts past the end of the file raises ImmichRangeNotSatisfiableError.
        """
        passed = {
            name: value
            for name, value in (headers or {}).items()
            if name.lower() in STREAM_REQUEST_HEADERS
        }
        passed["Accept"] = "*/*"
        try:
            return await self._send_stream(path, params, passed)
        except (ImmichNotFoundError, ImmichServerError) as err:
            asked = next((value for name, value in passed.items() if name.lower() == "range"), None)
            if asked is None:
                raise
            # Immich fails a range past the end (500 in 2.x, 404 in 3.x) instead of answering
            # 416, telling the size in Content-Range; where that is missing, a failed range costs
            # this second, one-byte request for the size.
            size = await self._stream_size(path, params)
            if size is None or not range_unsatisfiable(asked, size):
                raise
            raise ImmichRangeNotSatisfiableError(size) from err

    async def _send_stream(
        self, path: str, params: Mapping[str, str] | None, headers: Mapping[str, str]
    ) -> AssetStream:
        """Send a streamed GET and return its open body."""
        with translate_errors(self._url):
            response = await self._session.request(
                "GET",
                self._api_url + path,
                params=params,
                headers=self._headers(headers),
                timeout=self._stream_timeout(),
                read_bufsize=STREAM_READ_BUFFER,
            )
            try:
                # 416 belongs to the Range conversation: the caller passes it on.
                if response.status != 416:
                    _raise_if_range_unsatisfiable(response, headers)
                    await self._raise_for_status(response)
            except BaseException:
                response.release()
                raise
        return AssetStream(response, self._url)

    async def _stream_size(self, path: str, params: Mapping[str, str] | None) -> int | None:
        """Return the length of a streamed file, asked with a one-byte range; None if unknown."""
        try:
            async with await self._send_stream(
                path, params, {"Range": "bytes=0-0", "Accept": "*/*"}
            ) as probe:
                await probe.read()
                return probe.total_size
        except ImmichError:
            return None

    async def open_websocket(self) -> aiohttp.ClientWebSocketResponse:
        """Open Immich's websocket (Engine.IO 4 / Socket.IO 5); the caller closes it.

        The session's TLS setting applies. A refused handshake (401, 403) raises
        ImmichAuthError; any other failure a connection error.
        """
        with translate_errors(self._url):
            try:
                async with asyncio.timeout(self._timeout):
                    return await self._session.ws_connect(
                        self._api_url + "/socket.io/",
                        params={"EIO": "4", "transport": "websocket"},
                        headers={HEADER_API_KEY: self._api_key},
                        timeout=aiohttp.ClientWSTimeout(ws_close=self._timeout),
                    )
            except aiohttp.WSServerHandshakeError as err:
                if err.status in (401, 403):
                    raise ImmichAuthError(err.status, err.message) from err
                raise ImmichConnectionError(
                    f"Immich at {self._url} did not open its websocket: HTTP {err.status}"
                ) from err

    # ---- version gate ----------------------------------------------------------------------

    async def get_server_version(self) -> ServerVersion:
        """Return the server version (asked once); refuse servers older than 2.0."""
        async with self._version_lock:
            if self._version is None:
                self._version = await self.fetch_server_version()
                _LOGGER.debug("Immich at %s runs %s", self._url, self._version)
        if self._version < MIN_VERSION:
            raise ImmichUnsupportedVersionError(self._version, MIN_VERSION)
        return self._version

    async def fetch_server_version(self) -> ServerVersion:
        """Ask the server its version again (it may have been upgraded); the cache is kept."""
        info = await self._get_model(ServerVersionInfo, "/server/version")
        return info.to_version()

    async def _dialect(self) -> Dialect:
        """Return what the server's version expects."""
        return Dialect(await self.get_server_version())

    # ---- users and server ------------------------------------------------------------------

    async def ping(self) -> bool:
        """Return whether the server answers ``/server/ping`` with pong."""
        body = await self._request("GET", "/server/ping")
        return isinstance(body, dict) and body.get("res") == "pong"

    async def get_my_user(self) -> User:
        """Return the user the API key belongs to."""
        return await self._get_model(User, "/users/me")

    async def get_my_api_key(self) -> ApiKey:
        """Return the API key in use and its permissions."""
        return await self._get_model(ApiKey, "/api-keys/me")

    async def get_about(self) -> ServerAbout:
        """Return build information of the server."""
        return await self._get_model(ServerAbout, "/server/about")

    async def get_storage(self) -> ServerStorage:
        """Return the disk usage of the library."""
        return await self._get_model(ServerStorage, "/server/storage")

    async def get_statistics(self) -> ServerStatistics:
        """Return the server-wide statistics (admin only)."""
        return await self._get_model(ServerStatistics, "/server/statistics")

    async def get_version_check(self) -> VersionCheck:
        """Return the latest release the server has seen."""
        return await self._get_model(VersionCheck, "/server/version-check")

    async def get_features(self) -> ServerFeatures:
        """Return the features enabled on the server."""
        return await self._get_model(ServerFeatures, "/server/features")

    # ---- queues and jobs (admin) -----------------------------------------------------------

    async def list_queues(self) -> list[Queue]:
        """Return every job queue, including queues this client does not know yet."""
        dialect = await self._dialect()
        if dialect.has_queues_api:
            return self._parse(_QUEUES, await self._request("GET", "/queues"), "queues")
        legacy = self._parse(_LEGACY_QUEUES, await self._request("GET", "/jobs"), "queues")
        return [queue.to_queue(name) for name, queue in legacy.items()]

    async def run_queue_command(
        self, name: str, command: QueueCommand | str, *, force: bool = False
    ) -> None:
        """Start, pause, resume, empty or clear the failed jobs of a queue.

        ``name`` may be snake_case (``thumbnail_generation``) or Immich's camelCase. Starting a
        queue that has active jobs raises ImmichQueueRunningError.
        """
        command = QueueCommand(command.replace("-", "_"))
        queue = to_camel(name)
        dialect = await self._dialect()
        if dialect.has_queues_api and command in (QueueCommand.PAUSE, QueueCommand.RESUME):
            await self._request(
                "PUT", f"/queues/{queue}", json_body={"isPaused": command == QueueCommand.PAUSE}
            )
        elif dialect.has_queues_api and command == QueueCommand.EMPTY:
            await self._request("DELETE", f"/queues/{queue}/jobs", json_body={})
        else:
            # Starting a queue and clearing its failed jobs exist only as the legacy commands.
            try:
                await self._request(
                    "PUT",
                    f"/jobs/{queue}",
                    json_body=_body(
                        command=_LEGACY_COMMANDS[command],
                        force=force if command == QueueCommand.START else None,
                    ),
                )
            except ImmichBadRequestError as err:
                if command == QueueCommand.START and _ALREADY_RUNNING in err.message.lower():
                    raise ImmichQueueRunningError(
                        err.status,
                        err.message,
                        correlation_id=err.correlation_id,
                        details=err.details,
                    ) from err
                raise

    async def list_manual_jobs(self) -> tuple[str, ...]:
        """Return the manual jobs this server runs (snake_case, e.g. ``memory_create``)."""
        return (await self._dialect()).manual_jobs

    async def create_job(self, name: str) -> None:
        """Run a manual job such as ``memory_create`` (snake_case or Immich's kebab-case)."""
        await self._request("POST", "/jobs", json_body={"name": to_kebab(name)})

    # ---- albums ----------------------------------------------------------------------------

    async def list_albums(
        self, *, shared: bool | None = None, asset_id: str | None = None
    ) -> list[Album]:
        """Return albums: own (``shared=None``), shared (``True``) or own unshared (``False``)."""
        dialect = await self._dialect()
        params = _query(assetId=asset_id, **dialect.album_list_query(shared))
        return self._parse(_ALBUMS, await self._request("GET", "/albums", params=params), "albums")

    async def list_shared_albums(self) -> list[Album]:
        """Return albums shared with or by the user."""
        return await self.list_albums(shared=True)

    async def get_album(self, album_id: str) -> Album:
        """Return one album (without its assets)."""
        dialect = await self._dialect()
        return await self._get_model(
            Album, f"/albums/{album_id}", _query(**dialect.album_get_query())
        )

    async def create_album(
        self,
        name: str,
        *,
        description: str | None = None,
        asset_ids: Sequence[str] | None = None,
    ) -> Album:
        """Create an album, optionally with assets."""
        body = _body(
            albumName=name,
            description=description,
            assetIds=list(asset_ids) if asset_ids else None,
        )
        return self._model(Album, await self._request("POST", "/albums", json_body=body))

    async def update_album(
        self,
        album_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        thumbnail_asset_id: str | None = None,
    ) -> Album:
        """Rename an album, change its description or its cover."""
        body = _body(
            albumName=name, description=description, albumThumbnailAssetId=thumbnail_asset_id
        )
        return self._model(
            Album, await self._request("PATCH", f"/albums/{album_id}", json_body=body)
        )

    async def delete_album(self, album_id: str) -> None:
        """Delete an album (its assets stay)."""
        await self._request("DELETE", f"/albums/{album_id}")

    async def add_assets_to_album(
        self, album_id: str, asset_ids: Sequence[str]
    ) -> list[BulkIdResult]:
        """Add assets to an album; returns the outcome per asset."""
        return await self._album_assets("PUT", album_id, asset_ids)

    async def remove_assets_from_album(
        self, album_id: str, asset_ids: Sequence[str]
    ) -> list[BulkIdResult]:
        """Remove assets from an album; returns the outcome per asset."""
        return await self._album_assets("DELETE", album_id, asset_ids)

    async def _album_assets(
        self, method: str, album_id: str, asset_ids: Sequence[str]
    ) -> list[BulkIdResult]:
        """Add (PUT) or remove (DELETE) assets of an album; returns the outcome per asset."""
        data = await self._request(
            method, f"/albums/{album_id}/assets", json_body={"ids": list(asset_ids)}
        )
        return self._parse(_BULK_IDS, data, "bulk result")

    # ---- statistics ------------------------------------------------------------------------

    async def get_album_statistics(self) -> AlbumStatistics:
        """Return the user's album counts."""
        return await self._get_model(AlbumStatistics, "/albums/statistics")

    async def get_asset_statistics(
        self,
        *,
        is_favorite: bool | None = None,
        is_trashed: bool | None = None,
        visibility: str | None = None,
    ) -> AssetStatistics:
        """Return the user's asset counts."""
        params = _query(isFavorite=is_favorite, isTrashed=is_trashed, visibility=visibility)
        return await self._get_model(AssetStatistics, "/assets/statistics", params)

    async def get_memory_statistics(self, *, day: date | None = None) -> MemoryStatistics:
        """Return the number of memories (of one day, if given)."""
        dialect = await self._dialect()
        params = _query(**{"for": dialect.memory_day(day) if day else None})
        return await self._get_model(MemoryStatistics, "/memories/statistics", params)

    # ---- memories --------------------------------------------------------------------------

    async def list_memories(
        self,
        *,
        day: date | None = None,
        is_saved: bool | None = None,
        is_trashed: bool | None = None,
        memory_type: str | None = None,
    ) -> list[Memory]:
        """Return memories with their assets (those of one day, if given)."""
        dialect = await self._dialect()
        params = _query(
            isSaved=is_saved,
            isTrashed=is_trashed,
            type=memory_type,
            **{"for": dialect.memory_day(day) if day else None},
        )
        return self._parse(
            _MEMORIES, await self._request("GET", "/memories", params=params), "memories"
        )

    async def get_memory(self, memory_id: str) -> Memory:
        """Return one memory with its assets."""
        return await self._get_model(Memory, f"/memories/{memory_id}")

    # ---- search ----------------------------------------------------------------------------

    async def search_metadata(
        self,
        *,
        page: int = 1,
        size: int = 250,
        order: str | None = None,
        **filters: Unpack[SearchFilters],
    ) -> AssetPage:
        """Return one page of assets matching the filters (``size`` up to 1000)."""
        body = _search_filters(filters)
        body.update(_body(page=page, size=size, order=order))
        data = await self._request("POST", "/search/metadata", json_body=body)
        return self._model(SearchResult, data).assets

    async def iter_search_metadata(
        self, *, size: int = 250, order: str | None = None, **filters: Unpack[SearchFilters]
    ) -> AsyncIterator[Asset]:
        """Yield every asset matching the filters, fetching page after page."""
        page: int | None = 1
        while page is not None:
            result = await self.search_metadata(page=page, size=size, order=order, **filters)
            for asset in result.items:
                yield asset
            page = result.next_page_number

    async def search_random(
        self,
        *,
        size: int = 1,
        **filters: Unpack[SearchFilters],
    ) -> list[Asset]:
        """Return up to ``size`` random assets matching the filters."""
        body = _search_filters(filters)
        body["size"] = size
        data = await self._request("POST", "/search/random", json_body=body)
        return self._parse(_ASSETS, data, "assets")

    async def search_smart(
        self,
        query: str,
        *,
        page: int = 1,
        size: int = 100,
        **filters: Unpack[SearchFilters],
    ) -> AssetPage:
        """Return one page of a CLIP (natural language) search."""
        body = _search_filters(filters)
        body.update(query=query, page=page, size=size)
        # Immich may first have to load its CLIP model, which takes longer than a small request.
        data = await self._request(
            "POST",
            "/search/smart",
            json_body=body,
            client_timeout=aiohttp.ClientTimeout(total=self._timeout * SMART_SEARCH_TIMEOUT_FACTOR),
        )
        return self._model(SearchResult, data).assets

    # ---- assets ----------------------------------------------------------------------------

    async def get_asset(self, asset_id: str) -> Asset:
        """Return one asset with its EXIF data, people and tags."""
        return await self._get_model(Asset, f"/assets/{asset_id}")

    async def update_asset(
        self,
        asset_id: str,
        *,
        is_favorite: bool | None = None,
        description: str | None = None,
        visibility: str | None = None,
        rating: int | None = None,
    ) -> Asset:
        """Change an asset's favorite flag, description, visibility or rating."""
        body = _body(
            isFavorite=is_favorite, description=description, visibility=visibility, rating=rating
        )
        return self._model(Asset, await self._request("PUT", f"/assets/{asset_id}", json_body=body))

    async def get_thumbnail(
        self,
        asset_id: str,
        *,
        size: AssetMediaSize | str = AssetMediaSize.THUMBNAIL,
        headers: Mapping[str, str] | None = None,
    ) -> AssetStream:
        """Open an asset's generated image (``thumbnail``, ``preview`` or ``fullsize``)."""
        return await self._open_stream(
            f"/assets/{asset_id}/thumbnail", _query(size=str(size)), headers
        )

    async def get_original(
        self, asset_id: str, *, headers: Mapping[str, str] | None = None
    ) -> AssetStream:
        """Open an asset's original file; pass ``Range`` in ``headers`` for a part."""
        return await self._open_stream(f"/assets/{asset_id}/original", None, headers)

    async def get_video(
        self, asset_id: str, *, headers: Mapping[str, str] | None = None
    ) -> AssetStream:
        """Open a video's playable (transcoded) file; pass ``Range`` in ``headers``."""
        return await self._open_stream(f"/assets/{asset_id}/video/playback", None, headers)

    async def get_video_type(self, asset_id: str) -> str | None:
        """Return the media type the playback endpoint serves: the transcode's, or the original's.

        Immich plays its MP4 transcode when it made one, else the original; only the answer
        tells which. One byte is asked for.
        """
        async with await self.get_video(asset_id, headers={"Range": "bytes=0-0"}) as stream:
            await stream.read()
            return stream.content_type if stream.status in (200, 206) else None

    async def get_person_thumbnail(
        self, person_id: str, *, headers: Mapping[str, str] | None = None
    ) -> AssetStream:
        """Open a person's face thumbnail."""
        return await self._open_stream(f"/people/{person_id}/thumbnail", None, headers)

    # ---- upload ----------------------------------------------------------------------------

    async def check_uploads(self, checksums: Mapping[str, str]) -> list[UploadCheck]:
        """Ask which files (id -> SHA-1) the server already has."""
        body = {"assets": [{"id": key, "checksum": value} for key, value in checksums.items()]}
        data = await self._request("POST", "/assets/bulk-upload-check", json_body=body)
        return self._model(UploadCheckResponse, data).results

    async def upload_file(
        self,
        path: str | os.PathLike[str],
        *,
        filename: str | None = None,
        file_created_at: datetime | None = None,
        is_favorite: bool | None = None,
        visibility: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> UploadResult:
        """Upload a local file, streamed; a file the server already has is not sent again."""
        file_path = Path(path)
        loop = asyncio.get_running_loop()
        info = await loop.run_in_executor(None, read_file_info, file_path, chunk_size)
        return await self._upload(
            file_chunks(file_path, chunk_size),
            filename=filename or file_path.name,
            checksum=info.checksum,
            file_created_at=file_created_at or info.modified_at,
            file_modified_at=info.modified_at,
            is_favorite=is_favorite,
            visibility=visibility,
        )

    async def upload_bytes(
        self,
        data: bytes | AsyncIterable[bytes],
        *,
        filename: str,
        checksum: str | None = None,
        file_created_at: datetime | None = None,
        is_favorite: bool | None = None,
        visibility: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> UploadResult:
        """Upload bytes or a byte stream under ``filename``.

        Without ``checksum`` a stream is sent as is (Immich still spots duplicates itself).
        """
        if isinstance(data, bytes):
            if checksum is None:
                checksum = await asyncio.get_running_loop().run_in_executor(None, sha1_hex, data)
            chunks: AsyncIterable[bytes] = bytes_chunks(data, chunk_size)
        else:
            chunks = data
        now = datetime.now(UTC)
        return await self._upload(
            chunks,
            filename=filename,
            checksum=checksum,
            file_created_at=file_created_at or now,
            file_modified_at=file_created_at or now,
            is_favorite=is_favorite,
            visibility=visibility,
        )

    async def _upload(
        self,
        chunks: AsyncIterable[bytes],
        *,
        filename: str,
        checksum: str | None,
        file_created_at: datetime,
        file_modified_at: datetime,
        is_favorite: bool | None,
        visibility: str | None,
    ) -> UploadResult:
        """Check for a duplicate, then send the multipart upload."""
        dialect = await self._dialect()
        headers: dict[str, str] = {}
        if checksum:
            results = await self.check_uploads({filename: checksum})
            if results and results[0].action == "reject" and results[0].asset_id:
                await _close_iterable(chunks)
                return UploadResult(
                    id=results[0].asset_id,
                    status=UploadStatus.DUPLICATE,
                    in_trash=results[0].is_trashed,
                )
            headers[HEADER_CHECKSUM] = checksum
        fields = _query(
            fileCreatedAt=file_created_at,
            fileModifiedAt=file_modified_at,
            filename=filename,
            isFavorite=is_favorite,
            visibility=visibility,
        )
        if dialect.upload_needs_device_fields:
            fields["deviceAssetId"] = device_asset_id(filename, checksum)
            fields["deviceId"] = DEVICE_ID
        form = build_form(fields, chunks, filename, guess_content_type(filename))
        data = await self._request(
            "POST", "/assets", data=form, headers=headers, client_timeout=self._stream_timeout()
        )
        return self._model(UploadResult, data)

    async def restore_from_trash(self, asset_ids: Sequence[str]) -> int:
        """Bring assets back from the trash; return how many were restored."""
        data = await self._request(
            "POST", "/trash/restore/assets", json_body={"ids": list(asset_ids)}
        )
        return self._model(TrashResponse, data).count

    # ---- people and tags -------------------------------------------------------------------

    async def list_people(
        self, *, page: int = 1, size: int = 500, with_hidden: bool | None = None
    ) -> PeoplePage:
        """Return one page of recognised people."""
        params = _query(page=page, size=size, withHidden=with_hidden)
        return await self._get_model(PeoplePage, "/people", params)

    async def iter_people(
        self, *, size: int = 500, with_hidden: bool | None = None
    ) -> AsyncIterator[Person]:
        """Yield every recognised person, page after page."""
        page = 1
        while True:
            result = await self.list_people(page=page, size=size, with_hidden=with_hidden)
            for person in result.people:
                yield person
            if not result.has_next_page or not result.people:
                return
            page += 1

    async def get_person(self, person_id: str) -> Person:
        """Return one person."""
        return await self._get_model(Person, f"/people/{person_id}")

    async def list_tags(self) -> list[Tag]:
        """Return every tag."""
        return self._parse(_TAGS, await self._request("GET", "/tags"), "tags")

    async def get_tag(self, tag_id: str) -> Tag:
        """Return one tag."""
        return await self._get_model(Tag, f"/tags/{tag_id}")

    # ---- timeline --------------------------------------------------------------------------

    async def list_time_buckets(self, **filters: Unpack[TimelineFilters]) -> list[TimeBucket]:
        """Return the timeline's months and their asset counts."""
        data = await self._request("GET", "/timeline/buckets", params=_timeline_query(filters))
        return self._parse(_TIME_BUCKETS, data, "time buckets")

    async def get_time_bucket(
        self, time_bucket: str, **filters: Unpack[TimelineFilters]
    ) -> TimeBucketAssets:
        """Return the assets of one timeline month (``time_bucket`` like ``2024-01-01``)."""
        params = _timeline_query(filters)
        params["timeBucket"] = time_bucket
        return await self._get_model(TimeBucketAssets, "/timeline/bucket", params)


def _raise_if_range_unsatisfiable(
    response: aiohttp.ClientResponse, headers: Mapping[str, str]
) -> None:
    """Raise when a failed ranged request went past the end (``Content-Range: bytes */size``)."""
    if response.status < 400:
        return
    asked = next((value for name, value in headers.items() if name.lower() == "range"), None)
    unit, _, total = (response.headers.get(aiohttp.hdrs.CONTENT_RANGE) or "").partition(" */")
    if asked is None or unit.strip().lower() != "bytes" or not total.strip().isdigit():
        return
    if range_unsatisfiable(asked, size := int(total)):
        raise ImmichRangeNotSatisfiableError(size)


async def _close_iterable(chunks: AsyncIterable[bytes]) -> None:
    """Close an async generator that will not be consumed (releases its open file)."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()
