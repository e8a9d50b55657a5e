"""Faults the fake server injects on demand (latency, errors, broken bodies, hangs, resets).

The `socket_*` kinds shape a websocket connection (see `fake_immich.socket`) and match only the
socket's handshake (`GET /socket.io/`); the other kinds apply to that handshake as to any request
(`unauthorized` there is Immich's refusal of a wrong key: `40`, `42["error","unauthorized"]`,
`41`; `invalid_schema` does not apply to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Final

FAULT_KINDS: Final = frozenset(
    {
        "latency",
        "status",
        "timeout",
        "malformed_json",
        "invalid_schema",
        "reset",
        "unauthorized",
        "html",
        "socket_silent",
        "socket_malformed",
        "socket_drop",
    }
)
SOCKET_PATH: Final = "/socket.io/"
"""The API path of Immich's websocket handshake."""
SOCKET_FAULT_KINDS: Final = frozenset({"socket_silent", "socket_malformed", "socket_drop"})


@dataclass(slots=True)
class Fault:
    """One injected fault.

    It matches requests by `path` (a regex searched in the API path, e.g. "/server/about") and
    `method`; the first `after` matching requests pass normally, then it fires `count` times
    (None: forever). For the websocket (`path="/socket.io"`) a request is one connection:
    `socket_silent` answers the connect, then never pings nor sends events; `socket_malformed`
    sends malformed frames before each real event; `socket_drop` closes the socket right after
    the connect answer.
    """

    kind: str
    path: str | None = None
    method: str | None = None
    after: int = 0
    count: int | None = None
    status: int = 500
    delay: float = 0.0
    seen: int = 0
    fired: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {sorted(FAULT_KINDS)}")
        self._regex = re.compile(self.path) if self.path is not None else None

    def matches(self, method: str, path: str) -> bool:
        """Tell whether a request is in the fault's scope."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.kind in SOCKET_FAULT_KINDS and path != SOCKET_PATH:
            return False
        return self._regex is None or self._regex.search(path) is not None

    @property
    def exhausted(self) -> bool:
        """Tell whether the fault has fired as often as allowed."""
        return self.count is not None and self.fired >= self.count

    def trigger(self, method: str, path: str) -> bool:
        """Count a request and tell whether the fault fires for it."""
        if self.exhausted or not self.matches(method, path):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        self.fired += 1
        return True


class FaultSet:
    """The active faults of a server, applied in the order they were added."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Add a fault."""
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def pick(self, method: str, path: str) -> list[Fault]:
        """Return the faults that fire for a request (every matching fault counts the request)."""
        return [fault for fault in self.faults if fault.trigger(method, path)]
