"""Streamed asset bodies and the translation of aiohttp failures into client errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from .const import DEFAULT_CHUNK_SIZE, STREAM_RESPONSE_HEADERS
from .errors import ImmichConnectionError, ImmichError, ImmichSSLError, ImmichTimeoutError


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn aiohttp and socket failures into the client's connection errors."""
    try:
        yield
    except ImmichError:
        raise
    except aiohttp.ClientSSLError as err:
        raise ImmichSSLError(f"TLS error talking to {url}: {err}") from err
    except TimeoutError as err:
        raise ImmichTimeoutError(f"Timeout talking to {url}") from err
    except (aiohttp.ClientError, OSError) as err:
        raise ImmichConnectionError(f"Error talking to {url}: {err}") from err


def range_unsatisfiable(header: str, size: int) -> bool:
    """Tell whether a ``Range`` header asks only for bytes past the end of ``size`` (RFC 9110).

    A header that cannot be parsed is not unsatisfiable: a server ignores it.
    """
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or not ranges.strip():
        return False
    for spec in ranges.split(","):
        first, dash, last = (part.strip() for part in spec.partition("-"))
        if not dash or not (first or last) or not (first + last).isdigit():
            return False
        if first and last and int(last) < int(first):
            return False
        if first and int(first) < size:
            return False
        if not first and int(last) > 0 and size > 0:
            return False
    return True


class AssetStream:
    """An open response body from Immich, read chunk by chunk; close it when done.

    Use it as ``async with await client.get_original(asset_id) as stream:``.
    """

    def __init__(self, response: aiohttp.ClientResponse, url: str) -> None:
        self._response = response
        self._url = url
        headers: CIMultiDict[str] = CIMultiDict()
        for name in STREAM_RESPONSE_HEADERS:
            if (value := response.headers.get(name)) is not None:
                headers[name] = value
        self.headers = CIMultiDictProxy(headers)

    def __repr__(self) -> str:
        return f"<AssetStream {self.status} {self.content_type}>"

    @property
    def status(self) -> int:
        """Return the HTTP status (200, 206 for a range, 304, 416)."""
        return self._response.status

    @property
    def content_type(self) -> str:
        """Return the media type of the body."""
        return self.headers.get("content-type", "application/octet-stream")

    @property
    def content_length(self) -> int | None:
        """Return the body length in bytes, if the server sent it."""
        value = self.headers.get("content-length")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def content_range(self) -> str | None:
        """Return the Content-Range header of a partial response."""
        return self.headers.get("content-range")

    @property
    def total_size(self) -> int | None:
        """Return the length of the whole file (from Content-Range, or a 200's Content-Length)."""
        if self.status == 206 and self.content_range is not None:
            total = self.content_range.rpartition("/")[2].strip()
            return int(total) if total.isdigit() else None
        return self.content_length if self.status == 200 else None

    @property
    def etag(self) -> str | None:
        """Return the ETag header."""
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        """Return the Last-Modified header."""
        return self.headers.get("last-modified")

    @property
    def closed(self) -> bool:
        """Return whether the stream was closed."""
        return self._response.closed

    async def iter_chunks(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most ``chunk_size`` bytes."""
        with translate_errors(self._url):
            async for chunk in self._response.content.iter_chunked(chunk_size):
                yield chunk

    async def iter_any(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives, without joining or splitting what the socket gave.

        The cheapest way to pass a large body on: no byte is copied on the way.
        """
        with translate_errors(self._url):
            async for chunk in self._response.content.iter_any():
                yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.iter_chunks()

    async def read(self) -> bytes:
        """Read the whole body (only for small bodies such as thumbnails)."""
        with translate_errors(self._url):
            return await self._response.read()

    def close(self) -> None:
        """Release the connection."""
        self._response.release()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
