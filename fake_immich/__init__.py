"""A fake Immich server for tests: spec-validated, seeded, with injectable faults.

    from fake_immich import FakeImmich

    async with FakeImmich("3.0.3", prefix="/immich") as server:
        ...  # talk to server.url + "/api" with x-api-key: server.admin_key
        server.assert_no_violations()

Every request and response is checked against the OpenAPI spec of the emulated version
(2.7.3 or 3.0.3); violations land in `server.violations`. Modules:

- `spec`: spec loading (cached) and the schema validator; `errors`: both error dialects;
- `library`: seeded users, keys, assets, albums, memories, people, tags, queues;
- `dto`: library objects as 2.x/3.x DTOs; `media`: JPEG/PNG/MP4 generation;
- `server`: lifecycle, request pipeline, validation; `handlers`: the endpoints;
- `faults`: injectable faults; `context`: per-request context; `__main__`: standalone run;
- `socket`: Immich's websocket at `/api/socket.io/` (Socket.IO over Engine.IO): the handlers'
  events to their user's sockets, `emit(user_id, event, payload)`, `sockets`, `drop_sockets()`,
  pings every `ping_interval` s, and the `socket_silent`/`socket_malformed`/`socket_drop` faults.

Keys: `admin_key` (admin user, ["all"]), `user_key` (normal user, ["all"]), `limited_key`
(normal user, `LIMITED_PERMISSIONS`: read-only dashboard scope). `add_key(user, permissions)`
makes more.
"""

from .context import RecordedRequest
from .errors import ApiError
from .faults import Fault
from .library import LIMITED_PERMISSIONS, Library
from .server import FakeImmich

__all__ = ["LIMITED_PERMISSIONS", "ApiError", "FakeImmich", "Fault", "Library", "RecordedRequest"]
