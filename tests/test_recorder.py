"""What the recorder keeps of Immich Hub's states: not the details that change all the time."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

ADMIN = "immich_ada_admin"
QUEUE = f"sensor.{ADMIN}_thumbnail_generation_queue"
SLIDESHOW = f"sensor.{ADMIN}_slideshow"
RANDOM = f"image.{ADMIN}_random_photo"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Prepare the recorder's database before Home Assistant starts, as the recorder needs."""


async def test_history_leaves_out_bulky_attributes(
    recorder_mock: Recorder, hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Queue counts and photo details are shown on the entity but not stored in history."""
    start = dt_util.utcnow()
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)

    live = {entity_id: hass.states.get(entity_id) for entity_id in (QUEUE, SLIDESHOW, RANDOM)}
    assert {"active", "waiting", "paused_jobs", "paused"} <= set(live[QUEUE].attributes)
    assert {"asset_id", "file_name", "people"} <= set(live[RANDOM].attributes)

    history = await recorder_mock.async_add_executor_job(
        get_significant_states, hass, start, None, list(live)
    )
    recorded = {entity_id: states[-1].attributes for entity_id, states in history.items()}
    assert "paused" in recorded[QUEUE]
    assert not {"active", "completed", "delayed", "failed", "waiting", "paused_jobs"} & set(
        recorded[QUEUE]
    )
    assert not {"asset_id", "asset_ids", "file_name", "people", "place", "taken_at"} & set(
        recorded[RANDOM]
    )
    assert recorded[RANDOM]["friendly_name"] == live[RANDOM].attributes["friendly_name"]
    assert "slideshows" not in recorded[SLIDESHOW]
