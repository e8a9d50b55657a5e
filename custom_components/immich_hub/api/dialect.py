"""The one place where the client tells Immich 2.x and 3.x (and their minor versions) apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from .const import MANUAL_JOBS, MANUAL_JOBS_V3
from .models import ServerVersion

MIN_VERSION = ServerVersion(2, 0, 0)
QUEUES_API_VERSION = ServerVersion(2, 4, 0)
V3 = ServerVersion(3, 0, 0)

# 2.x wants a date-time for the day of memories; noon UTC falls on the asked day in every
# time zone from UTC-11 to UTC+11.
_MEMORY_TIME = time(12, tzinfo=UTC)


@dataclass(frozen=True)
class Dialect:
    """What a server of a given version expects and sends."""

    version: ServerVersion

    @property
    def is_supported(self) -> bool:
        """Return whether the client supports the server."""
        return self.version >= MIN_VERSION

    @property
    def has_queues_api(self) -> bool:
        """Return whether the server has ``/queues`` (added in 2.4) next to the legacy ``/jobs``."""
        return self.version >= QUEUES_API_VERSION

    @property
    def upload_needs_device_fields(self) -> bool:
        """Return whether an upload must carry ``deviceAssetId`` and ``deviceId`` (2.x only)."""
        return self.version < V3

    @property
    def manual_jobs(self) -> tuple[str, ...]:
        """Return the manual jobs the server runs (snake_case)."""
        return MANUAL_JOBS + MANUAL_JOBS_V3 if self.version >= V3 else MANUAL_JOBS

    def album_list_query(self, shared: bool | None) -> dict[str, bool]:
        """Return the album list filter.

        ``shared=None``: the user's own albums; ``True``: shared albums (owned or shared
        with the user); ``False``: own albums that are not shared.
        """
        if self.version < V3:
            return {} if shared is None else {"shared": shared}
        if shared is None:
            return {"isOwned": True}
        if shared:
            return {"isShared": True}
        return {"isOwned": True, "isShared": False}

    def album_get_query(self) -> dict[str, bool]:
        """Return the query of ``GET /albums/{id}`` (2.x embeds all assets unless told not to)."""
        return {"withoutAssets": True} if self.version < V3 else {}

    def memory_day(self, day: date | datetime) -> str:
        """Return the ``for`` parameter of the memory endpoints for a day."""
        if self.version < V3:
            moment = day if isinstance(day, datetime) else datetime.combine(day, _MEMORY_TIME)
            return moment.isoformat()
        return (day.date() if isinstance(day, datetime) else day).isoformat()
