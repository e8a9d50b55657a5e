"""The assets event entity against a real Immich: phone uploads, which Immich's websocket
announces as they happen, and albums other users change, which the events poll finds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from tests.conftest import fired_event, follow

from .conftest import Cleanup, add_entry, entity_id, poll, state, until
from .immich_api import PREFIX, ImmichApi, Server, unique_jpeg, unique_name


def record(hass: HomeAssistant, entry: ConfigEntry[Any]) -> list[dict[str, Any]]:
    """Collect every event an entry's assets entity fires, with its data."""
    return follow(hass, entity_id(hass, entry, "event", "assets"), fired_event)


def data(fired: dict[str, Any]) -> dict[str, Any]:
    """Return an event's data, without the entity's own attributes."""
    return {k: v for k, v in fired.items() if k not in ("friendly_name", "event_types")}


def about(fired: list[dict[str, Any]], *ids: str) -> list[dict[str, Any]]:
    """Return the data of the events about these assets or albums (another client of the same
    Immich may cause events of its own)."""
    return [data(e) for e in fired if e.get("asset_id") in ids or e.get("album_id") in ids]


def added(asset: dict[str, Any], albums: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return the asset_added event of an upload as Immich describes the asset, in these albums."""
    return {
        "event_type": "asset_added",
        "asset_id": asset["id"],
        "type": asset["type"].lower(),
        "file_name": asset["originalFileName"],
        "taken_at": dt_util.parse_datetime(asset["exifInfo"]["dateTimeOriginal"]).isoformat(),
        "album_ids": [album["id"] for album in albums or []],
        "album_names": [album["albumName"] for album in albums or []],
    }


async def connected(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Wait until an entry's websocket to Immich is connected (its live events sensor says so)."""
    await until(
        lambda: state(hass, entry, "sensor", "live_events").state == "connected",
        f"{entry.title}'s live events connected",
    )


async def test_asset_added_after_a_phone_upload(
    hass: HomeAssistant,
    server: Server,
    admin_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
) -> None:
    """A photo the phone app uploads fires asset_added as Immich pushes it, without waiting for
    a poll, described as Immich describes it; the polls that find it later stay silent.

    Nothing that was in the library when the entry was added is news.
    """
    there = [asset["id"] for asset in await admin_api.search(withDeleted=True)]
    entry = await add_entry(hass, server, server.admin_key)
    fired = record(hass, entry)
    await connected(hass, entry)
    await poll(hass)  # the next events poll is 15 minutes away now

    taken = datetime(2021, 6, 7, 8, 9, 10, tzinfo=UTC)
    asset_id = await admin_api.upload(unique_jpeg(tmp_path / f"{PREFIX}-phone.jpg", taken=taken))
    cleanup.asset(admin_api, asset_id)
    await until(lambda: bool(about(fired, asset_id)), "asset_added pushed, with no poll")
    asset = await admin_api.wait_until_processed(asset_id)
    await poll(hass)
    await poll(hass)

    assert about(fired, *there) == []
    assert about(fired, asset_id) == [added(asset)]


async def test_album_changed_by_another_user(
    hass: HomeAssistant,
    server: Server,
    admin_api: ImmichApi,
    user_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
) -> None:
    """Each user's entry sees album_changed when the other user changes an album they share.

    The admin shares an album with the user as editor; the admin adds a photo, then the user
    uploads one and adds it. The upload is news to the user's entry at once, in the albums it
    was in then (none); Immich does not push album changes, which the events poll finds.
    """
    photos = [asset["id"] for asset in await admin_api.search(type="IMAGE")][:2]
    me = await user_api.me()
    name = unique_name("shared album")
    album = await admin_api.post(
        "/albums",
        {
            "albumName": name,
            "assetIds": photos[:1],
            "albumUsers": [{"userId": me["id"], "role": "editor"}],
        },
    )
    cleanup.album(admin_api, album["id"])
    admin_entry = await add_entry(hass, server, server.admin_key)
    user_entry = await add_entry(hass, server, server.user_key)
    admins, users = record(hass, admin_entry), record(hass, user_entry)
    await connected(hass, admin_entry)
    await connected(hass, user_entry)
    await poll(hass)
    assert (about(admins, album["id"]), about(users, album["id"])) == ([], [])

    async def one_more() -> dict[str, Any]:
        """Return the album_changed event of one asset added, with Immich's count now."""
        count = (await admin_api.get(f"/albums/{album['id']}"))["assetCount"]
        return {
            "event_type": "album_changed",
            "album_id": album["id"],
            "album_name": name,
            "asset_count": count,
            "added": 1,
            "removed": 0,
        }

    await admin_api.put(f"/albums/{album['id']}/assets", {"ids": photos[1:]})
    expected = await one_more()
    await poll(hass)
    assert about(users, album["id"]) == [expected]
    assert about(admins, album["id"]) == [expected]

    users.clear()
    admins.clear()
    taken = datetime(2022, 2, 3, 4, 5, 6, tzinfo=UTC)
    upload = unique_jpeg(tmp_path / f"{PREFIX}-from-the-user.jpg", taken=taken)
    uploaded = await user_api.upload(upload)
    cleanup.asset(user_api, uploaded)
    await until(lambda: bool(about(users, uploaded)), "the user's upload pushed, with no poll")
    await admin_api.wait_for_jobs()
    (new,) = about(users, uploaded)
    assert new == added(await user_api.get(f"/assets/{uploaded}"))  # in no album yet
    (put,) = await user_api.put(f"/albums/{album['id']}/assets", {"ids": [uploaded]})
    assert put["success"]
    expected = await one_more()
    await poll(hass)
    await poll(hass)
    assert about(admins, album["id"], uploaded) == [expected]
    assert about(users, album["id"], uploaded) == [new, expected]
