"""Constants and name helpers of the Immich client."""

from __future__ import annotations

from enum import StrEnum
import re

API_PATH = "/api"
HEADER_API_KEY = "x-api-key"
HEADER_CHECKSUM = "x-immich-checksum"
HEADER_CORRELATION_IDS = ("x-immich-cid", "x-correlation-id")
"""Where Immich puts a response's correlation id: 2.x, then 3.x."""

DEFAULT_TIMEOUT = 10.0
DEFAULT_CHUNK_SIZE = 64 * 1024
# Read buffer of a streamed body: aiohttp's 64 KiB default pauses the socket so often that a
# proxied video runs at a fraction of the network's speed.
STREAM_READ_BUFFER = 1024 * 1024
DEVICE_ID = "immich-hub"

# Request headers an asset stream passes through to Immich (Range and conditional requests).
STREAM_REQUEST_HEADERS = ("range", "if-range", "if-none-match", "if-modified-since")
# Response headers an asset stream exposes to its caller.
STREAM_RESPONSE_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "content-disposition",
    "etag",
    "last-modified",
    "accept-ranges",
    "cache-control",
)

# Manual jobs (``POST /jobs``) every supported server knows, in snake_case.
MANUAL_JOBS = (
    "person_cleanup",
    "tag_cleanup",
    "user_cleanup",
    "memory_cleanup",
    "memory_create",
    "backup_database",
)
# Manual jobs added in Immich 3.0.
MANUAL_JOBS_V3 = (
    "integrity_missing_files",
    "integrity_untracked_files",
    "integrity_checksum_mismatch",
    "integrity_missing_files_refresh",
    "integrity_untracked_files_refresh",
    "integrity_checksum_mismatch_refresh",
    "integrity_missing_files_delete_all",
    "integrity_untracked_files_delete_all",
    "integrity_checksum_mismatch_delete_all",
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class QueueCommand(StrEnum):
    """Commands a job queue accepts (snake_case, as the integration uses them)."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    EMPTY = "empty"
    CLEAR_FAILED = "clear_failed"


class AssetMediaSize(StrEnum):
    """Sizes of an asset's generated image."""

    THUMBNAIL = "thumbnail"
    PREVIEW = "preview"
    FULLSIZE = "fullsize"


def to_snake(name: str) -> str:
    """Turn an Immich camelCase (or kebab-case) name into snake_case."""
    return _CAMEL_BOUNDARY.sub("_", name).replace("-", "_").lower()


def to_camel(name: str) -> str:
    """Turn a snake_case name into Immich's camelCase; camelCase stays as it is."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def to_kebab(name: str) -> str:
    """Turn a snake_case or camelCase name into Immich's kebab-case (manual job names)."""
    return to_snake(name).replace("_", "-")


SMART_SEARCH_TIMEOUT_FACTOR = 6
"""A smart search may wait this many request timeouts: Immich loads its CLIP model on demand."""
