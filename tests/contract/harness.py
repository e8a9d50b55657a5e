"""Two sides of a contract test, the fake Immich and a real one, spoken to the same way.

Every response either side reads is recorded as an `Exchange` (status, headers, body), so a test
can run one client call on both sides and compare what went over the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import io
import json
import re
import secrets
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from PIL import Image
from PIL.ExifTags import IFD

from custom_components.immich_hub.api import ImmichClient
from fake_immich import FakeImmich
from fake_immich.spec import Spec

from .shapes import differences

TIMEOUT = 30.0
SETTLE_SECONDS = 45.0
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Exchange:
    """A response one side read, with the request it answered."""

    method: str
    path: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def route(self) -> str:
        """Return the method and the path with ids replaced by ``{id}``."""
        return f"{self.method} {_UUID.sub('{id}', self.path)}"

    @property
    def json(self) -> Any:
        """Return the decoded JSON body, or None when it is not JSON.

        The type is not trusted: Immich sends the error of a file route as JSON labelled with
        the file's type (``image/jpeg; charset=utf-8``).
        """
        if self.body.lstrip()[:1] not in (b"{", b"["):
            return None
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def message(self) -> Any:
        """Return the ``message`` of an error body."""
        body = self.json
        return body.get("message") if isinstance(body, dict) else None


def recording_session(log: list[Exchange]) -> aiohttp.ClientSession:
    """Return a session whose responses append themselves to ``log`` once read."""

    class Recording(aiohttp.ClientResponse):
        async def read(self) -> bytes:
            body = await super().read()
            path = self.request_info.url.path.removeprefix("/api")
            log.append(Exchange(self.method, path, self.status, self.headers, body))
            return body

    return aiohttp.ClientSession(response_class=Recording)


@dataclass
class Side:
    """One server, its keys, and the clients and raw requests that talk to it."""

    name: str
    url: str
    keys: dict[str, str]
    session: aiohttp.ClientSession
    log: list[Exchange]
    fake: FakeImmich | None = None
    login: tuple[str, str] | None = None
    """The admin's e-mail and password (the real server), for what no API key may do."""
    ids: dict[str, str] = field(default_factory=dict)
    """Ids of what a test made or found on this side, by the test's own names."""
    cleanups: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    @property
    def is_real(self) -> bool:
        """Tell whether this is the real server."""
        return self.fake is None

    def client(self, who: str = "admin") -> ImmichClient:
        """Return a client with one of the side's keys."""
        return ImmichClient(self.session, self.url, self.keys[who], timeout=TIMEOUT)

    @property
    def admin(self) -> ImmichClient:
        """Return a client with the admin key."""
        return self.client("admin")

    @property
    def user(self) -> ImmichClient:
        """Return a client with the normal user's key."""
        return self.client("user")

    async def raw(
        self,
        method: str,
        path: str,
        *,
        who: str = "admin",
        body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Send a request below ``/api`` and return what came back (``who=""``: no API key)."""
        sent = {"x-api-key": self.keys[who]} if who else {}
        sent.update(headers or {})
        async with self.session.request(
            method,
            f"{self.url}/api{path}",
            json=body,
            params=params,
            headers=sent,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        ) as response:
            await response.read()
        return self.log[-1]

    async def add_key(self, who: str, permissions: list[str]) -> str:
        """Give a user a new API key with these permissions; return its name among the keys."""
        name = f"{who}:{','.join(permissions)}"
        if self.fake is not None:
            self.keys[name] = self.fake.add_key(who, permissions)
            return name
        created = await self.raw(
            "POST", "/api-keys", who=who, body={"name": "contract test", "permissions": permissions}
        )
        assert created.status == 201, created.body
        key_id = created.json["apiKey"]["id"]
        self.keys[name] = created.json["secret"]
        self.cleanups.append(lambda: self.raw("DELETE", f"/api-keys/{key_id}", who=who))
        return name

    async def upload(self, data: bytes, filename: str, who: str = "admin") -> str:
        """Upload a file through the client and wait until Immich has processed it."""
        result = await self.client(who).upload_bytes(
            data, filename=filename, file_created_at=datetime(2022, 5, 6, 7, 8, 9, tzinfo=UTC)
        )
        if self.is_real:
            self.cleanups.append(
                lambda: self.raw(
                    "DELETE", "/assets", who=who, body={"ids": [result.id], "force": True}
                )
            )
            await self.wait_for_thumbnail(result.id, who)
        return result.id

    async def wait_for_thumbnail(self, asset_id: str, who: str = "admin") -> None:
        """Wait until a new asset's thumbnail exists: its metadata has been read by then."""
        deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
        while True:
            seen = await self.raw("GET", f"/assets/{asset_id}/thumbnail", who=who)
            if seen.status == 200:
                return
            assert asyncio.get_running_loop().time() < deadline, (
                f"Immich made no thumbnail of {asset_id} in {SETTLE_SECONDS} s: {seen.status}"
            )
            await asyncio.sleep(0.5)

    async def delete_locked(self, asset_ids: list[str]) -> None:
        """Delete locked assets of the admin's, which only a session unlocked by PIN may touch.

        The admin logs in, is given a PIN code for the moment, unlocks the session, deletes,
        and the PIN code is taken away again. An admin who has a PIN code already is refused.
        """
        assert self.login is not None, "the real server's admin e-mail and password are needed"
        email, password = self.login
        signed_in = await self.raw(
            "POST", "/auth/login", who="", body={"email": email, "password": password}
        )
        assert signed_in.status == 201, signed_in.body
        bearer = {"Authorization": f"Bearer {signed_in.json['accessToken']}"}
        pin = {"pinCode": "".join(secrets.choice("0123456789") for _ in range(6))}
        pin_set = False

        async def step(method: str, path: str, body: Any) -> None:
            done = await self.raw(method, path, who="", body=body, headers=bearer)
            assert done.status == 204, f"{method} {path}: {done.status} {done.body!r}"

        try:
            status = await self.raw("GET", "/auth/status", who="", headers=bearer)
            assert not status.json["pinCode"], "the admin has a PIN code: locked assets are left"
            await step("POST", "/auth/pin-code", pin)
            pin_set = True
            await step("POST", "/auth/session/unlock", pin)
            await step("DELETE", "/assets", {"ids": asset_ids, "force": True})
        finally:
            if pin_set:
                await step("DELETE", "/auth/pin-code", pin)
            await self.raw("POST", "/auth/logout", who="", headers=bearer)

    async def clean_up(self) -> None:
        """Delete what the test made, newest first."""
        while self.cleanups:
            await self.cleanups.pop()()


@dataclass
class Outcome:
    """What one side's call returned or raised, and the exchanges it made."""

    result: Any
    error: BaseException | None
    exchanges: list[Exchange]

    def unwrap(self) -> Any:
        """Return the result, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.result


@dataclass
class Pair:
    """The fake and the real server, compared call by call."""

    fake: Side
    real: Side
    spec: Spec
    version: str

    @property
    def sides(self) -> tuple[Side, Side]:
        """Return both sides, fake first."""
        return self.fake, self.real

    async def run(self, call: Callable[[Side], Awaitable[Any]]) -> tuple[Outcome, Outcome]:
        """Run a call on each side, keeping its result or error and its exchanges."""
        outcomes = []
        for side in self.sides:
            start = len(side.log)
            try:
                result, error = await call(side), None
            except Exception as err:  # the other side may fail the same way
                result, error = None, err
            outcomes.append(Outcome(result, error, side.log[start:]))
        return outcomes[0], outcomes[1]

    async def compare(
        self,
        call: Callable[[Side], Awaitable[Any]],
        *,
        tolerated: Mapping[str, str] | None = None,
    ) -> tuple[Any, Any]:
        """Run a call on both sides; the exchanges and results must agree. Returns the results."""
        fake, real = await self.run(call)
        self.assert_same(fake.exchanges, real.exchanges, tolerated=tolerated)
        if (fake.error is None) != (real.error is None) or type(fake.error) is not type(real.error):
            raise AssertionError(
                f"the fake gave {fake.error or fake.result!r}, the real server {real.error!r}"
            ) from fake.error or real.error
        real.unwrap()
        return fake.result, real.result

    async def compare_error(
        self, call: Callable[[Side], Awaitable[Any]], error: type[Exception]
    ) -> tuple[Any, Any]:
        """Run a call that must fail on both sides with the same error and Immich message."""
        fake, real = await self.run(call)
        self.assert_same(fake.exchanges, real.exchanges)
        assert isinstance(real.error, error), f"the real server: {real.error or real.result!r}"
        assert isinstance(fake.error, error), f"the fake: {fake.error or fake.result!r}"
        fake_message, real_message = fake.exchanges[-1].message, real.exchanges[-1].message
        assert fake_message == real_message, f"fake: {fake_message!r}, real: {real_message!r}"
        return fake.error, real.error

    def assert_same(
        self,
        fake: list[Exchange],
        real: list[Exchange],
        *,
        tolerated: Mapping[str, str] | None = None,
    ) -> None:
        """Assert two runs made the same requests, got the same statuses and body shapes."""
        assert [(e.route, e.status) for e in fake] == [(e.route, e.status) for e in real], (
            f"fake: {[(e.route, e.status, e.message) for e in fake]}\n"
            f"real: {[(e.route, e.status, e.message) for e in real]}"
        )
        found = []
        for fake_exchange, real_exchange in zip(fake, real, strict=True):
            found.extend(
                f"{real_exchange.route} {real_exchange.status}: {difference}"
                for difference in differences(
                    fake_exchange.json,
                    real_exchange.json,
                    spec=self.spec,
                    schema=self.response_schema(real_exchange),
                    tolerated=tolerated,
                )
            )
        assert not found, "the fake's bodies differ from the real server's:\n" + "\n".join(found)

    def response_schema(self, exchange: Exchange) -> Mapping[str, Any] | None:
        """Return the spec's schema of an exchange's JSON body, if it declares one."""
        operation, _, _ = self.spec.match(exchange.method, exchange.path)
        if operation is None:
            return None
        response = operation.raw.get("responses", {}).get(str(exchange.status), {})
        media = response.get("content", {}).get("application/json", {})
        schema: Mapping[str, Any] | None = media.get("schema")
        return schema


def make_jpeg(width: int = 320, height: int = 240) -> bytes:
    """Return a new JPEG (never uploaded before) taken in Berlin by a Canon camera."""
    image = Image.new("RGB", (width, height), tuple(secrets.token_bytes(3)))
    image.putpixel((0, 0), tuple(secrets.token_bytes(3)))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS R6"
    exif[0x0132] = "2022:05:06 07:08:09"
    exif.get_ifd(IFD.Exif)[0x9003] = "2022:05:06 07:08:09"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps.update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 18.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()
