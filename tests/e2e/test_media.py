"""The media browser down to the assets, and the proxy's bytes, against a real Immich."""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import partial
from pathlib import Path
import subprocess
from typing import Any

import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from tests.media.test_media_source import ROOT, asset_ids, browse, folders, resolve, walk

from .conftest import Cleanup, memories_shown_now, steady
from .immich_api import PREFIX, ImmichApi, album_owner, unique_jpeg, unique_name

pytestmark = pytest.mark.usefixtures("setup_media_source")

FFMPEG_CLIP = [
    *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10"),
    *("-pix_fmt", "yuv420p"),
]
"""A two-second test picture in H.264, which Immich plays without transcoding (the kit's ffmpeg)."""


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """Make a two-second video no run has uploaded before (its comment is unique)."""
    path = tmp_path / f"{PREFIX}-clip.mp4"
    comment = f"comment={unique_name('clip')}"
    subprocess.run([*FFMPEG_CLIP, "-metadata", comment, str(path)], check=True)
    return path


@pytest.fixture
async def video(admin_api: ImmichApi, cleanup: Cleanup, clip: Path) -> str:
    """Upload the video to the admin's library and wait until Immich has processed it."""
    asset_id = await admin_api.upload(clip)
    cleanup.asset(admin_api, asset_id)
    await admin_api.wait_until_processed(asset_id)
    return asset_id


def node_id(identifier: str) -> str:
    """Return a media-source id without the Immich Hub root."""
    return identifier.removeprefix(f"{ROOT}/")


async def test_root_and_entry(hass: HomeAssistant, admin_entry: ConfigEntry[Any]) -> None:
    """The root lists the entry; the entry lists the seven folders of the library."""
    assert folders(await browse(hass)) == {admin_entry.title: admin_entry.entry_id}
    node = await browse(hass, admin_entry.entry_id)
    assert sorted(folders(node).values()) == sorted(
        f"{admin_entry.entry_id}/{folder}"
        for folder in ("albums", "shared", "memories", "favorites", "people", "tags", "timeline")
    )


async def test_albums(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    hass_client: ClientSessionGenerator,
) -> None:
    """Own albums show with Immich's covers; each lists exactly the album's assets."""
    me = (await admin_api.me())["id"]

    async def owned() -> dict[str, dict[str, Any]]:
        return {a["id"]: a for a in await admin_api.albums() if album_owner(a) == me}

    albums, node = await steady(owned, partial(browse, hass, f"{admin_entry.entry_id}/albums"))
    assert sorted(folders(node).values()) == sorted(
        f"{admin_entry.entry_id}/album/{album_id}" for album_id in albums
    )
    client = await hass_client()
    for child in node.children or []:
        album_id = child.media_content_id.rsplit("/", 1)[1]
        assert child.title == albums[album_id]["albumName"]
        cover = await client.get(child.thumbnail)
        _, _, expected = await admin_api.fetch(
            f"/assets/{albums[album_id]['albumThumbnailAssetId']}/thumbnail?size=thumbnail"
        )
        assert await cover.read() == expected
        album, listing = await steady(
            partial(admin_api.get, f"/albums/{album_id}"),
            partial(browse, hass, node_id(child.media_content_id)),
        )
        assert listing.title == f"{album['albumName']} ({album['assetCount']})"
        assets, (found, _) = await steady(
            partial(admin_api.album_assets, album_id),
            partial(walk, hass, node_id(child.media_content_id)),
        )
        assert Counter(found) == Counter(assets)


async def test_shared_with_the_user(
    hass: HomeAssistant, user_entry: ConfigEntry[Any], user_api: ImmichApi
) -> None:
    """Albums others share with the user list their owners' assets; the user's own are apart."""
    me = (await user_api.me())["id"]
    albums, (shared, own) = await steady(
        user_api.albums,
        lambda: asyncio.gather(
            browse(hass, f"{user_entry.entry_id}/shared"),
            browse(hass, f"{user_entry.entry_id}/albums"),
        ),
    )
    others = [a["albumName"] for a in albums if album_owner(a) != me]
    assert others  # the kit shares one with the user
    assert sorted(folders(shared)) == sorted(others)
    assert sorted(folders(own)) == sorted(a["albumName"] for a in albums if album_owner(a) == me)
    for identifier in folders(shared).values():
        assets, (found, _) = await steady(
            partial(user_api.album_assets, identifier.rsplit("/", 1)[1]),
            partial(walk, hass, identifier),
        )
        assert Counter(found) == Counter(assets)


async def test_memories(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    todays_memory: dict[str, Any],
) -> None:
    """Every memory is listed, today's first; a memory lists its assets."""
    memories, node = await steady(
        partial(admin_api.get, "/memories"),
        partial(browse, hass, f"{admin_entry.entry_id}/memories"),
    )
    listed = [child.media_content_id.rsplit("/", 1)[1] for child in node.children or []]
    assert sorted(listed) == sorted(memory["id"] for memory in memories)
    today = {memory["id"] for memory in await memories_shown_now(admin_api)}
    assert todays_memory["id"] in today
    assert set(listed[: len(today)]) == today
    for memory_id in listed:
        memory, shown = await steady(
            partial(admin_api.get, f"/memories/{memory_id}"),
            partial(browse, hass, f"{admin_entry.entry_id}/memory/{memory_id}"),
        )
        assert asset_ids(shown) == [asset["id"] for asset in memory["assets"]]


async def test_favorites_and_timeline(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi, video: str
) -> None:
    """Favorites and the timeline list every favorite and every asset of the user's timeline."""
    expected, (favorites, _) = await steady(
        partial(admin_api.search, isFavorite=True, visibility="timeline"),
        partial(walk, hass, f"{admin_entry.entry_id}/favorites"),
    )
    assert expected
    assert Counter(favorites) == Counter(asset["id"] for asset in expected)

    expected, (timeline, _) = await steady(
        partial(admin_api.search, visibility="timeline"),
        partial(walk, hass, f"{admin_entry.entry_id}/timeline"),
    )
    assert video in timeline
    assert Counter(timeline) == Counter(asset["id"] for asset in expected)


async def test_people_and_tags(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
) -> None:
    """Named people are listed; a tag lists the assets Immich tagged with it."""
    people = await admin_api.get("/people")
    node = await browse(hass, f"{admin_entry.entry_id}/people")
    assert sorted(folders(node)) == sorted(p["name"] for p in people["people"] if p["name"])

    # Tags live on in the photos' sidecar files: tag only photos made for the test.
    photos = []
    for name in ("tagged-1", "tagged-2"):
        photos.append(await admin_api.upload(unique_jpeg(tmp_path / f"{PREFIX}-{name}.jpg")))
        cleanup.asset(admin_api, photos[-1])
    # Immich reads a new photo's tags from the file, dropping tags given before: tag it after.
    await admin_api.wait_for_jobs()
    # Upserted, not created: Immich's search finds the assets of a created tag only once their
    # metadata is read again (it fills the tag's hierarchy then).
    (tag,) = await admin_api.put("/tags", {"tags": [unique_name("tag")]})
    cleanup.tag(admin_api, tag["id"])
    await admin_api.put(f"/tags/{tag['id']}/assets", {"ids": photos})
    await admin_api.wait_for_jobs()

    tags = await browse(hass, f"{admin_entry.entry_id}/tags")
    assert folders(tags)[tag["name"]] == f"{admin_entry.entry_id}/tag/{tag['id']}"
    found, _ = await walk(hass, f"{admin_entry.entry_id}/tag/{tag['id']}")
    assert Counter(found) == Counter(a["id"] for a in await admin_api.search(tagIds=[tag["id"]]))
    assert sorted(found) == sorted(photos)


async def test_photo_bytes(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A photo resolves to a signed URL that serves Immich's preview, byte for byte.

    The browser's thumbnail and the original come through the proxy unchanged too.
    """
    photo = (await admin_api.search(type="IMAGE"))[0]["id"]
    played = await resolve(hass, admin_entry, photo)
    assert played.mime_type == "image/jpeg"
    assert "authSig=" in played.url

    response = await (await hass_client_no_auth()).get(played.url)
    status, headers, expected = await admin_api.fetch(f"/assets/{photo}/thumbnail?size=preview")
    assert (response.status, status) == (200, 200)
    assert await response.read() == expected
    assert response.headers["Content-Type"] == headers["Content-Type"]

    client = await hass_client()
    for kind, path in (
        ("thumbnail", f"/assets/{photo}/thumbnail?size=thumbnail"),
        ("original", f"/assets/{photo}/original"),
    ):
        response = await client.get(f"/api/immich_hub/{admin_entry.entry_id}/{kind}/{photo}")
        status, headers, expected = await admin_api.fetch(path)
        assert (response.status, status) == (200, 200), kind
        assert await response.read() == expected, kind
        assert response.headers["Content-Type"] == headers["Content-Type"], kind


async def test_video_ranges(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    hass_client_no_auth: ClientSessionGenerator,
    video: str,
) -> None:
    """A video plays through the signed URL whole and by range, exactly as Immich serves it.

    A range past the end is refused with 416 and the size, as the HTTP standard says.
    """
    played = await resolve(hass, admin_entry, video)
    status, headers, whole = await admin_api.fetch(f"/assets/{video}/video/playback")
    assert status == 200
    assert played.mime_type == headers["Content-Type"]
    client = await hass_client_no_auth()

    response = await client.get(played.url)
    assert response.status == 200
    assert await response.read() == whole
    assert response.headers["Content-Type"] == headers["Content-Type"]
    assert response.headers["Content-Length"] == str(len(whole))
    assert response.headers["Accept-Ranges"] == "bytes"

    for asked in ("bytes=100-1099", f"bytes={len(whole) - 10}-", "bytes=-10"):
        part = await client.get(played.url, headers={"Range": asked})
        status, headers, expected = await admin_api.fetch(
            f"/assets/{video}/video/playback", {"Range": asked}
        )
        assert (part.status, status) == (206, 206), asked
        assert await part.read() == expected, asked
        assert part.headers["Content-Range"] == headers["Content-Range"], asked

    beyond = await client.get(played.url, headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(whole)}"
