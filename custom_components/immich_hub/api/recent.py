"""Assets uploaded since a moment, in upload order, a bounded number at a time.

Immich has no "uploaded after, in upload order" listing: a metadata search filters by upload
time (``createdAfter``/``createdBefore``) but sorts by the date a photo was taken. To hand out
a large backlog oldest upload first, the window of upload times is bisected until it fits one
page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import ImmichClient
    from .models import Asset, AssetPage

MAX_NARROWING = 40
"""Bound on the searches spent bisecting a backlog (2**40 ms is 35 years)."""
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Uploads:
    """Assets uploaded in a window of upload times.

    ``until`` is the window's end (inclusive) when the backlog was larger than the limit, so
    that what follows it comes later; None when the window reaches the present.
    """

    assets: list[Asset]
    until: datetime | None


def to_millisecond(moment: datetime) -> datetime:
    """Return a moment cut to the millisecond, the precision of Immich's timestamps."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def uploaded_since(client: ImmichClient, start: datetime, *, limit: int) -> Uploads:
    """Return the assets uploaded since ``start`` (inclusive), or the oldest uploads of them.

    With more than ``limit`` uploads, the latest window end found whose window fits one page
    of ``limit`` is returned with its assets. More than a page uploaded in one millisecond (a
    bulk import) is taken whole, page after page.
    """
    page = await _first_page(client, start, None, limit)
    if page.next_page is None:
        return Uploads(page.items, None)
    fitting: list[Asset] = []
    fitting_end = start
    full = max((asset.created_at for asset in page.items if asset.created_at), default=start)
    for _ in range(MAX_NARROWING):
        if full - fitting_end <= _MILLISECOND:
            end = full + _MILLISECOND
            pages = client.iter_search_metadata(
                size=limit, order="asc", with_exif=True, extra=_between(start, end)
            )
            return Uploads([asset async for asset in pages], end)
        end = to_millisecond(fitting_end + (full - fitting_end) / 2)
        page = await _first_page(client, start, end, limit)
        if page.next_page is not None:
            full = end
            continue
        fitting, fitting_end = page.items, end
        if len(page.items) >= limit // 2:
            break
    return Uploads(fitting, fitting_end)


async def _first_page(
    client: ImmichClient, start: datetime, end: datetime | None, limit: int
) -> AssetPage:
    """Return the first page of the assets uploaded from ``start`` to ``end``, both included."""
    return await client.search_metadata(
        size=limit, order="asc", with_exif=True, extra=_between(start, end)
    )


def _between(start: datetime, end: datetime | None) -> dict[str, str]:
    """Return the search filter of uploads from ``start`` to ``end``, both included."""
    between = {"createdAfter": start.isoformat()}
    if end is not None:
        between["createdBefore"] = end.isoformat()
    return between
