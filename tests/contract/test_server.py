"""Contract: the server and user endpoints answer alike on the fake and the real Immich."""

from __future__ import annotations

import pytest

from .harness import Pair


async def test_ping_and_version(pair: Pair) -> None:
    """Ping, the version and its re-read."""
    assert await pair.compare(lambda side: side.admin.ping()) == (True, True)
    fake, real = await pair.compare(lambda side: side.admin.get_server_version())
    assert (fake.major, fake.minor) == (real.major, real.minor)
    await pair.compare(lambda side: side.admin.fetch_server_version())


@pytest.mark.parametrize("who", ["admin", "user"])
async def test_my_user_and_key(pair: Pair, who: str) -> None:
    """The key's user and the key itself."""
    fake, real = await pair.compare(lambda side: side.client(who).get_my_user())
    assert fake.is_admin == real.is_admin == (who == "admin")
    await pair.compare(lambda side: side.client(who).get_my_api_key())


_DOCKER_BUILD = (
    "set from IMMICH_BUILD* and IMMICH_SOURCE_URL, which Immich's Docker image has and a build"
    " from source has not"
)


async def test_about(pair: Pair) -> None:
    """Build information."""
    await pair.compare(
        lambda side: side.admin.get_about(),
        tolerated={
            "$.build": _DOCKER_BUILD,
            "$.buildImage": _DOCKER_BUILD,
            "$.buildImageUrl": _DOCKER_BUILD,
            "$.buildUrl": _DOCKER_BUILD,
            "$.sourceUrl": _DOCKER_BUILD,
        },
    )


async def test_storage_statistics_features(pair: Pair) -> None:
    """Disk use, server statistics (admin) and features."""
    await pair.compare(lambda side: side.admin.get_storage())
    await pair.compare(lambda side: side.admin.get_statistics())
    await pair.compare(lambda side: side.admin.get_features())


async def test_version_check(pair: Pair) -> None:
    """The latest release Immich has seen."""
    await pair.compare(lambda side: side.admin.get_version_check())
