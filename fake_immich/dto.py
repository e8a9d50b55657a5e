"""Turn library objects into Immich response DTOs, in the 2.x or 3.x dialect.

Only the dialect differences the specs declare are modelled here; the response validator checks
the result against the spec on every request, so a drift shows up as a violation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .library import THUMBHASH, Album, ApiKey, Asset, Library, Memory, Person, Tag, User


def iso(value: datetime) -> str:
    """Format like JavaScript's Date.toISOString(): milliseconds and a `Z`."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


def duration_v2(ms: int | None) -> str:
    """Format a duration as Immich 2 stores it ("0:00:12.345000"; images "0:00:00.00000")."""
    if not ms:
        return "0:00:00.00000"
    total = ms / 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{seconds:09.6f}"


class Dto:
    """DTO builders bound to a library and an API version."""

    def __init__(self, library: Library, api_version: str) -> None:
        self.library = library
        self.v3 = not api_version.startswith("2.")

    # --- users ---------------------------------------------------------------------------------

    def user(self, user: User) -> dict[str, Any]:
        """Build a UserResponseDto."""
        return {
            "avatarColor": user.avatar_color,
            "email": user.email,
            "id": user.id,
            "name": user.name,
            "profileChangedAt": iso(user.created_at),
            "profileImagePath": "",
        }

    def user_admin(self, user: User) -> dict[str, Any]:
        """Build a UserAdminResponseDto."""
        usage = sum(self.library.file_size(a) for a in self.library.owned_assets(user.id) if a.size)
        return {
            **self.user(user),
            "createdAt": iso(user.created_at),
            "deletedAt": None,
            "isAdmin": user.is_admin,
            "license": None,
            "oauthId": "",
            "quotaSizeInBytes": user.quota_size,
            "quotaUsageInBytes": usage,
            "shouldChangePassword": False,
            "status": "active",
            "storageLabel": user.storage_label,
            "updatedAt": iso(user.created_at),
        }

    def api_key(self, key: ApiKey) -> dict[str, Any]:
        """Build an API key response (never the secret)."""
        return {
            "createdAt": iso(key.created_at),
            "id": key.id,
            "name": key.name,
            "permissions": list(key.permissions),
            "updatedAt": iso(key.created_at),
        }

    # --- assets --------------------------------------------------------------------------------

    def exif(self, asset: Asset) -> dict[str, Any]:
        """Build an ExifResponseDto."""
        return {
            "city": asset.city,
            "country": asset.country,
            "dateTimeOriginal": iso(asset.taken_at),
            "description": asset.description,
            "exifImageHeight": asset.height,
            "exifImageWidth": asset.width,
            "exposureTime": "1/125" if asset.make else None,
            "fNumber": 2.8 if asset.make else None,
            "fileSizeInByte": asset.size or None,
            "focalLength": 35.0 if asset.make else None,
            "iso": 200 if asset.make else None,
            "latitude": asset.latitude,
            "lensModel": None,
            "longitude": asset.longitude,
            "make": asset.make,
            "model": asset.model,
            "modifyDate": iso(asset.modified_at),
            "orientation": "1" if asset.is_image else None,
            "projectionType": None,
            "rating": asset.rating,
            "state": None,
            "timeZone": "UTC",
        }

    def asset(
        self,
        asset: Asset,
        *,
        with_exif: bool = False,
        with_people: bool = False,
        with_tags: bool = False,
        with_owner: bool = False,
        with_stack: bool = False,
    ) -> dict[str, Any]:
        """Build an AssetResponseDto.

        As Immich's mapAsset: ``people`` is always there (empty unless faces were loaded, which
        ``with_people`` means), as is the deprecated ``resized``; 2.x adds ``unassignedFaces``
        when faces were loaded; ``stack`` (null: no stack) only for ``GET /assets/{id}``.
        """
        lib = self.library
        dto: dict[str, Any] = {
            "checksum": lib.checksum(asset),
            "createdAt": iso(asset.created_at),
            "duplicateId": None,
            "fileCreatedAt": iso(asset.taken_at),
            "fileModifiedAt": iso(asset.taken_at),
            "hasMetadata": True,
            "height": asset.height,
            "id": asset.id,
            "isArchived": asset.visibility == "archive",
            "isEdited": False,
            "isFavorite": asset.is_favorite,
            "isOffline": False,
            "isTrashed": asset.is_trashed,
            "libraryId": None,
            "livePhotoVideoId": None,
            "localDateTime": iso(asset.taken_at),
            "originalFileName": asset.file_name,
            "originalMimeType": asset.mime,
            "originalPath": f"/data/library/{asset.owner_id}/{asset.file_name}",
            "ownerId": asset.owner_id,
            "resized": True,
            "thumbhash": THUMBHASH,
            "type": asset.type,
            "updatedAt": iso(asset.modified_at),
            "visibility": asset.visibility,
            "width": asset.width,
        }
        if self.v3:
            dto["duration"] = asset.duration_ms if not asset.is_image else None
        else:
            dto["duration"] = duration_v2(asset.duration_ms)
            dto["deviceAssetId"] = f"web-{asset.file_name}"
            dto["deviceId"] = "WEB"
        if with_exif:
            dto["exifInfo"] = self.exif(asset)
        people = [lib.people[p] for p in asset.person_ids if p in lib.people] if with_people else []
        if self.v3:
            dto["people"] = [self.person(p) for p in people]
        else:
            dto["people"] = [{**self.person(p), "faces": [self._face(asset, p)]} for p in people]
            if with_people:
                dto["unassignedFaces"] = []
        if with_stack:
            dto["stack"] = None
        if with_tags:
            dto["tags"] = [self.tag(lib.tags[t]) for t in asset.tag_ids if t in lib.tags]
        if with_owner and asset.owner_id in lib.users:
            dto["owner"] = self.user(lib.users[asset.owner_id])
        return dto

    def upload_ready(self, asset: Asset) -> dict[str, Any]:
        """Build the payload of the websocket's AssetUploadReadyV1 (2.x) / V2 (3.x) event."""
        duration = None if asset.is_image else self.asset(asset)["duration"]
        ready: dict[str, Any] = {
            "id": asset.id,
            "ownerId": asset.owner_id,
            "originalFileName": asset.file_name,
            "thumbhash": THUMBHASH,
            "checksum": self.library.checksum(asset),
            "fileCreatedAt": iso(asset.taken_at),
            "fileModifiedAt": iso(asset.taken_at),
            "localDateTime": iso(asset.taken_at),
            "duration": duration,
            "type": asset.type,
            "deletedAt": None,
            "isFavorite": asset.is_favorite,
            "visibility": asset.visibility,
            "livePhotoVideoId": None,
            "stackId": None,
            "libraryId": None,
            "width": asset.width,
            "height": asset.height,
            "isEdited": False,
        }
        if self.v3:
            ready["createdAt"] = iso(asset.created_at)
        exif = {**self.exif(asset), "assetId": asset.id, "profileDescription": None, "fps": None}
        return {"asset": ready, "exif": exif}

    @staticmethod
    def _face(asset: Asset, person: Person) -> dict[str, Any]:
        seed = int(person.id[:4], 16) % 100
        return {
            "boundingBoxX1": 100 + seed,
            "boundingBoxX2": 300 + seed,
            "boundingBoxY1": 120 + seed,
            "boundingBoxY2": 320 + seed,
            "id": person.id[:-12] + asset.id[-12:],
            "imageHeight": asset.height,
            "imageWidth": asset.width,
            "sourceType": "machine-learning",
        }

    # --- albums --------------------------------------------------------------------------------

    def album(
        self, album: Album, *, with_assets: bool = False, listed: bool = True
    ) -> dict[str, Any]:
        """Build an AlbumResponseDto (2.x carries owner and maybe assets, 3.x does not).

        ``listed``: as ``GET /albums`` and ``GET /albums/{id}`` send it, with the timestamp of
        the last changed asset; an album just created or changed comes without.
        """
        lib = self.library
        owner = lib.users[album.owner_id]
        assets = [lib.assets[a] for a in album.asset_ids if a in lib.assets]
        taken = [a.taken_at for a in assets]
        album_users = [
            {"role": role, "user": self.user(lib.users[uid])}
            for uid, role in album.shared_with.items()
            if uid in lib.users
        ]
        dto: dict[str, Any] = {
            "albumName": album.name,
            "albumThumbnailAssetId": album.thumbnail_id
            if album.thumbnail_id in album.asset_ids
            else None,
            "assetCount": len(assets),
            "createdAt": iso(album.created_at),
            "description": album.description,
            "hasSharedLink": False,
            "id": album.id,
            "isActivityEnabled": album.is_activity_enabled,
            "order": album.order,
            "shared": bool(album.shared_with),
            "updatedAt": iso(album.updated_at),
        }
        if taken:
            dto["startDate"] = iso(min(taken))
            dto["endDate"] = iso(max(taken))
            if listed:
                dto["lastModifiedAssetTimestamp"] = iso(max(a.modified_at for a in assets))
        if self.v3:
            dto["albumUsers"] = [{"role": "owner", "user": self.user(owner)}, *album_users]
        else:
            dto["albumUsers"] = album_users
            dto["owner"] = self.user(owner)
            dto["ownerId"] = owner.id
            # Immich 2.x embeds each asset with its EXIF data (faces are not loaded).
            dto["assets"] = [self.asset(a, with_exif=True) for a in assets] if with_assets else []
        return dto

    # --- memories, people, tags ----------------------------------------------------------------

    def memory(self, memory: Memory) -> dict[str, Any]:
        """Build a MemoryResponseDto.

        As Immich: its assets in the timeline, oldest first, without EXIF data or faces.
        """
        lib = self.library
        shown = [lib.assets[a] for a in memory.asset_ids if a in lib.assets]
        shown = [a for a in shown if a.visibility == "timeline" and not a.is_trashed]
        dto: dict[str, Any] = {
            "assets": [self.asset(a) for a in sorted(shown, key=lambda a: a.taken_at)],
            "createdAt": iso(memory.created_at),
            "data": {"year": memory.year},
            "hideAt": iso(memory.hide_at),
            "id": memory.id,
            "isSaved": memory.is_saved,
            "memoryAt": iso(memory.memory_at),
            "ownerId": memory.owner_id,
            "showAt": iso(memory.show_at),
            "type": "on_this_day",
            "updatedAt": iso(memory.created_at),
        }
        if memory.seen_at is not None:
            dto["seenAt"] = iso(memory.seen_at)
        return dto

    def person(self, person: Person) -> dict[str, Any]:
        """Build a PersonResponseDto."""
        dto: dict[str, Any] = {
            "birthDate": person.birth_date.isoformat() if person.birth_date else None,
            "id": person.id,
            "isFavorite": person.is_favorite,
            "isHidden": person.is_hidden,
            "name": person.name,
            "thumbnailPath": f"/data/thumbs/{person.owner_id}/{person.id}.jpeg",
            "updatedAt": iso(person.updated_at),
        }
        if person.color:
            dto["color"] = person.color
        return dto

    def tag(self, tag: Tag) -> dict[str, Any]:
        """Build a TagResponseDto."""
        dto: dict[str, Any] = {
            "createdAt": iso(tag.created_at),
            "id": tag.id,
            "name": tag.name,
            "updatedAt": iso(tag.created_at),
            "value": tag.value,
        }
        if tag.parent_id:
            dto["parentId"] = tag.parent_id
        if tag.color:
            dto["color"] = tag.color
        return dto

    # --- timeline ------------------------------------------------------------------------------

    def time_bucket(self, assets: list[Asset], *, with_coordinates: bool = False) -> dict[str, Any]:
        """Build a TimeBucketAssetResponseDto (columnar arrays).

        As Immich: coordinates only when asked for, and each asset's ``status``, which the spec
        does not declare.
        """
        dto: dict[str, Any] = {
            "city": [a.city for a in assets],
            "country": [a.country for a in assets],
            "duration": [
                (a.duration_ms if self.v3 else duration_v2(a.duration_ms))
                if not a.is_image
                else None
                for a in assets
            ],
            "fileCreatedAt": [iso(a.taken_at) for a in assets],
            "id": [a.id for a in assets],
            "isFavorite": [a.is_favorite for a in assets],
            "isImage": [a.is_image for a in assets],
            "isTrashed": [a.is_trashed for a in assets],
            "livePhotoVideoId": [None for _ in assets],
            "localOffsetHours": [0 for _ in assets],
            "ownerId": [a.owner_id for a in assets],
            "projectionType": [None for _ in assets],
            "ratio": [a.width / a.height if a.height else 1 for a in assets],
            "status": ["trashed" if a.is_trashed else "active" for a in assets],
            "thumbhash": [THUMBHASH for _ in assets],
            "visibility": [a.visibility for a in assets],
        }
        if with_coordinates:
            dto["latitude"] = [a.latitude for a in assets]
            dto["longitude"] = [a.longitude for a in assets]
        if self.v3:
            dto["createdAt"] = [iso(a.created_at) for a in assets]
        return dto


def local_midnight(value: datetime) -> datetime:
    """Return midnight UTC of a datetime's day."""
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def day_window(value: datetime) -> tuple[datetime, datetime]:
    """Return the [start, end) UTC window of a datetime's day."""
    start = local_midnight(value)
    return start, start + timedelta(days=1)
