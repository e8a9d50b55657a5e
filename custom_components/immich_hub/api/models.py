"""Typed models of Immich's responses, tolerant of both the 2.x and the 3.x dialect.

Every model ignores fields it does not know, and every enum-like field keeps a value it does
not know as a plain string, so a newer server does not break the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator
from pydantic.alias_generators import to_camel

from .const import to_snake

_VERSION_RE = re.compile(r"v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?")
_DURATION_RE = re.compile(r"(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)")


@dataclass(frozen=True, order=True)
class ServerVersion:
    """An Immich server version; compares like a tuple."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @classmethod
    def parse(cls, text: str) -> ServerVersion | None:
        """Return the version in text such as ``v2.7.4`` or ``3.0.3-rc.1``, or None."""
        found = _VERSION_RE.match(text.strip())
        if found is None:
            return None
        return cls(int(found["major"]), int(found["minor"]), int(found["patch"] or 0))


class AssetType(StrEnum):
    """Kinds of assets."""

    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    AUDIO = "AUDIO"
    OTHER = "OTHER"


class AssetVisibility(StrEnum):
    """Where an asset is shown."""

    ARCHIVE = "archive"
    TIMELINE = "timeline"
    HIDDEN = "hidden"
    LOCKED = "locked"


class AssetOrder(StrEnum):
    """Sort order of assets."""

    ASC = "asc"
    DESC = "desc"


class AlbumUserRole(StrEnum):
    """Role of a user in an album (``owner`` appears in 3.x)."""

    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


class MemoryType(StrEnum):
    """Kinds of memories."""

    ON_THIS_DAY = "on_this_day"


class UploadStatus(StrEnum):
    """Outcome of an upload (``replaced`` exists only in 2.x)."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    REPLACED = "replaced"


class Permission(StrEnum):
    """API key permissions the integration cares about (any other value is kept as text)."""

    ALL = "all"
    ALBUM_READ = "album.read"
    ALBUM_CREATE = "album.create"
    ALBUM_UPDATE = "album.update"
    ALBUM_DELETE = "album.delete"
    ALBUM_STATISTICS = "album.statistics"
    ALBUM_ASSET_CREATE = "albumAsset.create"
    ALBUM_ASSET_DELETE = "albumAsset.delete"
    ASSET_READ = "asset.read"
    ASSET_UPDATE = "asset.update"
    ASSET_VIEW = "asset.view"
    ASSET_DOWNLOAD = "asset.download"
    ASSET_UPLOAD = "asset.upload"
    ASSET_STATISTICS = "asset.statistics"
    JOB_CREATE = "job.create"
    JOB_READ = "job.read"
    MEMORY_READ = "memory.read"
    MEMORY_STATISTICS = "memory.statistics"
    PERSON_READ = "person.read"
    QUEUE_READ = "queue.read"
    QUEUE_UPDATE = "queue.update"
    QUEUE_JOB_DELETE = "queueJob.delete"
    SERVER_ABOUT = "server.about"
    SERVER_STATISTICS = "server.statistics"
    SERVER_STORAGE = "server.storage"
    SERVER_VERSION_CHECK = "server.versionCheck"
    TAG_READ = "tag.read"
    TIMELINE_READ = "timeline.read"
    USER_READ = "user.read"


def _parse_duration_ms(value: Any) -> Any:
    """Read a duration as milliseconds: 3.x sends an integer, 2.x a string like ``0:01:02.5``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        # A duration that is no finite number is as good as none.
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if match := _DURATION_RE.fullmatch(text):
            seconds = int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"])
            return round(seconds * 1000)
        if text.isdigit():
            return int(text)
        return None
    return value


def _round_number(value: Any) -> Any:
    """Accept 2.x's floating point pixel sizes as integers."""
    if isinstance(value, float) and math.isfinite(value):
        return round(value)
    return value


def _none_to_empty(value: Any) -> Any:
    """Treat a null text as empty text."""
    return "" if value is None else value


DurationMs = Annotated[int | None, BeforeValidator(_parse_duration_ms)]
Pixels = Annotated[int | None, BeforeValidator(_round_number)]
Text = Annotated[str, BeforeValidator(_none_to_empty)]
AssetTypeValue = Annotated[AssetType | str, Field(union_mode="left_to_right")]
VisibilityValue = Annotated[AssetVisibility | str, Field(union_mode="left_to_right")]
OrderValue = Annotated[AssetOrder | str, Field(union_mode="left_to_right")]
RoleValue = Annotated[AlbumUserRole | str, Field(union_mode="left_to_right")]
MemoryTypeValue = Annotated[MemoryType | str, Field(union_mode="left_to_right")]
UploadStatusValue = Annotated[UploadStatus | str, Field(union_mode="left_to_right")]


class ImmichModel(BaseModel):
    """Base of all response models: camelCase aliases, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
    )


class ServerVersionInfo(ImmichModel):
    """Body of ``GET /server/version``."""

    major: int
    minor: int
    patch: int

    def to_version(self) -> ServerVersion:
        """Return the comparable version."""
        return ServerVersion(self.major, self.minor, self.patch)


class User(ImmichModel):
    """The user an API key belongs to."""

    id: str
    email: str
    name: str
    is_admin: bool = False
    avatar_color: str | None = None
    storage_label: str | None = None
    quota_size_in_bytes: int | None = None
    quota_usage_in_bytes: int | None = None


class UserSummary(ImmichModel):
    """A user as shown inside other objects."""

    id: str
    name: str = ""
    email: str = ""


class ApiKey(ImmichModel):
    """The API key in use and its permissions."""

    id: str
    name: str = ""
    permissions: list[str] = Field(default_factory=list)
    created_at: datetime | None = None

    def has(self, permission: str) -> bool:
        """Return whether the key grants ``permission`` (``all`` grants everything)."""
        return Permission.ALL in self.permissions or permission in self.permissions

    def missing(self, permissions: list[str]) -> list[str]:
        """Return those of ``permissions`` the key does not grant."""
        return [permission for permission in permissions if not self.has(permission)]


class ServerAbout(ImmichModel):
    """Body of ``GET /server/about``."""

    version: str
    version_url: str = ""
    licensed: bool = False
    build: str | None = None
    build_url: str | None = None
    build_image: str | None = None
    repository: str | None = None
    repository_url: str | None = None
    source_ref: str | None = None
    source_commit: str | None = None
    nodejs: str | None = None
    ffmpeg: str | None = None
    imagemagick: str | None = None
    libvips: str | None = None
    exiftool: str | None = None


class ServerStorage(ImmichModel):
    """Disk usage of the server's library (``*_raw`` in bytes)."""

    disk_size: str = ""
    disk_use: str = ""
    disk_available: str = ""
    disk_size_raw: int
    disk_use_raw: int
    disk_available_raw: int
    disk_usage_percentage: float


class UsageByUser(ImmichModel):
    """One user's share of the server statistics."""

    user_id: str
    user_name: str = ""
    photos: int = 0
    videos: int = 0
    usage: int = 0
    usage_photos: int = 0
    usage_videos: int = 0
    quota_size_in_bytes: int | None = None


class ServerStatistics(ImmichModel):
    """Body of ``GET /server/statistics`` (admin only)."""

    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int
    usage_by_user: list[UsageByUser] = Field(default_factory=list)


class VersionCheck(ImmichModel):
    """The latest Immich release the server knows of."""

    checked_at: str | None = None
    release_version: str | None = None


class ServerFeatures(ImmichModel):
    """Features enabled on the server."""

    smart_search: bool = False
    facial_recognition: bool = False
    duplicate_detection: bool = False
    map: bool = False
    reverse_geocoding: bool = False
    import_faces: bool = False
    sidecar: bool = False
    search: bool = False
    trash: bool = False
    oauth: bool = False
    oauth_auto_launch: bool = False
    password_login: bool = False
    config_file: bool = False
    email: bool = False
    ocr: bool = False
    realtime_transcoding: bool = False


class QueueStatistics(ImmichModel):
    """Job counts of one queue; counts Immich adds later are kept as extra fields."""

    model_config = ConfigDict(extra="allow")

    active: int = 0
    completed: int = 0
    delayed: int = 0
    failed: int = 0
    paused: int = 0
    waiting: int = 0

    def counts(self) -> dict[str, int]:
        """Return every count Immich reported, keyed in snake_case."""
        counts = {name: getattr(self, name) for name in type(self).model_fields}
        for name, value in (self.model_extra or {}).items():
            if isinstance(value, int) and not isinstance(value, bool):
                counts[to_snake(name)] = value
        return counts


class Queue(ImmichModel):
    """A job queue; ``name`` is Immich's camelCase name, ``key`` its snake_case form."""

    name: str
    is_paused: bool = False
    statistics: QueueStatistics = Field(default_factory=QueueStatistics)
    is_active: bool | None = None

    @property
    def key(self) -> str:
        """Return the queue name in snake_case."""
        return to_snake(self.name)

    @property
    def pending(self) -> int:
        """Return the jobs not finished yet: active, waiting, paused and delayed.

        While a queue is paused, Immich files the jobs that have not started under ``paused``
        instead of ``waiting``; its web interface counts them too.
        """
        stats = self.statistics
        return stats.active + stats.waiting + stats.paused + stats.delayed


class QueueStatusLegacy(ImmichModel):
    """``queueStatus`` of the legacy ``GET /jobs``."""

    is_active: bool = False
    is_paused: bool = False


class QueueLegacy(ImmichModel):
    """One entry of the legacy ``GET /jobs``."""

    job_counts: QueueStatistics = Field(default_factory=QueueStatistics)
    queue_status: QueueStatusLegacy = Field(default_factory=QueueStatusLegacy)

    def to_queue(self, name: str) -> Queue:
        """Return the entry in the shape of ``GET /queues``."""
        return Queue(
            name=name,
            is_paused=self.queue_status.is_paused,
            statistics=self.job_counts,
            is_active=self.queue_status.is_active,
        )


class AlbumUser(ImmichModel):
    """A user an album is shared with (in 3.x also its owner)."""

    user: UserSummary
    role: RoleValue


class Album(ImmichModel):
    """An album (without its assets; list them with a metadata search)."""

    id: str
    name: str = Field(alias="albumName")
    description: Text = ""
    thumbnail_asset_id: str | None = Field(default=None, alias="albumThumbnailAssetId")
    asset_count: int = 0
    shared: bool = False
    has_shared_link: bool = False
    is_activity_enabled: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    last_modified_asset_timestamp: datetime | None = None
    order: OrderValue | None = None
    owner_id: str | None = None
    album_users: list[AlbumUser] = Field(default_factory=list)

    @model_validator(mode="after")
    def _owner_from_album_users(self) -> Album:
        """Find the owner among the album users (3.x no longer sends ``ownerId``)."""
        if self.owner_id is None:
            for album_user in self.album_users:
                if album_user.role == AlbumUserRole.OWNER:
                    self.owner_id = album_user.user.id
                    break
        return self


class TrashResponse(ImmichModel):
    """Body of the trash endpoints: how many assets they acted on."""

    count: int


class BulkIdResult(ImmichModel):
    """Outcome for one id of a bulk operation."""

    id: str
    success: bool
    error: str | None = None
    error_message: str | None = None


class AlbumStatistics(ImmichModel):
    """Album counts of the user (all required: a body without them is not believed)."""

    owned: int
    shared: int
    not_shared: int


class AssetStatistics(ImmichModel):
    """Asset counts of the user."""

    images: int
    videos: int
    total: int


class MemoryStatistics(ImmichModel):
    """Memory count of the user."""

    total: int


class Exif(ImmichModel):
    """Selected EXIF information of an asset."""

    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    exif_image_width: Pixels = None
    exif_image_height: Pixels = None
    file_size_in_byte: int | None = None
    orientation: str | None = None
    date_time_original: datetime | None = None
    time_zone: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    description: str | None = None
    rating: float | None = None
    f_number: float | None = None
    focal_length: float | None = None
    iso: float | None = None
    exposure_time: str | None = None
    projection_type: str | None = None


class Person(ImmichModel):
    """A recognised person."""

    id: str
    name: str = ""
    birth_date: date | None = None
    is_hidden: bool = False
    is_favorite: bool = False
    thumbnail_path: str = ""
    color: str | None = None
    updated_at: datetime | None = None


class PeoplePage(ImmichModel):
    """One page of ``GET /people``."""

    people: list[Person] = Field(default_factory=list)
    total: int = 0
    hidden: int = 0
    has_next_page: bool = False


class Tag(ImmichModel):
    """A tag (``value`` is its full path, e.g. ``Holidays/2024``)."""

    id: str
    name: str
    value: str = ""
    color: str | None = None
    parent_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Asset(ImmichModel):
    """A photo or video. ``duration_ms`` reads 2.x's text and 3.x's milliseconds alike."""

    id: str
    type: AssetTypeValue
    original_file_name: str = ""
    original_mime_type: str | None = None
    file_created_at: datetime | None = None
    file_modified_at: datetime | None = None
    local_date_time: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    is_favorite: bool = False
    is_archived: bool = False
    is_trashed: bool = False
    is_offline: bool = False
    visibility: VisibilityValue | None = None
    duration_ms: DurationMs = Field(default=None, alias="duration")
    width: Pixels = None
    height: Pixels = None
    checksum: str = ""
    thumbhash: str | None = None
    owner_id: str | None = None
    live_photo_video_id: str | None = None
    device_asset_id: str | None = None
    device_id: str | None = None
    exif_info: Exif | None = None
    people: list[Person] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)

    @property
    def is_video(self) -> bool:
        """Return whether the asset is a video."""
        return self.type == AssetType.VIDEO

    @property
    def duration(self) -> timedelta | None:
        """Return the duration, if the server reports one."""
        return None if self.duration_ms is None else timedelta(milliseconds=self.duration_ms)


class AssetPage(ImmichModel):
    """One page of a metadata or smart search."""

    items: list[Asset] = Field(default_factory=list)
    count: int = 0
    total: int | None = None
    next_page: str | None = None

    @property
    def next_page_number(self) -> int | None:
        """Return the number of the next page, or None on the last page."""
        if self.next_page is not None and self.next_page.isdigit():
            return int(self.next_page)
        return None


class SearchResult(ImmichModel):
    """Body of ``POST /search/metadata`` and ``/search/smart``."""

    assets: AssetPage


class MemoryData(ImmichModel):
    """Extra data of a memory (the year, for ``on_this_day``)."""

    year: int | None = None


class Memory(ImmichModel):
    """A memory and its assets."""

    id: str
    type: MemoryTypeValue
    data: MemoryData = Field(default_factory=MemoryData)
    memory_at: datetime | None = None
    show_at: datetime | None = None
    hide_at: datetime | None = None
    seen_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    is_saved: bool = False
    owner_id: str | None = None
    assets: list[Asset] = Field(default_factory=list)


class TimeBucket(ImmichModel):
    """A timeline bucket (a month) and its asset count."""

    time_bucket: str
    count: int


class TimelineAsset(ImmichModel):
    """One asset of a timeline bucket."""

    id: str
    is_image: bool = True
    is_favorite: bool = False
    is_trashed: bool = False
    file_created_at: datetime | None = None
    local_offset_hours: float | None = None
    duration_ms: DurationMs = None
    ratio: float | None = None
    visibility: VisibilityValue | None = None
    thumbhash: str | None = None
    owner_id: str | None = None
    live_photo_video_id: str | None = None


class TimeBucketAssets(ImmichModel):
    """Assets of one timeline bucket, sent by Immich column by column."""

    id: list[str] = Field(default_factory=list)
    is_image: list[bool] = Field(default_factory=list)
    is_favorite: list[bool] = Field(default_factory=list)
    is_trashed: list[bool] = Field(default_factory=list)
    file_created_at: list[str] = Field(default_factory=list)
    local_offset_hours: list[float] = Field(default_factory=list)
    duration: list[DurationMs] = Field(default_factory=list)
    ratio: list[float] = Field(default_factory=list)
    visibility: list[VisibilityValue] = Field(default_factory=list)
    thumbhash: list[str | None] = Field(default_factory=list)
    owner_id: list[str] = Field(default_factory=list)
    live_photo_video_id: list[str | None] = Field(default_factory=list)

    _rows: list[TimelineAsset] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _build_rows(self) -> TimeBucketAssets:
        """Check every row while the body is parsed, so a bad row is a bad body."""
        columns: dict[str, list[Any]] = {
            "is_image": self.is_image,
            "is_favorite": self.is_favorite,
            "is_trashed": self.is_trashed,
            "file_created_at": self.file_created_at,
            "local_offset_hours": self.local_offset_hours,
            "duration_ms": self.duration,
            "ratio": self.ratio,
            "visibility": self.visibility,
            "thumbhash": self.thumbhash,
            "owner_id": self.owner_id,
            "live_photo_video_id": self.live_photo_video_id,
        }
        self._rows = [
            TimelineAsset.model_validate(
                {
                    "id": asset_id,
                    **{
                        key: column[index] for key, column in columns.items() if index < len(column)
                    },
                }
            )
            for index, asset_id in enumerate(self.id)
        ]
        return self

    def assets(self) -> list[TimelineAsset]:
        """Return the assets row by row."""
        return list(self._rows)


class UploadCheck(ImmichModel):
    """Result of ``POST /assets/bulk-upload-check`` for one file."""

    id: str
    action: str
    asset_id: str | None = None
    reason: str | None = None
    is_trashed: bool = False


class UploadCheckResponse(ImmichModel):
    """Body of ``POST /assets/bulk-upload-check``."""

    results: list[UploadCheck] = Field(default_factory=list)


class UploadResult(ImmichModel):
    """Outcome of an upload: the asset id and whether it was new."""

    id: str
    status: UploadStatusValue
    in_trash: bool = Field(default=False, exclude=True)
    """For a duplicate: whether Immich's copy is in its trash (known from the upload check)."""

    @property
    def is_duplicate(self) -> bool:
        """Return whether the server already had this file."""
        return self.status == UploadStatus.DUPLICATE
