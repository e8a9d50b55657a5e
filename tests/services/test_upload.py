"""Tests of the upload action."""

from __future__ import annotations

from datetime import UTC, datetime
import hashlib
import os
from pathlib import Path
from unittest.mock import Mock

from PIL import ExifTags, Image
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    mock_integration,
    mock_platform,
)
import voluptuous as vol

from fake_immich import FakeImmich
from homeassistant.components.media_source import MediaSource, MediaSourceItem, PlayMedia
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component

from .conftest import add_entry, call, calls, changes, last, make_jpeg

TAKEN = datetime(2021, 7, 4, 10, 30)


async def test_upload_new_file(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """A new JPEG is checked, streamed once, and dated from its EXIF in Home Assistant's zone."""
    photo = make_jpeg(allowed_dir / "doorbell.jpg", taken=TAKEN)
    immich.clear_requests()

    response = await call(hass, "upload", {"file": str(photo)})

    assert response is not None
    assert response["status"] == "created"
    assert response["album_id"] is None
    assert calls(immich) == [("POST", "/assets/bulk-upload-check"), ("POST", "/assets")]
    checksum = hashlib.sha1(photo.read_bytes()).hexdigest()
    assert last(immich, "POST", "/assets/bulk-upload-check").json == {
        "assets": [{"id": "doorbell.jpg", "checksum": checksum}]
    }
    assert last(immich, "POST", "/assets").headers["x-immich-checksum"] == checksum
    asset = immich.library.assets[str(response["asset_id"])]
    assert asset.file_name == "doorbell.jpg"
    # 10:30 in US/Pacific (the test configuration's zone) in July is 17:30 UTC.
    assert asset.taken_at == datetime(2021, 7, 4, 17, 30, tzinfo=UTC)
    assert asset.size == photo.stat().st_size
    assert not asset.is_favorite


async def test_upload_uses_exif_offset(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """An EXIF time offset wins over Home Assistant's time zone."""
    photo = make_jpeg(allowed_dir / "paris.jpg", taken=TAKEN, offset="+02:00")

    response = await call(hass, "upload", {"file": str(photo)})

    assert response is not None
    asset = immich.library.assets[str(response["asset_id"])]
    assert asset.taken_at == datetime(2021, 7, 4, 8, 30, tzinfo=UTC)


async def test_upload_without_exif_uses_mtime(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """A file without an EXIF date is dated by its modification time."""
    video = allowed_dir / "clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2048))
    mtime = datetime(2019, 3, 2, 8, 15, tzinfo=UTC).timestamp()
    os.utime(video, (mtime, mtime))
    photo = make_jpeg(allowed_dir / "plain.jpg", color=(1, 2, 3))
    os.utime(photo, (mtime + 60, mtime + 60))

    video_response = await call(hass, "upload", {"file": str(video)})
    photo_response = await call(hass, "upload", {"file": str(photo)})

    assert video_response is not None
    assert photo_response is not None
    video_asset = immich.library.assets[str(video_response["asset_id"])]
    assert video_asset.taken_at == datetime(2019, 3, 2, 8, 15, tzinfo=UTC)
    assert video_asset.type == "VIDEO"
    photo_asset = immich.library.assets[str(photo_response["asset_id"])]
    assert photo_asset.taken_at == datetime(2019, 3, 2, 8, 16, tzinfo=UTC)


async def test_upload_with_unusable_exif_date_uses_mtime(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """Cameras without a clock write zeros as the EXIF date; the file's time is used then."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "0000:00:00 00:00:00"
    photo = allowed_dir / "zeros.jpg"
    Image.new("RGB", (32, 32), (9, 9, 9)).save(photo, "JPEG", exif=exif)
    mtime = datetime(2018, 5, 6, 7, 8, tzinfo=UTC).timestamp()
    os.utime(photo, (mtime, mtime))

    response = await call(hass, "upload", {"file": str(photo)})

    assert response is not None
    asset = immich.library.assets[str(response["asset_id"])]
    assert asset.taken_at == datetime(2018, 5, 6, 7, 8, tzinfo=UTC)


async def test_upload_duplicate_is_not_sent_again(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """A file Immich already has is reported as a duplicate and not sent again."""
    photo = make_jpeg(allowed_dir / "again.jpg", taken=TAKEN)
    first = await call(hass, "upload", {"file": str(photo)})
    immich.clear_requests()

    second = await call(hass, "upload", {"file": str(photo)})

    assert first is not None
    assert second == {"asset_id": first["asset_id"], "status": "duplicate", "album_id": None}
    assert calls(immich) == [("POST", "/assets/bulk-upload-check")]


async def test_upload_of_a_trashed_file_restores_it(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """A file Immich has in its trash comes back to the library and into the album."""
    photo = make_jpeg(allowed_dir / "deleted.jpg", taken=TAKEN)
    first = await call(hass, "upload", {"file": str(photo)})
    assert first is not None
    asset = immich.library.assets[str(first["asset_id"])]
    asset.is_trashed = True
    holidays = immich.library.find_album("Holidays", immich.admin_user_id)
    assert holidays is not None

    again = await call(hass, "upload", {"file": str(photo), "album_id": holidays.id})

    assert again == {"asset_id": asset.id, "status": "duplicate", "album_id": holidays.id}
    assert not asset.is_trashed
    assert asset.id in holidays.asset_ids


async def test_upload_of_a_trashed_file_without_asset_delete(
    hass: HomeAssistant, immich: FakeImmich, allowed_dir: Path
) -> None:
    """Without asset.delete a trashed duplicate is reported, and nothing is changed."""
    key = immich.add_key("user", ["user.read", "asset.upload", "album.read"])
    await add_entry(hass, immich, key, immich.user_user_id)
    photo = make_jpeg(allowed_dir / "binned.jpg", taken=TAKEN)
    first = await call(hass, "upload", {"file": str(photo)})
    assert first is not None
    asset = immich.library.assets[str(first["asset_id"])]
    asset.is_trashed = True
    immich.clear_requests()

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "upload", {"file": str(photo)})

    assert err.value.translation_key == "duplicate_in_trash"
    assert "asset.delete" in str(err.value)
    assert asset.is_trashed
    assert changes(immich) == []


async def test_upload_applies_favorite_visibility_description(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """Favorite and visibility travel with the upload; the description follows it."""
    photo = make_jpeg(allowed_dir / "fav.jpg", taken=TAKEN)
    immich.clear_requests()

    response = await call(
        hass,
        "upload",
        {"file": str(photo), "favorite": True, "visibility": "archive", "description": "Hi"},
    )

    assert response is not None
    asset_id = str(response["asset_id"])
    assert calls(immich) == [
        ("POST", "/assets/bulk-upload-check"),
        ("POST", "/assets"),
        ("PUT", f"/assets/{asset_id}"),
    ]
    assert last(immich, "PUT", f"/assets/{asset_id}").json == {"description": "Hi"}
    asset = immich.library.assets[asset_id]
    assert asset.is_favorite
    assert asset.visibility == "archive"
    assert asset.description == "Hi"


async def test_upload_duplicate_gets_favorite(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """Asked-for flags are applied to a duplicate too, since it was not sent."""
    photo = make_jpeg(allowed_dir / "dup.jpg", taken=TAKEN)
    first = await call(hass, "upload", {"file": str(photo)})
    assert first is not None
    asset_id = str(first["asset_id"])
    immich.clear_requests()

    second = await call(hass, "upload", {"file": str(photo), "favorite": True})

    assert second is not None
    assert second["status"] == "duplicate"
    assert calls(immich) == [("POST", "/assets/bulk-upload-check"), ("PUT", f"/assets/{asset_id}")]
    assert last(immich, "PUT", f"/assets/{asset_id}").json == {"isFavorite": True}
    assert immich.library.assets[asset_id].is_favorite


async def test_upload_creates_album_by_name(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """An album name nobody has is created, with the uploaded asset in it."""
    photo = make_jpeg(allowed_dir / "snap.jpg", taken=TAKEN)
    immich.clear_requests()

    response = await call(hass, "upload", {"file": str(photo), "album_name": "Doorbell"})

    assert response is not None
    asset_id, album_id = str(response["asset_id"]), str(response["album_id"])
    # Created empty, then filled the way an existing album is, so that Immich's answer is read.
    assert changes(immich) == [
        ("POST", "/assets"),
        ("POST", "/albums"),
        ("PUT", f"/albums/{album_id}/assets"),
    ]
    assert last(immich, "POST", "/albums").json == {"albumName": "Doorbell"}
    assert last(immich, "PUT", f"/albums/{album_id}/assets").json == {"ids": [asset_id]}
    album = immich.library.albums[album_id]
    assert album.name == "Doorbell"
    assert list(album.asset_ids) == [asset_id]

    # The next upload finds the album instead of creating another one.
    other = make_jpeg(allowed_dir / "snap2.jpg", taken=TAKEN, color=(0, 90, 0))
    immich.clear_requests()
    again = await call(hass, "upload", {"file": str(other), "album_name": "Doorbell"})
    assert again is not None
    assert again["album_id"] == album_id
    assert changes(immich) == [("POST", "/assets"), ("PUT", f"/albums/{album_id}/assets")]
    assert len(album.asset_ids) == 2


async def test_upload_into_album_by_id(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """An album id is checked before the upload and the asset added after it."""
    holidays = immich.library.find_album("Holidays", immich.admin_user_id)
    assert holidays is not None
    photo = make_jpeg(allowed_dir / "beach.jpg", taken=TAKEN)
    immich.clear_requests()

    response = await call(hass, "upload", {"file": str(photo), "album_id": holidays.id})

    assert response is not None
    assert response["album_id"] == holidays.id
    assert calls(immich)[0] == ("GET", f"/albums/{holidays.id}")
    assert changes(immich) == [("POST", "/assets"), ("PUT", f"/albums/{holidays.id}/assets")]
    assert str(response["asset_id"]) in holidays.asset_ids

    # A duplicate already in the album is fine.
    again = await call(hass, "upload", {"file": str(photo), "album_id": holidays.id})
    assert again == {"asset_id": response["asset_id"], "status": "duplicate",
                     "album_id": holidays.id}  # fmt: skip


async def test_upload_into_a_view_only_album_is_refused_first(
    hass: HomeAssistant, immich: FakeImmich, allowed_dir: Path
) -> None:
    """A viewer of a shared album cannot add to it: refused before anything is uploaded."""
    entry = await add_entry(hass, immich, immich.user_key, immich.user_user_id)
    family = immich.library.find_album("Family", immich.admin_user_id)
    assert family is not None
    family.shared_with[immich.user_user_id] = "viewer"
    photo = make_jpeg(allowed_dir / "view.jpg", taken=TAKEN)

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "upload",
            {"config_entry_id": entry.entry_id, "file": str(photo), "album_name": "Family"},
        )

    assert err.value.translation_key == "album_read_only"
    assert "Family" in str(err.value)
    assert changes(immich) == []


async def test_upload_album_refusal_is_reported(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """When Immich refuses to add the upload to the album, the action says the file is in."""
    holidays = immich.library.find_album("Holidays", immich.admin_user_id)
    assert holidays is not None
    immich.add_fault("status", path=f"^/albums/{holidays.id}/assets$", method="PUT", status=400)
    photo = make_jpeg(allowed_dir / "refused.jpg", taken=TAKEN)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "upload", {"file": str(photo), "album_id": holidays.id})

    assert err.value.translation_key == "album_add_failed"
    assert "was uploaded" in str(err.value)


@pytest.mark.parametrize(
    "extra",
    [
        {"description": "Front door"},
        {"favorite": False},
        {"album_name": "Doorbell"},
        {"album_id": "Holidays"},
    ],
)
async def test_upload_locked_with_more_is_refused_first(
    hass: HomeAssistant,
    immich: FakeImmich,
    admin: MockConfigEntry,
    allowed_dir: Path,
    extra: dict[str, object],
) -> None:
    """An API key cannot change a locked asset: what would follow the upload is refused first."""
    if "album_id" in extra:
        holidays = immich.library.find_album("Holidays", immich.admin_user_id)
        assert holidays is not None
        extra = {"album_id": holidays.id}
    photo = make_jpeg(allowed_dir / "private.jpg", taken=TAKEN)
    immich.clear_requests()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "upload", {"file": str(photo), "visibility": "locked", **extra})

    assert err.value.translation_key == "locked_upload"
    assert err.value.translation_placeholders == {"fields": next(iter(extra))}
    assert "PIN" in str(err.value)
    assert immich.requests == []


async def test_upload_locked_again_is_a_duplicate(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """A file Immich already holds locked is reported as a duplicate, though it is out of reach."""
    photo = make_jpeg(allowed_dir / "vault.jpg", taken=TAKEN)
    first = await call(hass, "upload", {"file": str(photo), "visibility": "locked"})
    assert first is not None
    asset = immich.library.assets[str(first["asset_id"])]
    assert asset.visibility == "locked"
    immich.clear_requests()

    again = await call(hass, "upload", {"file": str(photo), "visibility": "locked"})

    assert again == {"asset_id": asset.id, "status": "duplicate", "album_id": None}
    # Immich refuses the key the visibility change: the asset already is where it was asked.
    assert calls(immich) == [("POST", "/assets/bulk-upload-check"), ("PUT", f"/assets/{asset.id}")]
    assert asset.visibility == "locked"


async def test_upload_cannot_change_a_locked_duplicate(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """Uploading a file Immich holds locked cannot make it a favorite: Immich's refusal is told."""
    photo = make_jpeg(allowed_dir / "kept.jpg", taken=TAKEN)
    locked = await call(hass, "upload", {"file": str(photo), "visibility": "locked"})
    assert locked is not None
    asset = immich.library.assets[str(locked["asset_id"])]

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "upload", {"file": str(photo), "favorite": True})

    assert err.value.translation_key == "request_failed"
    assert "no asset.update access" in str(err.value)
    assert not asset.is_favorite


@pytest.mark.parametrize("album", ["album_name", "album_id"])
async def test_upload_refused_by_the_album_names_asset_and_reason(
    hass: HomeAssistant,
    immich: FakeImmich,
    admin: MockConfigEntry,
    allowed_dir: Path,
    album: str,
) -> None:
    """When Immich refuses the asset for the album, the action says so, with the asset and why.

    Immich's copy of the file is locked, so the key may not put it into an album.
    """
    photo = make_jpeg(allowed_dir / "hidden.jpg", taken=TAKEN)
    locked = await call(hass, "upload", {"file": str(photo), "visibility": "locked"})
    assert locked is not None
    asset_id = str(locked["asset_id"])
    holidays = immich.library.find_album("Holidays", immich.admin_user_id)
    assert holidays is not None
    target = {"album_name": "Doorbell"} if album == "album_name" else {"album_id": holidays.id}

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "upload", {"file": str(photo), **target})

    assert err.value.translation_key == "album_add_failed"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["asset_id"] == asset_id
    assert err.value.translation_placeholders["error"] == "no_permission"
    assert f"was uploaded (asset {asset_id})" in str(err.value)
    kept_out = immich.library.find_album("Doorbell", immich.admin_user_id) or holidays
    assert asset_id not in kept_out.asset_ids


async def test_upload_description_needs_asset_update(
    hass: HomeAssistant, immich: FakeImmich, allowed_dir: Path
) -> None:
    """A description needs asset.update: without it the upload is refused before it starts."""
    key = immich.add_key("user", ["user.read", "asset.upload", "album.read", "album.create"])
    await add_entry(hass, immich, key, immich.user_user_id)
    photo = make_jpeg(allowed_dir / "described.jpg", taken=TAKEN)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "upload", {"file": str(photo), "description": "Front door"})

    assert err.value.translation_key == "missing_permission"
    assert err.value.translation_placeholders == {"permission": "asset.update"}
    assert changes(immich) == []


async def test_upload_media_source_uri(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, tmp_path: Path
) -> None:
    """A media-source URI of local media is uploaded from its file."""
    media = tmp_path / "media"
    media.mkdir()
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs = {str(media)}
    assert await async_setup_component(hass, "media_source", {})
    make_jpeg(media / "cat.jpg", taken=TAKEN)

    response = await call(hass, "upload", {"file": "media-source://media_source/local/cat.jpg"})

    assert response is not None
    assert response["status"] == "created"
    assert immich.library.assets[str(response["asset_id"])].file_name == "cat.jpg"


class _RemoteSource(MediaSource):
    """A media source whose media lives elsewhere (it resolves to a URL only)."""

    name = "Remote"

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Resolve to a remote URL."""
        return PlayMedia("https://example.org/cat.jpg", "image/jpeg")


async def test_upload_refuses_remote_media(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry
) -> None:
    """Media that is not a local file, or does not resolve, is refused before any request."""
    assert await async_setup_component(hass, "media_source", {})
    # An integration with a media_source platform, as Home Assistant finds media sources.
    mock_integration(hass, MockModule("remote"))

    async def async_get_media_source(hass: HomeAssistant) -> MediaSource:
        return _RemoteSource("remote")

    mock_platform(hass, "remote.media_source", Mock(async_get_media_source=async_get_media_source))
    assert await async_setup_component(hass, "remote", {})
    await hass.async_block_till_done()
    immich.clear_requests()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "upload", {"file": "media-source://remote/cat.jpg"})
    assert err.value.translation_key == "media_not_local"
    assert "not local media" in str(err.value)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "upload", {"file": "media-source://nowhere/cat.jpg"})
    assert err.value.translation_key == "media_not_resolved"
    assert immich.requests == []


async def test_upload_bad_paths(
    hass: HomeAssistant,
    immich: FakeImmich,
    admin: MockConfigEntry,
    allowed_dir: Path,
    tmp_path: Path,
) -> None:
    """Paths outside the allowlist, missing files, folders and escaping links send nothing."""
    outside = make_jpeg(tmp_path / "secret.jpg", taken=TAKEN)
    escape = allowed_dir / "link.jpg"
    escape.symlink_to(outside)
    loop = allowed_dir / "loop.jpg"
    loop.symlink_to(loop)
    folder = allowed_dir / "folder"
    folder.mkdir()
    cases = {
        str(outside): ("path_not_allowed", "allowlist_external_dirs"),
        str(escape): ("path_not_allowed", "allowlist_external_dirs"),
        str(allowed_dir / ".." / "secret.jpg"): ("path_not_allowed", "allowlist_external_dirs"),
        str(allowed_dir / "missing.jpg"): ("file_not_found", "does not exist"),
        str(folder): ("not_a_file", "not a regular file"),
        str(loop): ("file_not_found", "does not exist"),
    }
    immich.clear_requests()

    for path, (key, text) in cases.items():
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "upload", {"file": path})
        assert err.value.translation_key == key, path
        assert text in str(err.value)
    assert immich.requests == []


async def test_upload_symlink_inside_allowed_dir(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """A link that stays inside the allowed directories is followed, under the given name."""
    target = make_jpeg(allowed_dir / "IMG_0001.jpg", taken=TAKEN)
    (allowed_dir / "latest.jpg").symlink_to(target)

    response = await call(hass, "upload", {"file": str(allowed_dir / "latest.jpg")})

    assert response is not None
    assert immich.library.assets[str(response["asset_id"])].file_name == "latest.jpg"


async def test_upload_bad_album_input(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """Album and option mistakes are refused before anything changes on the server."""
    photo = make_jpeg(allowed_dir / "x.jpg", taken=TAKEN)
    holidays = immich.library.find_album("Holidays", immich.admin_user_id)
    assert holidays is not None
    immich.clear_requests()
    cases = [
        ({"album_id": holidays.id, "album_name": "Holidays"}, "album_id_and_name"),
        ({"album_id": "not-a-uuid"}, "invalid_id"),
        ({"album_name": "  "}, "album_required"),
    ]
    for extra, key in cases:
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "upload", {"file": str(photo), **extra})
        assert err.value.translation_key == key
    with pytest.raises(vol.Invalid) as refused:
        await call(hass, "upload", {"file": str(photo), "visibility": "everywhere"})
    assert refused.value.path == ["visibility"]
    assert immich.requests == []

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "upload", {"file": str(photo), "album_id": "00000000-0000-4000-8000-000000000000"}
        )
    assert err.value.translation_key == "album_not_found"
    assert changes(immich) == []
    assert calls(immich) == [("GET", "/albums/00000000-0000-4000-8000-000000000000")]


async def test_upload_ambiguous_album_name(
    hass: HomeAssistant, immich: FakeImmich, admin: MockConfigEntry, allowed_dir: Path
) -> None:
    """Two albums of the same name make the name ambiguous; nothing is uploaded."""
    immich.library.create_album(immich.admin_user_id, "Holidays")
    photo = make_jpeg(allowed_dir / "y.jpg", taken=TAKEN)
    immich.clear_requests()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "upload", {"file": str(photo), "album_name": "Holidays"})

    assert err.value.translation_key == "album_name_ambiguous"
    assert "2 albums" in str(err.value)
    assert changes(immich) == []


async def test_upload_without_permission(
    hass: HomeAssistant, immich: FakeImmich, allowed_dir: Path
) -> None:
    """A key without asset.upload gets a translated error naming the permission."""
    await add_entry(hass, immich, immich.limited_key, immich.user_user_id)
    photo = make_jpeg(allowed_dir / "z.jpg", taken=TAKEN)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "upload", {"file": str(photo)})

    assert err.value.translation_key == "missing_permission"
    assert err.value.translation_placeholders == {"permission": "asset.upload"}
    assert "asset.upload" in str(err.value)
    assert changes(immich) == []
