"""A fake Immich server for tests: spec-validated, seeded, with injectable faults.

from fake_immich import FakeImmich

async with FakeImmich("3.0.3") as server:
    ...  # talk to server.url + "/api" with server.admin_key
    server.assert_no_violations()
"""

from .context import RecordedRequest
from .errors import ApiError
from .faults import Fault
from .library import LIMITED_PERMISSIONS, Library
from .server import FakeImmich

__all__ = ["LIMITED_PERMISSIONS", "ApiError", "FakeImmich", "Fault", "Library", "RecordedRequest"]
