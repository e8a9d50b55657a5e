"""Tests of the config flow: user, missing permissions, reauth, reconfigure and options."""

from __future__ import annotations

from datetime import timedelta
import logging
from pathlib import Path
import time

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_hub import config_flow
from custom_components.immich_hub.const import (
    CONF_EVENTS_INTERVAL,
    CONF_IMAGE_INTERVAL,
    CONF_IMAGE_SIZE,
    CONF_LIBRARY_INTERVAL,
    CONF_PAIR_PORTRAITS,
    CONF_QUEUES_INTERVAL,
    CONF_SERVER_INTERVAL,
    CONF_SLIDESHOW_INTERVAL,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from fake_immich import FakeImmich
from fake_immich.tls import self_signed_context
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData


async def _start(hass: HomeAssistant) -> str:
    """Open the user step and return the flow id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return str(result["flow_id"])


async def _submit(
    hass: HomeAssistant, url: str, api_key: str, *, verify_ssl: bool = True
) -> dict[str, object]:
    """Run the user step with the given input."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: url, CONF_API_KEY: api_key, CONF_VERIFY_SSL: verify_ssl}
    )
    return dict(result)


async def test_user_creates_entry(hass: HomeAssistant, immich: FakeImmich) -> None:
    """A valid URL and admin key create an entry keyed by the Immich user."""
    result = await _submit(hass, f"  {immich.url}/api/ ", immich.admin_key)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"].endswith("@ 127.0.0.1")
    assert result["data"] == {
        CONF_URL: immich.url,
        CONF_API_KEY: immich.admin_key,
        CONF_VERIFY_SSL: True,
    }
    entry = result["result"]
    assert entry.unique_id == immich.admin_user_id
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_user_with_subpath(
    hass: HomeAssistant, api_version: str, socket_enabled: None
) -> None:
    """An Immich server behind a subpath is reached through it."""
    async with FakeImmich(api_version=api_version, prefix="/immich") as server:
        result = await _submit(hass, f"{server.url}/", server.user_key)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_URL].endswith(":" + server.url.split(":")[-1])
        assert result["data"][CONF_URL].endswith("/immich")
        assert result["result"].unique_id == server.user_user_id
        await hass.async_block_till_done()
        assert await hass.config_entries.async_unload(result["result"].entry_id)
        server.assert_no_violations()


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:2283",
        "photos.example.org",
        "ftp://127.0.0.1",
        "http://",
        "http://a:b@127.0.0.1",
        "http://[::1",
        "http://127.0.0.1/?next=1",
    ],
)
async def test_user_invalid_url(hass: HomeAssistant, immich: FakeImmich, url: str) -> None:
    """A URL without an http(s) scheme and host is refused before anything is sent."""
    result = await _submit(hass, url, immich.admin_key)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert immich.requests == []


async def test_user_wrong_key(hass: HomeAssistant, immich: FakeImmich) -> None:
    """A key Immich does not know is reported as invalid authentication."""
    result = await _submit(hass, immich.url, "not-a-real-key")

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}


async def test_user_key_without_user_read(hass: HomeAssistant, immich: FakeImmich) -> None:
    """A key that cannot read its user is told what it lacks, not that it is invalid."""
    key = immich.add_key("admin", ["asset.read", "album.read"])
    result = await _submit(hass, immich.url, key)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "user_read_required"}


async def test_user_old_server(hass: HomeAssistant, socket_enabled: None) -> None:
    """An Immich 1.x server is refused as unsupported."""
    async with FakeImmich(api_version="2.7.3", server_version=(1, 118, 0)) as server:
        result = await _submit(hass, server.url, server.admin_key)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unsupported_version"}


@pytest.mark.parametrize(
    ("kind", "status"), [("html", 200), ("status", 404), ("status", 500), ("malformed_json", 200)]
)
async def test_user_not_immich(
    hass: HomeAssistant, immich: FakeImmich, kind: str, status: int
) -> None:
    """A page that is not Immich's API gives cannot_connect, not a traceback."""
    immich.add_fault(kind, status=status)
    result = await _submit(hass, immich.url, immich.admin_key)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_connection_refused(hass: HomeAssistant, socket_enabled: None) -> None:
    """Nothing listening at the URL gives cannot_connect."""
    async with FakeImmich() as server:
        url = server.url
    result = await _submit(hass, url, "key")
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_server_never_answers(
    hass: HomeAssistant, immich: FakeImmich, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that never answers gives cannot_connect once the request timeout passes."""
    monkeypatch.setattr(config_flow, "REQUEST_TIMEOUT", 0.5)
    immich.add_fault("timeout")
    started = time.monotonic()
    result = await _submit(hass, immich.url, immich.admin_key)

    assert result["errors"] == {"base": "cannot_connect"}
    assert time.monotonic() - started < 5


@pytest.mark.usefixtures("refused_tls_handshakes")
@pytest.mark.parametrize("verify_ssl", [True, False])
async def test_user_self_signed_certificate(
    hass: HomeAssistant,
    socket_enabled: None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    verify_ssl: bool,
) -> None:
    """A certificate that fails verification is named in the log; without verification it works."""
    server = FakeImmich(api_version="3.0.3")
    await server.start(ssl_context=self_signed_context(tmp_path))
    try:
        with caplog.at_level(logging.WARNING):
            result = await _submit(hass, server.url, server.admin_key, verify_ssl=verify_ssl)
        if verify_ssl:
            assert result["errors"] == {"base": "cannot_connect"}
            assert "certificate" in caplog.text
            assert server.admin_key not in caplog.text
        else:
            assert result["type"] is FlowResultType.CREATE_ENTRY
            assert result["data"][CONF_VERIFY_SSL] is False
            await hass.async_block_till_done()
            assert await hass.config_entries.async_unload(result["result"].entry_id)
        server.assert_no_violations()
    finally:
        await server.stop()


async def test_user_recovers_after_error(hass: HomeAssistant, immich: FakeImmich) -> None:
    """After an error the form keeps the input and a corrected submission succeeds."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: immich.url, CONF_API_KEY: "wrong", CONF_VERIFY_SSL: True}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: immich.url, CONF_API_KEY: immich.admin_key, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_already_configured(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """A second entry for the same Immich user aborts."""
    config_entry.add_to_hass(hass)
    result = await _submit(hass, immich.url, immich.admin_key)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_limited_key_confirms_missing_permissions(
    hass: HomeAssistant, immich: FakeImmich
) -> None:
    """A key without every permission is set up after the missing ones are shown."""
    result = await _submit(hass, immich.url, immich.limited_key)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "missing_permissions"
    permissions = result["description_placeholders"]["permissions"]
    assert "asset.upload" in permissions
    assert "queue.read" not in permissions  # admin-only features are not offered to this user

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == immich.user_user_id


async def test_reauth(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """A new key of the same user replaces the old one."""
    config_entry.add_to_hass(hass)
    new_key = immich.add_key(immich.admin_user_id, ["all"])
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: "no"})
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: new_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_API_KEY] == new_key


async def test_reauth_other_user(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """A key of another Immich user is refused during reauth."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: immich.user_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert config_entry.data[CONF_API_KEY] == immich.admin_key


async def test_reconfigure(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """The entry follows the same user to a new URL; an empty key keeps the current one."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "not a url", CONF_VERIFY_SSL: False}
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: immich.url + "/", CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data == {
        CONF_URL: immich.url,
        CONF_API_KEY: immich.admin_key,
        CONF_VERIFY_SSL: False,
    }


async def test_reconfigure_moved_server(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """A move to another server with a new key of the same user is taken."""
    config_entry.add_to_hass(hass)
    async with FakeImmich(api_version=immich.api_version, prefix="/photos") as moved:
        result = await config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_URL: moved.url, CONF_VERIFY_SSL: True, CONF_API_KEY: moved.admin_key},
        )
        assert result["reason"] == "reconfigure_successful"
        assert config_entry.data == {
            CONF_URL: moved.url,
            CONF_API_KEY: moved.admin_key,
            CONF_VERIFY_SSL: True,
        }
        await hass.async_block_till_done()
        moved.assert_no_violations()


async def test_reconfigure_other_user(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """A key of another user is refused and the entry keeps its data."""
    config_entry.add_to_hass(hass)
    before = dict(config_entry.data)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: immich.url, CONF_VERIFY_SSL: True, CONF_API_KEY: immich.user_key},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert dict(config_entry.data) == before


async def test_options(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """Options start from the defaults, are stored and reload the entry."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    options = {
        CONF_SERVER_INTERVAL: 30,
        CONF_QUEUES_INTERVAL: 10,
        CONF_LIBRARY_INTERVAL: 600,
        CONF_EVENTS_INTERVAL: 30,
        CONF_IMAGE_INTERVAL: 120,
        CONF_SLIDESHOW_INTERVAL: 5,
        CONF_IMAGE_SIZE: "fullsize",
        CONF_PAIR_PORTRAITS: True,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(loaded_entry.options) == options
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_user_http_redirected_to_https(
    hass: HomeAssistant, immich_behind_https_redirect: tuple[FakeImmich, str]
) -> None:
    """An http:// address a proxy sends to https:// is kept as https://.

    Otherwise every request with a body (search, upload) would arrive as a GET without it.
    """
    server, http_url = immich_behind_https_redirect
    result = await _submit(hass, http_url, server.admin_key, verify_ssl=False)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == server.url
    await hass.async_block_till_done()
    found = await hass.services.async_call(
        DOMAIN,
        "search",
        {"config_entry_id": result["result"].entry_id, "favorite": True},
        blocking=True,
        return_response=True,
    )
    assert found is not None
    assert found["assets"]


@pytest.mark.parametrize(
    ("option", "too_low"),
    [
        (CONF_SERVER_INTERVAL, 29),
        (CONF_QUEUES_INTERVAL, 9),
        (CONF_LIBRARY_INTERVAL, 59),
        (CONF_EVENTS_INTERVAL, 29),
        (CONF_IMAGE_INTERVAL, 14),
        (CONF_SLIDESHOW_INTERVAL, 2),
    ],
)
async def test_options_refuse_intervals_that_would_load_immich(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, option: str, too_low: int
) -> None:
    """An interval below its limit is refused and nothing is stored."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    with pytest.raises(InvalidData) as refused:
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**DEFAULT_OPTIONS, option: too_low}
        )
    assert option in refused.value.schema_errors
    assert dict(loaded_entry.options) == {}


async def test_interval_saved_below_the_limit_polls_at_the_limit(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """An entry saved with a queue interval below today's limit polls at the limit."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options={CONF_QUEUES_INTERVAL: 1})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    queues = config_entry.runtime_data.coordinators.queues
    assert queues is not None
    assert queues.update_interval == timedelta(seconds=10)
