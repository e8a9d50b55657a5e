"""Immich's own API, asked directly: the judge of every expectation of the end-to-end tests.

Nothing here imports the integration: the tests compare what Home Assistant shows with what this
client reads from the same real server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
import io
import os
from pathlib import Path
from typing import Any
import uuid

import aiohttp
from PIL import ExifTags, Image

PREFIX = "immich-hub-e2e"
"""Names of everything the tests create in Immich start with this, so leftovers can be found."""

SECRETS: set[str] = set()
"""Every API key and session token the run knows; none may appear in the log."""

JOB_COUNTS = ("active", "waiting")
"""Counts of jobs a running queue is working off (not the delayed ones: Immich delays album
notifications by minutes)."""
JOBS_TIMEOUT = 45
"""Seconds Immich may take to work off the jobs a test caused (less than a test may take)."""


class ImmichApiError(Exception):
    """Immich answered with a status the caller did not expect."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:300]}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Server:
    """A real Immich server and its accounts, from the environment scripts/e2e sets."""

    version: str
    url: str
    admin_key: str
    user_key: str
    admin_email: str
    admin_password: str
    user_email: str
    user_password: str


def unique_name(what: str) -> str:
    """Return a name for something a test creates, unique across runs."""
    return f"{PREFIX} {what} {uuid.uuid4().hex[:8]}"


def unique_jpeg(path: Path, *, taken: datetime | None = None) -> Path:
    """Write a small JPEG no run has uploaded before (random pixels), with an EXIF date."""
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime(
            "%Y:%m:%d %H:%M:%S"
        )
    image = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


class ImmichApi:
    """Immich's REST API with one API key (or a login session's token)."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, key: str, *, token: bool = False
    ) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {key}"} if token else {"x-api-key": key}
        SECRETS.add(key)

    def with_key(self, key: str) -> ImmichApi:
        """Return the same server's API with another key."""
        return ImmichApi(self.session, self.url, key)

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        ok: Iterable[int] = (200, 201, 204),
    ) -> Any:
        """Send a request below /api and return its JSON (None for an empty body)."""
        async with self.session.request(
            method, f"{self.url}/api{path}", json=body, params=params, headers=self.headers
        ) as response:
            text = await response.text()
            if response.status not in tuple(ok):
                raise ImmichApiError(method, path, response.status, text)
            return await response.json(content_type=None) if text else None

    async def get(self, path: str, **params: str) -> Any:
        """GET a path."""
        return await self.request("GET", path, params=params or None)

    async def post(self, path: str, body: Any = None) -> Any:
        """POST a JSON body."""
        return await self.request("POST", path, body if body is not None else {})

    async def put(self, path: str, body: Any) -> Any:
        """PUT a JSON body."""
        return await self.request("PUT", path, body)

    async def delete(self, path: str, body: Any = None) -> Any:
        """DELETE, with a JSON body when given."""
        return await self.request("DELETE", path, body)

    async def fetch(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """GET a path below /api as raw bytes: status, headers and body."""
        async with self.session.get(
            f"{self.url}/api{path}", headers={**self.headers, **(headers or {})}
        ) as response:
            return response.status, dict(response.headers), await response.read()

    # ---- what the tests need to know ---------------------------------------------------------

    async def version(self) -> tuple[int, int, int]:
        """Return the server's version."""
        found = await self.get("/server/version")
        return found["major"], found["minor"], found["patch"]

    async def me(self) -> dict[str, Any]:
        """Return the key's user."""
        user: dict[str, Any] = await self.get("/users/me")
        return user

    async def search(self, **filters: Any) -> list[dict[str, Any]]:
        """Return every asset a metadata search finds, page after page."""
        found: list[dict[str, Any]] = []
        page: int | None = 1
        while page is not None:
            result = await self.post("/search/metadata", {**filters, "page": page, "size": 250})
            found += result["assets"]["items"]
            next_page = result["assets"]["nextPage"]
            page = int(next_page) if next_page else None
        return found

    async def albums(self) -> list[dict[str, Any]]:
        """Return every album the user owns or that is shared with them, once each.

        Immich 2.x lists the user's own albums and, with ``shared=true``, the shared ones;
        3.x lists all of them either way (and ignores ``shared``).
        """
        both = [*await self.get("/albums"), *await self.get("/albums", shared="true")]
        return list({album["id"]: album for album in both}.values())

    async def album_assets(self, album_id: str) -> list[str]:
        """Return the ids of an album's assets.

        Immich 2.x lists them in the album itself (a search with the key of a user the album is
        shared with finds none); 3.x no longer does, and its search finds them.
        """
        album = await self.get(f"/albums/{album_id}")
        assets = album["assets"] if "assets" in album else await self.search(albumIds=[album_id])
        return [asset["id"] for asset in assets]

    async def create_key(self, permissions: list[str]) -> tuple[str, str]:
        """Create an API key of the key's user; return its id and secret."""
        created = await self.post(
            "/api-keys", {"name": unique_name("key"), "permissions": permissions}
        )
        SECRETS.add(created["secret"])
        return created["apiKey"]["id"], created["secret"]

    async def upload(self, path: Path, *, favorite: bool = False) -> str:
        """Upload a file as the phone app does (multipart POST /assets); return the asset id.

        Immich 2.x requires ``deviceAssetId`` and ``deviceId``; 3.x removed them and refuses them.
        """
        content = await asyncio.to_thread(path.read_bytes)
        moment = datetime.fromtimestamp((await asyncio.to_thread(path.stat)).st_mtime, UTC)
        form = aiohttp.FormData()
        if (await self.version())[0] < 3:
            form.add_field("deviceAssetId", f"{PREFIX}-{uuid.uuid4().hex}")
            form.add_field("deviceId", PREFIX)
        form.add_field("fileCreatedAt", moment.isoformat())
        form.add_field("fileModifiedAt", moment.isoformat())
        form.add_field("filename", path.name)
        form.add_field("isFavorite", "true" if favorite else "false")
        form.add_field("assetData", content, filename=path.name)
        async with self.session.post(
            f"{self.url}/api/assets", data=form, headers=self.headers
        ) as response:
            text = await response.text()
            if response.status not in (200, 201):
                raise ImmichApiError("POST", "/assets", response.status, text)
            result = await response.json()
        assert result["status"] == "created", f"{path.name} was in Immich already"
        return str(result["id"])

    async def queues(self) -> dict[str, dict[str, Any]]:
        """Return the job queues by Immich's name (admin)."""
        return {queue["name"]: queue for queue in await self.get("/queues")}

    async def wait_for_jobs(self) -> None:
        """Wait until no running queue has a job left, twice in a row, as the kit's seed does."""
        quiet, busy = 0, {}
        try:
            async with asyncio.timeout(JOBS_TIMEOUT):
                while quiet < 2:
                    busy = {
                        name: queue["statistics"]
                        for name, queue in (await self.queues()).items()
                        if not queue["isPaused"] and any(queue["statistics"][k] for k in JOB_COUNTS)
                    }
                    quiet = 0 if busy else quiet + 1
                    await asyncio.sleep(0.3)
        except TimeoutError as err:
            raise AssertionError(f"Immich's jobs still run after {JOBS_TIMEOUT} s: {busy}") from err

    async def wait_until_active(self, queue: str) -> None:
        """Wait until a queue (Immich's name) runs a job."""
        async with asyncio.timeout(JOBS_TIMEOUT):
            while True:
                if (await self.queues())[queue]["statistics"]["active"]:
                    return
                await asyncio.sleep(0.1)

    async def wait_until_processed(self, asset_id: str) -> dict[str, Any]:
        """Wait until Immich has processed an asset (its jobs done, its thumbnail there)."""
        await self.wait_for_jobs()
        status, _, _ = await self.fetch(f"/assets/{asset_id}/thumbnail")
        assert status == 200, f"no thumbnail for {asset_id} after its jobs ran"
        asset: dict[str, Any] = await self.get(f"/assets/{asset_id}")
        return asset


PIN_CODE = "246810"
"""The PIN code a user without one gets while a test opens their locked folder."""


@asynccontextmanager
async def locked_folder(api: ImmichApi, email: str, password: str) -> AsyncIterator[ImmichApi]:
    """Yield the user's API through a login session unlocked with a PIN code.

    Only such a session reaches assets in the locked folder (an API key does not even see
    them). The user gets a PIN code for the while; it is removed, and the session ended, after.
    """
    login = await api.post("/auth/login", {"email": email, "password": password})
    session = ImmichApi(api.session, api.url, login["accessToken"], token=True)
    try:
        assert not (await session.get("/auth/status"))["pinCode"], f"{email} has a PIN code"
        await session.post("/auth/pin-code", {"pinCode": PIN_CODE})
        try:
            await session.post("/auth/session/unlock", {"pinCode": PIN_CODE})
            yield session
        finally:
            await session.delete("/auth/pin-code", {"pinCode": PIN_CODE})
    finally:
        await session.post("/auth/logout")


def album_owner(album: dict[str, Any]) -> str:
    """Return the id of an album's owner (2.x names it; 3.x lists it among the album's users)."""
    if album.get("ownerId"):
        return str(album["ownerId"])
    return next(str(u["user"]["id"]) for u in album["albumUsers"] if u["role"] == "owner")
