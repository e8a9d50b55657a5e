"""Properties of the response models: any JSON parses or fails with our typed error."""

from __future__ import annotations

import contextlib
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import BaseModel, TypeAdapter
import pytest

from custom_components.immich_hub.api import (
    Album,
    AlbumUserRole,
    ApiKey,
    Asset,
    AssetType,
    AssetVisibility,
    ImmichClient,
    ImmichInvalidResponseError,
    Memory,
    MemoryType,
    Queue,
    TimeBucketAssets,
    client as client_module,
    models,
)
from fake_immich import FakeImmich

from .conftest import TIMEOUT

MODELS: list[type[BaseModel]] = sorted(
    (
        value
        for value in vars(models).values()
        if isinstance(value, type)
        and issubclass(value, models.ImmichModel)
        and value is not models.ImmichModel
    ),
    key=lambda model: model.__name__,
)
ADAPTERS: dict[str, TypeAdapter[Any]] = {
    name: value for name, value in vars(client_module).items() if isinstance(value, TypeAdapter)
}
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Run once per model: fewer examples each keeps the whole sweep to a few seconds.
SWEEP = settings(PROPERTY, max_examples=40)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["IMAGE", "owner", "0:00:03.000000", "2024-01-15T19:30:00.000Z", "abc"])
)
KEYS = st.text(max_size=12) | st.sampled_from(
    ["id", "type", "name", "albumName", "duration", "role", "user", "assets", "statistics",
     "permissions", "albumUsers", "items", "visibility", "major", "results", "status"]
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=20,
)
# Text that is none of the values an enum knows (nor of another enum's, to keep it plain).
KNOWN = {
    str(member)
    for enum in (AssetType, AssetVisibility, AlbumUserRole, MemoryType, models.Permission)
    for member in enum
}
UNKNOWN = st.text(min_size=1, max_size=24).filter(lambda text: text not in KNOWN)


def test_every_model_and_adapter_is_covered() -> None:
    """The property below runs over every response model and every list adapter."""
    assert {model.__name__ for model in MODELS} >= {"Album", "Asset", "Memory", "Queue", "User"}
    assert {"_ALBUMS", "_ASSETS", "_QUEUES", "_LEGACY_QUEUES"} <= set(ADAPTERS)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@SWEEP
@given(data=JSON)
def test_any_json_parses_or_raises_typed_error(model: type[BaseModel], data: Any) -> None:
    """Arbitrary JSON either fits a model or raises ImmichInvalidResponseError, nothing else."""
    outcome: BaseModel | ImmichInvalidResponseError
    try:
        outcome = ImmichClient._parse(TypeAdapter(model), data, model.__name__)
    except ImmichInvalidResponseError as err:
        outcome = err
    if isinstance(outcome, ImmichInvalidResponseError):
        assert model.__name__ in str(outcome)
    else:
        assert isinstance(outcome, model)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
@SWEEP
@given(data=JSON)
def test_any_json_parses_or_raises_typed_error_for_lists(name: str, data: Any) -> None:
    """Bodies read as lists or maps of models hold the same property."""
    with contextlib.suppress(ImmichInvalidResponseError):
        ImmichClient._parse(ADAPTERS[name], data, name)


@PROPERTY
@given(
    fields=st.dictionaries(st.text(max_size=12).map("unknown_{}".format), JSON, max_size=4),
    asset_type=UNKNOWN,
    visibility=UNKNOWN,
)
def test_unknown_asset_enums_round_trip(
    fields: dict[str, Any], asset_type: str, visibility: str
) -> None:
    """An asset type or visibility Immich adds later is kept as sent; unknown fields ignored."""
    body = {**fields, "id": "a", "type": asset_type, "visibility": visibility, "duration": None}
    asset = ImmichClient._parse(TypeAdapter(Asset), body, "Asset")
    assert asset.type == asset_type
    assert asset.visibility == visibility
    assert not asset.is_video
    assert asset.model_dump(by_alias=True)["type"] == asset_type


@PROPERTY
@given(role=UNKNOWN, memory_type=UNKNOWN, permissions=st.lists(UNKNOWN, max_size=5))
def test_unknown_role_memory_type_and_permissions_round_trip(
    role: str, memory_type: str, permissions: list[str]
) -> None:
    """Album roles, memory types and key permissions unknown to us are kept as text."""
    album = Album.model_validate(
        {"id": "a", "albumName": "n", "albumUsers": [{"user": {"id": "u"}, "role": role}]}
    )
    assert album.album_users[0].role == role
    assert album.owner_id is None
    memory = Memory.model_validate({"id": "m", "type": memory_type})
    assert memory.type == memory_type
    key = ApiKey.model_validate({"id": "k", "permissions": permissions})
    assert key.permissions == permissions
    assert not key.has("asset.read")


@PROPERTY
@given(name=st.text(min_size=1, max_size=30), counts=st.dictionaries(
    st.from_regex(r"[a-z][a-zA-Z]{0,12}", fullmatch=True), st.integers(0, 10**9), max_size=4
))  # fmt: skip
def test_unknown_queue_names_and_counts_round_trip(name: str, counts: dict[str, int]) -> None:
    """A queue Immich adds later keeps its name; extra counts are kept in snake_case."""
    queue = Queue.model_validate({"name": name, "statistics": counts})
    assert queue.name == name
    reported = queue.statistics.counts()
    for count_name, value in counts.items():
        assert reported[models.to_snake(count_name)] == value


@PROPERTY
@given(
    hours=st.integers(0, 200),
    minutes=st.integers(0, 59),
    seconds=st.integers(0, 59),
    millis=st.integers(0, 999),
)
def test_durations_in_both_dialects_agree(
    hours: int, minutes: int, seconds: int, millis: int
) -> None:
    """2.x's "H:MM:SS.ffffff" and 3.x's integer milliseconds give the same duration."""
    total = ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
    text = f"{hours}:{minutes:02d}:{seconds:02d}.{millis * 1000:06d}"
    old = Asset.model_validate({"id": "a", "type": "VIDEO", "duration": text})
    new = Asset.model_validate({"id": "a", "type": "VIDEO", "duration": total})
    assert old.duration_ms == new.duration_ms == total
    assert old.duration == new.duration
    bucket = TimeBucketAssets.model_validate({"id": ["a", "b"], "duration": [text, total]})
    assert [row.duration_ms for row in bucket.assets()] == [total, total]


@pytest.mark.parametrize("kind", ["invalid_schema", "malformed_json"])
async def test_broken_bodies_over_http_raise_typed_error(
    immich: FakeImmich, session: aiohttp.ClientSession, kind: str
) -> None:
    """Bodies broken by the server reach the caller as ImmichInvalidResponseError, every call."""
    client = ImmichClient(session, immich.url, immich.admin_key, timeout=TIMEOUT)
    calls = (
        client.get_my_user,
        client.get_about,
        client.get_storage,
        client.get_statistics,
        client.get_asset_statistics,
        client.list_albums,
        client.list_queues,
        client.list_memories,
        client.list_tags,
        lambda: client.search_metadata(size=5),
    )
    immich.add_fault(kind)
    for call in calls:
        with pytest.raises(ImmichInvalidResponseError):
            await call()
    immich.clear_faults()
    assert (await client.get_my_user()).id == immich.admin_user_id


def test_bad_timeline_row_is_a_bad_body() -> None:
    """A timeline bucket with an unreadable row is refused while parsing, as our own error."""
    body = {"id": ["a", "b"], "isImage": [True, True], "fileCreatedAt": ["2024-01-01", "never"]}
    with pytest.raises(ImmichInvalidResponseError):
        ImmichClient._parse(TypeAdapter(TimeBucketAssets), body, "TimeBucketAssets")
    good = {"id": ["a"], "isImage": [False], "duration": ["0:00:03.000000"]}
    rows = ImmichClient._parse(TypeAdapter(TimeBucketAssets), good, "TimeBucketAssets").assets()
    assert [(row.id, row.is_image, row.duration_ms) for row in rows] == [("a", False, 3000)]
