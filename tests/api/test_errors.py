"""Every error type, produced by the fake server's faults (or a real network failure)."""

from __future__ import annotations

import socket
import ssl
import uuid

import aiohttp
import pytest

from custom_components.immich_hub.api import (
    ImmichAuthError,
    ImmichBadRequestError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    ImmichForbiddenError,
    ImmichInvalidResponseError,
    ImmichNotFoundError,
    ImmichResponseError,
    ImmichServerError,
    ImmichSSLError,
    ImmichTimeoutError,
)
from custom_components.immich_hub.api.errors import (
    error_for_status,
    parse_error_body,
    parse_permission,
)
from fake_immich import FakeImmich

from .conftest import ServerFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _no_secret(error: BaseException, *secrets: str) -> None:
    """Assert that no API key shows in the error or its cause."""
    texts = [str(error), repr(error)]
    if error.__cause__ is not None:
        texts += [str(error.__cause__), repr(error.__cause__)]
    for secret in secrets:
        assert all(secret not in text for text in texts)


# ---- HTTP errors ------------------------------------------------------------------------------


async def test_unauthorized(immich: FakeImmich, session: aiohttp.ClientSession) -> None:
    """A wrong key gives ImmichAuthError (401)."""
    client = ImmichClient(session, immich.url, "not-a-real-key")
    with pytest.raises(ImmichAuthError) as err:
        await client.get_my_user()
    assert err.value.status == 401
    assert err.value.message == "Invalid API key"
    assert err.value.correlation_id
    _no_secret(err.value, "not-a-real-key")


async def test_unauthorized_fault(immich: FakeImmich, client: ImmichClient) -> None:
    """A key revoked later gives ImmichAuthError too."""
    immich.add_fault("unauthorized", path="/server/storage")
    with pytest.raises(ImmichAuthError):
        await client.get_storage()
    _ = await client.get_about()


async def test_forbidden_names_the_permission(
    immich: FakeImmich, limited_client: ImmichClient, user_client: ImmichClient
) -> None:
    """403 carries the permission Immich names, or None for admin-only routes."""
    with pytest.raises(ImmichForbiddenError) as err:
        await limited_client.get_version_check()
    assert err.value.status == 403
    assert err.value.permission == "server.versionCheck"
    _no_secret(err.value, immich.limited_key)
    with pytest.raises(ImmichForbiddenError) as err:
        await limited_client.get_original(next(iter(immich.library.assets)))
    assert err.value.permission == "asset.download"
    with pytest.raises(ImmichForbiddenError) as err:
        await user_client.get_statistics()
    assert err.value.permission is None


async def test_not_found(
    immich: FakeImmich, client: ImmichClient, session: aiohttp.ClientSession
) -> None:
    """404 from a wrong subpath (a proxy's page) and from Immich."""
    wrong = ImmichClient(session, immich.url + "/elsewhere", immich.admin_key)
    with pytest.raises(ImmichNotFoundError) as err:
        await wrong.get_server_version()
    assert err.value.status == 404
    immich.add_fault("status", status=404, path="/albums/statistics")
    with pytest.raises(ImmichNotFoundError):
        await client.get_album_statistics()


async def test_bad_request_message(immich: FakeImmich, client: ImmichClient) -> None:
    """400 carries Immich's message, in both dialects."""
    with pytest.raises(ImmichBadRequestError) as err:
        await client.get_album(str(uuid.uuid4()))
    assert err.value.status == 400
    assert err.value.message == "Not found or no album.read access"


async def test_validation_error_message(immich: FakeImmich, client: ImmichClient) -> None:
    """A validation failure names the field: a list in 2.x, zod issues in 3.x."""
    with pytest.raises(ImmichBadRequestError) as err:
        await client.get_album("not-a-uuid")
    assert "id" in err.value.message
    assert err.value.details
    assert all("id" in detail for detail in err.value.details)
    # The fake records the invalid request we sent on purpose; nothing else may be there.
    assert len(immich.violations) == 1
    assert "getAlbumInfo" in immich.violations[0]
    immich.violations.clear()


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error(immich: FakeImmich, client: ImmichClient, status: int) -> None:
    """5xx gives ImmichServerError."""
    immich.add_fault("status", status=status, path="/users/me", count=1)
    with pytest.raises(ImmichServerError) as err:
        await client.get_my_user()
    assert err.value.status == status
    assert await client.get_my_user()


async def test_other_status(immich: FakeImmich, client: ImmichClient) -> None:
    """Any other error status gives the base ImmichResponseError."""
    immich.add_fault("status", status=429, path="/server/about")
    with pytest.raises(ImmichResponseError) as err:
        await client.get_about()
    assert type(err.value) is ImmichResponseError
    assert err.value.status == 429


# ---- broken answers ---------------------------------------------------------------------------


async def test_malformed_json(immich: FakeImmich, client: ImmichClient) -> None:
    """A truncated JSON body gives ImmichInvalidResponseError."""
    immich.add_fault("malformed_json", path="/users/me")
    with pytest.raises(ImmichInvalidResponseError):
        await client.get_my_user()


async def test_html_page(immich: FakeImmich, client: ImmichClient) -> None:
    """An HTML page with status 200 is not an Immich answer."""
    immich.add_fault("html", path="/server/version")
    with pytest.raises(ImmichInvalidResponseError) as err:
        await client.get_server_version()
    assert "text/html" in str(err.value)
    assert client.server_version is None


async def test_invalid_schema(immich: FakeImmich, client: ImmichClient) -> None:
    """A JSON body of the wrong shape gives ImmichInvalidResponseError."""
    immich.add_fault("invalid_schema", path="/server/storage")
    with pytest.raises(ImmichInvalidResponseError):
        await client.get_storage()
    immich.add_fault("invalid_schema", path="/albums$", method="GET")
    with pytest.raises(ImmichInvalidResponseError):
        await client.list_albums()


# ---- network failures -------------------------------------------------------------------------


async def test_timeout(immich: FakeImmich, session: aiohttp.ClientSession) -> None:
    """A server that does not answer in time gives ImmichTimeoutError."""
    client = ImmichClient(session, immich.url, immich.admin_key, timeout=0.3)
    immich.add_fault("timeout", path="/users/me", count=1)
    with pytest.raises(ImmichTimeoutError) as err:
        await client.get_my_user()
    assert isinstance(err.value, ImmichConnectionError)
    immich.add_fault("latency", path="/server/about", delay=1.0, count=1)
    with pytest.raises(ImmichTimeoutError):
        await client.get_about()


async def test_stream_timeout(immich: FakeImmich, session: aiohttp.ClientSession) -> None:
    """Opening a stream that does not answer in time gives ImmichTimeoutError."""
    client = ImmichClient(session, immich.url, immich.admin_key, timeout=0.3)
    asset_id = next(iter(immich.library.assets))
    immich.add_fault("latency", path="/thumbnail", delay=1.0, count=1)
    with pytest.raises(ImmichTimeoutError):
        await client.get_thumbnail(asset_id)


async def test_connection_reset(immich: FakeImmich, client: ImmichClient) -> None:
    """A dropped connection gives ImmichConnectionError, also in the middle of a stream."""
    immich.add_fault("reset", path="/users/me", count=1)
    with pytest.raises(ImmichConnectionError):
        await client.get_my_user()
    asset_id = next(a.id for a in immich.library.owned_assets(immich.admin_user_id))
    immich.add_fault("reset", path="/original", count=1)
    async with await client.get_original(asset_id) as stream:
        with pytest.raises(ImmichConnectionError):
            async for _chunk in stream:
                pass


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nobody listening gives ImmichConnectionError (neither TLS nor timeout)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ImmichClient(session, f"http://127.0.0.1:{port}", "secret-key")
    with pytest.raises(ImmichConnectionError) as err:
        await client.get_server_version()
    assert type(err.value) is ImmichConnectionError
    _no_secret(err.value, "secret-key")
    with pytest.raises(ImmichConnectionError):
        await client.get_original("x")


@pytest.mark.usefixtures("refused_tls_handshakes")
async def test_tls_error(
    fake_server: ServerFactory, session: aiohttp.ClientSession, tls_context: ssl.SSLContext
) -> None:
    """A self-signed certificate gives ImmichSSLError."""
    async with fake_server() as server:
        await server.stop()
        await server.start(ssl_context=tls_context)
        assert server.url.startswith("https://")
        client = ImmichClient(session, server.url, server.admin_key)
        with pytest.raises(ImmichSSLError) as err:
            await client.get_server_version()
        assert isinstance(err.value, ImmichConnectionError)


# ---- error body parsing -----------------------------------------------------------------------


def test_parse_error_bodies() -> None:
    """Immich's 2.x and 3.x error bodies, and bodies that are not Immich's."""
    v2 = {
        "message": ["albumName must be a string", "id must be a UUID"],
        "error": "Bad Request",
        "statusCode": 400,
        "correlationId": "abcd1234",
    }
    assert parse_error_body(v2, "Bad Request") == (
        "albumName must be a string; id must be a UUID",
        ["albumName must be a string", "id must be a UUID"],
        "abcd1234",
    )
    v3 = {
        "message": "Validation failed",
        "errors": [
            {"code": "invalid_type", "path": ["albumName"], "message": "Expected string"},
            {"code": "custom", "path": [], "message": "Bad body"},
            {"code": "custom", "path": ["assets", 0, "id"], "message": "Invalid UUID"},
            {"code": "no message"},
            42,
        ],
    }
    message, details, cid = parse_error_body(v3, "Bad Request")
    assert message == (
        "Validation failed: albumName: Expected string; Bad body; assets.0.id: Invalid UUID"
    )
    assert len(details) == 3
    assert cid is None
    assert parse_error_body({"message": "Validation failed", "errors": [7]}, "x") == (
        "Validation failed",
        [],
        None,
    )
    assert parse_error_body({"message": "Album not found"}, "x") == ("Album not found", [], None)
    assert parse_error_body({"error": "Conflict"}, "x")[0] == "Conflict"
    assert parse_error_body({"message": ""}, "Reason")[0] == "Reason"
    assert parse_error_body({"message": []}, "Reason")[0] == "Reason"
    assert parse_error_body("<html>", "Bad Gateway") == ("Bad Gateway", [], None)
    assert parse_error_body(None, "Teapot")[0] == "Teapot"


def test_parse_permission() -> None:
    """The permission is read from Immich's 403 message."""
    assert parse_permission("Missing required permission: asset.read") == "asset.read"
    assert parse_permission("Missing required permission: server.versionCheck.") == (
        "server.versionCheck"
    )
    assert parse_permission("Forbidden") is None


def test_error_for_status() -> None:
    """Each status maps to its error class; the header correlation id is a fallback."""
    cases = {
        400: ImmichBadRequestError,
        401: ImmichAuthError,
        403: ImmichForbiddenError,
        404: ImmichNotFoundError,
        409: ImmichResponseError,
        500: ImmichServerError,
        504: ImmichServerError,
    }
    for status, cls in cases.items():
        error = error_for_status(status, {"message": "m"}, "r", "cid")
        assert type(error) is cls
        assert isinstance(error, ImmichError)
        assert error.correlation_id == "cid"
        assert str(error) == f"HTTP {status}: m"
