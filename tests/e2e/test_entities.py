"""Every entity of an entry against what Immich's own API answers at the same moment."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
import re
from typing import Any

from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_OFF, STATE_ON, UnitOfInformation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_conversion import InformationConverter

from .conftest import Cleanup, agreed, entity_id, memories_shown_now, poll, state
from .immich_api import PREFIX, ImmichApi, unique_jpeg

DISKS = {
    "disk_size": "diskSizeRaw",
    "disk_used": "diskUseRaw",
    "disk_available": "diskAvailableRaw",
}
STORAGE = {"usage": "usage", "usage_photos": "usagePhotos", "usage_videos": "usageVideos"}
NOT_DONE = ("active", "waiting", "paused", "delayed")
"""Immich's counts of a queue's jobs that are not done (a paused queue files new ones as paused)."""


def snake(name: str) -> str:
    """Return an Immich camelCase name in snake_case, as entity keys spell it."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def assert_bytes(hass: HomeAssistant, entry: ConfigEntry[Any], key: str, raw: int) -> None:
    """Assert a data-size sensor shows Immich's byte count, in the unit it is shown in."""
    shown = state(hass, entry, "sensor", key)
    unit = shown.attributes["unit_of_measurement"]
    expected = InformationConverter.convert(raw, UnitOfInformation.BYTES, unit)
    assert float(shown.state) == pytest.approx(expected, rel=1e-12), key


async def enable_everything(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Enable the entities that start disabled, and reload the entry so they get states."""
    registry = er.async_get(hass)
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        if registered.disabled_by is not None:
            registry.async_update_entity(registered.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def test_disk(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi
) -> None:
    """The disk sensors show /server/storage.

    Other programs write to the disk all the time: Home Assistant's figure, read between two
    reads of the test, must lie between them.
    """
    for _ in range(10):
        before = await admin_api.get("/server/storage")
        await poll(hass)
        after = await admin_api.get("/server/storage")
        shown = {
            field: InformationConverter.convert(
                float(state(hass, admin_entry, "sensor", key).state),
                state(hass, admin_entry, "sensor", key).attributes["unit_of_measurement"],
                UnitOfInformation.BYTES,
            )
            for key, field in DISKS.items()
        }
        shown["diskUsagePercentage"] = float(state(hass, admin_entry, "sensor", "disk_usage").state)
        # A byte of slack for the conversion to GiB and back; Immich rounds the percentage.
        slack = dict.fromkeys(DISKS.values(), 1) | {"diskUsagePercentage": 0}
        if all(
            min(before[field], after[field]) - slack[field]
            <= value
            <= max(before[field], after[field]) + slack[field]
            for field, value in shown.items()
        ):
            break
    else:
        pytest.fail(f"Home Assistant shows {shown}, Immich {before} then {after}")
    assert shown["diskSizeRaw"] == pytest.approx(after["diskSizeRaw"], abs=1)
    assert_bytes(hass, admin_entry, "disk_size", after["diskSizeRaw"])
    assert state(hass, admin_entry, "sensor", "disk_usage").attributes["unit_of_measurement"] == "%"


async def assert_library(hass: HomeAssistant, entry: ConfigEntry[Any], api: ImmichApi) -> int:
    """Assert a user's counts show Immich's; return how many memories are shown today."""

    async def read() -> tuple[Any, ...]:
        return (
            await api.get("/assets/statistics"),
            await api.get("/albums/statistics"),
            len(await memories_shown_now(api)),
        )

    assets, albums, memories = await agreed(hass, read)
    assert int(state(hass, entry, "sensor", "my_photos").state) == assets["images"]
    assert int(state(hass, entry, "sensor", "my_videos").state) == assets["videos"]
    assert int(state(hass, entry, "sensor", "my_albums").state) == albums["owned"]
    assert int(state(hass, entry, "sensor", "memories_today").state) == memories
    return int(memories)


@pytest.mark.usefixtures("todays_memory")
async def test_admin_library(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi
) -> None:
    """The admin's own counts: assets, albums and today's memories, as Immich counts them."""
    assert await assert_library(hass, admin_entry, admin_api) >= 1  # the memory made for this


async def test_user_library(
    hass: HomeAssistant, user_entry: ConfigEntry[Any], user_api: ImmichApi
) -> None:
    """A normal user's counts are their own, not the admin's."""
    await assert_library(hass, user_entry, user_api)


async def test_server_statistics(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi
) -> None:
    """The admin's server-wide sensors (two of them start disabled) show /server/statistics."""
    assert entity_id(hass, admin_entry, "sensor", "usage_photos") is not None
    assert hass.states.get(entity_id(hass, admin_entry, "sensor", "usage_photos")) is None
    await enable_everything(hass, admin_entry)

    statistics = await agreed(hass, lambda: admin_api.get("/server/statistics"))
    assert int(state(hass, admin_entry, "sensor", "photos").state) == statistics["photos"]
    assert int(state(hass, admin_entry, "sensor", "videos").state) == statistics["videos"]
    for key, field in STORAGE.items():
        assert_bytes(hass, admin_entry, key, statistics[field])


async def assert_queues(
    hass: HomeAssistant, entry: ConfigEntry[Any], queues: dict[str, dict[str, Any]]
) -> None:
    """Assert every queue's sensor and switch, and the totals, show Immich's queues."""
    for name, queue in queues.items():
        counts = queue["statistics"]
        sensor = state(hass, entry, "sensor", f"queue_{snake(name)}")
        assert int(sensor.state) == sum(counts[k] for k in NOT_DONE), name
        expected = {snake(k): v for k, v in counts.items() if k != "paused"}
        assert {k: sensor.attributes[k] for k in expected} == expected, name
        assert sensor.attributes["paused_jobs"] == counts["paused"], name
        assert sensor.attributes["paused"] is queue["isPaused"], name
        switch = entity_id(hass, entry, "switch", f"queue_{snake(name)}")
        if name == "backgroundTask":
            assert switch is None  # Immich refuses to pause it
            continue
        assert state(hass, entry, "switch", f"queue_{snake(name)}").state == (
            STATE_OFF if queue["isPaused"] else STATE_ON
        ), name
    pending = sum(q["statistics"][k] for q in queues.values() for k in NOT_DONE)
    failed = sum(q["statistics"]["failed"] for q in queues.values())
    assert int(state(hass, entry, "sensor", "jobs_pending").state) == pending
    assert int(state(hass, entry, "sensor", "jobs_failed").state) == failed


async def test_queues(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi
) -> None:
    """One sensor and one switch per queue Immich lists (all enabled here), and the totals."""
    await enable_everything(hass, admin_entry)
    queues = await agreed(hass, admin_api.queues)
    await assert_queues(hass, admin_entry, queues)


async def test_paused_queue(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    cleanup: Cleanup,
    tmp_path: Path,
) -> None:
    """The switch pauses a queue in Immich; the jobs that pile up meanwhile are counted as pending.

    Immich files the jobs a paused queue receives under ``paused``.
    """
    await enable_everything(hass, admin_entry)
    switch = entity_id(hass, admin_entry, "switch", "queue_thumbnail_generation")
    cleanup.resume("thumbnailGeneration")
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert (await admin_api.queues())["thumbnailGeneration"]["isPaused"]

    asset_id = await admin_api.upload(unique_jpeg(tmp_path / f"{PREFIX}-paused.jpg"))
    cleanup.asset(admin_api, asset_id)
    await admin_api.wait_for_jobs()  # all but the paused queue
    queues = await agreed(hass, admin_api.queues)
    waiting = queues["thumbnailGeneration"]["statistics"]
    assert sum(waiting[k] for k in NOT_DONE) >= 1  # the new photo's thumbnails wait
    await assert_queues(hass, admin_entry, queues)

    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert not (await admin_api.queues())["thumbnailGeneration"]["isPaused"]
    await admin_api.wait_until_processed(asset_id)
    await assert_queues(hass, admin_entry, await agreed(hass, admin_api.queues))


async def test_update(
    hass: HomeAssistant, admin_entry: ConfigEntry[Any], admin_api: ImmichApi
) -> None:
    """The update entity shows the version Immich runs and the newest release it knows of."""
    installed = ".".join(map(str, await admin_api.version()))
    check = await admin_api.get("/server/version-check")
    about = await admin_api.get("/server/about")
    assert about["version"].removeprefix("v") == installed
    update = state(hass, admin_entry, "update", "server_update")
    assert update.attributes["installed_version"] == installed
    latest = (check.get("releaseVersion") or installed).removeprefix("v")
    assert update.attributes["latest_version"] == latest
    assert update.state == (STATE_OFF if latest == installed else STATE_ON)


@pytest.mark.usefixtures("todays_memory")
async def test_images(
    hass: HomeAssistant,
    admin_entry: ConfigEntry[Any],
    admin_api: ImmichApi,
    hass_client: ClientSessionGenerator,
) -> None:
    """The image entities show the admin's photos: any, a favorite, one of today's memories.

    Each image is Immich's preview of the photo it names, at the preview's size.
    """
    await poll(hass)
    me = (await admin_api.me())["id"]
    remembered = {asset["id"] for m in await memories_shown_now(admin_api) for asset in m["assets"]}
    client = await hass_client()
    for key in ("random", "favorites", "memories"):
        image = state(hass, admin_entry, "image", key)
        asset = await admin_api.get(f"/assets/{image.attributes['asset_id']}")
        assert asset["ownerId"] == me
        assert image.attributes["file_name"] == asset["originalFileName"]
        if key == "favorites":
            assert asset["isFavorite"]
        if key == "memories":
            assert asset["id"] in remembered
            assert image.attributes["showing"] == "memory"
        shown = await client.get(f"/api/image_proxy/{image.entity_id}")
        assert shown.status == 200
        _, _, preview = await admin_api.fetch(f"/assets/{asset['id']}/thumbnail?size=preview")
        assert Image.open(BytesIO(await shown.read())).size == Image.open(BytesIO(preview)).size


async def test_event_and_slideshow_idle(hass: HomeAssistant, admin_entry: ConfigEntry[Any]) -> None:
    """Nothing already in the library is news, and no slideshow runs."""
    await poll(hass)
    assert state(hass, admin_entry, "event", "assets").state == "unknown"
    assert state(hass, admin_entry, "sensor", "slideshow").state == "idle"
