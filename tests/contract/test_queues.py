"""Contract: job queues and jobs (admin) on the fake and the real Immich.

The real server is shared: only the database-backup queue is paused, started or emptied (a
backup takes a fraction of a second and Immich keeps the last 14), and every queue is left
running as found.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from custom_components.immich_hub.api import ImmichBadRequestError, Queue, QueueCommand

from .harness import SETTLE_SECONDS, Pair, Side

QUEUE = "backup_database"
QUEUE_NAME = "backupDatabase"


async def _queue(side: Side) -> Queue:
    """Return the backup queue as the client lists it."""
    return next(q for q in await side.admin.list_queues() if q.name == QUEUE_NAME)


async def _until(side: Side, wanted: str) -> None:
    """Wait until the real backup queue runs a job (``busy``) or has none left (``idle``).

    A job may start and finish between two looks: ``busy`` then returns on ``idle`` too.
    """
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while True:
        stats = (await side.raw("GET", f"/queues/{QUEUE_NAME}")).json["statistics"]
        idle = stats["active"] == stats["waiting"] == stats["paused"] == 0
        if idle or (wanted == "busy" and stats["active"] > 0):
            return
        assert asyncio.get_running_loop().time() < deadline, f"backup queue never {wanted}"
        await asyncio.sleep(0 if wanted == "busy" else 0.2)


@pytest.fixture
async def resumed(pair: Pair) -> AsyncIterator[None]:
    """Start with the fake's backup queue idle, as the real one is; leave both running, empty."""
    assert pair.fake.fake is not None
    queue = pair.fake.fake.library.queues[QUEUE_NAME]
    queue.active = queue.waiting = queue.delayed = queue.paused_count = 0
    yield
    for side in pair.sides:
        await side.admin.run_queue_command(QUEUE, QueueCommand.EMPTY)
        await side.admin.run_queue_command(QUEUE, QueueCommand.RESUME)


async def test_list_queues(pair: Pair) -> None:
    """Every queue with its statistics; the legacy listing too."""
    fake, real = await pair.compare(lambda side: side.admin.list_queues())
    assert {q.name for q in fake} == {q.name for q in real}
    await pair.compare(lambda side: side.raw("GET", "/jobs"))
    await pair.compare(lambda side: side.raw("GET", f"/queues/{QUEUE_NAME}"))


@pytest.mark.usefixtures("resumed")
async def test_pause_resume_empty_clear(pair: Pair) -> None:
    """Pause, resume, empty and clear the failed jobs, as the pause switch and run_job do."""
    for command in (QueueCommand.PAUSE, QueueCommand.RESUME, QueueCommand.CLEAR_FAILED):
        await pair.compare(lambda side, c=command: side.admin.run_queue_command(QUEUE, c))
    await pair.compare(lambda side: side.admin.run_queue_command(QUEUE, QueueCommand.PAUSE))
    fake, real = await pair.compare(_queue)
    assert fake.is_paused
    assert real.is_paused
    await pair.compare(lambda side: side.admin.run_queue_command(QUEUE, QueueCommand.EMPTY))
    await pair.compare(lambda side: side.admin.run_queue_command(QUEUE, QueueCommand.RESUME))
    fake, real = await pair.compare(_queue)
    assert not fake.is_paused
    assert not real.is_paused


@pytest.mark.usefixtures("resumed")
async def test_paused_queue_files_jobs_under_paused(pair: Pair) -> None:
    """Jobs queued while a queue is paused are counted under ``paused``, not ``waiting``."""
    await pair.compare(lambda side: side.admin.run_queue_command(QUEUE, QueueCommand.PAUSE))
    await pair.compare(lambda side: side.admin.run_queue_command(QUEUE, QueueCommand.START))
    fake, real = await pair.compare(_queue)
    for queue in (fake, real):
        assert queue.is_paused
        assert queue.statistics.waiting == 0, queue
        assert queue.statistics.paused >= 1, queue
    await pair.compare(lambda side: side.admin.run_queue_command(QUEUE, QueueCommand.EMPTY))
    fake, real = await pair.compare(_queue)
    assert fake.statistics.paused == real.statistics.paused == 0


@pytest.mark.usefixtures("resumed")
@pytest.mark.parametrize("force", [False, True])
async def test_start_refused_while_running(pair: Pair, force: bool) -> None:
    """Starting a queue that has a job running is refused, with or without ``force``."""
    # A job runs for a moment on the real server, and for as long as the test on the fake.
    assert pair.fake.fake is not None
    pair.fake.fake.library.queues[QUEUE_NAME].active = 1_000
    for _ in range(5):
        await pair.real.admin.run_queue_command(QUEUE, QueueCommand.START)
        await _until(pair.real, "busy")
        fake, real = await pair.run(
            lambda side: side.admin.run_queue_command(QUEUE, QueueCommand.START, force=force)
        )
        await _until(pair.real, "idle")
        if real.error is not None:
            break
    pair.assert_same(fake.exchanges, real.exchanges)
    assert isinstance(real.error, ImmichBadRequestError), real.error
    assert isinstance(fake.error, ImmichBadRequestError), fake.error
    assert fake.exchanges[-1].message == real.exchanges[-1].message == "Job is already running"


async def test_manual_job(pair: Pair) -> None:
    """A manual job is queued (user cleanup: it removes only users deleted days ago)."""
    await pair.compare(lambda side: side.admin.create_job("user_cleanup"))
    fake, real = await pair.compare(lambda side: side.admin.list_manual_jobs())
    assert fake == real
