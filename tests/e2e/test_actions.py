"""Every action against a real Immich, its effect read back through Immich's own API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
import hashlib
from pathlib import Path
import subprocess
from typing import Any
import uuid

import pytest

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from tests.services.conftest import call

from .conftest import Cleanup, steady
from .immich_api import (
    PREFIX,
    ImmichApi,
    Server,
    album_owner,
    locked_folder,
    unique_jpeg,
    unique_name,
)

NOT_DONE = ("active", "waiting", "paused", "delayed")
FFMPEG_LONG_CLIP = [
    *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=10"),
    *("-c:v", "mpeg4", "-q:v", "10"),
]
"""Ten seconds of MPEG-4 Part 2, which Immich transcodes to H.264 for seconds (the kit's ffmpeg)."""


def sha1(path: Path) -> str:
    """Return a file's SHA-1, as Immich checks uploads against it."""
    return hashlib.sha1(path.read_bytes()).hexdigest()


async def immich_has(api: ImmichApi, path: Path) -> bool:
    """Tell whether Immich holds a file of the user (in any folder, the locked one included)."""
    check = await api.post(
        "/assets/bulk-upload-check", {"assets": [{"id": path.name, "checksum": sha1(path)}]}
    )
    return bool(check["results"][0]["action"] == "reject")


async def test_upload_into_a_new_album(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    allowed_dir: Path,
    cleanup: Cleanup,
) -> None:
    """A photo goes up with its EXIF date, favorite and description, into an album made for it.

    The same file again is a duplicate, and lands in the same album.
    """
    taken = datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC)
    photo = unique_jpeg(allowed_dir / f"{PREFIX}-upload.jpg", taken=taken)
    name = unique_name("album")
    uploaded = await call(
        hass,
        "upload",
        {"file": str(photo), "album_name": name, "favorite": True, "description": "Doorbell"},
    )
    assert uploaded is not None
    cleanup.asset(admin_api, uploaded["asset_id"])
    cleanup.album(admin_api, uploaded["album_id"])
    assert uploaded["status"] == "created"

    asset = await admin_api.wait_until_processed(uploaded["asset_id"])
    assert asset["originalFileName"] == photo.name
    assert asset["isFavorite"]
    assert asset["exifInfo"]["description"] == "Doorbell"
    assert dt_util.parse_datetime(asset["exifInfo"]["dateTimeOriginal"]) == taken
    album = await admin_api.get(f"/albums/{uploaded['album_id']}")
    assert album["albumName"] == name
    assert await admin_api.album_assets(album["id"]) == [asset["id"]]

    again = await call(hass, "upload", {"file": str(photo), "album_name": name})
    assert again == {**uploaded, "status": "duplicate"}
    assert await admin_api.album_assets(album["id"]) == [asset["id"]]
    assert [a["id"] for a in await admin_api.albums() if a["albumName"] == name] == [album["id"]]


async def test_upload_archived(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    allowed_dir: Path,
    cleanup: Cleanup,
) -> None:
    """A photo uploaded with visibility archive is in Immich's archive."""
    photo = unique_jpeg(allowed_dir / f"{PREFIX}-archived.jpg")
    uploaded = await call(hass, "upload", {"file": str(photo), "visibility": "archive"})
    assert uploaded is not None
    cleanup.asset(admin_api, uploaded["asset_id"])
    asset = await admin_api.get(f"/assets/{uploaded['asset_id']}")
    assert asset["visibility"] == "archive"
    assert uploaded["album_id"] is None


async def test_upload_to_the_locked_folder(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    server: Server,
    allowed_dir: Path,
    cleanup: Cleanup,
) -> None:
    """A photo goes into the locked folder on its own; with anything else it is refused at once.

    Immich lets nothing but a PIN-unlocked session touch a locked asset, so a description,
    favorite or album could not be applied after the upload: nothing is sent.
    """
    cleanup.locked_uploads(admin_api, server.admin_email, server.admin_password)
    album = await admin_api.post("/albums", {"albumName": unique_name("album")})
    cleanup.album(admin_api, album["id"])
    name = unique_name("album")
    for extra in (
        {"description": "Doorbell"},
        {"favorite": True},
        {"album_id": album["id"]},
        {"album_name": name},
    ):
        photo = unique_jpeg(allowed_dir / f"{PREFIX}-locked.jpg")
        with pytest.raises(ServiceValidationError):
            await call(hass, "upload", {"file": str(photo), "visibility": "locked", **extra})
        assert not await immich_has(admin_api, photo), extra
    assert await admin_api.album_assets(album["id"]) == []
    assert not [a for a in await admin_api.albums() if a["albumName"] == name]

    uploaded = await call(hass, "upload", {"file": str(photo), "visibility": "locked"})
    assert uploaded is not None
    assert uploaded["status"] == "created"
    async with locked_folder(admin_api, server.admin_email, server.admin_password) as unlocked:
        asset = await unlocked.get(f"/assets/{uploaded['asset_id']}")
    assert asset["visibility"] == "locked"
    assert asset["originalFileName"] == photo.name


async def test_run_job_queue_commands(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi, cleanup: Cleanup
) -> None:
    """Pause a queue, start it (its jobs wait), empty it, resume it, clear its failed jobs."""
    await admin_api.wait_for_jobs()
    cleanup.resume("thumbnailGeneration")

    async def queue() -> dict[str, Any]:
        return dict((await admin_api.queues())["thumbnailGeneration"])

    async def not_done() -> int:
        counts = (await queue())["statistics"]
        return sum(counts[k] for k in NOT_DONE)

    async def run(command: str, **extra: Any) -> None:
        await call(
            hass,
            "run_job",
            {"job": "thumbnail_generation", "command": command, **extra},
            response=False,
        )

    await run("pause")
    assert (await queue())["isPaused"]
    await run("start", force=True)
    assert await not_done() >= 1
    await run("empty")
    assert await not_done() == 0
    await run("resume")
    assert not (await queue())["isPaused"]
    await run("clear_failed")
    assert (await queue())["statistics"]["failed"] == 0


async def test_run_manual_job(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi, cleanup: Cleanup
) -> None:
    """A manual job runs: tag_cleanup deletes the tags that no asset carries."""
    tag = await admin_api.post("/tags", {"name": unique_name("tag")})
    cleanup.tag(admin_api, tag["id"])
    await call(hass, "run_job", {"job": "tag_cleanup"}, response=False)
    await admin_api.wait_for_jobs()
    assert tag["id"] not in {t["id"] for t in await admin_api.get("/tags")}


@pytest.fixture
def long_clip(tmp_path: Path) -> Path:
    """Make a video Immich takes seconds to transcode, which no run has uploaded before."""
    clip = tmp_path / f"{PREFIX}-long.avi"
    comment = f"comment={unique_name('clip')}"
    subprocess.run([*FFMPEG_LONG_CLIP, "-metadata", comment, str(clip)], check=True)
    return clip


async def test_run_job_start_on_a_running_queue(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    cleanup: Cleanup,
    long_clip: Path,
) -> None:
    """Starting a queue while it runs a job fails with a clear error, as Immich refuses it."""
    cleanup.asset(admin_api, await admin_api.upload(long_clip))
    await admin_api.wait_until_active("videoConversion")

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "run_job",
            {"job": "video_conversion", "command": "start", "force": True},
            response=False,
        )
    assert err.value.translation_key == "queue_running"
    assert err.value.translation_placeholders == {"queue": "video_conversion"}
    running = (await admin_api.queues())["videoConversion"]["statistics"]["active"]
    assert running, "the transcoding ended before the test could start the queue again"
    await admin_api.wait_for_jobs()


async def test_albums(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi, cleanup: Cleanup
) -> None:
    """Create an album, add and remove assets, rename it and delete it; each step per asset."""
    photos = [asset["id"] for asset in await admin_api.search(type="IMAGE")][:3]
    missing = str(uuid.uuid4())
    name = unique_name("album")

    created = await call(
        hass,
        "create_album",
        {"name": name, "description": "Made by Home Assistant", "asset_ids": [photos[0], missing]},
    )
    assert created is not None
    album_id = created["album_id"]
    cleanup.album(admin_api, album_id)
    album = await admin_api.get(f"/albums/{album_id}")
    assert (created["name"], album["albumName"]) == (name, name)
    assert album["description"] == "Made by Home Assistant"
    assert created["asset_count"] == album["assetCount"] == 1
    assert await admin_api.album_assets(album_id) == [photos[0]]
    assert created["added"] == [photos[0]]
    assert created["unchanged"] == []
    assert [failed["asset_id"] for failed in created["failed"]] == [missing]

    added = await call(
        hass, "add_to_album", {"album_name": name, "asset_ids": [photos[0], photos[1], missing]}
    )
    (refused,) = await admin_api.put(f"/albums/{album_id}/assets", {"ids": [missing]})
    assert added == {
        "album_id": album_id,
        "added": [photos[1]],
        "unchanged": [photos[0]],
        "failed": [{"asset_id": missing, "reason": refused["error"]}],
    }
    assert sorted(await admin_api.album_assets(album_id)) == sorted(photos[:2])

    removed = await call(
        hass, "remove_from_album", {"album_id": album_id, "asset_ids": [photos[1], photos[2]]}
    )
    assert removed is not None
    assert (removed["removed"], removed["unchanged"]) == ([photos[1]], [photos[2]])
    assert await admin_api.album_assets(album_id) == [photos[0]]

    renamed = f"{name} renamed"
    updated = await call(
        hass, "update_album", {"album_id": album_id, "name": renamed, "description": "Changed"}
    )
    album = await admin_api.get(f"/albums/{album_id}")
    assert (album["albumName"], album["description"]) == (renamed, "Changed")
    assert updated == {
        "album_id": album_id,
        "name": renamed,
        "description": "Changed",
        "asset_count": album["assetCount"],
    }

    await call(hass, "delete_album", {"album_id": album_id}, response=False)
    await admin_api.request("GET", f"/albums/{album_id}", ok=(400, 404))
    assert (await admin_api.get(f"/assets/{photos[0]}"))["id"] == photos[0]


async def test_adding_to_an_album_shared_to_view(
    hass: HomeAssistant,
    user_entry: ConfigEntry[Any],
    user_api: ImmichApi,
    admin_api: ImmichApi,
) -> None:
    """Adding to an album the user may only view fails with Immich's reason; nothing changes."""
    me = (await user_api.me())["id"]
    album = next(
        a
        for a in await user_api.albums()
        if any(u["user"]["id"] == me and u["role"] == "viewer" for u in a["albumUsers"])
    )
    before = await admin_api.album_assets(album["id"])
    photo = (await admin_api.search(type="IMAGE"))[0]["id"]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "add_to_album", {"album_id": album["id"], "asset_ids": [photo]})
    assert err.value.translation_key is not None
    assert await admin_api.album_assets(album["id"]) == before


async def test_search(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi
) -> None:
    """Filters find what Immich's metadata search finds; rows describe each asset as Immich does."""

    async def search(**data: Any) -> list[dict[str, Any]]:
        found = await call(hass, "search", {"limit": 1000, **data})
        assert found is not None
        return list(found["assets"])

    async def same(immich: dict[str, Any], action: dict[str, Any]) -> list[dict[str, Any]]:
        """Assert the action finds what Immich finds with the same filter; return its rows."""
        expected, rows = await steady(
            partial(admin_api.search, **immich), partial(search, **action)
        )
        assert sorted(row["id"] for row in rows) == sorted(asset["id"] for asset in expected)
        return rows

    everything = {asset["id"]: asset for asset in await admin_api.search()}
    favorites = await same({"isFavorite": True}, {"favorite": True})
    assert favorites
    for row in favorites:
        asset = everything[row["id"]]
        assert row["type"] == asset["type"].lower()
        assert row["file_name"] == asset["originalFileName"]
        assert dt_util.parse_datetime(row["taken_at"]) == dt_util.parse_datetime(
            asset["fileCreatedAt"]
        )

    oldest = min(everything.values(), key=lambda asset: asset["fileCreatedAt"])
    moment = dt_util.parse_datetime(oldest["fileCreatedAt"])
    assert moment is not None
    after, before = (
        (moment - timedelta(seconds=1)).isoformat(),
        (moment + timedelta(seconds=1)).isoformat(),
    )
    found = await same(
        {"takenAfter": after, "takenBefore": before}, {"taken_after": after, "taken_before": before}
    )
    assert oldest["id"] in {row["id"] for row in found}

    me = (await admin_api.me())["id"]
    album = next(a for a in await admin_api.albums() if album_owner(a) == me and a["assetCount"])
    assert await same({"albumIds": [album["id"]]}, {"album_id": album["id"]})
    for kind in ("image", "video"):
        await same({"type": kind.upper()}, {"type": kind})

    few = await search(limit=2)
    assert len(few) == min(2, len(everything))
    assert {row["id"] for row in few} <= set(everything)

    if not (await admin_api.get("/server/features"))["smartSearch"]:
        with pytest.raises(ServiceValidationError) as err:
            await search(query="a beach")
        assert err.value.translation_key == "smart_search_disabled"
    else:
        assert await search(query="a beach")
