"""Per-request context and response helpers shared by the server and its handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import json
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

if TYPE_CHECKING:
    from .library import ApiKey, Library, User
    from .server import FakeImmich
    from .spec import Operation

JSON_KEY: Final = "fake_immich_json"
ERROR_KEY: Final = "fake_immich_error"
SKIP_KEY: Final = "fake_immich_skip_validation"

type Handler = Callable[[Context], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class RecordedRequest:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]


@dataclass(slots=True)
class Context:
    """Everything a handler needs about one request."""

    server: FakeImmich
    request: web.Request
    operation: Operation
    path: str
    params: dict[str, Any]
    query: dict[str, Any]
    body: Any
    key: ApiKey | None
    user: User | None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def library(self) -> Library:
        """Return the server's library."""
        return self.server.library

    @property
    def auth_user(self) -> User:
        """Return the authenticated user (handlers of public routes must not call this)."""
        assert self.user is not None
        return self.user


def json_response(data: Any, status: int = 200) -> web.Response:
    """Build a JSON response and keep the object for response validation."""
    response = web.json_response(data, status=status, dumps=dumps)
    response[JSON_KEY] = data
    return response


def dumps(data: Any) -> str:
    """Serialise JSON compactly, as Immich does."""
    return json.dumps(data, separators=(",", ":"))


def empty_response(status: int = 204) -> web.Response:
    """Build a body-less response."""
    return web.Response(status=status)
