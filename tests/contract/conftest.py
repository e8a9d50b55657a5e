"""Fixtures of the contract tests: the fake Immich beside a real one, from the environment.

The real server is the one the end-to-end tests use (``../shared/real-immich``), named by
IMMICH_URL, IMMICH_API_KEY (an admin's key with ``all``), IMMICH_USER_API_KEY (a normal user's
key with ``all``) and the admin's IMMICH_ADMIN_EMAIL and IMMICH_ADMIN_PASSWORD (to delete the
locked photos no API key may touch). The fake emulates the spec of the real server's
major.minor.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
import os

import aiohttp
import pytest

from fake_immich import FakeImmich
from fake_immich.library import ISSUED_SECRETS
from fake_immich.spec import load_spec

from .harness import Exchange, Pair, Side, recording_session

REQUIRED_ENV = (
    "IMMICH_URL",
    "IMMICH_API_KEY",
    "IMMICH_USER_API_KEY",
    "IMMICH_ADMIN_EMAIL",
    "IMMICH_ADMIN_PASSWORD",
)
FAKE_VERSIONS = {"2.7": "2.7.3", "3.0": "3.0.3"}
"""The fake's spec for each real major.minor."""


@dataclass(frozen=True)
class RealServer:
    """Where the real Immich is and its two keys."""

    url: str
    admin_key: str
    user_key: str
    admin_login: tuple[str, str]


@pytest.fixture(scope="session")
def real_server() -> RealServer:
    """Return the real server named by the environment; fail loudly without one."""
    missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
    if missing:
        pytest.fail(
            "The contract tests compare the fake Immich with a real one and need "
            f"{', '.join(REQUIRED_ENV)} (missing: {', '.join(missing)}). Start one with "
            '`eval "$(../shared/real-immich/start)"`, or run scripts/e2e.',
            pytrace=False,
        )
    server = RealServer(
        os.environ["IMMICH_URL"].rstrip("/"),
        os.environ["IMMICH_API_KEY"],
        os.environ["IMMICH_USER_API_KEY"],
        (os.environ["IMMICH_ADMIN_EMAIL"], os.environ["IMMICH_ADMIN_PASSWORD"]),
    )
    # The session's check that no log line holds an API key covers the real keys too.
    ISSUED_SECRETS.update((server.admin_key, server.user_key, server.admin_login[1]))
    return server


async def _fake_version(session: aiohttp.ClientSession, real: RealServer) -> str:
    """Return the fake's API version for the real server's major.minor."""
    async with session.get(f"{real.url}/api/server/version") as response:
        assert response.status == 200, f"{real.url} does not answer as Immich"
        found = await response.json()
    major_minor = f"{found['major']}.{found['minor']}"
    if major_minor not in FAKE_VERSIONS:
        pytest.fail(f"The fake emulates no spec of Immich {major_minor}", pytrace=False)
    return FAKE_VERSIONS[major_minor]


@pytest.fixture
async def pair(real_server: RealServer, socket_enabled: None) -> AsyncGenerator[Pair]:
    """Return the fake and the real server; what a test made on the real one is deleted."""
    fake_log: list[Exchange] = []
    real_log: list[Exchange] = []
    async with (
        recording_session(fake_log) as fake_session,
        recording_session(real_log) as real_session,
    ):
        version = await _fake_version(real_session, real_server)
        real_log.clear()
        async with FakeImmich(api_version=version) as fake:
            fake_side = Side(
                "fake",
                fake.url,
                {"admin": fake.admin_key, "user": fake.user_key},
                fake_session,
                fake_log,
                fake=fake,
            )
            real_side = Side(
                "real",
                real_server.url,
                {"admin": real_server.admin_key, "user": real_server.user_key},
                real_session,
                real_log,
                login=real_server.admin_login,
            )
            try:
                yield Pair(fake_side, real_side, load_spec(version), version)
            finally:
                await real_side.clean_up()
            fake.assert_no_violations()
