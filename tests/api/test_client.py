"""The client against the fake Immich server, for Immich 2.x and 3.x."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
import hashlib
from pathlib import Path

import aiohttp
from aiohttp import web
import pytest

from custom_components.immich_hub.api import (
    AssetType,
    ImmichClient,
    ImmichQueueRunningError,
    ImmichRangeNotSatisfiableError,
    ImmichTimeoutError,
    ImmichUnsupportedVersionError,
    QueueCommand,
    ServerVersion,
    UploadStatus,
)
from custom_components.immich_hub.api.stream import range_unsatisfiable
from fake_immich import FakeImmich

from .conftest import ServerFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _paths(server: FakeImmich, method: str | None = None) -> list[str]:
    """Return the API paths the server saw (of one method, if given)."""
    return [r.path for r in server.requests if method is None or r.method == method]


# ---- construction and version gate ------------------------------------------------------------


async def test_url_is_normalised(session: aiohttp.ClientSession) -> None:
    """Trailing slashes and a trailing /api are dropped; the key stays out of the repr."""
    client = ImmichClient(session, " https://example.org/immich/ ", "secret-key")
    assert client.url == "https://example.org/immich"
    assert ImmichClient(session, "https://example.org/api/", "k").url == "https://example.org"
    assert "secret-key" not in repr(client)
    assert client.server_version is None


async def test_server_version_is_learned_once(immich: FakeImmich, client: ImmichClient) -> None:
    """The version is asked once and cached."""
    version = await client.get_server_version()
    assert version == await client.get_server_version()
    assert client.server_version == version
    assert version >= ServerVersion(2, 0, 0)
    assert version.major == int(immich.api_version.split(".")[0])
    assert _paths(immich).count("/server/version") == 1


async def test_subpath(fake_server: ServerFactory, session: aiohttp.ClientSession) -> None:
    """A base URL with a subpath reaches the API below it."""
    async with fake_server(prefix="/immich") as server:
        assert server.url.endswith("/immich")
        client = ImmichClient(session, server.url + "/", server.admin_key)
        assert (await client.get_my_user()).id == server.admin_user_id
        assert await client.ping()


async def test_old_server_is_refused(
    fake_server: ServerFactory, session: aiohttp.ClientSession
) -> None:
    """A 1.x server is refused with its own error, also by version-dependent calls."""
    async with fake_server(server_version=(1, 118, 0)) as server:
        client = ImmichClient(session, server.url, server.admin_key)
        with pytest.raises(ImmichUnsupportedVersionError) as err:
            await client.get_server_version()
        assert err.value.version == ServerVersion(1, 118, 0)
        assert "1.118.0" in str(err.value)
        assert client.server_version == ServerVersion(1, 118, 0)
        with pytest.raises(ImmichUnsupportedVersionError):
            await client.list_albums()


# ---- users and server -------------------------------------------------------------------------


async def test_my_user_and_key(
    immich: FakeImmich,
    client: ImmichClient,
    user_client: ImmichClient,
    limited_client: ImmichClient,
) -> None:
    """The user and key behind each API key; the key travels in x-api-key."""
    admin = await client.get_my_user()
    assert admin.id == immich.admin_user_id
    assert admin.is_admin
    assert admin.email
    assert immich.requests[-1].headers.get("x-api-key") == immich.admin_key
    user = await user_client.get_my_user()
    assert user.id == immich.user_user_id
    assert not user.is_admin
    key = await client.get_my_api_key()
    assert key.has("queue.read")
    limited = await limited_client.get_my_api_key()
    assert limited.has("asset.read")
    assert not limited.has("asset.download")
    assert "all" not in limited.permissions


async def test_server_information(immich: FakeImmich, client: ImmichClient) -> None:
    """About, storage, statistics, version check and features."""
    assert await client.ping()
    about = await client.get_about()
    assert about.version.lstrip("v").startswith(immich.api_version.split(".")[0])
    storage = await client.get_storage()
    assert storage.disk_size_raw > 0
    assert 0 <= storage.disk_usage_percentage <= 100
    assert storage.disk_use_raw + storage.disk_available_raw <= storage.disk_size_raw + 1
    statistics = await client.get_statistics()
    assert statistics.photos > 0
    assert {usage.user_id for usage in statistics.usage_by_user} >= {immich.admin_user_id}
    check = await client.get_version_check()
    assert check.release_version
    features = await client.get_features()
    assert isinstance(features.smart_search, bool)


# ---- queues and jobs --------------------------------------------------------------------------


async def test_queues(immich: FakeImmich, client: ImmichClient) -> None:
    """Queues come from /queues (2.4+), in camelCase with snake_case keys."""
    queues = await client.list_queues()
    assert "/queues" in _paths(immich, "GET")
    assert "/jobs" not in _paths(immich, "GET")
    by_key = {queue.key: queue for queue in queues}
    assert "thumbnail_generation" in by_key
    assert by_key["thumbnail_generation"].name == "thumbnailGeneration"
    assert all(queue.pending >= 0 for queue in queues)
    counts = by_key["thumbnail_generation"].statistics.counts()
    assert set(counts) >= {"active", "waiting", "delayed", "failed", "completed", "paused"}


async def test_queue_commands(immich: FakeImmich, client: ImmichClient) -> None:
    """Pause, resume and empty use /queues; start and clear-failed the legacy command."""
    await client.run_queue_command("thumbnail_generation", QueueCommand.PAUSE)
    assert immich.library.queues["thumbnailGeneration"].is_paused
    assert immich.requests[-1].method == "PUT"
    assert immich.requests[-1].path == "/queues/thumbnailGeneration"
    assert immich.requests[-1].json == {"isPaused": True}
    paused = {q.key: q for q in await client.list_queues()}["thumbnail_generation"]
    assert paused.is_paused
    await client.run_queue_command("thumbnailGeneration", "resume")
    assert not immich.library.queues["thumbnailGeneration"].is_paused
    await client.run_queue_command("metadata_extraction", "empty")
    assert immich.requests[-1].method == "DELETE"
    assert immich.requests[-1].path == "/queues/metadataExtraction/jobs"
    smart_search = immich.library.queues["smartSearch"]
    smart_search.active, smart_search.is_paused = 0, True  # idle, and held still
    await client.run_queue_command("smart_search", "start", force=True)
    assert immich.requests[-1].path == "/jobs/smartSearch"
    assert immich.requests[-1].json == {"command": "start", "force": True}
    smart_search.active = 1
    with pytest.raises(ImmichQueueRunningError, match="already running"):
        await client.run_queue_command("smart_search", "start", force=True)
    await client.run_queue_command("face_detection", "clear-failed")
    assert immich.requests[-1].json == {"command": "clear-failed"}
    await client.create_job("memory_create")
    assert immich.requests[-1].path == "/jobs"
    assert immich.requests[-1].json == {"name": "memory-create"}
    for job in await client.list_manual_jobs():
        await client.create_job(job)
    jobs = [r.json["name"] for r in immich.requests if r.method == "POST" and r.path == "/jobs"]
    assert "backup-database" in jobs
    assert ("integrity-missing-files" in jobs) == (immich.api_version >= "3")


async def test_legacy_queues(fake_server: ServerFactory, session: aiohttp.ClientSession) -> None:
    """Before 2.4 queues are read and commanded through /jobs."""
    async with fake_server(api_version="2.7.3", server_version=(2, 3, 0)) as server:
        client = ImmichClient(session, server.url, server.admin_key)
        queues = await client.list_queues()
        assert "/jobs" in _paths(server, "GET")
        assert "/queues" not in _paths(server, "GET")
        by_key = {queue.key: queue for queue in queues}
        assert by_key["thumbnail_generation"].is_active is not None
        queue = server.library.queues["thumbnailGeneration"]
        queue.active = queue.waiting = 0  # Immich refuses to start a running queue
        for command in QueueCommand:
            await client.run_queue_command("thumbnail_generation", command)
            assert server.requests[-1].path == "/jobs/thumbnailGeneration"
        assert [r.json["command"] for r in server.requests if r.method == "PUT"] == [
            "start",
            "pause",
            "resume",
            "empty",
            "clear-failed",
        ]
        assert server.requests[-5].json == {"command": "start", "force": False}


# ---- albums -----------------------------------------------------------------------------------


async def test_list_albums(
    immich: FakeImmich, client: ImmichClient, user_client: ImmichClient
) -> None:
    """Own, shared and own unshared albums, in both dialects."""
    own = {album.name for album in await client.list_albums()}
    assert {"Holidays", "Family", "Empty album"} <= own
    assert "Hiking" not in own
    shared = await client.list_shared_albums()
    assert [album.name for album in shared] == ["Family"]
    assert shared[0].owner_id == immich.admin_user_id
    assert shared[0].shared
    unshared = {album.name for album in await client.list_albums(shared=False)}
    assert "Family" not in unshared
    assert "Holidays" in unshared
    user_shared = await user_client.list_shared_albums()
    assert "Family" in {album.name for album in user_shared}
    user_own = {album.name for album in await user_client.list_albums()}
    assert "Family" not in user_own


async def test_album_lifecycle(immich: FakeImmich, client: ImmichClient) -> None:
    """Create, read, update, fill, empty and delete an album."""
    assets = [a.id for a in immich.library.owned_assets(immich.admin_user_id)][:3]
    album = await client.create_album("Doorbell", description="Visitors", asset_ids=assets[:1])
    assert album.name == "Doorbell"
    assert album.description == "Visitors"
    assert album.asset_count == 1
    assert album.owner_id == immich.admin_user_id
    fetched = await client.get_album(album.id)
    assert fetched.id == album.id
    updated = await client.update_album(album.id, name="Front door", description="")
    assert updated.name == "Front door"
    added = await client.add_assets_to_album(album.id, assets)
    assert [r.success for r in added] == [False, True, True]
    assert added[0].error == "duplicate"
    assert (await client.get_album(album.id)).asset_count == 3
    removed = await client.remove_assets_from_album(album.id, assets[:2])
    assert all(r.success for r in removed)
    in_album = await client.search_metadata(album_ids=[album.id])
    assert [asset.id for asset in in_album.items] == [assets[2]]
    await client.delete_album(album.id)
    assert album.id not in immich.library.albums


async def test_statistics(immich: FakeImmich, client: ImmichClient) -> None:
    """Album, asset and memory statistics."""
    albums = await client.get_album_statistics()
    assert albums.owned >= 3
    assert albums.shared >= 1
    assets = await client.get_asset_statistics()
    assert assets.total == assets.images + assets.videos
    assert assets.videos >= 1
    favorites = await client.get_asset_statistics(is_favorite=True, visibility="timeline")
    assert 0 < favorites.total < assets.total
    memories = await client.get_memory_statistics()
    assert memories.total >= 1
    today = await client.get_memory_statistics(day=immich.library.today)
    assert today.total >= 1


# ---- memories ---------------------------------------------------------------------------------


async def test_memories(immich: FakeImmich, client: ImmichClient) -> None:
    """Memories of a day, and one memory by id."""
    today: date = immich.library.today
    memories = await client.list_memories(day=today)
    assert memories
    assert all(memory.data.year and memory.data.year < today.year for memory in memories)
    assert all(memory.assets for memory in memories)
    query = immich.requests[-1].query
    if immich.api_version.startswith("2."):
        assert query["for"].startswith(today.isoformat() + "T")
    else:
        assert query["for"] == today.isoformat()
    memory = await client.get_memory(memories[0].id)
    assert memory.id == memories[0].id
    everything = await client.list_memories()
    assert len(everything) >= len(memories)


# ---- search -----------------------------------------------------------------------------------


async def test_search_metadata_pages(immich: FakeImmich, client: ImmichClient) -> None:
    """Metadata search pages through every asset."""
    immich.add_assets(7)
    first = await client.search_metadata(size=5, with_exif=True)
    assert len(first.items) == 5
    assert first.next_page_number == 2
    every = [asset async for asset in client.iter_search_metadata(size=5)]
    owned = immich.library.owned_assets(immich.admin_user_id)
    assert len(every) == len(owned)
    assert len({asset.id for asset in every}) == len(every)
    videos = await client.search_metadata(asset_type="VIDEO", extra={"withPeople": True})
    assert [asset.type for asset in videos.items] == [AssetType.VIDEO]
    taken = sorted(a.taken_at for a in owned)
    window = await client.search_metadata(taken_after=taken[1], taken_before=taken[-2].date())
    assert 0 < len(window.items) < len(owned)
    assert immich.requests[-1].json["takenBefore"] == f"{taken[-2].date()}T00:00:00+00:00"
    favorites = await client.search_metadata(is_favorite=True, order="asc")
    assert favorites.items
    assert all(asset.is_favorite for asset in favorites.items)


async def test_search_random_and_smart(client: ImmichClient) -> None:
    """Random and smart search."""
    random_assets = await client.search_random(size=3)
    assert 1 <= len(random_assets) <= 3
    smart = await client.search_smart("beach", size=10, is_favorite=None)
    assert smart.count == len(smart.items)


async def test_smart_search_waits_for_the_model(
    immich: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """A smart search may take longer than a small request (Immich loads CLIP on demand)."""
    client = ImmichClient(session, immich.url, immich.admin_key, timeout=0.2)
    immich.add_fault("latency", path="^/search/smart$", delay=0.5)

    smart = await client.search_smart("beach", size=10)
    assert smart.count == len(smart.items)
    immich.add_fault("latency", path="^/search/metadata$", delay=0.5)
    with pytest.raises(ImmichTimeoutError):
        await client.search_metadata(size=1)


# ---- assets -----------------------------------------------------------------------------------


async def test_asset_info_and_update(immich: FakeImmich, client: ImmichClient) -> None:
    """Asset info (2.x text durations and 3.x milliseconds alike) and updates."""
    video_id = next(a.id for a in immich.library.assets.values() if a.type == "VIDEO")
    video = await client.get_asset(video_id)
    assert video.is_video
    assert video.duration_ms == 3000
    assert video.exif_info is not None
    image_id = next(
        a.id for a in immich.library.owned_assets(immich.admin_user_id) if not a.is_favorite
    )
    updated = await client.update_asset(image_id, is_favorite=True, description="Nice")
    assert updated.is_favorite
    assert immich.library.assets[image_id].is_favorite


async def test_streams(immich: FakeImmich, client: ImmichClient) -> None:
    """Thumbnails, previews, originals and videos stream with their headers; Range passes."""
    image = next(a for a in immich.library.owned_assets(immich.admin_user_id) if a.is_image)
    async with await client.get_thumbnail(image.id) as thumb:
        assert thumb.status == 200
        assert thumb.content_type.startswith("image/")
        data = b"".join([chunk async for chunk in thumb])
        assert data
    assert thumb.closed
    async with await client.get_thumbnail(image.id, size="preview") as preview:
        assert len(await preview.read()) > 0
    async with await client.get_original(image.id) as original:
        whole = b"".join([chunk async for chunk in original.iter_chunks(1024)])
        assert original.content_length in (None, len(whole))
    async with await client.get_original(image.id, headers={"Range": "bytes=0-99"}) as part:
        assert part.status == 206
        assert part.content_range is not None
        assert part.content_range.startswith("bytes 0-99/")
        assert await part.read() == whole[:100]
    assert immich.requests[-1].headers.get("Range") == "bytes=0-99"
    video = next(a for a in immich.library.assets.values() if a.type == "VIDEO")
    async with await client.get_video(
        video.id, headers={"Range": "bytes=0-", "X-Other": "no"}
    ) as v:
        assert v.status in (200, 206)
        assert v.content_type.startswith("video/")
        assert "x-other" not in {name.lower() for name in immich.requests[-1].headers}
        assert await v.read()
    person = next(p for p in immich.library.people.values() if p.owner_id == immich.admin_user_id)
    async with await client.get_person_thumbnail(person.id) as face:
        assert face.status == 200
        assert repr(face).startswith("<AssetStream 200")


async def test_large_stream_as_it_arrives(immich: FakeImmich, client: ImmichClient) -> None:
    """A large body passes through iter_any whole and in order, in pieces the socket gave."""
    size = 5 * 1024 * 1024 + 3
    asset_id = immich.add_large_video(size)
    body = immich.library.synthetic[immich.library.assets[asset_id].payload]
    async with await client.get_video(asset_id) as stream:
        pieces = [chunk async for chunk in stream.iter_any()]
    data = b"".join(pieces)
    assert len(data) == size
    assert data[-251:] == body.expected(size - 251, size - 1)
    assert len(pieces) > 1


async def test_stream_conditional_and_bad_range(immich: FakeImmich, client: ImmichClient) -> None:
    """ETag and Last-Modified are exposed; a 304 comes back as a stream to pass on.

    Immich fails a range past the end of the file (500 or 404) instead of answering 416, with
    the file's size in Content-Range: the client says so, without asking again.
    """
    image = next(a for a in immich.library.owned_assets(immich.admin_user_id) if a.is_image)
    async with await client.get_original(image.id) as original:
        etag = original.etag
        assert etag
        assert original.last_modified
        assert original.headers.get("accept-ranges") == "bytes"
        size = original.content_length
        assert size
    async with await client.get_original(image.id, headers={"If-None-Match": etag}) as cached:
        assert cached.status == 304
        assert await cached.read() == b""
    unsatisfiable = {"Range": f"bytes={size + 10}-{size + 20}"}
    immich.clear_requests()
    with pytest.raises(ImmichRangeNotSatisfiableError) as err:
        await client.get_original(image.id, headers=unsatisfiable)
    assert err.value.size == size
    assert [r.headers.get("Range") for r in immich.requests] == [f"bytes={size + 10}-{size + 20}"]


async def test_bad_range_without_size(immich: FakeImmich, client: ImmichClient) -> None:
    """A failed range whose answer tells no size costs one more request, for one byte."""
    image = next(a for a in immich.library.owned_assets(immich.admin_user_id) if a.is_image)
    async with await client.get_original(image.id) as original:
        size = original.content_length
    assert size
    immich.add_fault("status", path=f"^/assets/{image.id}/original$", status=500, count=1)
    immich.clear_requests()
    with pytest.raises(ImmichRangeNotSatisfiableError) as err:
        await client.get_original(image.id, headers={"Range": f"bytes={size}-"})
    assert err.value.size == size
    assert [r.headers.get("Range") for r in immich.requests] == [f"bytes={size}-", "bytes=0-0"]


@pytest.mark.parametrize(
    ("header", "unsatisfiable"),
    [
        ("bytes=100-", True),
        ("bytes=100-200", True),
        ("bytes=100-, 150-160", True),
        ("bytes=-0", True),
        ("bytes=99-", False),
        ("bytes=0-0", False),
        ("bytes=-500", False),
        ("bytes=50-, 100-", False),
        ("bytes=20-10", False),
        ("bytes=abc-", False),
        ("bytes=-", False),
        ("bytes=100", False),
        ("items=100-", False),
        ("bytes=", False),
    ],
)
def test_range_unsatisfiable(header: str, unsatisfiable: bool) -> None:
    """Only a range that asks for nothing but bytes past the end is unsatisfiable (RFC 9110)."""
    assert range_unsatisfiable(header, 100) is unsatisfiable


# ---- upload -----------------------------------------------------------------------------------


async def test_upload_file_and_duplicate(
    immich: FakeImmich, client: ImmichClient, tmp_path: Path
) -> None:
    """A file is uploaded once; the second time the checksum check spares the transfer."""
    path = tmp_path / "doorbell snapshot.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"doorbell" * 50_000)
    taken = datetime(2024, 5, 1, 12)  # naive: read as UTC
    first = await client.upload_file(path, chunk_size=16 * 1024, file_created_at=taken)
    assert first.status == UploadStatus.CREATED
    assert not first.is_duplicate
    assert immich.library.assets[first.id].taken_at == taken.replace(tzinfo=UTC)
    assert _paths(immich, "POST").count("/assets") == 1
    second = await client.upload_file(path, is_favorite=True, visibility="timeline")
    assert second.is_duplicate
    assert second.id == first.id
    assert _paths(immich, "POST").count("/assets") == 1
    checks = [r for r in immich.requests if r.path == "/assets/bulk-upload-check"]
    assert len(checks) == 2


async def test_upload_bytes(immich: FakeImmich, client: ImmichClient) -> None:
    """Bytes and byte streams upload too."""
    created = await client.upload_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 1000, filename="a.png")
    assert created.status == UploadStatus.CREATED

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"\xff\xd8\xff", b"stream" * 100):
            yield part

    streamed = await client.upload_bytes(chunks(), filename="b.jpg", is_favorite=True)
    assert streamed.status == UploadStatus.CREATED
    assert immich.library.assets[streamed.id].is_favorite
    again = await client.upload_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 1000, filename="c.png")
    assert again.is_duplicate
    assert again.id == created.id


class _Chunks:
    """An async iterable of bytes that is not a generator (nothing to close)."""

    def __init__(self, *parts: bytes) -> None:
        self._parts = list(parts)

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        if not self._parts:
            raise StopAsyncIteration
        return self._parts.pop(0)


async def test_upload_stream_with_checksum(immich: FakeImmich, client: ImmichClient) -> None:
    """A stream with a known checksum is checked first; unknown file types upload as binary."""
    data = b"raw sensor dump" * 100
    checksum = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    created = await client.upload_bytes(
        _Chunks(data[:500], data[500:]), filename="dump.unknownext", checksum=checksum
    )
    assert created.status == UploadStatus.CREATED
    assert immich.requests[-1].headers.get("x-immich-checksum") == checksum
    assert immich.library.assets[created.id].size == len(data)
    again = await client.upload_bytes(_Chunks(data), filename="dump.unknownext", checksum=checksum)
    assert again.is_duplicate
    assert again.id == created.id
    same_bytes = await client.upload_bytes(data, filename="copy.bin", checksum=checksum)
    assert same_bytes.id == created.id
    assert _paths(immich, "POST").count("/assets") == 1


# ---- people, tags and timeline ----------------------------------------------------------------


async def test_people_and_tags(immich: FakeImmich, client: ImmichClient) -> None:
    """People (paged) and tags."""
    page = await client.list_people(size=2, with_hidden=True)
    assert len(page.people) == 2
    assert page.total >= 3
    everyone = [person async for person in client.iter_people(size=2, with_hidden=True)]
    assert len(everyone) == page.total
    alice = next(person for person in everyone if person.name == "Alice")
    assert alice.birth_date == date(1990, 4, 12)
    assert (await client.get_person(alice.id)).name == "Alice"
    tags = await client.list_tags()
    paris = next(tag for tag in tags if tag.value == "Places/Paris")
    assert paris.name == "Paris"
    assert paris.parent_id is not None
    assert (await client.get_tag(paris.id)).value == "Places/Paris"


async def test_timeline(immich: FakeImmich, client: ImmichClient) -> None:
    """Timeline buckets and the assets of one bucket."""
    buckets = await client.list_time_buckets(visibility="timeline", order="desc")
    assert buckets
    assert sum(bucket.count for bucket in buckets) >= 10
    bucket = await client.get_time_bucket(buckets[0].time_bucket, visibility="timeline")
    rows = bucket.assets()
    assert len(rows) == buckets[0].count
    assert all(row.id in immich.library.assets for row in rows)
    video = next(a for a in immich.library.assets.values() if a.type == "VIDEO")
    video_month = f"{video.taken_at:%Y-%m}-01"
    video_bucket = await client.get_time_bucket(video_month, is_favorite=None)
    row = next(row for row in video_bucket.assets() if row.id == video.id)
    assert row.duration_ms == 3000
    assert not row.is_image


async def test_redirect_to_another_host_is_not_adopted(
    immich: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """The client moves to where a server redirects only on the same host, never elsewhere."""
    elsewhere = immich.url.replace("127.0.0.1", "localhost")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(elsewhere + request.path_qs)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        address = f"http://127.0.0.1:{runner.addresses[0][1]}"
        client = ImmichClient(session, address, immich.admin_key)
        assert (await client.get_server_version()).major >= 2
        assert client.url == address
    finally:
        await runner.cleanup()
