"""Tests of the fake Immich server itself: validation, faults, library and both dialects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
import io
import time
from typing import Any
import uuid

import aiohttp
from PIL import Image
import pytest

from fake_immich import LIMITED_PERMISSIONS, FakeImmich
from fake_immich.media import mp4_boxes
from fake_immich.spec import SchemaCompiler, load_spec
from fake_immich.tls import self_signed_context
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

pytestmark = pytest.mark.usefixtures("socket_enabled")

VERSIONS = ("2.7.3", "3.0.3")


@pytest.fixture(name="version", params=VERSIONS)
def version_fixture(request: pytest.FixtureRequest) -> str:
    """Run a test once per emulated version."""
    return str(request.param)


@pytest.fixture(name="server")
async def server_fixture(version: str) -> AsyncIterator[FakeImmich]:
    """A started fake server."""
    async with FakeImmich(version) as server:
        yield server


@pytest.fixture(name="http")
async def http_fixture() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    server: FakeImmich,
    method: str,
    path: str,
    *,
    key: str | None = "admin",
    **kwargs: Any,
) -> tuple[int, Any, aiohttp.ClientResponse]:
    """Call the fake's API and return status, parsed body and response."""
    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["x-api-key"] = {
            "admin": server.admin_key,
            "user": server.user_key,
            "limited": server.limited_key,
        }.get(key, key)
    async with http.request(method, f"{server.url}/api{path}", headers=headers, **kwargs) as resp:
        raw = await resp.read()
        body: Any = raw
        if resp.content_type == "application/json" and raw:
            body = await resp.json()
        return resp.status, body, resp


# --- serving both versions ------------------------------------------------------------------------


GET_ENDPOINTS = (
    "/server/ping",
    "/server/version",
    "/server/about",
    "/server/statistics",
    "/server/storage",
    "/server/version-check",
    "/server/features",
    "/server/config",
    "/users/me",
    "/api-keys/me",
    "/queues",
    "/queues/thumbnailGeneration",
    "/jobs",
    "/albums",
    "/albums?assetId={asset}",
    "/albums/statistics",
    "/albums/{album}",
    "/assets/statistics",
    "/assets/statistics?isFavorite=true",
    "/assets/{asset}",
    "/memories",
    "/memories/statistics",
    "/memories/{memory}",
    "/people",
    "/people?withHidden=true&page=1&size=2",
    "/people/{person}",
    "/tags",
    "/tags/{tag}",
    "/timeline/buckets",
    "/timeline/buckets?isFavorite=true&order=asc",
    "/timeline/buckets?albumId={album}",
)


async def test_every_get_endpoint_validates(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """All implemented GETs answer 200 with bodies that pass the spec of the version."""
    lib = server.library
    ids = {
        "asset": next(a.id for a in lib.assets.values() if a.owner_id == server.admin_user_id),
        "album": next(a.id for a in lib.albums.values() if a.owner_id == server.admin_user_id),
        "memory": next(m.id for m in lib.memories.values() if m.owner_id == server.admin_user_id),
        "person": next(p.id for p in lib.people.values() if p.owner_id == server.admin_user_id),
        "tag": next(t.id for t in lib.tags.values() if t.owner_id == server.admin_user_id),
    }
    for template in GET_ENDPOINTS:
        status, body, _ = await call(http, server, "GET", template.format(**ids))
        assert status == 200, (template, body)
    server.assert_no_violations()


async def test_posts_validate(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Search and job endpoints accept valid bodies and answer per spec."""
    requests: list[tuple[str, str, Any, int]] = [
        ("POST", "/search/metadata", {"size": 5, "withExif": True, "order": "asc"}, 200),
        ("POST", "/search/random", {"size": 3}, 200),
        ("POST", "/search/smart", {"query": "beach"}, 200),
        ("POST", "/assets/bulk-upload-check", {"assets": [{"id": "x", "checksum": "abc"}]}, 200),
        ("PUT", "/jobs/thumbnailGeneration", {"command": "start", "force": True}, 200),
        ("PUT", "/jobs/smartSearch", {"command": "pause"}, 200),
        ("PUT", "/queues/faceDetection", {"isPaused": True}, 200),
        ("DELETE", "/queues/faceDetection/jobs", {"failed": True}, 204),
        ("POST", "/jobs", {"name": "memory-create"}, 204),
    ]
    idle = server.library.queues["thumbnailGeneration"]
    idle.active = idle.waiting = 0
    idle.is_paused = True  # held still: Immich refuses to start a queue with active jobs
    for method, path, body, expected in requests:
        status, answer, _ = await call(http, server, method, path, json=body)
        assert status == expected, (path, answer)
    server.assert_no_violations()


async def test_version_specific_endpoints(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """GET /assets/random exists only in 2.x; in 3.x it hits /assets/{id} and fails as there."""
    status, body, _ = await call(http, server, "GET", "/assets/random?count=2")
    if server.api_version.startswith("2."):
        assert status == 200
        assert len(body) == 2
        server.assert_no_violations()
    else:
        assert status == 400
        assert body["message"] == "Validation failed"
        assert any("'random' is not a valid uuid" in v for v in server.violations)


async def test_dialect_differences(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Albums and assets take the shape of the version."""
    video = next(a for a in server.library.assets.values() if a.type == "VIDEO")
    _, asset, _ = await call(http, server, "GET", f"/assets/{video.id}")
    _, albums, _ = await call(http, server, "GET", "/albums")
    _, version, _ = await call(http, server, "GET", "/server/version")
    if server.api_version.startswith("2."):
        assert asset["duration"] == "0:00:03.000000"
        assert "deviceId" in asset
        assert all("owner" in a and "assets" in a for a in albums)
        assert set(version) == {"major", "minor", "patch"}
    else:
        assert asset["duration"] == 3000
        assert "deviceId" not in asset
        assert all("owner" not in a and a["albumUsers"][0]["role"] == "owner" for a in albums)
        assert version == {"major": 3, "minor": 0, "patch": 3, "prerelease": None}
    server.assert_no_violations()


async def test_prefix_and_outside_paths(http: aiohttp.ClientSession) -> None:
    """The API sits under the prefix; other paths answer 404 without a violation."""
    async with FakeImmich("3.0.3", prefix="/immich/") as server:
        assert server.url.endswith("/immich")
        status, body, _ = await call(http, server, "GET", "/server/ping", key=None)
        assert (status, body) == (200, {"res": "pong"})
        async with http.get(server.url.removesuffix("/immich") + "/api/server/ping") as resp:
            assert resp.status == 404
        assert server.requests[-1].path == "/server/ping"
        server.assert_no_violations()


async def test_server_version_override_and_upgrade(http: aiohttp.ClientSession) -> None:
    """A 1.x server can be simulated, and a 2.x server upgraded in place."""
    async with FakeImmich("2.7.3", server_version=(1, 118, 0)) as server:
        _, body, _ = await call(http, server, "GET", "/server/version", key=None)
        assert body == {"major": 1, "minor": 118, "patch": 0}
        server.set_server_version(None)
        _, body, _ = await call(http, server, "GET", "/server/version", key=None)
        assert body == {"major": 2, "minor": 7, "patch": 3}
        albums_before = set(server.library.albums)
        server.upgrade("3.0.3")
        assert server.api_version == "3.0.3"
        _, body, _ = await call(http, server, "GET", "/server/version", key=None)
        assert body["major"] == 3
        _, queues, _ = await call(http, server, "GET", "/queues")
        assert "integrityCheck" in {q["name"] for q in queues}
        assert set(server.library.albums) == albums_before
        server.assert_no_violations()


# --- authentication and errors --------------------------------------------------------------------


async def test_auth_errors_v2(http: aiohttp.ClientSession) -> None:
    """2.x error bodies: message, error, statusCode, correlationId."""
    async with FakeImmich("2.7.3") as server:
        status, body, resp = await call(http, server, "GET", "/users/me", key=None)
        assert status == 401
        assert body["message"] == "Authentication required"
        assert body["error"] == "Unauthorized"
        assert body["statusCode"] == 401
        assert body["correlationId"] == resp.headers["x-immich-cid"]
        status, body, _ = await call(http, server, "GET", "/users/me", key="wrong")
        assert (status, body["message"]) == (401, "Invalid API key")
        status, body, _ = await call(http, server, "GET", "/server/statistics", key="user")
        assert (status, body["message"], body["error"]) == (403, "Forbidden", "Forbidden")
        status, body, _ = await call(http, server, "GET", "/assets/statistics", key="limited")
        assert status == 200
        status, body, _ = await call(http, server, "GET", "/people", key="limited")
        assert (status, body["message"]) == (403, "Missing required permission: person.read")
        server.assert_no_violations()


async def test_auth_errors_v3(http: aiohttp.ClientSession) -> None:
    """3.x error bodies: only the message; the correlation id travels in a header."""
    async with FakeImmich("3.0.3") as server:
        status, body, resp = await call(http, server, "GET", "/users/me", key=None)
        assert (status, body) == (401, {"message": "Authentication required"})
        assert resp.headers["X-Correlation-ID"]
        assert "x-immich-cid" not in resp.headers
        status, body, _ = await call(
            http, server, "GET", "/users/me", key=None, headers={"Authorization": "Bearer nope"}
        )
        assert (status, body) == (401, {"message": "Invalid user token"})
        status, body, _ = await call(
            http,
            server,
            "GET",
            "/users/me",
            key=None,
            headers={"Authorization": f"Bearer {server.user_key}"},
        )
        assert status == 200
        assert body["id"] == server.user_user_id
        status, body, _ = await call(http, server, "GET", "/assets/x/original", key="limited")
        assert status == 403
        assert body == {"message": "Missing required permission: asset.download"}
        server.assert_no_violations()


async def test_keys_and_permissions(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Keys map to users; /api-keys/me reports permissions; add_key makes new keys."""
    _, me, _ = await call(http, server, "GET", "/users/me")
    assert me["id"] == server.admin_user_id
    assert me["isAdmin"] is True
    _, me, _ = await call(http, server, "GET", "/users/me", key="user")
    assert (me["id"], me["isAdmin"]) == (server.user_user_id, False)
    _, key, _ = await call(http, server, "GET", "/api-keys/me", key="limited")
    assert key["permissions"] == list(LIMITED_PERMISSIONS)
    secret = server.add_key("admin", ["server.about"])
    status, _, _ = await call(http, server, "GET", "/server/about", key=secret)
    assert status == 200
    status, body, _ = await call(http, server, "GET", "/users/me", key=secret)
    assert status == 403
    assert body["message"] == "Missing required permission: user.read"
    assert server.admin_key not in " ".join(server.violations)


# --- validation catches violations ----------------------------------------------------------------


async def test_request_violations_v2(http: aiohttp.ClientSession) -> None:
    """Bad ids, bad bodies and unknown parameters are recorded; 2.x lists the messages."""
    async with FakeImmich("2.7.3") as server:
        status, body, _ = await call(http, server, "GET", "/albums/not-a-uuid")
        assert status == 400
        assert isinstance(body["message"], list)
        assert body["error"] == "Bad Request"
        assert len(server.violations) == 1
        status, body, _ = await call(http, server, "POST", "/search/metadata", json={"size": 0})
        assert status == 400
        status, _, _ = await call(http, server, "GET", "/albums?isOwned=true")
        assert status == 200  # Immich ignores it, but it is not a 2.x parameter
        assert any("isOwned" in v for v in server.violations)
        with pytest.raises(AssertionError, match="spec violation"):
            server.assert_no_violations()


async def test_request_violations_v3(http: aiohttp.ClientSession) -> None:
    """3.x requires version-4 uuids, rejects removed fields and answers zod-style issues."""
    async with FakeImmich("3.0.3") as server:
        v1 = str(uuid.uuid1())
        status, body, _ = await call(http, server, "GET", f"/assets/{v1}")
        assert status == 400
        assert body["message"] == "Validation failed"
        assert body["errors"][0]["path"] == ["id"]
        server.violations.clear()
        status, _, _ = await call(
            http, server, "POST", "/search/metadata", json={"deviceId": "x", "size": 1}
        )
        assert status == 200
        assert server.violations == [
            "POST /search/metadata: body property 'deviceId' is not a declared property"
        ]
        server.violations.clear()
        status, _, _ = await call(http, server, "POST", "/search/metadata", data=b"{broken")
        assert status == 400
        status, _, _ = await call(http, server, "PUT", "/jobs/nope", json={"command": "start"})
        assert status == 400
        status, _, _ = await call(http, server, "PATCH", "/server/ping")
        assert status == 404
        assert len(server.violations) == 3


async def test_response_violations_are_caught(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """A library change that breaks the response schema is reported."""
    album = next(iter(server.library.albums.values()))
    album.name = 42  # type: ignore[assignment]
    status, _, _ = await call(http, server, "GET", f"/albums/{album.id}")
    assert status == 200
    assert any("breaks the spec" in v and "albumName" in v for v in server.violations)


def test_validator_features() -> None:
    """The schema compiler handles refs, nullable, combinators, formats and bounds."""
    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "Color": {"type": "string", "enum": ["red", "blue"]},
                "Node": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "child": {
                            "allOf": [{"$ref": "#/components/schemas/Node"}],
                            "nullable": True,
                        },
                        "color": {"$ref": "#/components/schemas/Color"},
                        "size": {"type": "integer", "minimum": 1, "maximum": 3},
                        "when": {"type": "string", "format": "date-time"},
                        "tags": {"type": "array", "items": {"type": "string", "minLength": 2}},
                        "either": {"oneOf": [{"type": "integer"}, {"type": "boolean"}]},
                        "extra": {"type": "object", "additionalProperties": {"type": "number"}},
                    },
                },
            }
        }
    }
    compiler = SchemaCompiler(document)
    node = compiler.compile({"$ref": "#/components/schemas/Node"})
    good_id = str(uuid.uuid4())
    assert node({"id": good_id, "child": {"id": good_id, "child": None}}) is None
    cases: dict[str, Any] = {
        "id": "nope",
        "color": "green",
        "size": 4,
        "when": "yesterday",
        "tags": ["a"],
        "either": "x",
        "extra": {"a": "b"},
        "child": {"child": None},
    }
    for name, value in cases.items():
        errors = node({"id": good_id, name: value})
        assert errors, name
    assert node({}) == [".id: is required"]
    assert node({"id": good_id, "size": True})
    strict = SchemaCompiler(document, strict=True).compile({"$ref": "#/components/schemas/Node"})
    assert strict({"id": good_id, "other": 1})
    assert node({"id": good_id, "other": 1}) is None


def test_spec_loading_is_cached_and_patched() -> None:
    """Each spec loads once; the bad `bearer.in` key is dropped; templates match."""
    spec = load_spec("3.0.3")
    assert load_spec("3.0.3") is spec
    assert "in" not in spec.document["components"]["securitySchemes"]["bearer"]
    assert spec.match("GET", "/albums/statistics")[0].operation_id == "getAlbumStatistics"  # type: ignore[union-attr]
    operation, params, _ = spec.match("GET", "/albums/abc")
    assert operation is not None
    assert (operation.operation_id, params) == ("getAlbumInfo", {"id": "abc"})
    assert spec.match("GET", "/unknown") == (None, {}, False)
    assert spec.match("PATCH", "/server/ping") == (None, {}, True)
    with pytest.raises(ValueError, match="unsupported"):
        load_spec("1.0.0")


# --- faults ---------------------------------------------------------------------------------------


async def test_status_unauthorized_and_html_faults(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """Status faults honour after/count; 401 after N calls; HTML proxy pages."""
    fault = server.add_fault("status", path=r"^/server/about$", after=1, count=2, status=503)
    statuses = [(await call(http, server, "GET", "/server/about"))[0] for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    assert fault.fired == 2
    server.clear_faults()
    server.add_fault("unauthorized", after=2)
    statuses = [(await call(http, server, "GET", "/users/me"))[0] for _ in range(3)]
    assert statuses == [200, 200, 401]
    server.clear_faults()
    server.add_fault("html", path="/server/ping", method="GET")
    status, body, resp = await call(http, server, "GET", "/server/ping")
    assert status == 200
    assert resp.content_type == "text/html"
    assert b"Bad Gateway" in body
    server.assert_no_violations()


async def test_body_faults(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Malformed JSON and schema-breaking JSON are served without counting violations."""
    server.add_fault("malformed_json", path="/server/storage", count=1)
    async with http.get(
        f"{server.url}/api/server/storage", headers={"x-api-key": server.admin_key}
    ) as resp:
        assert resp.content_type == "application/json"
        with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
            await resp.json()
    server.add_fault("invalid_schema", path="/albums$", count=1)
    status, body, _ = await call(http, server, "GET", "/albums")
    assert status == 200
    assert body[0]["id"] is None
    server.assert_no_violations()


async def test_latency_timeout_and_reset_faults(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """Latency delays, timeouts hang until the client gives up, resets cut the body."""
    server.add_fault("latency", path="/server/ping", delay=0.2, count=1)
    start = time.monotonic()
    await call(http, server, "GET", "/server/ping", key=None)
    assert time.monotonic() - start >= 0.2
    server.latency = 0.05
    start = time.monotonic()
    await call(http, server, "GET", "/server/ping", key=None)
    assert time.monotonic() - start >= 0.05
    server.latency = 0
    server.add_fault("timeout", path="/users/me", count=1)
    with pytest.raises(TimeoutError):
        await call(http, server, "GET", "/users/me", timeout=aiohttp.ClientTimeout(total=0.3))
    server.add_fault("reset", path="/server/about", count=1)
    with pytest.raises(aiohttp.ClientError):
        await call(http, server, "GET", "/server/about")
    status, _, _ = await call(http, server, "GET", "/server/about")
    assert status == 200
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.add_fault("explode")


async def test_timeout_fault_released_on_stop(http: aiohttp.ClientSession) -> None:
    """Stopping the server releases a hanging request quickly."""
    server = FakeImmich("3.0.3")
    await server.start()
    server.add_fault("timeout")
    task = asyncio.create_task(call(http, server, "GET", "/server/ping", key=None))
    await asyncio.sleep(0.1)
    start = time.monotonic()
    await server.stop()
    assert time.monotonic() - start < 5
    task.cancel()


# --- library and media ----------------------------------------------------------------------------


def test_library_contents_are_seeded() -> None:
    """Same seed, same ids; the library has what the product needs."""
    first, second = FakeImmich("3.0.3", seed=1), FakeImmich("3.0.3", seed=1)
    assert list(first.library.assets) == list(second.library.assets)
    assert first.admin_user_id == second.admin_user_id
    assert first.admin_key != second.admin_key  # secrets never derive from the seed
    other = FakeImmich("3.0.3", seed=2)
    assert other.admin_user_id != first.admin_user_id
    lib = first.library
    assets = list(lib.assets.values())
    assert len(assets) == 31
    assert sum(a.type == "VIDEO" for a in assets) == 1
    assert sum(a.mime == "image/png" for a in assets) >= 2
    assert any(a.is_favorite for a in assets)
    assert any(a.height > a.width for a in assets)
    assert len({a.taken_at.year for a in assets}) >= 5
    assert all(uuid.UUID(i).version == 4 for i in lib.assets)
    today = lib.today
    on_this_day = [
        a for a in assets if (a.taken_at.month, a.taken_at.day) == (today.month, today.day)
    ]
    assert len(on_this_day) >= 3
    todays = [m for m in lib.memories.values() if m.show_at.date() == today]
    # As Immich does, memoryAt is the recalled day, in the recalled year.
    assert all(m.memory_at.year == m.year for m in lib.memories.values())
    assert todays
    for memory in lib.memories.values():
        assert all(lib.assets[a].owner_id == memory.owner_id for a in memory.asset_ids)
    shared = lib.albums[lib.shared_album_id]
    assert shared.owner_id == first.admin_user_id
    assert first.user_user_id in shared.shared_with
    for album in lib.albums.values():
        assert all(lib.assets[a].owner_id == album.owner_id for a in album.asset_ids)
    assert {t.value for t in lib.tags.values()} >= {"Places", "Places/Paris"}
    paris = next(t for t in lib.tags.values() if t.value == "Places/Paris")
    assert lib.tags[paris.parent_id or ""].value == "Places"
    assert any(p.name for p in lib.people.values())
    assert set(lib.queues) == set(load_spec("3.0.3").enum("QueueName"))


async def test_queues_move(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Queues advance on tick() and pause/resume through the API."""
    before = {q.name: (q.waiting, q.active, q.completed) for q in server.library.queues.values()}
    server.tick(20)
    after = {q.name: (q.waiting, q.active, q.completed) for q in server.library.queues.values()}
    assert before != after
    await call(http, server, "PUT", "/queues/smartSearch", json={"isPaused": True})
    _, queue, _ = await call(http, server, "GET", "/queues/smartSearch")
    assert queue["isPaused"] is True
    frozen = queue["statistics"]
    server.tick(10)
    _, queue, _ = await call(http, server, "GET", "/queues/smartSearch")
    assert queue["statistics"] == frozen
    _, legacy, _ = await call(http, server, "PUT", "/jobs/smartSearch", json={"command": "resume"})
    assert legacy["queueStatus"]["isPaused"] is False
    await call(http, server, "PUT", "/jobs/smartSearch", json={"command": "clear-failed"})
    assert server.library.queues["smartSearch"].failed == 0
    server.assert_no_violations()


async def test_album_lifecycle(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Create, fill, update, list and delete an album, with per-asset results."""
    lib = server.library
    own = [a.id for a in lib.assets.values() if a.owner_id == server.admin_user_id][:3]
    foreign = next(a.id for a in lib.assets.values() if a.owner_id == server.user_user_id)
    status, album, _ = await call(
        http, server, "POST", "/albums", json={"albumName": "New", "assetIds": own[:1]}
    )
    assert (status, album["assetCount"]) == (201, 1)
    missing = str(uuid.UUID(int=1, version=4))
    _, results, _ = await call(
        http, server, "PUT", f"/albums/{album['id']}/assets", json={"ids": [*own, foreign, missing]}
    )
    assert [r.get("error") for r in results] == [
        "duplicate",
        None,
        None,
        "no_permission",
        "no_permission",
    ]
    _, results, _ = await call(
        http, server, "DELETE", f"/albums/{album['id']}/assets", json={"ids": [own[0], missing]}
    )
    assert [r["success"] for r in results] == [True, False]
    status, updated, _ = await call(
        http, server, "PATCH", f"/albums/{album['id']}", json={"albumName": "Renamed"}
    )
    assert (status, updated["albumName"], updated["assetCount"]) == (200, "Renamed", 2)
    status, body, _ = await call(http, server, "GET", f"/albums/{album['id']}", key="user")
    assert status == 400
    assert body["message"] == "Not found or no album.read access"
    status, _, _ = await call(http, server, "DELETE", f"/albums/{album['id']}")
    assert status == 204
    assert album["id"] not in lib.albums
    server.assert_no_violations()


async def test_shared_album_visibility(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """The shared album is visible to the normal user, per the version's query rules."""
    shared_id = server.library.shared_album_id
    if server.api_version.startswith("2."):
        _, shared, _ = await call(http, server, "GET", "/albums?shared=true", key="user")
        _, owned, _ = await call(http, server, "GET", "/albums", key="user")
    else:
        _, shared, _ = await call(http, server, "GET", "/albums?isOwned=false", key="user")
        _, owned, _ = await call(http, server, "GET", "/albums?isOwned=true", key="user")
    assert shared_id in {a["id"] for a in shared}
    assert shared_id not in {a["id"] for a in owned}
    _, stats, _ = await call(http, server, "GET", "/albums/statistics", key="user")
    assert stats == {"owned": 2, "shared": 1, "notShared": 2}
    _, bucket_list, _ = await call(
        http, server, "GET", f"/timeline/buckets?albumId={shared_id}", key="user"
    )
    assert sum(b["count"] for b in bucket_list) == len(server.library.albums[shared_id].asset_ids)
    _, bucket, _ = await call(
        http,
        server,
        "GET",
        "/timeline/bucket",
        key="user",
        params={"albumId": shared_id, "timeBucket": bucket_list[0]["timeBucket"]},
    )
    assert len(bucket["id"]) == bucket_list[0]["count"]
    server.assert_no_violations()


async def test_search_paging_and_filters(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Metadata search pages with nextPage; filters narrow results."""
    own = [a for a in server.library.assets.values() if a.owner_id == server.admin_user_id]
    seen: list[str] = []
    page: str | None = "1"
    while page is not None:
        _, body, _ = await call(
            http, server, "POST", "/search/metadata", json={"page": int(page), "size": 7}
        )
        seen.extend(a["id"] for a in body["assets"]["items"])
        page = body["assets"]["nextPage"]
    assert sorted(seen) == sorted(a.id for a in own)
    _, body, _ = await call(
        http, server, "POST", "/search/metadata", json={"isFavorite": True, "type": "IMAGE"}
    )
    assert {a["id"] for a in body["assets"]["items"]} == {
        a.id for a in own if a.is_favorite and a.type == "IMAGE"
    }
    cutoff = datetime(server.library.today.year - 3, 1, 1, tzinfo=UTC)
    _, body, _ = await call(
        http,
        server,
        "POST",
        "/search/metadata",
        json={"takenAfter": cutoff.isoformat().replace("+00:00", "Z")},
    )
    assert all(a["fileCreatedAt"] >= cutoff.strftime("%Y") for a in body["assets"]["items"])
    album = next(a for a in server.library.albums.values() if a.name == "Holidays")
    _, body, _ = await call(http, server, "POST", "/search/metadata", json={"albumIds": [album.id]})
    assert {a["id"] for a in body["assets"]["items"]} == set(album.asset_ids)
    person = next(p for p in server.library.people.values() if p.name == "Alice")
    _, body, _ = await call(
        http, server, "POST", "/search/metadata", json={"personIds": [person.id]}
    )
    assert body["assets"]["items"]
    _, body, _ = await call(http, server, "POST", "/search/smart", json={"query": "harbour clip"})
    assert body["assets"]["items"][0]["type"] == "VIDEO"
    server.assert_no_violations()


async def test_memories_today(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Today's memories come back for the `for` filter of the version's format."""
    today = server.library.today
    moment = today.isoformat() if server.api_version.startswith("3.") else f"{today}T12:00:00.000Z"
    _, memories, _ = await call(http, server, "GET", "/memories", params={"for": moment})
    assert memories
    assert all(m["type"] == "on_this_day" and m["assets"] for m in memories)
    _, stats, _ = await call(http, server, "GET", "/memories/statistics", params={"for": moment})
    assert stats["total"] == len(memories)
    server.assert_no_violations()


async def test_media_and_ranges(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Thumbnails have their size; originals and video stream with Range support.

    As in Immich, the thumbnail is WebP and the full size of a JPEG redirects to its original.
    """
    lib = server.library
    image = next(a for a in lib.assets.values() if a.type == "IMAGE" and a.mime == "image/jpeg")
    for size, longest, content_type in (
        ("thumbnail", 250, "image/webp"),
        ("preview", 1440, "image/jpeg"),
        ("fullsize", 1200, "image/jpeg"),
    ):
        status, body, resp = await call(
            http, server, "GET", f"/assets/{image.id}/thumbnail?size={size}"
        )
        assert (status, resp.content_type) == (200, content_type)
        with Image.open(io.BytesIO(body)) as picture:
            assert max(picture.size) <= longest
    status, original, resp = await call(http, server, "GET", f"/assets/{image.id}/original")
    assert status == 200
    assert resp.headers["Content-Length"] == str(len(original))
    assert resp.headers["ETag"]
    assert resp.headers["Last-Modified"]
    with Image.open(io.BytesIO(original)) as picture:
        exif = picture.getexif().get_ifd(0x8769)
        assert exif[0x9003] == image.taken_at.strftime("%Y:%m:%d %H:%M:%S")
    video = next(a for a in lib.assets.values() if a.type == "VIDEO")
    status, data, resp = await call(http, server, "GET", f"/assets/{video.id}/video/playback")
    assert (status, resp.content_type) == (200, "video/mp4")
    assert mp4_boxes(data) == ["ftyp", "moov", "mdat"]
    status, part, resp = await call(
        http, server, "GET", f"/assets/{video.id}/video/playback", headers={"Range": "bytes=10-19"}
    )
    assert (status, part) == (206, data[10:20])
    assert resp.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    status, part, _ = await call(
        http, server, "GET", f"/assets/{video.id}/video/playback", headers={"Range": "bytes=-5"}
    )
    assert (status, part) == (206, data[-5:])
    status, _, resp = await call(
        http,
        server,
        "GET",
        f"/assets/{video.id}/original",
        headers={"Range": f"bytes={len(data)}-"},
    )
    # As Immich: a range past the end fails (Express's error), it is never a 416.
    assert status == (500 if server.api_version.startswith("2.") else 404)
    person = next(p for p in lib.people.values() if p.owner_id == server.admin_user_id)
    status, _, resp = await call(http, server, "GET", f"/people/{person.id}/thumbnail")
    assert (status, resp.content_type) == (200, "image/jpeg")
    server.assert_no_violations()


def _form(server: FakeImmich, data: bytes, *, with_device: bool) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if with_device:
        form.add_field("deviceAssetId", "snapshot-1")
        form.add_field("deviceId", "home-assistant")
    form.add_field("fileCreatedAt", "2024-05-01T10:00:00.000Z")
    form.add_field("fileModifiedAt", "2024-05-01T10:00:00.000Z")
    form.add_field("isFavorite", "true")
    form.add_field(
        "assetData", io.BytesIO(data), filename="doorbell.jpg", content_type="image/jpeg"
    )
    return form


async def test_upload_created_and_duplicate(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """Uploads stream and hash; a second upload of the same bytes is a duplicate."""
    is_v2 = server.api_version.startswith("2.")
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(out, "JPEG")
    data = out.getvalue()
    status, created, _ = await call(
        http, server, "POST", "/assets", data=_form(server, data, with_device=is_v2)
    )
    assert (status, created["status"]) == (201, "created")
    asset = server.library.assets[created["id"]]
    assert (asset.width, asset.height, asset.is_favorite) == (64, 48, True)
    status, dup, _ = await call(
        http, server, "POST", "/assets", data=_form(server, data, with_device=is_v2)
    )
    assert (status, dup) == (200, {"id": created["id"], "status": "duplicate"})
    _, original, _ = await call(http, server, "GET", f"/assets/{created['id']}/original")
    assert original == data
    _, check, _ = await call(
        http,
        server,
        "POST",
        "/assets/bulk-upload-check",
        json={"assets": [{"id": "local", "checksum": asset.checksum}]},
    )
    assert check["results"][0] == {
        "action": "reject",
        "id": "local",
        "assetId": created["id"],
        "isTrashed": False,
        "reason": "duplicate",
    }
    server.assert_no_violations()
    # The other dialect's form is a violation: 2.x needs device fields, 3.x must not get them.
    status, _, _ = await call(
        http, server, "POST", "/assets", data=_form(server, b"x", with_device=not is_v2)
    )
    assert status == 400
    assert len(server.violations) == 1


async def test_bulk_assets_and_big_album(http: aiohttp.ClientSession) -> None:
    """Thousands of synthetic assets are cheap; a big album lists and validates."""
    async with FakeImmich("2.7.3") as server:
        start = time.monotonic()
        ids = server.add_assets(5000, album="Big")
        assert time.monotonic() - start < 5
        album = server.library.find_album("Big", server.admin_user_id)
        assert album is not None
        assert len(album.asset_ids) == len(ids) == 5000
        status, body, _ = await call(http, server, "GET", f"/albums/{album.id}")
        assert (status, body["assetCount"], len(body["assets"])) == (200, 5000, 5000)
        status, _, resp = await call(http, server, "GET", f"/assets/{ids[0]}/thumbnail")
        assert (status, resp.content_type) == (200, "image/webp")
        server.assert_no_violations()


async def test_large_video_is_generated_as_sent(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """A large synthetic video streams whole and by range, with the right bytes."""
    size = 3 * 1024 * 1024 + 17
    asset_id = server.add_large_video(size)
    body = server.library.synthetic[server.library.assets[asset_id].payload]
    for path in (f"/assets/{asset_id}/original", f"/assets/{asset_id}/video/playback"):
        status, data, resp = await call(http, server, "GET", path)
        assert (status, resp.content_length, len(data)) == (200, size, size)
        assert data[:1000] == body.expected(0, 999)
        assert data[-1000:] == body.expected(size - 1000, size - 1)
        status, data, resp = await call(
            http, server, "GET", path, headers={"Range": "bytes=1000000-1070000"}
        )
        assert (status, resp.headers["Content-Range"]) == (206, f"bytes 1000000-1070000/{size}")
        assert data == body.expected(1_000_000, 1_070_000)
    status, _, resp = await call(http, server, "GET", f"/assets/{asset_id}/thumbnail")
    assert (status, resp.content_type) == (200, "image/webp")
    server.assert_no_violations()


async def test_requests_are_recorded(server: FakeImmich, http: aiohttp.ClientSession) -> None:
    """Requests are recorded with API path, query and JSON body."""
    await call(http, server, "POST", "/search/metadata?key=abc", json={"size": 1})
    record = server.requests[-1]
    assert (record.method, record.path, record.query, record.json) == (
        "POST",
        "/search/metadata",
        {"key": "abc"},
        {"size": 1},
    )
    assert record.headers["x-api-key"] == server.admin_key
    server.clear_requests()
    assert server.requests == []


async def test_long_running_server_keeps_only_newest_requests(
    server: FakeImmich, http: aiohttp.ClientSession
) -> None:
    """With keep_requests the log stays bounded, and the newest request is still in it."""
    server.keep_requests = 5
    for number in range(25):
        await call(http, server, "GET", f"/server/ping?n={number}", key=None)
    assert len(server.requests) <= 10
    assert server.requests[-1].query == {"n": "24"}


@pytest.mark.usefixtures("refused_tls_handshakes")
async def test_https(tmp_path: Any, http: aiohttp.ClientSession) -> None:
    """With an SSL context the fake serves HTTPS; verification fails on a self-signed cert."""
    server = FakeImmich("3.0.3")
    await server.start(ssl_context=self_signed_context(tmp_path))
    try:
        assert server.url.startswith("https://")
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await call(http, server, "GET", "/server/ping", key=None)
        status, body, _ = await call(http, server, "GET", "/server/ping", key=None, ssl=False)
        assert (status, body) == (200, {"res": "pong"})
    finally:
        await server.stop()


async def test_shares_home_assistant_day(hass: HomeAssistant, immich: FakeImmich) -> None:
    """The fake makes memories for the day Home Assistant's clock shows, in any hour of it."""
    assert immich.library.zone == dt_util.get_default_time_zone()
    assert immich.library.today == dt_util.now().date()
