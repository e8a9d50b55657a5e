"""Contract: uploads, assets and their media, made on both sides from the same files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import hashlib
from pathlib import Path
from typing import Any

import pytest

from custom_components.immich_hub.api import (
    AssetMediaSize,
    AssetStream,
    ImmichBadRequestError,
    ImmichError,
    UploadStatus,
)
from fake_immich.media import render_video

from .harness import Pair, Side, make_jpeg

WEAK_ETAG = 'W/"'


def _facts(stream: AssetStream, *, same_file: bool) -> dict[str, Any]:
    """Return what a player or a browser sees of a media answer.

    Lengths and ranges are compared only for the same file on both sides (originals); Immich's
    renditions differ in bytes from the fake's.
    """
    etag = stream.etag
    facts: dict[str, Any] = {
        "status": stream.status,
        "content-type": stream.content_type,
        "accept-ranges": stream.headers.get("accept-ranges"),
        "cache-control": stream.headers.get("cache-control"),
        "content-disposition": _disposition(stream.headers.get("content-disposition")),
        "etag": None if etag is None else etag.startswith(WEAK_ETAG),
        "last-modified": stream.last_modified is not None,
    }
    if same_file:
        facts["content-length"] = stream.content_length
        facts["content-range"] = stream.content_range
    else:
        facts["content-length"] = stream.content_length is not None
        facts["content-range"] = stream.content_range is not None
    return facts


def _disposition(value: str | None) -> str | None:
    """Return the kind of a Content-Disposition and how it names the file, without the name."""
    if value is None:
        return None
    kind, _, name = value.partition(";")
    return f"{kind.strip()}; {name.strip().split('=')[0]}=..."


def _media(
    open_stream: Callable[[Side], Awaitable[AssetStream]], *, same_file: bool = False
) -> Callable[[Side], Awaitable[dict[str, Any]]]:
    """Return a call that opens a media stream, reads it and returns its facts."""

    async def call(side: Side) -> dict[str, Any]:
        async with await open_stream(side) as stream:
            await stream.read()
            return _facts(stream, same_file=same_file)

    return call


async def _upload_photo(pair: Pair) -> bytes:
    """Upload the same new photo to both sides as ``photo``; return its bytes."""
    data = make_jpeg()
    for side in pair.sides:
        side.ids["photo"] = await side.upload(data, "contract.jpg")
    return data


async def test_upload_duplicate_and_check(pair: Pair, tmp_path: Path) -> None:
    """A new file is created, the same file again is a duplicate; the check says which."""
    data = make_jpeg()
    path = tmp_path / "contract-file.jpg"
    path.write_bytes(data)

    async def upload(side: Side) -> Any:
        result = await side.admin.upload_file(path)
        if side.is_real:
            side.cleanups.append(
                lambda: side.raw("DELETE", "/assets", body={"ids": [result.id], "force": True})
            )
        side.ids["photo"] = result.id
        return result

    fake, real = await pair.compare(upload)
    assert fake.status == real.status == UploadStatus.CREATED
    await pair.real.wait_for_thumbnail(pair.real.ids["photo"])
    fake, real = await pair.compare(
        lambda side: side.admin.upload_bytes(data, filename="again.jpg")
    )
    assert fake.status == real.status == UploadStatus.DUPLICATE
    assert not fake.in_trash
    assert not real.in_trash

    async def stream() -> AsyncIterator[bytes]:
        yield data

    # A stream without a checksum is sent as it is: Immich itself finds the duplicate.
    fake, real = await pair.compare(
        lambda side: side.admin.upload_bytes(stream(), filename="streamed.jpg")
    )
    assert fake.status == real.status == UploadStatus.DUPLICATE
    assert fake.id == pair.fake.ids["photo"]
    assert real.id == pair.real.ids["photo"]
    other = make_jpeg()
    fake, real = await pair.compare(
        lambda side: side.admin.check_uploads({"known": _sha1(data), "new": _sha1(other)})
    )
    assert [(c.id, c.action) for c in fake] == [(c.id, c.action) for c in real]


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


async def test_upload_as_favorite_into_the_archive(pair: Pair) -> None:
    """An upload that says favorite and archive is stored so."""
    data = make_jpeg()

    async def upload(side: Side) -> Any:
        result = await side.admin.upload_bytes(
            data, filename="contract.jpg", is_favorite=True, visibility="archive"
        )
        if side.is_real:
            side.cleanups.append(
                lambda: side.raw("DELETE", "/assets", body={"ids": [result.id], "force": True})
            )
        side.ids["photo"] = result.id
        return result

    await pair.compare(upload)
    await pair.real.wait_for_thumbnail(pair.real.ids["photo"])
    fake, real = await pair.compare(lambda side: side.admin.get_asset(side.ids["photo"]))
    assert (fake.is_favorite, fake.visibility) == (real.is_favorite, real.visibility)
    assert (real.is_favorite, real.visibility) == (True, "archive")


async def test_asset_read_update_statistics(pair: Pair) -> None:
    """One photo, read, changed the ways the integration changes it, and counted."""
    await _upload_photo(pair)
    await pair.compare(lambda side: side.admin.get_asset(side.ids["photo"]))
    await pair.compare(
        lambda side: side.admin.update_asset(
            side.ids["photo"], is_favorite=True, description="Contract", rating=4
        )
    )
    await pair.compare(
        lambda side: side.admin.update_asset(side.ids["photo"], visibility="archive")
    )
    await pair.compare(lambda side: side.admin.get_asset(side.ids["photo"]))
    await pair.compare(lambda side: side.admin.get_asset_statistics())
    await pair.compare(lambda side: side.admin.get_asset_statistics(is_favorite=True))
    await pair.compare(lambda side: side.admin.get_asset_statistics(visibility="archive"))
    await pair.compare(lambda side: side.user.get_asset_statistics(is_trashed=True))


@pytest.mark.parametrize("size", list(AssetMediaSize))
async def test_renditions(pair: Pair, size: AssetMediaSize) -> None:
    """Thumbnail, preview and full size of a photo: type, caching, conditional requests."""
    await _upload_photo(pair)
    fake, real = await pair.compare(
        _media(lambda side: side.admin.get_thumbnail(side.ids["photo"], size=size))
    )
    assert fake == real

    async def revalidate(side: Side) -> dict[str, Any]:
        async with await side.admin.get_thumbnail(side.ids["photo"], size=size) as first:
            etag = first.etag
        assert etag
        opened = side.admin.get_thumbnail(
            side.ids["photo"], size=size, headers={"If-None-Match": etag}
        )
        return await _media(lambda _: opened)(side)

    fake, real = await pair.compare(revalidate)
    assert fake == real


@pytest.mark.parametrize("asked", [None, "bytes=0-9", "bytes=-5", "bytes=10-", "bytes=0-99999999"])
async def test_original(pair: Pair, asked: str | None) -> None:
    """The original file, whole or a range of it, as a video player asks."""
    await _upload_photo(pair)
    headers = {"Range": asked} if asked else None
    fake, real = await pair.compare(
        _media(
            lambda side: side.admin.get_original(side.ids["photo"], headers=headers),
            same_file=True,
        )
    )
    assert fake == real


@pytest.mark.parametrize("asked", ["bytes=99999999-", "bytes=5-2"])
async def test_range_that_cannot_be_served(pair: Pair, asked: str) -> None:
    """A range past the end (or backwards): Immich 2.7 answers 500, 3.0 404, not 416."""
    await _upload_photo(pair)
    fake, real = await pair.run(
        lambda side: side.raw(
            "GET", f"/assets/{side.ids['photo']}/original", headers={"Range": asked}
        )
    )
    pair.assert_same(fake.exchanges, real.exchanges)
    assert fake.result.message == real.result.message
    assert fake.result.headers.get("content-range") == real.result.headers.get("content-range")
    fake, real = await pair.run(
        lambda side: side.admin.get_original(side.ids["photo"], headers={"Range": asked})
    )
    assert type(fake.error) is type(real.error)
    assert isinstance(real.error, ImmichError)


@pytest.fixture
async def video(pair: Pair) -> None:
    """Upload the same short MP4 to both sides as ``video``."""
    data = render_video("contract", seconds=1)
    for side in pair.sides:
        side.ids["video"] = await side.upload(data, "contract.mp4")


@pytest.mark.usefixtures("video")
async def test_video(pair: Pair) -> None:
    """A video: its asset, its playback (whole and a range) and the type served."""
    await pair.compare(lambda side: side.admin.get_asset(side.ids["video"]))
    fake, real = await pair.compare(_media(lambda side: side.admin.get_video(side.ids["video"])))
    assert fake == real
    fake, real = await pair.compare(
        _media(
            lambda side: side.admin.get_video(side.ids["video"], headers={"Range": "bytes=0-99"})
        )
    )
    assert fake == real
    fake, real = await pair.compare(lambda side: side.admin.get_video_type(side.ids["video"]))
    assert fake == real
    for size in AssetMediaSize:  # the full size of a video is its preview
        fake, real = await pair.compare(
            _media(lambda side, size=size: side.admin.get_thumbnail(side.ids["video"], size=size))
        )
        assert fake == real


async def test_video_of_a_photo(pair: Pair) -> None:
    """Playback of a photo is refused."""
    await _upload_photo(pair)
    await pair.compare_error(lambda side: side.admin.get_video(side.ids["photo"]), ImmichError)


async def test_trash_and_restore(pair: Pair) -> None:
    """A trashed upload is reported as a duplicate in the trash, then restored."""
    data = await _upload_photo(pair)
    for side in pair.sides:
        if side.fake is not None:
            side.fake.library.assets[side.ids["photo"]].is_trashed = True
        else:
            trashed = await side.raw("DELETE", "/assets", body={"ids": [side.ids["photo"]]})
            assert trashed.status == 204
    fake, real = await pair.compare(
        lambda side: side.admin.upload_bytes(data, filename="again.jpg")
    )
    assert fake.in_trash
    assert real.in_trash
    fake, real = await pair.compare(lambda side: side.admin.restore_from_trash([side.ids["photo"]]))
    assert fake == real == 1


async def test_locked_photo(pair: Pair) -> None:
    """A photo moved to the locked folder is out of every API key's reach, but still known."""
    data = await _upload_photo(pair)
    for side in pair.sides:
        if side.is_real:
            photo = side.ids["photo"]
            side.cleanups.append(lambda side=side, photo=photo: side.delete_locked([photo]))
    await pair.compare(lambda side: side.admin.update_asset(side.ids["photo"], visibility="locked"))
    await pair.compare_error(
        lambda side: side.admin.update_asset(side.ids["photo"], is_favorite=True),
        ImmichBadRequestError,
    )
    await pair.compare_error(
        lambda side: side.admin.get_asset(side.ids["photo"]), ImmichBadRequestError
    )
    await pair.compare_error(
        _media(lambda side: side.admin.get_thumbnail(side.ids["photo"])),
        ImmichBadRequestError,
    )

    async def album_with(side: Side) -> list[Any]:
        made = await side.admin.create_album("Contract locked")
        if side.is_real:
            side.cleanups.append(lambda: side.raw("DELETE", f"/albums/{made.id}"))
        return await side.admin.add_assets_to_album(made.id, [side.ids["photo"]])

    fake, real = await pair.compare(album_with)
    assert [(r.success, r.error) for r in fake] == [(r.success, r.error) for r in real]
    fake, real = await pair.compare(
        lambda side: side.admin.upload_bytes(data, filename="again.jpg")
    )
    assert fake.status == real.status == UploadStatus.DUPLICATE
