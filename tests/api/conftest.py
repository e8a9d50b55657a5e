"""Fixtures of the Immich client tests: an aiohttp session and clients for the fake server."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
import ssl
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.immich_hub.api import ImmichClient
from fake_immich import FakeImmich

TIMEOUT = 5.0


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
def fake_server(
    api_version: str, socket_enabled: None
) -> Callable[..., AbstractAsyncContextManager[FakeImmich]]:
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
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-immich")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file = tmp_path / "cert.pem"
    key_file = tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
