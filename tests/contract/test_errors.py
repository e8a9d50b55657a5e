"""Contract: the errors the integration relies on, status, body and Immich's message alike.

Unknown ids, keys that lack a permission, users who are no admins, keys Immich does not know.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.immich_hub.api import (
    ImmichAuthError,
    ImmichBadRequestError,
    ImmichClient,
    ImmichError,
    ImmichForbiddenError,
    QueueCommand,
)

from .harness import Pair, Side, make_jpeg

UNKNOWN = "00000000-0000-4000-8000-000000000000"
Call = Callable[[ImmichClient], Awaitable[Any]]


async def _stream(opened: Awaitable[Any]) -> None:
    """Open a media stream and close it."""
    async with await opened:
        pass


UNKNOWN_IDS: dict[str, Call] = {
    "get_asset": lambda c: c.get_asset(UNKNOWN),
    "update_asset": lambda c: c.update_asset(UNKNOWN, is_favorite=True),
    "get_album": lambda c: c.get_album(UNKNOWN),
    "update_album": lambda c: c.update_album(UNKNOWN, name="x"),
    "delete_album": lambda c: c.delete_album(UNKNOWN),
    "add_assets_to_album": lambda c: c.add_assets_to_album(UNKNOWN, [UNKNOWN]),
    "remove_assets_from_album": lambda c: c.remove_assets_from_album(UNKNOWN, [UNKNOWN]),
    "get_memory": lambda c: c.get_memory(UNKNOWN),
    "get_person": lambda c: c.get_person(UNKNOWN),
    "get_tag": lambda c: c.get_tag(UNKNOWN),
    "restore_from_trash": lambda c: c.restore_from_trash([UNKNOWN]),
    "get_time_bucket": lambda c: c.get_time_bucket("2022-05-01", album_id=UNKNOWN),
    "list_time_buckets": lambda c: c.list_time_buckets(album_id=UNKNOWN),
    "get_thumbnail": lambda c: _stream(c.get_thumbnail(UNKNOWN)),
    "get_original": lambda c: _stream(c.get_original(UNKNOWN)),
    "get_video": lambda c: _stream(c.get_video(UNKNOWN)),
    "get_person_thumbnail": lambda c: _stream(c.get_person_thumbnail(UNKNOWN)),
}


@pytest.mark.parametrize("call", UNKNOWN_IDS.values(), ids=UNKNOWN_IDS.keys())
async def test_unknown_id(pair: Pair, call: Call) -> None:
    """An id Immich does not know (or the key's user may not see)."""
    await pair.compare_error(lambda side: call(side.admin), ImmichError)


async def test_photo_of_another_user(pair: Pair) -> None:
    """A photo of the admin's, asked for with the normal user's key."""
    data = make_jpeg()
    for side in pair.sides:
        side.ids["photo"] = await side.upload(data, "contract.jpg")
    await pair.compare_error(
        lambda side: side.user.get_asset(side.ids["photo"]), ImmichBadRequestError
    )
    await pair.compare_error(
        lambda side: side.user.update_asset(side.ids["photo"], is_favorite=True),
        ImmichBadRequestError,
    )
    await pair.compare_error(
        lambda side: _stream(side.user.get_original(side.ids["photo"])), ImmichError
    )


ZOD_ISSUE = "zod adds fields by kind of issue; the fake reports every issue as a custom one"


async def test_malformed_id(pair: Pair) -> None:
    """An id that is no UUID fails validation: a 400 whose body has Immich's shape."""
    fake, real = await pair.run(lambda side: side.admin.get_asset("not-a-uuid"))
    pair.assert_same(
        fake.exchanges,
        real.exchanges,
        tolerated={f"$.errors[].{key}": ZOD_ISSUE for key in ("format", "origin", "pattern")},
    )
    assert isinstance(fake.error, ImmichBadRequestError)
    assert isinstance(real.error, ImmichBadRequestError)
    # The fake also reports the bad request as a client bug; here it was sent on purpose.
    assert pair.fake.fake is not None
    assert len(pair.fake.fake.violations) == 1
    pair.fake.fake.violations.clear()


PERMISSIONS: dict[str, tuple[str, Call]] = {
    "get_my_user": ("user.read", lambda c: c.get_my_user()),
    "get_storage": ("server.storage", lambda c: c.get_storage()),
    "get_about": ("server.about", lambda c: c.get_about()),
    "get_version_check": ("server.versionCheck", lambda c: c.get_version_check()),
    "get_statistics": ("server.statistics", lambda c: c.get_statistics()),
    "list_queues": ("queue.read", lambda c: c.list_queues()),
    "pause_queue": (
        "queue.update",
        lambda c: c.run_queue_command("backup_database", QueueCommand.PAUSE),
    ),
    "create_job": ("job.create", lambda c: c.create_job("user_cleanup")),
    "list_albums": ("album.read", lambda c: c.list_albums()),
    "create_album": ("album.create", lambda c: c.create_album("Contract")),
    "get_album_statistics": ("album.statistics", lambda c: c.get_album_statistics()),
    "get_asset_statistics": ("asset.statistics", lambda c: c.get_asset_statistics()),
    "get_memory_statistics": ("memory.statistics", lambda c: c.get_memory_statistics()),
    "get_asset": ("asset.read", lambda c: c.get_asset(UNKNOWN)),
    "get_thumbnail": ("asset.view", lambda c: _stream(c.get_thumbnail(UNKNOWN))),
    "get_original": ("asset.download", lambda c: _stream(c.get_original(UNKNOWN))),
    "upload_bytes": ("asset.upload", lambda c: c.upload_bytes(make_jpeg(), filename="x.jpg")),
    "search_metadata": ("asset.read", lambda c: c.search_metadata()),
    "list_memories": ("memory.read", lambda c: c.list_memories()),
    "list_people": ("person.read", lambda c: c.list_people()),
    "list_tags": ("tag.read", lambda c: c.list_tags()),
    # Immich gates the timeline with asset.read; timeline.read is only checked for a partner's.
    "list_time_buckets": ("asset.read", lambda c: c.list_time_buckets()),
}


@pytest.mark.parametrize(("permission", "call"), PERMISSIONS.values(), ids=PERMISSIONS.keys())
async def test_missing_permission(pair: Pair, permission: str, call: Call) -> None:
    """A key without the permission is refused with a 403 that names it."""
    for side in pair.sides:
        # An admin's key (admin-only routes too) that may only read the API key itself.
        side.ids["key"] = await side.add_key("admin", ["apiKey.read"])
    fake, real = await pair.compare_error(
        lambda side: call(side.client(side.ids["key"])), ImmichForbiddenError
    )
    assert fake.permission == real.permission == permission


ADMIN_ONLY: dict[str, Call] = {
    "get_statistics": lambda c: c.get_statistics(),
    "list_queues": lambda c: c.list_queues(),
    "pause_queue": lambda c: c.run_queue_command("backup_database", QueueCommand.PAUSE),
    "start_queue": lambda c: c.run_queue_command("backup_database", QueueCommand.START),
    "create_job": lambda c: c.create_job("user_cleanup"),
}


@pytest.mark.parametrize("call", ADMIN_ONLY.values(), ids=ADMIN_ONLY.keys())
async def test_not_an_admin(pair: Pair, call: Call) -> None:
    """A user who is no admin is refused the admin's routes."""
    await pair.compare_error(lambda side: call(side.user), ImmichForbiddenError)


async def test_unknown_key(pair: Pair) -> None:
    """A key Immich does not know."""

    async def ask(side: Side) -> Any:
        side.keys["unknown"] = "not-a-key-of-this-server"
        return await side.client("unknown").get_my_user()

    await pair.compare_error(ask, ImmichAuthError)
    await pair.compare(lambda side: side.client("unknown").ping())


CORRELATION_HEADERS = ("x-immich-cid", "x-correlation-id")


@pytest.mark.parametrize("path", ["/server/ping", f"/assets/{UNKNOWN}"])
async def test_correlation_id_header(pair: Pair, path: str) -> None:
    """Each answer names its correlation id in the header of its version (2.x x-immich-cid)."""
    fake, real = await pair.run(lambda side: side.raw("GET", path))

    def named(outcome: Any) -> list[str]:
        return sorted(
            name.lower() for name in outcome.result.headers if name.lower() in CORRELATION_HEADERS
        )

    assert named(fake) == named(real)
