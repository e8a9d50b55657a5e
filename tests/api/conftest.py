"""Fixtures of the Immich client tests: an aiohttp session and clients for the fake server."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
import ssl
from typing import Any

import aiohttp
import pytest

from custom_components.immich_hub.api import ImmichClient
from fake_immich import FakeImmich
from fake_immich.tls import self_signed_context

TIMEOUT = 5.0

ServerFactory = Callable[..., AbstractAsyncContextManager[FakeImmich]]
"""Starts an extra fake server (``fake_server``), with other arguments than ``immich``."""


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Return an aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(immich: FakeImmich, session: aiohttp.ClientSession) -> ImmichClient:
    """Return a client with the admin key."""
    return ImmichClient(session, immich.url, immich.admin_key, timeout=TIMEOUT)


@pytest.fixture
def user_client(immich: FakeImmich, session: aiohttp.ClientSession) -> ImmichClient:
    """Return a client with a non-admin key."""
    return ImmichClient(session, immich.url, immich.user_key, timeout=TIMEOUT)


@pytest.fixture
def limited_client(immich: FakeImmich, session: aiohttp.ClientSession) -> ImmichClient:
    """Return a client with a non-admin key lacking most permissions."""
    return ImmichClient(session, immich.url, immich.limited_key, timeout=TIMEOUT)


@pytest.fixture
def fake_server(api_version: str, socket_enabled: None) -> ServerFactory:
    """Return a factory of extra fake servers (other prefixes or server versions)."""

    @asynccontextmanager
    async def start(**kwargs: Any) -> AsyncIterator[FakeImmich]:
        async with FakeImmich(api_version=kwargs.pop("api_version", api_version), **kwargs) as srv:
            yield srv
            srv.assert_no_violations()

    return start


@pytest.fixture
def tls_context(tmp_path: Path) -> ssl.SSLContext:
    """Return a server TLS context with a self-signed certificate for 127.0.0.1."""
    return self_signed_context(tmp_path)
