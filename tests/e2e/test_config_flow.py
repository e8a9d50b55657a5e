"""The config flow against a real Immich: admin, normal and limited keys, bad input, reauth."""

from __future__ import annotations

from datetime import timedelta
import socket
import uuid

from pytest_homeassistant_custom_component.common import async_fire_time_changed
from yarl import URL

from custom_components.immich_hub.const import DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from tests.test_config_flow import _submit

from .conftest import Cleanup, add_entry, entity_id
from .immich_api import ImmichApi, Server
from .test_entities import assert_bytes

LIMITED = ["user.read", "server.about", "server.storage", "asset.read"]
"""A key that can tell its user and read the server's disk, and little else."""


def _issue(hass: HomeAssistant, entry_id: str) -> ir.IssueEntry | None:
    """Return the repair issue that names an entry's missing permissions."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"missing_permissions_{entry_id}")


async def test_admin_key(hass: HomeAssistant, server: Server, admin_api: ImmichApi) -> None:
    """An admin's key adds an entry for the admin, with the admin's entities and no issue."""
    me = await admin_api.me()
    assert me["isAdmin"]
    result = await _submit(hass, server.url, server.admin_key)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{me['name']} @ {URL(server.url).host}"
    assert result["data"] == {
        CONF_URL: server.url,
        CONF_API_KEY: server.admin_key,
        CONF_VERIFY_SSL: True,
    }
    entry = result["result"]
    assert entry.unique_id == me["id"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert _issue(hass, entry.entry_id) is None
    for key in ("jobs_pending", "photos", "disk_size", "my_photos"):
        assert entity_id(hass, entry, "sensor", key) is not None, key

    again = await _submit(hass, server.url, server.admin_key)
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"


async def test_normal_user_key(hass: HomeAssistant, server: Server, user_api: ImmichApi) -> None:
    """A normal user's key adds that user's entry, without the admin's entities."""
    me = await user_api.me()
    assert not me["isAdmin"]
    entry = await add_entry(hass, server, server.user_key)

    assert entry.unique_id == me["id"]
    assert entry.title == f"{me['name']} @ {URL(server.url).host}"
    assert _issue(hass, entry.entry_id) is None
    assert entity_id(hass, entry, "sensor", "my_photos") is not None
    for key in ("jobs_pending", "photos", "usage"):
        assert entity_id(hass, entry, "sensor", key) is None, key


async def test_limited_key(
    hass: HomeAssistant, server: Server, admin_api: ImmichApi, cleanup: Cleanup
) -> None:
    """A key with few permissions is set up after the missing ones are shown; an issue names them.

    What it may do works: the disk sensors show Immich's figures.
    """
    key_id, secret = await admin_api.create_key(LIMITED)
    cleanup.key(admin_api, key_id)
    limited = admin_api.with_key(secret)
    granted = set((await limited.get("/api-keys/me"))["permissions"])
    assert granted == set(LIMITED)

    result = await _submit(hass, server.url, secret)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "missing_permissions"
    shown = result["description_placeholders"]["permissions"].split(", ")
    assert shown
    assert not granted & set(shown)
    assert "asset.upload" in shown
    assert "queue.read" in shown  # the key's user is an admin: the job queues need it

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    issue = _issue(hass, entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders["permissions"].split(", ") == shown

    storage = await limited.get("/server/storage")
    assert_bytes(hass, entry, "disk_size", storage["diskSizeRaw"])
    for key in ("my_photos", "jobs_pending", "photos"):
        assert entity_id(hass, entry, "sensor", key) is None, key


async def test_wrong_key(hass: HomeAssistant, server: Server) -> None:
    """A key Immich does not know is invalid authentication."""
    result = await _submit(hass, server.url, uuid.uuid4().hex)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}


async def test_wrong_url(hass: HomeAssistant, server: Server, socket_enabled: None) -> None:
    """An address where nothing listens, or where Immich's API is not, cannot connect."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{free.getsockname()[1]}"
    for url in (nobody, f"{server.url}/not-immich"):
        result = await _submit(hass, url, server.admin_key)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "cannot_connect"}, url


async def test_revoked_key_asks_for_a_new_one(
    hass: HomeAssistant, server: Server, admin_api: ImmichApi, cleanup: Cleanup
) -> None:
    """A key deleted in Immich leads to reauthentication, which takes a new key of the same user."""
    key_id, secret = await admin_api.create_key(["all"])
    cleanup.key(admin_api, key_id)
    entry = await add_entry(hass, server, secret)
    assert not list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))

    await admin_api.delete(f"/api-keys/{key_id}")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=10))
    await hass.async_block_till_done(wait_background_tasks=True)

    (flow,) = list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert flow["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: server.admin_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_API_KEY] == server.admin_key
    assert entry.state is ConfigEntryState.LOADED
