"""Models read both dialects, ignore unknown fields and keep unknown enum values."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custom_components.immich_hub.api import (
    Album,
    AlbumUserRole,
    ApiKey,
    Asset,
    AssetPage,
    AssetType,
    AssetVisibility,
    Memory,
    Queue,
    ServerVersion,
    TimeBucketAssets,
    UploadResult,
    to_camel,
    to_kebab,
    to_snake,
)
from custom_components.immich_hub.api.dialect import Dialect
from custom_components.immich_hub.api.models import QueueLegacy

ASSET = {
    "id": "7c1b6f5e-2f7a-4d0e-9f55-4a3c2b1a0f9e",
    "type": "IMAGE",
    "originalFileName": "IMG_0001.jpg",
    "fileCreatedAt": "2024-01-15T19:30:00.000Z",
    "fileModifiedAt": "2024-01-16T10:15:00.000Z",
    "localDateTime": "2024-01-15T14:30:00.000Z",
    "isFavorite": True,
    "visibility": "timeline",
    "ownerId": "0d1f6c1e-3a7c-4f5b-8e9a-1b2c3d4e5f60",
    "checksum": "abc",
    "thumbhash": None,
}


def test_unknown_fields_are_ignored() -> None:
    """A field Immich adds later does not break the model."""
    asset = Asset.model_validate({**ASSET, "brandNewField": {"nested": True}, "duration": 5})
    assert asset.id == ASSET["id"]
    assert not hasattr(asset, "brandNewField")
    assert "brandNewField" not in asset.model_dump()


def test_known_enum_values_become_enums() -> None:
    """Known enum values are parsed into enum members."""
    asset = Asset.model_validate(ASSET)
    assert asset.type is AssetType.IMAGE
    assert asset.visibility is AssetVisibility.TIMELINE
    assert not asset.is_video


def test_unknown_enum_values_are_kept() -> None:
    """Enum values this client does not know stay plain strings."""
    asset = Asset.model_validate({**ASSET, "type": "HOLOGRAM", "visibility": "vault"})
    assert asset.type == "HOLOGRAM"
    assert not isinstance(asset.type, AssetType)
    assert asset.visibility == "vault"
    memory = Memory.model_validate(
        {"id": "m", "type": "on_a_whim", "data": {"year": 2020}, "ownerId": "u"}
    )
    assert memory.type == "on_a_whim"
    upload = UploadResult.model_validate({"id": "a", "status": "teleported"})
    assert upload.status == "teleported"
    assert not upload.is_duplicate


@pytest.mark.parametrize(
    ("duration", "expected_ms"),
    [
        ("0:00:12.345000", 12345),  # 2.x text
        ("1:02:03.5", 3723500),
        ("0:00:00.00000", 0),
        ("250", 250),
        (12345, 12345),  # 3.x integer milliseconds
        (12.7, 12),
        (None, None),
        ("", None),
        ("nonsense", None),
        (True, None),
        (float("inf"), None),  # JSON parsers read 1e999 as infinity
        (float("nan"), None),
    ],
)
def test_duration_in_both_dialects(duration: object, expected_ms: int | None) -> None:
    """``duration`` is a string in 2.x and integer milliseconds in 3.x."""
    asset = Asset.model_validate({**ASSET, "type": "VIDEO", "duration": duration})
    assert asset.duration_ms == expected_ms
    expected = None if expected_ms is None else timedelta(milliseconds=expected_ms)
    assert asset.duration == expected
    assert asset.is_video


def test_duration_of_other_types_fails() -> None:
    """A duration that is neither text nor a number does not fit the model."""
    with pytest.raises(ValueError, match="duration"):
        Asset.model_validate({**ASSET, "duration": {"ms": 1}})


def test_float_pixel_sizes_of_2x() -> None:
    """2.x describes width and height as numbers; they become integers."""
    asset = Asset.model_validate(
        {**ASSET, "width": 4032.0, "height": 3024, "exifInfo": {"exifImageWidth": 4032.4}}
    )
    assert asset.width == 4032
    assert asset.height == 3024
    assert asset.exif_info is not None
    assert asset.exif_info.exif_image_width == 4032


def test_album_owner_in_both_dialects() -> None:
    """2.x names the owner in ``ownerId``; 3.x lists it among the album users."""
    base = {
        "id": "a",
        "albumName": "Holidays",
        "description": None,
        "albumThumbnailAssetId": None,
        "assetCount": 3,
    }
    legacy = Album.model_validate({**base, "ownerId": "owner-2x", "albumUsers": []})
    assert legacy.owner_id == "owner-2x"
    assert legacy.name == "Holidays"
    assert legacy.description == ""
    current = Album.model_validate(
        {
            **base,
            "albumUsers": [
                {"user": {"id": "editor", "name": "E"}, "role": "editor"},
                {"user": {"id": "owner-3x", "name": "O"}, "role": "owner"},
                {"user": {"id": "x", "name": "X"}, "role": "overlord"},
            ],
        }
    )
    assert current.owner_id == "owner-3x"
    assert current.album_users[1].role is AlbumUserRole.OWNER
    assert current.album_users[2].role == "overlord"
    orphan = Album.model_validate({**base, "albumUsers": []})
    assert orphan.owner_id is None


def test_api_key_permissions() -> None:
    """``has`` understands ``all``; unknown permissions are kept."""
    limited = ApiKey.model_validate(
        {"id": "k", "name": "n", "permissions": ["asset.read", "future.permission"]}
    )
    assert limited.has("asset.read")
    assert not limited.has("album.read")
    assert limited.has("future.permission")
    assert limited.missing(["asset.read", "queue.read"]) == ["queue.read"]
    everything = ApiKey.model_validate({"id": "k", "permissions": ["all"]})
    assert everything.has("queue.read")
    assert everything.missing(["queue.read"]) == []


def test_queue_helpers() -> None:
    """Queues expose their snake_case key and pending count; legacy entries convert."""
    queue = Queue.model_validate(
        {
            "name": "thumbnailGeneration",
            "isPaused": False,
            "statistics": {"active": 1, "waiting": 2, "delayed": 3, "failed": 4, "extra": 9},
        }
    )
    assert queue.key == "thumbnail_generation"
    assert queue.pending == 6
    counts = queue.statistics.counts()
    assert counts["failed"] == 4
    assert counts["extra"] == 9
    future = Queue.model_validate(
        {"name": "x", "statistics": {"stalledForever": 2, "label": "n/a", "flag": True}}
    ).statistics.counts()
    assert future["stalled_forever"] == 2
    assert "label" not in future
    assert "flag" not in future
    legacy = QueueLegacy.model_validate(
        {"jobCounts": {"active": 2}, "queueStatus": {"isActive": True, "isPaused": True}}
    )
    converted = legacy.to_queue("someFutureQueue")
    assert converted.key == "some_future_queue"
    assert converted.is_paused
    assert converted.is_active
    assert converted.statistics.active == 2


def test_search_page_next_page() -> None:
    """``nextPage`` is text; its number is exposed when it is one."""
    assert AssetPage.model_validate({"items": [], "nextPage": "3"}).next_page_number == 3
    assert AssetPage.model_validate({"items": [], "nextPage": None}).next_page_number is None
    assert AssetPage.model_validate({"items": [], "nextPage": "c1"}).next_page_number is None


def test_time_bucket_columns_in_both_dialects() -> None:
    """Timeline buckets come column by column, with 2.x or 3.x durations."""
    columns = {
        "id": ["a", "b"],
        "isImage": [True, False],
        "isFavorite": [False, True],
        "isTrashed": [False, False],
        "fileCreatedAt": ["2024-01-01T10:00:00.000Z", "2024-01-02T10:00:00.000Z"],
        "localOffsetHours": [1, 2],
        "ratio": [1.5, 0.75],
        "visibility": ["timeline", "archive"],
        "thumbhash": [None, "x"],
        "ownerId": ["u", "u"],
        "livePhotoVideoId": [None, None],
        "projectionType": [None, None],
    }
    v2 = TimeBucketAssets.model_validate({**columns, "duration": [None, "0:00:03.000000"]})
    v3 = TimeBucketAssets.model_validate({**columns, "duration": [None, 3000]})
    for bucket in (v2, v3):
        rows = bucket.assets()
        assert [row.id for row in rows] == ["a", "b"]
        assert rows[1].duration_ms == 3000
        assert rows[0].duration_ms is None
        assert rows[1].visibility is AssetVisibility.ARCHIVE
    short = TimeBucketAssets.model_validate({"id": ["a"]})
    assert short.assets()[0].is_image


def test_name_helpers() -> None:
    """Queue and job names convert between Immich's and the integration's spelling."""
    assert to_snake("thumbnailGeneration") == "thumbnail_generation"
    assert to_snake("ocr") == "ocr"
    assert to_snake("memory-create") == "memory_create"
    assert to_camel("thumbnail_generation") == "thumbnailGeneration"
    assert to_camel("thumbnailGeneration") == "thumbnailGeneration"
    assert to_camel("some_future_queue") == "someFutureQueue"
    assert to_kebab("memory_create") == "memory-create"
    assert to_kebab("backupDatabase") == "backup-database"
    for name in ("integrityCheck", "backgroundTask", "storageTemplateMigration"):
        assert to_camel(to_snake(name)) == name


def test_server_version_order() -> None:
    """Versions compare like tuples and print as text."""
    assert ServerVersion(2, 4, 0) > ServerVersion(2, 3, 9)
    assert ServerVersion(3, 0, 0) >= ServerVersion(2, 99, 99)
    assert str(ServerVersion(2, 7, 3)) == "2.7.3"


def test_dialect_gate() -> None:
    """The version gate picks the right requests for each version."""
    v2 = Dialect(ServerVersion(2, 7, 3))
    v23 = Dialect(ServerVersion(2, 3, 0))
    v3 = Dialect(ServerVersion(3, 0, 3))
    assert not Dialect(ServerVersion(1, 118, 0)).is_supported
    assert v2.is_supported
    assert v2.has_queues_api
    assert not v23.has_queues_api
    assert v2.upload_needs_device_fields
    assert not v3.upload_needs_device_fields
    assert v2.album_list_query(None) == {}
    assert v2.album_list_query(True) == {"shared": True}
    assert v3.album_list_query(None) == {"isOwned": True}
    assert v3.album_list_query(True) == {"isShared": True}
    assert v3.album_list_query(False) == {"isOwned": True, "isShared": False}
    assert "memory_create" in v2.manual_jobs
    assert "integrity_missing_files" not in v2.manual_jobs
    assert "integrity_missing_files" in v3.manual_jobs
    assert v2.album_get_query() == {"withoutAssets": True}
    assert v3.album_get_query() == {}
    day = date(2024, 2, 29)
    assert v2.memory_day(day) == "2024-02-29T12:00:00+00:00"
    assert v3.memory_day(day) == "2024-02-29"
