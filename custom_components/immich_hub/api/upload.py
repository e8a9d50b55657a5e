"""Helpers for streamed uploads: file reads and SHA-1 checksums off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import mimetypes
import os
from pathlib import Path
from typing import BinaryIO

import aiohttp
from aiohttp.payload import AsyncIterablePayload

from .const import DEFAULT_CHUNK_SIZE


@dataclass(frozen=True)
class FileInfo:
    """What an upload needs to know about a local file."""

    size: int
    modified_at: datetime
    checksum: str


def _open_binary(path: Path) -> BinaryIO:
    """Open a file for reading bytes (runs in an executor)."""
    return path.open("rb")


def read_file_info(path: Path, chunk_size: int = DEFAULT_CHUNK_SIZE) -> FileInfo:
    """Stat a file and compute its SHA-1 in constant memory (blocking: run in an executor)."""
    stat = path.stat()
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as file:
        while chunk := file.read(chunk_size):
            digest.update(chunk)
    return FileInfo(
        size=stat.st_size,
        modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
        checksum=digest.hexdigest(),
    )


def sha1_hex(data: bytes) -> str:
    """Return the SHA-1 of ``data`` in hex (blocking for large data: run in an executor)."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


async def file_chunks(path: Path, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
    """Yield a file's bytes chunk by chunk, every read in an executor."""
    loop = asyncio.get_running_loop()
    file = await loop.run_in_executor(None, _open_binary, path)
    try:
        while chunk := await loop.run_in_executor(None, file.read, chunk_size):
            yield chunk
    finally:
        await loop.run_in_executor(None, file.close)


async def bytes_chunks(data: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
    """Yield in-memory bytes chunk by chunk."""
    view = memoryview(data)
    for start in range(0, len(view), chunk_size):
        yield bytes(view[start : start + chunk_size])


def guess_content_type(filename: str) -> str:
    """Guess a file's media type from its name."""
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def format_timestamp(moment: datetime) -> str:
    """Format a timestamp the way Immich expects it (ISO 8601, UTC when naive)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def device_asset_id(filename: str, checksum: str | None) -> str:
    """Build the ``deviceAssetId`` 2.x requires, stable for the same file."""
    suffix = checksum or datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"{os.path.basename(filename)}-{suffix}".replace(" ", "")


def build_form(
    fields: dict[str, str],
    chunks: AsyncIterable[bytes],
    filename: str,
    content_type: str,
) -> aiohttp.MultipartWriter:
    """Build a multipart/form-data body with text fields and a streamed ``assetData`` part."""
    writer = aiohttp.MultipartWriter("form-data")
    for name, value in fields.items():
        part = writer.append(value, {"Content-Type": "text/plain; charset=utf-8"})
        part.set_content_disposition("form-data", name=name)
    payload = AsyncIterablePayload(chunks, content_type=content_type)
    payload.set_content_disposition("form-data", name="assetData", filename=filename)
    writer.append_payload(payload)
    return writer
