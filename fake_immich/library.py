"""The fake server's in-memory library: users, keys, assets, albums, memories, people, tags, queues.

Everything is derived from a seed: the same seed gives the same ids (uuid4s drawn from a seeded
random generator), names and dates. Dates that matter for "on this day" are relative to the day
the library is built.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
import hashlib
import random
import secrets
from typing import Final
import uuid

from . import media

ALL: Final = "all"

LIMITED_PERMISSIONS: Final = (
    "user.read",
    "asset.read",
    "asset.view",
    "asset.statistics",
    "album.read",
    "album.statistics",
    "memory.read",
    "server.about",
    "server.storage",
)
"""The limited key: a read-only dashboard key. It can read the user's own photos, albums and
memories and see storage, but cannot download originals (`asset.download`), upload, change
albums, read people/tags/timeline-specific data beyond assets, or check for updates
(`server.versionCheck`)."""

_CAMERAS: Final = (
    ("Canon", "EOS R6"),
    ("Apple", "iPhone 15 Pro"),
    ("Sony", "ILCE-7M4"),
    ("Google", "Pixel 8"),
)
_PLACES: Final = (("Paris", "France", 48.8566, 2.3522), ("Berlin", "Germany", 52.52, 13.405),
                  ("Lisbon", "Portugal", 38.7223, -9.1393), (None, None, None, None))  # fmt: skip
_SUBJECTS: Final = ("beach", "mountain", "city", "cat", "dog", "sunset", "forest", "birthday",
                    "lake", "snow", "garden", "market", "bridge", "harbour", "concert")  # fmt: skip
THUMBHASH: Final = "1QcSHQRnh493V4dIh4eXh1h4kJUI"
BULK_PAYLOAD_KEY: Final = "bulk"


def utc(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """Build an aware UTC datetime, moving 29 February to the 28th in common years."""
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return datetime(year, month, day - 1, hour, minute, tzinfo=UTC)


ISSUED_SECRETS: set[str] = set()
"""Every API key any fake library has issued in this process, so tests can look for leaks."""


@dataclass(slots=True)
class User:
    """An Immich user."""

    id: str
    name: str
    email: str
    is_admin: bool
    created_at: datetime
    avatar_color: str = "primary"
    storage_label: str | None = None
    quota_size: int | None = None


@dataclass(slots=True)
class ApiKey:
    """An API key of a user, with its permissions."""

    id: str
    name: str
    secret: str
    user_id: str
    permissions: list[str]
    created_at: datetime

    def grants(self, permission: str) -> bool:
        """Tell whether the key grants a permission ("all" grants everything)."""
        return ALL in self.permissions or permission in self.permissions


@dataclass(slots=True)
class Asset:
    """An image or video."""

    id: str
    owner_id: str
    type: str
    file_name: str
    taken_at: datetime
    created_at: datetime
    width: int
    height: int
    mime: str
    payload: str
    size: int = 0
    checksum: str | None = None
    is_favorite: bool = False
    visibility: str = "timeline"
    is_trashed: bool = False
    description: str = ""
    city: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    make: str | None = None
    model: str | None = None
    duration_ms: int | None = None
    rating: int | None = None
    updated_at: datetime | None = None
    person_ids: list[str] = field(default_factory=list)
    tag_ids: list[str] = field(default_factory=list)
    encoded: bool = True
    """For a video: whether Immich made an MP4 transcode, which playback then serves."""

    @property
    def is_image(self) -> bool:
        """Tell whether the asset is an image."""
        return self.type == "IMAGE"

    @property
    def modified_at(self) -> datetime:
        """Return the last update time."""
        return self.updated_at or self.created_at


@dataclass(slots=True)
class Album:
    """An album, owned by one user and maybe shared with others."""

    id: str
    owner_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    asset_ids: dict[str, None] = field(default_factory=dict)  # insertion-ordered set
    shared_with: dict[str, str] = field(default_factory=dict)  # user id -> role
    thumbnail_id: str | None = None
    is_activity_enabled: bool = True
    order: str = "desc"


@dataclass(slots=True)
class Memory:
    """An "on this day" memory."""

    id: str
    owner_id: str
    year: int
    memory_at: datetime
    show_at: datetime
    hide_at: datetime
    created_at: datetime
    asset_ids: list[str] = field(default_factory=list)
    is_saved: bool = False
    seen_at: datetime | None = None


@dataclass(slots=True)
class Person:
    """A recognised person."""

    id: str
    owner_id: str
    name: str
    thumbnail_asset_id: str | None
    updated_at: datetime
    birth_date: date | None = None
    is_hidden: bool = False
    is_favorite: bool = False
    color: str | None = None


@dataclass(slots=True)
class Tag:
    """A (possibly nested) tag; `value` is the full path such as "Places/Paris"."""

    id: str
    owner_id: str
    value: str
    created_at: datetime
    parent_id: str | None = None
    color: str | None = None

    @property
    def name(self) -> str:
        """Return the last path segment."""
        return self.value.rsplit("/", 1)[-1]


@dataclass(slots=True)
class Queue:
    """A job queue with its counters."""

    name: str
    active: int = 0
    waiting: int = 0
    delayed: int = 0
    failed: int = 0
    completed: int = 0
    paused_count: int = 0
    is_paused: bool = False

    def counts(self) -> dict[str, int]:
        """Return the statistics Immich reports."""
        return {
            "active": self.active,
            "completed": self.completed,
            "delayed": self.delayed,
            "failed": self.failed,
            "paused": self.paused_count,
            "waiting": self.waiting,
        }

    # Immich's queues are BullMQ queues: while one is paused, the jobs not started yet sit in
    # its "paused" list instead of "waiting", and Immich reports them as `paused`.

    def enqueue(self, jobs: int = 1) -> None:
        """Add jobs: waiting, or paused while the queue is paused."""
        if self.is_paused:
            self.paused_count += jobs
        else:
            self.waiting += jobs

    def pause(self) -> None:
        """Pause the queue: its waiting jobs move to the paused list."""
        if not self.is_paused:
            self.is_paused = True
            self.paused_count += self.waiting
            self.waiting = 0

    def resume(self) -> None:
        """Resume the queue: its paused jobs wait again."""
        if self.is_paused:
            self.is_paused = False
            self.waiting += self.paused_count
            self.paused_count = 0

    def drain(self) -> None:
        """Drop the jobs not started yet (as Immich's ``empty`` does)."""
        self.waiting = self.paused_count = self.delayed = 0


class MediaCache:
    """Lazily rendered media bytes, keyed by payload name and size."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], bytes] = {}
        self._recipes: dict[
            str, tuple[str, int, int, str, datetime | None, str | None, str | None]
        ] = {}

    def register(
        self,
        key: str,
        *,
        label: str,
        width: int,
        height: int,
        fmt: str,
        taken_at: datetime | None = None,
        make: str | None = None,
        model: str | None = None,
    ) -> None:
        """Register how to render a payload; nothing is rendered yet."""
        self._recipes[key] = (label, width, height, fmt, taken_at, make, model)

    def store(self, key: str, data: bytes) -> None:
        """Store the original bytes of a payload (uploads)."""
        self._data[(key, "original")] = data

    def has(self, key: str) -> bool:
        """Tell whether a payload is known."""
        return key in self._recipes or (key, "original") in self._data

    def original(self, key: str) -> bytes:
        """Return (rendering once) the original bytes of a payload."""
        cached = self._data.get((key, "original"))
        if cached is not None:
            return cached
        label, width, height, fmt, taken_at, make, model = self._recipes[key]
        if fmt == "MP4":
            data = media.render_video(label, width=width, height=height)
        else:
            data = media.render_image(
                label, width, height, fmt=fmt, taken_at=taken_at, make=make, model=model
            )
        self._data[(key, "original")] = data
        return data

    def sized(self, key: str, size: str) -> bytes:
        """Return a JPEG rendition: "thumbnail", "preview" or "fullsize"."""
        cached = self._data.get((key, size))
        if cached is not None:
            return cached
        recipe = self._recipes.get(key)
        if recipe is not None and recipe[3] == "MP4":
            source = media.render_image(recipe[0], recipe[1], recipe[2])
        else:
            source = self.original(key)
        longest = {"thumbnail": media.THUMBNAIL_SIZE, "preview": media.PREVIEW_SIZE}.get(
            size, 100_000
        )
        try:
            data = media.resize_jpeg(source, longest)
        except OSError:  # an uploaded file that is not an image
            data = media.render_image(key, 64, 64)
        self._data[(key, size)] = data
        return data

    def webp_thumbnail(self, key: str) -> bytes:
        """Return the thumbnail as Immich serves it: WebP."""
        cached = self._data.get((key, "thumbnail.webp"))
        if cached is None:
            cached = media.to_webp(self.sized(key, "thumbnail"))
            self._data[(key, "thumbnail.webp")] = cached
        return cached


def checksum_of(data: bytes) -> str:
    """Return Immich's checksum form: base64 of the SHA-1 digest."""
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


class Library:
    """All data of the fake server."""

    def __init__(
        self,
        *,
        seed: int = 0,
        today: date | None = None,
        zone: tzinfo = UTC,
        queue_names: list[str] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        # Queue motion and "random" answers draw from their own generator, so the ids of
        # created albums and assets do not depend on how many requests came before.
        self.motion = random.Random(seed + 1)
        self.zone = zone
        """The server's time zone: its date is the day memories are made for."""
        self.today = today or datetime.now(zone).date()
        self.media = MediaCache()
        self.synthetic: dict[str, media.SyntheticBody] = {}
        self.users: dict[str, User] = {}
        self.keys: dict[str, ApiKey] = {}  # by secret
        self.assets: dict[str, Asset] = {}
        self.albums: dict[str, Album] = {}
        self.memories: dict[str, Memory] = {}
        self.people: dict[str, Person] = {}
        self.tags: dict[str, Tag] = {}
        self.queues: dict[str, Queue] = {}
        self.checksums: dict[tuple[str, str], str] = {}  # (owner, checksum) -> asset id
        self.server_created = utc(self.today.year - 8, 1, 10)
        self.disk_size = 2_000_000_000_000
        self.disk_used = 1_234_567_890_123
        self.release_version = "v9.9.9"
        self._bulk_counter = 0
        self.admin = self.add_user("Ada Admin", "ada@example.com", is_admin=True)
        self.user = self.add_user("Noah Normal", "noah@example.com", is_admin=False)
        self.admin_key = self.add_key(self.admin.id, [ALL], name="Admin key")
        self.user_key = self.add_key(self.user.id, [ALL], name="User key")
        self.limited_key = self.add_key(
            self.user.id, list(LIMITED_PERMISSIONS), name="Dashboard key"
        )
        self.ensure_queues(queue_names or [])
        self._seed_assets()
        self._seed_people_and_tags()
        self._seed_albums()
        self._seed_memories()

    # --- ids and factories ---------------------------------------------------------------------

    def new_id(self) -> str:
        """Draw a seeded version-4 UUID (Immich 3 accepts only version 4)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add_user(self, name: str, email: str, *, is_admin: bool) -> User:
        """Create a user."""
        user = User(
            id=self.new_id(),
            name=name,
            email=email,
            is_admin=is_admin,
            created_at=self.server_created,
            avatar_color="primary" if is_admin else "green",
            storage_label="admin" if is_admin else None,
        )
        self.users[user.id] = user
        return user

    def add_key(self, user_id: str, permissions: list[str], *, name: str = "Test key") -> ApiKey:
        """Create an API key; its secret is random (never derived from the seed)."""
        key = ApiKey(
            id=self.new_id(),
            name=name,
            secret=secrets.token_urlsafe(32),
            user_id=user_id,
            permissions=list(permissions),
            created_at=self.server_created + timedelta(days=30),
        )
        self.keys[key.secret] = key
        ISSUED_SECRETS.add(key.secret)
        return key

    def ensure_queues(self, names: list[str]) -> None:
        """Create queues for names not seen yet, with plausible counters."""
        for name in names:
            if name not in self.queues:
                self.queues[name] = Queue(
                    name=name,
                    active=self.rng.randint(0, 2),
                    waiting=self.rng.randint(0, 40),
                    delayed=self.rng.randint(0, 1),
                    failed=self.rng.randint(0, 3),
                    completed=self.rng.randint(100, 5000),
                )

    def add_asset(
        self,
        owner_id: str,
        *,
        file_name: str,
        taken_at: datetime,
        kind: str = "IMAGE",
        width: int = 1200,
        height: int = 800,
        fmt: str = "JPEG",
        payload: str | None = None,
        checksum: str | None = None,
        size: int = 0,
        created_at: datetime | None = None,
    ) -> Asset:
        """Create an asset; its media is rendered on first request.

        ``created_at`` is when Immich received it: an upload's is now, a seeded photo's soon
        after it was taken.
        """
        asset_id = self.new_id()
        mime = {"JPEG": "image/jpeg", "PNG": "image/png", "MP4": "video/mp4"}.get(
            fmt, "application/octet-stream"
        )
        make, model = _CAMERAS[self.rng.randrange(len(_CAMERAS))]
        city, country, lat, lon = _PLACES[self.rng.randrange(len(_PLACES))]
        asset = Asset(
            id=asset_id,
            owner_id=owner_id,
            type=kind,
            file_name=file_name,
            taken_at=taken_at,
            created_at=created_at or taken_at + timedelta(hours=2),
            width=width,
            height=height,
            mime=mime,
            payload=payload or asset_id,
            size=size,
            checksum=checksum,
            make=make if fmt == "JPEG" else None,
            model=model if fmt == "JPEG" else None,
            city=city,
            country=country,
            latitude=lat,
            longitude=lon,
        )
        if payload is None:
            self.media.register(
                asset_id,
                label=file_name,
                width=width,
                height=height,
                fmt=fmt,
                taken_at=taken_at,
                make=asset.make,
                model=asset.model,
            )
        self.assets[asset_id] = asset
        if checksum is not None:
            self.checksums[(owner_id, checksum)] = asset_id
        return asset

    def remove_asset(self, asset_id: str) -> None:
        """Delete an asset for good, with every reference to it."""
        asset = self.assets.pop(asset_id, None)
        if asset is None:
            return
        for key in [k for k, v in self.checksums.items() if v == asset_id]:
            del self.checksums[key]
        for album in self.albums.values():
            album.asset_ids.pop(asset_id, None)
            if album.thumbnail_id == asset_id:
                album.thumbnail_id = next(iter(album.asset_ids), None)
        for memory in self.memories.values():
            if asset_id in memory.asset_ids:
                memory.asset_ids.remove(asset_id)

    def add_large_video(self, size: int, *, owner_id: str | None = None) -> str:
        """Create a video whose original of `size` bytes is generated as it is sent."""
        owner = owner_id or self.admin.id
        taken = datetime(2012, 6, 1, 12, tzinfo=UTC)
        asset = self.add_asset(
            owner, file_name=f"VID_large_{size}.mp4", taken_at=taken, kind="VIDEO",
            width=320, height=240, fmt="MP4", size=size,
        )  # fmt: skip
        self.synthetic[asset.payload] = media.SyntheticBody(size)
        return asset.id

    def add_assets(
        self, n: int, *, owner_id: str | None = None, album: str | None = None
    ) -> list[str]:
        """Bulk-create `n` synthetic images sharing one payload; optionally add them to an album.

        `album` is an album id or name (an album of that name is created for the owner if
        missing). Returns the new asset ids.
        """
        owner = owner_id or self.admin.id
        if not self.media.has(BULK_PAYLOAD_KEY):
            self.media.register(BULK_PAYLOAD_KEY, label="bulk", width=640, height=480, fmt="JPEG")
        target = self.find_album(album, owner) if album else None
        if album and target is None:
            target = self.create_album(owner, album)
        start = datetime(2010, 1, 1, tzinfo=UTC)
        ids: list[str] = []
        for _ in range(n):
            self._bulk_counter += 1
            number = self._bulk_counter
            asset_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            taken = start + timedelta(hours=7 * number)
            checksum = base64.b64encode(
                hashlib.sha1(asset_id.encode(), usedforsecurity=False).digest()
            ).decode()
            asset = Asset(
                id=asset_id,
                owner_id=owner,
                type="IMAGE",
                file_name=f"BULK_{number:06d}.jpg",
                taken_at=taken,
                created_at=taken,
                width=640,
                height=480,
                mime="image/jpeg",
                payload=BULK_PAYLOAD_KEY,
                size=48_000,
                checksum=checksum,
            )
            self.assets[asset_id] = asset
            self.checksums[(owner, checksum)] = asset_id
            ids.append(asset_id)
        if target is not None:
            target.asset_ids.update(dict.fromkeys(ids))
            target.updated_at = self.now()
        return ids

    def find_album(self, ref: str, owner_id: str) -> Album | None:
        """Find an album by id, or by name among the owner's albums."""
        if ref in self.albums:
            return self.albums[ref]
        return next(
            (a for a in self.albums.values() if a.name == ref and a.owner_id == owner_id), None
        )

    def create_album(self, owner_id: str, name: str, description: str = "") -> Album:
        """Create an empty album."""
        now = self.now()
        album = Album(id=self.new_id(), owner_id=owner_id, name=name, description=description,
                      created_at=now, updated_at=now)  # fmt: skip
        self.albums[album.id] = album
        return album

    @staticmethod
    def now() -> datetime:
        """Return the current time (UTC, millisecond precision)."""
        now = datetime.now(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    # --- access --------------------------------------------------------------------------------

    def key(self, secret: str) -> ApiKey | None:
        """Look up an API key by its secret."""
        return self.keys.get(secret)

    def checksum(self, asset: Asset) -> str:
        """Return an asset's checksum, hashing its original on first use."""
        if asset.checksum is None:
            data = self.media.original(asset.payload)
            asset.checksum = checksum_of(data)
            asset.size = len(data)
            self.checksums[(asset.owner_id, asset.checksum)] = asset.id
        return asset.checksum

    def file_size(self, asset: Asset) -> int:
        """Return the size of an asset's original."""
        if not asset.size:
            asset.size = len(self.media.original(asset.payload))
        return asset.size

    def albums_visible_to(self, user_id: str) -> list[Album]:
        """Return the albums a user owns or that are shared with them."""
        return [
            a for a in self.albums.values() if a.owner_id == user_id or user_id in a.shared_with
        ]

    def can_read_asset(self, user_id: str, asset: Asset) -> bool:
        """Tell whether a user may see an asset (own, or in an album shared with them)."""
        if asset.owner_id == user_id:
            return True
        return any(
            asset.id in a.asset_ids for a in self.albums.values() if user_id in a.shared_with
        )

    @staticmethod
    def can_share_asset(user_id: str, asset: Asset | None) -> bool:
        """Tell whether a user may put an asset into an album (Immich's asset.share access).

        Only their own, and not a locked one: Immich lets only a session unlocked with the PIN
        touch those, which an API key never is (partners are not modelled).
        """
        return asset is not None and asset.owner_id == user_id and asset.visibility != "locked"

    def owned_assets(self, user_id: str) -> list[Asset]:
        """Return a user's assets, not trashed."""
        return [a for a in self.assets.values() if a.owner_id == user_id and not a.is_trashed]

    # --- queues --------------------------------------------------------------------------------

    def enqueue(self, queue: str, jobs: int = 1) -> None:
        """Add jobs to a queue, if the emulated server has it."""
        if (found := self.queues.get(queue)) is not None:
            found.enqueue(jobs)

    def tick(self, steps: int = 1) -> None:
        """Advance every running queue: work gets done, new work arrives, some fails."""
        for _ in range(steps):
            for queue in self.queues.values():
                if queue.is_paused:
                    continue
                done = min(queue.active, self.motion.randint(0, 2))
                queue.active -= done
                queue.completed += done
                if self.motion.random() < 0.05 and queue.active:
                    queue.active -= 1
                    queue.failed += 1
                start = min(queue.waiting, self.motion.randint(0, 2))
                queue.waiting -= start
                queue.active += start
                if self.motion.random() < 0.3:
                    queue.waiting += self.motion.randint(1, 5)

    # --- seeding -------------------------------------------------------------------------------

    def _seed_assets(self) -> None:
        today = self.today
        this_year = today.year
        # (owner, years ago, month, day): include today's month/day in earlier years.
        on_this_day = [(self.admin, 1), (self.admin, 3), (self.admin, 6), (self.user, 2)]
        plan: list[tuple[User, datetime]] = [
            (owner, utc(this_year - years, today.month, today.day, 9 + years))
            for owner, years in on_this_day
        ]
        for index in range(26):
            owner = self.admin if index < 15 else self.user
            year = this_year - 1 - index % 8
            month = 1 + (index * 5) % 12
            day = 1 + (index * 7) % 28
            if (month, day) == (today.month, today.day):
                day = day % 28 + 1
            plan.append((owner, utc(year, month, day, 8 + index % 10, index)))
        for index, (owner, taken_at) in enumerate(plan):
            subject = _SUBJECTS[index % len(_SUBJECTS)]
            portrait = index % 3 == 2
            fmt = "PNG" if index % 8 == 5 else "JPEG"
            ext = "png" if fmt == "PNG" else "jpg"
            asset = self.add_asset(
                owner.id,
                file_name=f"IMG_{taken_at:%Y%m%d}_{index:03d}_{subject}.{ext}",
                taken_at=taken_at,
                width=800 if portrait else 1200,
                height=1200 if portrait else 800,
                fmt=fmt,
            )
            asset.is_favorite = index % 5 == 0
            asset.description = f"A {subject} picture" if index % 2 == 0 else ""
            asset.rating = 1 + index % 5 if index % 4 == 0 else None
        video_taken = utc(this_year - 2, 7, 14, 18, 30)
        video = self.add_asset(
            self.admin.id, file_name="VID_20xx_clip.mp4".replace("20xx", f"{video_taken:%Y%m%d}"),
            taken_at=video_taken, kind="VIDEO", width=320, height=240, fmt="MP4",
        )  # fmt: skip
        video.duration_ms = 3000
        video.description = "A short clip of the harbour"

    def _seed_people_and_tags(self) -> None:
        admin_assets = [
            a for a in self.assets.values() if a.owner_id == self.admin.id and a.is_image
        ]
        user_assets = [a for a in self.assets.values() if a.owner_id == self.user.id and a.is_image]
        people = [
            (self.admin, "Alice", date(1990, 4, 12), admin_assets[0::3]),
            (self.admin, "Bob", None, admin_assets[1::4]),
            (self.admin, "Charlie", date(2015, 9, 1), admin_assets[2::5]),
            # An unnamed face cluster, with the faces Immich needs to list it.
            (self.admin, "", None, admin_assets[3:6]),
            (self.user, "Dana", None, user_assets[0::2]),
            (self.user, "Eli", date(1985, 1, 30), user_assets[1::3]),
        ]
        for owner, name, birth, assets in people:
            person = Person(
                id=self.new_id(), owner_id=owner.id, name=name,
                thumbnail_asset_id=assets[0].id if assets else None,
                updated_at=self.server_created + timedelta(days=400), birth_date=birth,
                is_favorite=name == "Alice", is_hidden=name == "",
            )  # fmt: skip
            self.people[person.id] = person
            for asset in assets:
                asset.person_ids.append(person.id)
        tag_plan = [
            (self.admin, ["Places", "Places/Paris", "Places/Berlin", "Events", "Events/Birthday"]),
            (self.user, ["Nature", "Nature/Mountains"]),
        ]
        for owner, values in tag_plan:
            by_value: dict[str, Tag] = {}
            for value in values:
                parent = by_value.get(value.rsplit("/", 1)[0]) if "/" in value else None
                tag = Tag(id=self.new_id(), owner_id=owner.id, value=value,
                          created_at=self.server_created + timedelta(days=500),
                          parent_id=parent.id if parent else None,
                          color="#4250af" if value == "Places" else None)  # fmt: skip
                by_value[value] = tag
                self.tags[tag.id] = tag
            owned = [a for a in self.assets.values() if a.owner_id == owner.id]
            for index, asset in enumerate(owned):
                leaf = list(by_value.values())[index % len(by_value)]
                if index % 2 == 0:
                    asset.tag_ids.append(leaf.id)
        for asset in self.assets.values():
            if asset.city == "Paris":
                paris = next(t for t in self.tags.values() if t.value == "Places/Paris")
                if asset.owner_id == paris.owner_id and paris.id not in asset.tag_ids:
                    asset.tag_ids.append(paris.id)

    def _seed_albums(self) -> None:
        admin_assets = sorted(
            (a for a in self.assets.values() if a.owner_id == self.admin.id),
            key=lambda a: a.taken_at,
        )
        user_assets = sorted(
            (a for a in self.assets.values() if a.owner_id == self.user.id),
            key=lambda a: a.taken_at,
        )
        plan = [
            (self.admin, "Holidays", "Summer and winter trips", admin_assets[:10]),
            (self.admin, "Family", "Shared with Noah", admin_assets[8:14]),
            (self.admin, "Empty album", "", []),
            (self.user, "Hiking", "Trails and summits", user_assets[:5]),
            (self.user, "Pets", "", user_assets[5:9]),
        ]
        created = self.server_created + timedelta(days=700)
        for owner, name, description, assets in plan:
            album = Album(
                id=self.new_id(), owner_id=owner.id, name=name, description=description,
                created_at=created, updated_at=created + timedelta(days=3),
                asset_ids=dict.fromkeys(a.id for a in assets),
                thumbnail_id=assets[0].id if assets else None,
            )  # fmt: skip
            self.albums[album.id] = album
        family = next(a for a in self.albums.values() if a.name == "Family")
        family.shared_with[self.user.id] = "editor"
        self.shared_album_id = family.id

    def _seed_memories(self) -> None:
        today = self.today
        by_owner_year: dict[tuple[str, int], list[str]] = {}
        for asset in self.assets.values():
            if (asset.taken_at.month, asset.taken_at.day) == (today.month, today.day):
                by_owner_year.setdefault((asset.owner_id, asset.taken_at.year), []).append(asset.id)
        targets: list[tuple[date, dict[tuple[str, int], list[str]]]] = [(today, by_owner_year)]
        # Two older memories, for days before today, from other assets.
        for days_back, owner in ((1, self.admin), (3, self.user)):
            day = today - timedelta(days=days_back)
            owned = sorted(
                (a for a in self.assets.values() if a.owner_id == owner.id and a.is_image),
                key=lambda a: a.id,
            )
            picked = owned[days_back : days_back + 3]
            year = picked[0].taken_at.year if picked else today.year - 1
            targets.append((day, {(owner.id, year): [a.id for a in picked]}))
        for day, groups in targets:
            for (owner_id, year), asset_ids in sorted(
                groups.items(), key=lambda g: (g[0][0], g[0][1])
            ):
                # As Immich does: shown all of `day`, memoryAt the same day in the recalled year.
                show_at = datetime(day.year, day.month, day.day, tzinfo=self.zone)
                hide_at = show_at + timedelta(days=1) - timedelta(milliseconds=1)
                memory = Memory(
                    id=self.new_id(), owner_id=owner_id, year=year,
                    memory_at=_same_day_in(show_at, year), show_at=show_at, hide_at=hide_at,
                    created_at=show_at, asset_ids=asset_ids,
                )  # fmt: skip
                self.memories[memory.id] = memory


def _same_day_in(moment: datetime, year: int) -> datetime:
    """Return ``moment`` moved to ``year``; 29 February becomes 1 March, as Luxon's set() does."""
    try:
        return moment.replace(year=year)
    except ValueError:
        return moment.replace(year=year, month=3, day=1)
