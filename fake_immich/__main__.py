"""Run the fake Immich server standalone: `python -m fake_immich --port 2283 --api 3.0.3`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import FakeImmich
from .spec import SUPPORTED_VERSIONS

KEEP_REQUESTS = 1000
"""Requests a standalone server remembers: it may run for days."""


async def serve(args: argparse.Namespace) -> None:
    """Start the server, print how to reach it, and serve until cancelled."""
    server = FakeImmich(args.api, prefix=args.prefix, seed=args.seed, keep_requests=KEEP_REQUESTS)
    server.latency = args.latency
    await server.start(host=args.host, port=args.port)
    print(f"Fake Immich {server.api_version} at {server.url}  (API: {server.url}/api)")
    print(f"  admin key:   {server.admin_key}")
    print(f"  user key:    {server.user_key}")
    print(f"  limited key: {server.limited_key}")
    socket = server.url.replace("http", "ws", 1) + "/api/socket.io/"
    print(f"  websocket:   {socket}?EIO=4&transport=websocket")
    print("Ctrl-C to stop.", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
        for violation in server.violations:
            print(f"violation: {violation}")


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m fake_immich", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2283)
    parser.add_argument("--api", default="3.0.3", choices=SUPPORTED_VERSIONS)
    parser.add_argument("--prefix", default="", help="URL subpath, e.g. /immich")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
