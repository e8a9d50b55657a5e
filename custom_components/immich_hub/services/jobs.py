"""The run_job action: a queue command, or a manual job started (admin keys)."""

from __future__ import annotations

from typing import Final

import voluptuous as vol

from homeassistant.core import ServiceCall
from homeassistant.helpers import config_validation as cv

from ..api import ImmichQueueRunningError, QueueCommand, to_snake
from ..util import immich_errors
from .common import ENTRY_FIELD, choice, failed, get_entry, invalid

ATTR_JOB: Final = "job"
ATTR_COMMAND: Final = "command"
ATTR_FORCE: Final = "force"

COMMANDS: Final = tuple(command.value for command in QueueCommand)

RUN_JOB_SCHEMA: Final = vol.Schema(
    {
        **ENTRY_FIELD,
        vol.Required(ATTR_JOB): cv.string,
        vol.Optional(ATTR_COMMAND, default=QueueCommand.START.value): choice(COMMANDS),
        vol.Optional(ATTR_FORCE, default=False): cv.boolean,
    }
)


async def async_run_job(call: ServiceCall) -> None:
    """Start, pause, resume, empty or clear a queue, or start a manual job."""
    entry = get_entry(call)
    data = entry.runtime_data
    job = to_snake(call.data[ATTR_JOB].strip())
    command: str = call.data[ATTR_COMMAND]
    if not data.user.is_admin:
        raise invalid("admin_required", action=call.service)
    with immich_errors(call.hass, entry):
        manual_jobs = await data.client.list_manual_jobs()
        if job in manual_jobs and command == QueueCommand.START:
            await data.client.create_job(job)
            return
        queues = {queue.key for queue in await data.client.list_queues()}
        if job in queues:
            try:
                await data.client.run_queue_command(job, command, force=call.data[ATTR_FORCE])
            except ImmichQueueRunningError as err:
                raise failed("queue_running", queue=job) from err
            return
    if job in manual_jobs:
        raise invalid("command_not_supported", job=job, command=command)
    raise invalid("unknown_job", job=job, jobs=", ".join(sorted({*queues, *manual_jobs})))
