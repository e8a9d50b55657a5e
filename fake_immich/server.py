"""The fake Immich server: an aiohttp app that validates every request and response.

Request flow, in Immich's order: record → faults → route (404) → authentication (401/403) →
validation (400) → handler → response validation. Request and response violations are stored
in `FakeImmich.violations` (and logged) so the test that caused them fails. The websocket
(`GET /socket.io/`, not in the spec) leaves the flow after the faults for `fake_immich.socket`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
import json
import logging
import re
import secrets
import ssl
from types import TracebackType
from typing import Any, ClassVar, Final, Self
from zoneinfo import ZoneInfo

from aiohttp import web

from .context import ERROR_KEY, JSON_KEY, SKIP_KEY, Context, Handler, RecordedRequest, dumps
from .errors import ApiError, cid_header, error_body, reason, validation_error
from .faults import SOCKET_FAULT_KINDS, SOCKET_PATH, Fault, FaultSet
from .handlers import HANDLERS
from .library import ApiKey, Library, User
from .socket import SocketHub
from .spec import UNKNOWN_PROPERTY, Operation, Spec, load_spec

_LOGGER: Final = logging.getLogger(__name__)

_REDACT_QUERY: Final = re.compile(r"(apiKey|key|sessionKey)=[^&]*")
TIMEOUT_FAULT_SECONDS: Final = 3600.0
_PROXY_PAGE: Final = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    b"</center><hr><center>nginx</center></body></html>"
)
_NOT_BREAKING: Final = frozenset({"latency", *SOCKET_FAULT_KINDS})
_CANNED: Final[dict[str, tuple[int, bytes, str]]] = {
    "malformed_json": (200, b'{"message": "truncated', "application/json"),
    "html": (200, _PROXY_PAGE, "text/html"),
}


class FakeImmich:
    """A fake Immich server emulating one API version, with spec validation and faults."""

    time_zone: ClassVar[str] = "UTC"
    """The time zone servers run in unless ``time_zone`` is given: its date is the day memories
    are made for. At home Immich and Home Assistant share one; tests set Home Assistant's."""

    def __init__(
        self,
        api_version: str = "3.0.3",
        *,
        prefix: str = "",
        server_version: tuple[int, int, int] | None = None,
        seed: int = 0,
        time_zone: str | None = None,
        keep_requests: int | None = None,
    ) -> None:
        self._spec: Spec = load_spec(api_version)
        self.api_version = api_version
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.library = Library(
            seed=seed,
            zone=ZoneInfo(time_zone or self.time_zone),
            queue_names=self._spec.enum("QueueName"),
        )
        self._server_version = server_version
        self.requests: list[RecordedRequest] = []
        self.keep_requests = keep_requests
        """When set, the log keeps about this many of the newest requests (long-running servers)."""
        self.violations: list[str] = []
        self.latency = 0.0
        self.features: dict[str, bool] = {}
        """Overrides of GET /server/features by camelCase name, e.g. {"smartSearch": False}."""
        self._faults = FaultSet()
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._url: str | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self._handlers: Mapping[str, Handler] = HANDLERS
        self.queues_move = True
        """Whether the job queues move a little on every call (False: an idle server's)."""
        self.ping_interval = 25.0
        """Seconds between the websocket's pings (announced in its open packet, as ms)."""
        self.ping_timeout = 20.0
        """Seconds a websocket client has to answer a ping before it is disconnected."""
        self.socket_hub = SocketHub(self)
        """The open websockets by user; handlers announce their changes through it."""

    # --- public interface ----------------------------------------------------------------------

    @property
    def spec(self) -> Spec:
        """Return the spec of the emulated version."""
        return self._spec

    @property
    def url(self) -> str:
        """Return the base URL a user would type (the API lives at url + "/api")."""
        if self._url is None:
            raise RuntimeError("the fake Immich server is not started")
        return self._url + self.prefix

    @property
    def admin_key(self) -> str:
        """Return the admin user's key (all permissions)."""
        return self.library.admin_key.secret

    @property
    def user_key(self) -> str:
        """Return the normal user's key (all permissions)."""
        return self.library.user_key.secret

    @property
    def limited_key(self) -> str:
        """Return the normal user's read-only dashboard key (see `LIMITED_PERMISSIONS`)."""
        return self.library.limited_key.secret

    @property
    def admin_user_id(self) -> str:
        """Return the admin user's id."""
        return self.library.admin.id

    @property
    def user_user_id(self) -> str:
        """Return the normal user's id."""
        return self.library.user.id

    @property
    def server_version(self) -> tuple[int, int, int]:
        """Return the version /server/version reports."""
        if self._server_version is not None:
            return self._server_version
        major, minor, patch = (int(p) for p in self.api_version.split("."))
        return major, minor, patch

    def set_server_version(self, version: tuple[int, int, int] | None) -> None:
        """Change the version /server/version reports (None: the API version's own)."""
        self._server_version = version

    def add_key(self, user: str | User, permissions: list[str], *, name: str = "Test key") -> str:
        """Create an API key for a user (User, id, "admin" or "user"); return its secret."""
        if isinstance(user, User):
            user_id = user.id
        else:
            user_id = {"admin": self.admin_user_id, "user": self.user_user_id}.get(user, user)
        if user_id not in self.library.users:
            raise ValueError(f"unknown user {user!r}")
        return self.library.add_key(user_id, permissions, name=name).secret

    def add_assets(
        self, n: int, *, album: str | None = None, owner: str | None = None
    ) -> list[str]:
        """Bulk-create `n` cheap synthetic images (one shared JPEG payload).

        `album` is an album id or name (created if missing); `owner` a user id (default admin).
        """
        return self.library.add_assets(n, owner_id=owner, album=album)

    def add_large_video(self, size: int, *, owner: str | None = None) -> str:
        """Create a video of `size` bytes, streamed from a generator (benchmarks of proxies)."""
        return self.library.add_large_video(size, owner_id=owner)

    def tick(self, steps: int = 1) -> None:
        """Advance the job queues."""
        self.library.tick(steps)

    def upgrade(self, api_version: str) -> None:
        """Switch the emulated API version at runtime, keeping the library."""
        self._spec = load_spec(api_version)
        self.api_version = api_version
        self.library.ensure_queues(self._spec.enum("QueueName"))

    def add_fault(
        self,
        kind: str,
        *,
        path: str | None = None,
        method: str | None = None,
        after: int = 0,
        count: int | None = None,
        status: int = 500,
        delay: float = 1.0,
    ) -> Fault:
        """Inject a fault; see `fake_immich.faults.Fault` for the matching rules."""
        return self._faults.add(
            Fault(
                kind, path=path, method=method, after=after, count=count, status=status, delay=delay
            )
        )

    def emit(self, user_id: str, event: str, payload: Any) -> None:
        """Send a websocket event (e.g. "on_new_release") to the connected sockets of a user."""
        self.socket_hub.emit(user_id, event, payload)

    @property
    def sockets(self) -> int:
        """Return the number of open websockets."""
        return self.socket_hub.count

    async def drop_sockets(self) -> None:
        """Drop every open websocket abruptly, without a closing handshake."""
        await self.socket_hub.drop()

    def clear_faults(self) -> None:
        """Remove all faults."""
        self._faults.clear()

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    def assert_no_violations(self) -> None:
        """Raise AssertionError listing every spec violation seen so far."""
        if self.violations:
            listing = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"{len(self.violations)} Immich spec violation(s):\n{listing}")

    def violation(self, message: str) -> None:
        """Record (and log) a violation."""
        self.violations.append(message)
        _LOGGER.error("Immich spec violation: %s", message)

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Start serving on host:port (port 0 picks a free port)."""
        app = web.Application(client_max_size=1024**4)
        app.router.add_route("*", "/{tail:.*}", self._entry)
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.host, self.port = host, int(bound_port)
        scheme = "https" if ssl_context else "http"
        shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
        self._url = f"{scheme}://{shown}:{self.port}"

    async def stop(self) -> None:
        """Stop serving; hanging ("timeout") requests are released, websockets closed."""
        self._stopping.set()
        await self.socket_hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- request pipeline ----------------------------------------------------------------------

    async def _entry(self, request: web.Request) -> web.StreamResponse:
        api_root = f"{self.prefix}/api"
        raw_path = request.path
        if raw_path != api_root and not raw_path.startswith(api_root + "/"):
            # Outside the API (another subpath, the web UI): what a reverse proxy would answer.
            return web.Response(status=404, text="Not Found")
        path = raw_path[len(api_root) :] or "/"
        cid = secrets.token_hex(4)
        record = await self._record(request, path)
        try:
            response = await self._process(request, path, record, cid)
        except ApiError as error:
            response = self._error_response(error, cid)
        if not isinstance(response, web.WebSocketResponse):
            response.headers.setdefault(cid_header(self.api_version), cid)
        return response

    async def _record(self, request: web.Request, path: str) -> RecordedRequest:
        body: Any = None
        if request.content_type == "application/json" and request.body_exists:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
        record = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query.items()),
            json=body,
            headers=dict(request.headers),
        )
        self.requests.append(record)
        if self.keep_requests is not None and len(self.requests) > 2 * self.keep_requests:
            del self.requests[: -self.keep_requests]
        return record

    def _error_response(self, error: ApiError, cid: str) -> web.Response:
        response = web.json_response(
            error_body(self.api_version, error, cid), status=error.status, dumps=dumps
        )
        response[ERROR_KEY] = True
        response.headers.update(error.headers)
        response.headers[cid_header(self.api_version)] = cid
        return response

    def _where(self, request: web.Request, path: str) -> str:
        query = _REDACT_QUERY.sub(r"\1=<redacted>", request.query_string)
        return f"{request.method} {path}{'?' + query if query else ''}"

    async def _process(
        self, request: web.Request, path: str, record: RecordedRequest, cid: str
    ) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        faults = self._faults.pick(request.method, path)
        for fault in faults:
            if fault.kind == "latency":
                await asyncio.sleep(fault.delay)
        breaking = next((f for f in faults if f.kind not in _NOT_BREAKING), None)
        if path == SOCKET_PATH and request.method == "GET":
            if breaking is not None and breaking.kind not in ("invalid_schema", "unauthorized"):
                return await self._break(request, breaking)
            key = self._socket_key(request)
            user_id = key.user_id if key is not None else None
            return await self.socket_hub.serve(request, user_id, faults)
        if breaking is not None and breaking.kind not in ("invalid_schema",):
            return await self._break(request, breaking)

        operation, raw_params, known = self._spec.match(request.method, path)
        where = self._where(request, path)
        if operation is None:
            self.violation(f"{where}: no such operation in Immich {self.api_version}"
                           + (" (method not allowed)" if known else ""))  # fmt: skip
            raise ApiError(404, f"Cannot {request.method} {request.path}")

        key, user = self._authenticate(request, operation)
        params, query, body, problems = self._validate_request(
            operation, raw_params, request, record, where
        )
        if problems:
            raise validation_error(problems)

        handler = self._handlers.get(operation.operation_id)
        if handler is None:
            self.violation(f"{where}: {operation.operation_id} is not implemented by the fake")
            raise ApiError(501, f"{operation.operation_id} is not implemented by the fake server")
        if self.queues_move:
            self.library.tick()  # queues move a little on every authenticated call
        context = Context(self, request, operation, path, params, query, body, key, user)
        response = await handler(context)
        if breaking is not None and breaking.kind == "invalid_schema":
            return self._invalid_schema(operation)
        self._validate_response(operation, response, where)
        return response

    async def _break(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        """Answer a request the way a broken server or proxy would."""
        kind = fault.kind
        if kind == "status":
            if fault.status >= 500:
                # What Immich answers for an error that is no HTTP exception: no `error` title.
                raise ApiError(fault.status, "Internal server error", titled=False)
            raise ApiError(fault.status, reason(fault.status))
        if kind == "unauthorized":
            raise ApiError(401, "Invalid API key")
        if kind == "timeout":
            # Hang until the client gives up (or the server stops).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), TIMEOUT_FAULT_SECONDS)
            raise ApiError(503, "Service Unavailable")
        if kind in _CANNED:
            status, body, content_type = _CANNED[kind]
            return web.Response(status=status, body=body, content_type=content_type)
        # reset: promise a body, send part of it, then drop the connection.
        response = web.StreamResponse(status=200)
        response.content_type = "application/json"
        response.content_length = 4096
        await response.prepare(request)
        await response.write(b'{"items": [' + b" " * 100)
        if request.transport is not None:
            request.transport.abort()
        return response

    def _invalid_schema(self, operation: Operation) -> web.StreamResponse:
        # Deliberately wrong types, not counted as a violation.
        body: Any = {"id": 12345, "unexpected": True, "items": "not-a-list", "name": None}
        for status, contents in operation.responses.items():
            if any(v is not None for v in contents.values()) and status.startswith("2"):
                schema = operation.raw["responses"][status]["content"]["application/json"]["schema"]
                if schema.get("type") == "array":
                    body = [{"id": None, "broken": True}]
                break
        response = web.json_response(body, status=200)
        response[SKIP_KEY] = True
        return response

    def _socket_key(self, request: web.Request) -> ApiKey | None:
        """Find the key of a websocket handshake.

        Only the x-api-key header counts: 2.7.4 and 3.0.3 refuse a key given as the apiKey query
        or as a bearer token (bearers are sessions, which the fake has none of).
        """
        secret = request.headers.get("x-api-key")
        return self.library.key(secret) if secret else None

    def _authenticate(
        self, request: web.Request, operation: Operation
    ) -> tuple[ApiKey | None, User | None]:
        secret = request.headers.get("x-api-key") or request.query.get("apiKey")
        bearer = None
        authorization = request.headers.get("Authorization", "")
        if authorization[:7].lower() == "bearer ":
            bearer = authorization[7:].strip()
        key = self.library.key(secret) if secret else None
        if key is None and bearer:
            key = self.library.key(bearer)  # accepted loosely: Immich treats bearers as sessions
        if operation.public:
            user = self.library.users.get(key.user_id) if key else None
            return key, user
        if key is None:
            if bearer and not secret:
                raise ApiError(401, "Invalid user token")
            if secret:
                raise ApiError(401, "Invalid API key")
            raise ApiError(401, "Authentication required")
        user = self.library.users[key.user_id]
        if operation.admin_only and not user.is_admin:
            raise ApiError(403, "Forbidden")
        # Operations without `x-immich-permission` are Immich's `permission: false` routes
        # (e.g. GET /api-keys/me): any valid key may call them.
        permission = operation.permission
        if permission is not None and not key.grants(permission):
            raise ApiError(403, f"Missing required permission: {permission}")
        return key, user

    # --- request validation --------------------------------------------------------------------

    def _validate_request(
        self,
        operation: Operation,
        raw_params: dict[str, str],
        request: web.Request,
        record: RecordedRequest,
        where: str,
    ) -> tuple[dict[str, Any], dict[str, Any], Any, list[tuple[str, str]]]:
        problems: list[tuple[str, str]] = []
        params: dict[str, Any] = {}
        query: dict[str, Any] = {}
        declared_query = {p.name for p in operation.parameters if p.location == "query"}
        for param in operation.parameters:
            if param.location == "path":
                value = self._spec.coerce(param.schema, raw_params.get(param.name, ""))
                params[param.name] = value
                self._check(param.validator, value, param.name, problems)
            elif param.location == "query":
                values = request.query.getall(param.name, [])
                if not values:
                    if param.required:
                        problems.append((param.name, "is required"))
                    continue
                value = self._spec.coerce_query(param.schema, values)
                query[param.name] = value
                self._check(param.validator, value, param.name, problems)
        for name in request.query:
            if name not in declared_query and name != "apiKey":
                self.violation(
                    f"{where}: query parameter {name!r} is not declared by {operation.operation_id}"
                )

        body: Any = None
        if operation.body_content:
            body, body_problems = self._validate_body(operation, request, record, where)
            problems.extend(body_problems)
        if problems:
            listing = "; ".join(f"{p} {m}" for p, m in problems)
            self.violation(f"{where}: invalid request for {operation.operation_id}: {listing}")
        return params, query, body, problems

    def _validate_body(
        self, operation: Operation, request: web.Request, record: RecordedRequest, where: str
    ) -> tuple[Any, list[tuple[str, str]]]:
        ctype = request.content_type
        declared = operation.body_content
        problem: str | None = None
        if ctype.startswith("multipart/"):
            # Multipart bodies are validated while the handler streams them.
            if "multipart/form-data" not in declared:
                problem = f"content type {ctype} is not accepted"
        elif not request.body_exists or request.content_length == 0 or record.json is None:
            if operation.body_required:
                problem = "is required"
        elif ctype not in declared:
            problem = f"content type {ctype} is not accepted"
        elif isinstance(record.json, str):
            problem = "is not valid JSON"
        if problem is not None:
            return None, [("body", problem)]
        if ctype.startswith("multipart/") or ctype not in declared or record.json is None:
            return None, []
        problems: list[tuple[str, str]] = []
        errors = declared[ctype](record.json)
        for error in errors or []:
            field_path, found, message = error.partition(": ")
            if not found:
                field_path, message = "", error
            if message == UNKNOWN_PROPERTY:
                # Immich strips unknown properties; still a client bug worth failing the test.
                self.violation(f"{where}: body property {field_path.lstrip('.')!r} {message}")
                continue
            problems.append((field_path.lstrip(".") or "body", message or error))
        return record.json, problems

    @staticmethod
    def _check(validator: Callable[[Any], list[str] | None], value: Any, name: str,
               problems: list[tuple[str, str]]) -> None:  # fmt: skip
        errors = validator(value)
        for error in errors or []:
            problems.append((name, error.lstrip(": ")))

    # --- response validation -------------------------------------------------------------------

    def _validate_response(
        self, operation: Operation, response: web.StreamResponse, where: str
    ) -> None:
        if response.get(ERROR_KEY) or response.get(SKIP_KEY):
            return
        status = str(response.status)
        declared = operation.responses
        if status not in declared:
            # Binary routes also answer ranges, revalidations, and redirects (full size).
            if response.status in (206, 302, 304, 416) and _is_binary(operation):
                return
            self.violation(f"{where}: status {status} is not declared for {operation.operation_id} "
                           f"(declared: {sorted(declared)})")  # fmt: skip
            return
        if JSON_KEY not in response:
            return
        validators = [v for v in declared[status].values() if v is not None]
        if not validators:
            self.violation(f"{where}: {operation.operation_id} {status} declares no JSON body")
            return
        errors = validators[0](response[JSON_KEY])
        if errors:
            shown = "; ".join(errors[:10]) + (
                f" (+{len(errors) - 10} more)" if len(errors) > 10 else ""
            )
            self.violation(
                f"{where}: response {status} of {operation.operation_id} breaks the spec: {shown}"
            )


def _is_binary(operation: Operation) -> bool:
    return any(
        "octet-stream" in ctype for contents in operation.responses.values() for ctype in contents
    )
