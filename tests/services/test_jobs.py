"""Tests of the run_job action."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from fake_immich import FakeImmich
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .conftest import add_entry, call, calls, changes, last, make_jpeg


async def run_job(hass: HomeAssistant, **data: object) -> None:
    """Call run_job (it returns nothing)."""
    await call(hass, "run_job", dict(data), response=False)


async def test_start_queue_with_force(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Starting a queue goes through the legacy command endpoint, with force."""
    queue = immich.library.queues["thumbnailGeneration"]
    queue.active = queue.waiting = queue.paused_count = 0
    queue.is_paused = True  # holds the fake's queue still
    immich.clear_requests()

    await run_job(hass, job="thumbnail_generation", force=True)

    assert changes(immich) == [("PUT", "/jobs/thumbnailGeneration")]
    assert last(immich, "PUT", "/jobs/thumbnailGeneration").json == {
        "command": "start",
        "force": True,
    }
    assert queue.paused_count == 25


async def test_start_idle_queue_by_default(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Without a command the queue is started, without force; camelCase names work too."""
    queue = immich.library.queues["metadataExtraction"]
    queue.active = queue.waiting = 0
    queue.is_paused = True  # holds the fake's queue still, so it stays idle
    immich.clear_requests()

    await run_job(hass, job="metadataExtraction")

    assert changes(immich) == [("PUT", "/jobs/metadataExtraction")]
    assert last(immich, "PUT", "/jobs/metadataExtraction").json == {
        "command": "start",
        "force": False,
    }
    assert queue.paused_count == 5  # a paused queue holds new jobs as paused


@pytest.mark.parametrize("force", [False, True])
async def test_start_running_queue_is_refused_clearly(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, force: bool
) -> None:
    """Immich does not start a queue with active jobs, even forced: the action says what to do."""
    queue = immich.library.queues["smartSearch"]
    queue.active, queue.waiting, queue.paused_count = 3, 0, 0
    queue.is_paused = True  # holds the fake's queue still

    with pytest.raises(HomeAssistantError) as err:
        await run_job(hass, job="smart_search", force=force)

    assert err.value.translation_key == "queue_running"
    assert err.value.translation_placeholders == {"queue": "smart_search"}
    assert "already running" in str(err.value)
    assert "once it is idle" in str(err.value)
    assert (queue.active, queue.waiting, queue.paused_count) == (3, 0, 0)


async def test_pausing_the_background_task_queue_is_refused(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Immich refuses to pause its background tasks; the action says why, nothing changes."""
    with pytest.raises(HomeAssistantError) as err:
        await run_job(hass, job="background_task", command="pause")

    assert err.value.translation_key == "request_failed"
    assert "cannot be paused" in str(err.value)
    assert not immich.library.queues["backgroundTask"].is_paused


@pytest.mark.parametrize(
    ("command", "method", "path", "body"),
    [
        ("pause", "PUT", "/queues/faceDetection", {"isPaused": True}),
        ("resume", "PUT", "/queues/faceDetection", {"isPaused": False}),
        ("empty", "DELETE", "/queues/faceDetection/jobs", {}),
        ("clear_failed", "PUT", "/jobs/faceDetection", {"command": "clear-failed"}),
    ],
)
async def test_queue_commands(
    hass: HomeAssistant,
    immich: FakeImmich,
    admin: MockConfigEntry,
    *,
    command: str,
    method: str,
    path: str,
    body: dict[str, object],
) -> None:
    """Each queue command reaches the endpoint the server has for it."""
    queue = immich.library.queues["faceDetection"]
    queue.is_paused = command == "resume"
    queue.failed = 4
    queue.waiting = 9
    immich.clear_requests()

    await run_job(hass, job="face_detection", command=command)

    assert calls(immich) == [("GET", "/queues"), (method, path)]
    assert last(immich, method, path).json == body
    if command in ("pause", "resume"):
        assert queue.is_paused is (command == "pause")
    elif command == "empty":
        assert queue.waiting == 0
    else:
        assert queue.failed == 0


@pytest.mark.parametrize("job", ["memory_create", "person_cleanup", "backup_database"])
async def test_manual_job(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, job: str
) -> None:
    """A manual job is created with POST /jobs, without asking for the queues."""
    immich.clear_requests()

    await run_job(hass, job=job)

    assert calls(immich) == [("POST", "/jobs")]
    assert last(immich, "POST", "/jobs").json == {"name": job.replace("_", "-")}


async def test_manual_job_of_3x(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, api_version: str
) -> None:
    """Integrity jobs exist only on 3.x; on 2.x they are unknown and nothing changes."""
    immich.clear_requests()
    if api_version.startswith("3."):
        await run_job(hass, job="integrity_missing_files")
        assert changes(immich) == [("POST", "/jobs")]
        return
    with pytest.raises(ServiceValidationError) as err:
        await run_job(hass, job="integrity_missing_files")
    assert err.value.translation_key == "unknown_job"
    assert changes(immich) == []


async def test_manual_job_refuses_other_commands(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A manual job can only be started: pausing one is refused and nothing changes."""
    immich.clear_requests()

    with pytest.raises(ServiceValidationError) as err:
        await run_job(hass, job="memory_create", command="pause")

    assert err.value.translation_key == "command_not_supported"
    assert "memory_create" in str(err.value)
    assert changes(immich) == []


async def test_unknown_command_sends_nothing(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """A command no job has is refused before any request."""
    immich.clear_requests()

    with pytest.raises(vol.Invalid) as err:
        await run_job(hass, job="thumbnail_generation", command="restart")

    assert err.value.path == ["command"]
    assert "clear_failed" in str(err.value)
    assert immich.requests == []


async def test_unknown_job(hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry) -> None:
    """A job neither a queue nor a manual job is refused; only the queue list was read."""
    immich.clear_requests()

    with pytest.raises(ServiceValidationError) as err:
        await run_job(hass, job="make_coffee")

    assert err.value.translation_key == "unknown_job"
    assert "thumbnail_generation" in str(err.value)
    assert calls(immich) == [("GET", "/queues")]


async def test_non_admin_is_refused(hass: HomeAssistant, immich: FakeImmich) -> None:
    """A non-admin key cannot run jobs; nothing is sent."""
    await add_entry(hass, immich, immich.user_key, immich.user_user_id)
    immich.clear_requests()

    with pytest.raises(ServiceValidationError) as err:
        await run_job(hass, job="memory_create")

    assert err.value.translation_key == "admin_required"
    assert immich.requests == []


async def test_missing_permission(hass: HomeAssistant, immich: FakeImmich) -> None:
    """An admin key without queue.update gets an error naming that permission."""
    key = immich.add_key("admin", ["user.read", "queue.read"])
    await add_entry(hass, immich, key, immich.admin_user_id)

    with pytest.raises(HomeAssistantError) as err:
        await run_job(hass, job="face_detection", command="pause")

    assert err.value.translation_key == "missing_permission"
    assert "queue.update" in str(err.value)
    assert not immich.library.queues["faceDetection"].is_paused


async def test_jobs_of_a_paused_queue_are_pending(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """Immich files the jobs a paused queue receives as paused: the sensors still count them."""
    queue = immich.library.queues["metadataExtraction"]
    queue.active = queue.waiting = queue.delayed = queue.paused_count = 0
    await run_job(hass, job="metadata_extraction", command="pause")
    held = queue.paused_count

    for number in range(3):
        photo = make_jpeg(allowed_dir / f"garden{number}.jpg", color=(40 * number, 90, 20))
        await call(hass, "upload", {"file": str(photo)})
    await admin.runtime_data.coordinators.queues.async_refresh()
    await hass.async_block_till_done()

    state = hass.states.get("sensor.immich_ada_admin_metadata_extraction_queue")
    assert state.attributes["paused"] is True
    assert state.attributes["waiting"] == 0
    assert state.attributes["paused_jobs"] == held + 3
    assert state.state == str(queue.active + held + 3 + queue.delayed)
    pending = sum(
        q.active + q.waiting + q.paused_count + q.delayed for q in immich.library.queues.values()
    )
    assert hass.states.get("sensor.immich_ada_admin_jobs_pending").state == str(pending)
