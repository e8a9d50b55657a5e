"""Immich Hub as a media source: the whole library in Home Assistant's media browser.

Identifiers below ``media-source://immich_hub/``::

    {entry_id}                                   the entry's folders
    {entry_id}/albums | shared | memories | people | tags
    {entry_id}/favorites | timeline [/{yyyy}[/{mm}[/{page}]]]
    {entry_id}/album | person | tag/{uuid} [/{yyyy}[/{mm}[/{page}]]]
    {entry_id}/memory/{uuid}
    {entry_id}/asset/{uuid}                      a photo or video (resolvable)
    {scope}/search/{mode}/{types}/{page}/{query} more results of a search in a folder

Folders are read through Immich's timeline, which counts assets per month without listing
them, so a folder of any size opens with one request: a small folder lists its assets, a large
one is split into years, months and pages of at most ``PAGE_SIZE`` assets.

On Home Assistant versions whose media browser searches (2026.3 and later), an entry, the
favorites, the timeline, an album, a person and a tag can be searched: with Immich's smart
search where the server has it, else by file name and then by description. Home Assistant's
search result is one list, so it holds one page of Immich's results and, when there are more, a
folder with the next page: nothing is cut, and a query that matches the whole library costs one
request per page the user opens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
import logging
import re
from typing import Any, Final
from urllib.parse import quote, unquote

from homeassistant.components import media_source
from homeassistant.components.media_player.browse_media import (
    BrowseMedia,
    SearchMedia,
    SearchMediaQuery,
)
from homeassistant.components.media_player.const import MediaClass, MediaType
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .api import (
    Album,
    Asset,
    AssetPage,
    ImmichClient,
    ImmichInvalidResponseError,
    Memory,
    TimeBucket,
    TimelineAsset,
)
from .api.client import SearchFilters
from .const import DOMAIN, Feature
from .data import ImmichHubConfigEntry, loaded_entry
from .playback import IMAGE_TYPE, VIDEO_TYPE, async_resolve_asset, proxy_path
from .util import UUID_PATTERN, immich_errors, translated_error

PAGE_SIZE: Final = 100
"""Assets in one listing; a folder with more is split into date groups and pages."""

FOLDERS: Final = ("albums", "shared", "memories", "favorites", "people", "tags", "timeline")
DATED_FOLDERS: Final = ("favorites", "timeline")
DATED_OBJECTS: Final = ("album", "person", "tag")
OBJECTS: Final = (*DATED_OBJECTS, "memory", "asset")

SEARCH_SUPPORTED: Final = hasattr(media_source, "async_search_media")
"""Whether this Home Assistant passes searches in the media browser to media sources (2026.3+).

Older versions have no such call: there no folder offers search, and nothing else changes.
"""
SEARCH_MODES: Final = ("smart", "name", "description")
"""Immich's smart search; without it, file names, then descriptions (Immich has no OR)."""
SEARCH_TYPES: Final = {"all": None, "image": "IMAGE", "video": "VIDEO"}
"""The media classes a search may be narrowed to, and Immich's asset type for each."""

_DATE_PART = r"(?:/(?P<year>\d{4})(?:/(?P<month>0[1-9]|1[0-2])(?:/(?P<page>[1-9]\d{0,5}))?)?)?"
_MEDIA_ID = re.compile(
    r"(?P<entry>[0-9A-Za-z]{1,64})"
    r"(?:/(?:"
    rf"(?P<folder>{'|'.join(FOLDERS)})"
    rf"|(?P<kind>{'|'.join(OBJECTS)})/(?P<object>{UUID_PATTERN})"
    rf"){_DATE_PART})?"
)
_SEARCH_ID = re.compile(
    rf"(?P<scope>.+)/search/(?P<mode>{'|'.join(SEARCH_MODES)})/(?P<types>{'|'.join(SEARCH_TYPES)})"
    r"/(?P<page>[1-9]\d{0,5})/(?P<query>[^/]+)"
)
_BUCKET_MONTH = re.compile(r"(\d{4})-(\d{2})")
_LOGGER = logging.getLogger(__name__)


async def async_get_media_source(hass: HomeAssistant) -> MediaSource:
    """Set up the Immich Hub media source."""
    return ImmichHubMediaSource(hass)


@dataclass(frozen=True, slots=True)
class MediaId:
    """A parsed identifier: an entry, a folder or object in it, and a date group."""

    entry_id: str
    kind: str = ""
    object_id: str = ""
    year: int | None = None
    month: int | None = None
    page: int | None = None

    @classmethod
    def parse(cls, identifier: str) -> MediaId | None:
        """Parse an identifier; None when it does not follow the scheme."""
        if not (found := _MEDIA_ID.fullmatch(identifier)):
            return None
        kind = found["folder"] or found["kind"] or ""
        dated = kind in DATED_FOLDERS or kind in DATED_OBJECTS
        if found["year"] and not dated:
            return None
        return cls(
            entry_id=found["entry"],
            kind=kind,
            object_id=(found["object"] or "").lower(),
            year=int(found["year"]) if found["year"] else None,
            month=int(found["month"]) if found["month"] else None,
            page=int(found["page"]) if found["page"] else None,
        )

    def __str__(self) -> str:
        """Return the identifier."""
        parts = [self.entry_id, self.kind, self.object_id]
        if self.year is not None:
            parts.append(f"{self.year:04d}")
        if self.month is not None:
            parts.append(f"{self.month:02d}")
        if self.page is not None:
            parts.append(str(self.page))
        return "/".join(part for part in parts if part)

    @property
    def filters(self) -> dict[str, Any]:
        """Return the timeline filters of a dated folder."""
        if self.kind == "favorites":
            return {"is_favorite": True}
        if self.kind in DATED_OBJECTS:
            return {f"{self.kind}_id": self.object_id}
        return {}

    @property
    def searchable(self) -> bool:
        """Tell whether a search can be narrowed to this folder: an entry or a dated folder."""
        return self.kind in ("", *DATED_FOLDERS, *DATED_OBJECTS)

    @property
    def search_filters(self) -> SearchFilters:
        """Return the search filters of a searchable folder, its dates in local time."""
        filters: SearchFilters = {}
        if self.kind == "favorites":
            filters["is_favorite"] = True
        elif self.kind == "album":
            filters["album_ids"] = [self.object_id]
        elif self.kind == "person":
            filters["person_ids"] = [self.object_id]
        elif self.kind == "tag":
            filters["tag_ids"] = [self.object_id]
        if self.year is not None:
            zone = dt_util.get_default_time_zone()
            if self.month is None:
                start, end = datetime(self.year, 1, 1), datetime(self.year + 1, 1, 1)
            else:
                start = datetime(self.year, self.month, 1)
                end = (start + timedelta(days=31)).replace(day=1)
            filters["taken_after"] = start.replace(tzinfo=zone)
            filters["taken_before"] = end.replace(tzinfo=zone)
        return filters


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of a search: the folder searched, how, for which media, which page, and the query."""

    scope: MediaId
    mode: str
    types: str
    page: int
    query: str

    @classmethod
    def parse(cls, identifier: str) -> SearchPage | None:
        """Parse the identifier of a search page; None when it is not one."""
        if not (found := _SEARCH_ID.fullmatch(identifier)):
            return None
        scope = MediaId.parse(found["scope"])
        query = unquote(found["query"]).strip()
        if scope is None or not scope.searchable or scope.page is not None or not query:
            return None
        return cls(scope, found["mode"], found["types"], int(found["page"]), query)

    def __str__(self) -> str:
        """Return the identifier."""
        query = quote(self.query, safe="")
        return f"{self.scope}/search/{self.mode}/{self.types}/{self.page}/{query}"

    @property
    def filters(self) -> SearchFilters:
        """Return the filters of the searched folder and media type."""
        filters = self.scope.search_filters
        filters["asset_type"] = SEARCH_TYPES[self.types]
        return filters

    def lists(self, asset: Asset) -> bool:
        """Tell whether this page lists an asset Immich returned for it.

        The description search leaves out what the file-name search has already listed.
        """
        return self.mode != "description" or self.query.casefold() not in (
            asset.original_file_name.casefold()
        )

    async def fetch(self, client: ImmichClient) -> AssetPage:
        """Ask Immich for this page."""
        if self.mode == "smart":
            return await client.search_smart(
                self.query, page=self.page, size=PAGE_SIZE, **self.filters
            )
        filters = self.filters
        field = "originalFileName" if self.mode == "name" else "description"
        filters["extra"] = {field: self.query}
        return await client.search_metadata(page=self.page, size=PAGE_SIZE, **filters)

    async def results(self, client: ImmichClient) -> tuple[list[Asset], SearchPage | None]:
        """Return the assets of this page and the page that follows, if any.

        When the file-name search ends, the description search begins on the same page, and a
        page that found nothing new goes on to the next, so no page is empty but the last.
        """
        found: list[Asset] = []
        page: SearchPage | None = self
        while page is not None:
            fetched = page
            result = await fetched.fetch(client)
            found += [asset for asset in result.items if fetched.lists(asset)]
            if (number := result.next_page_number) is not None:
                page = replace(fetched, page=number)
            elif fetched.mode == "name":
                page = replace(fetched, mode="description", page=1)
            else:
                page = None
            if found and (page is None or page.mode == fetched.mode):
                break
        return found, page


def _bucket_month(bucket: TimeBucket) -> tuple[int, int]:
    """Return the year and month of a timeline bucket."""
    found = _BUCKET_MONTH.match(bucket.time_bucket)
    if found is None:
        raise ImmichInvalidResponseError(f"Unexpected time bucket {bucket.time_bucket!r}")
    return int(found[1]), int(found[2])


def _bucket_name(year: int, month: int) -> str:
    """Return Immich's name of a timeline month."""
    return f"{year:04d}-{month:02d}-01"


def _shown_on(memory: Memory) -> datetime | None:
    """Return the middle of the day Immich shows a memory, whatever the two time zones."""
    if memory.show_at is not None and memory.hide_at is not None:
        return memory.show_at + (memory.hide_at - memory.show_at) / 2
    return memory.show_at


def _search_options(searchable: bool) -> dict[str, Any]:
    """Return what a folder tells the media browser about searching it.

    Home Assistant before 2026.3 has no ``search_media_classes`` and cannot search sources.
    """
    if not (searchable and SEARCH_SUPPORTED):
        return {}
    return {"can_search": True, "search_media_classes": [MediaClass.IMAGE, MediaClass.VIDEO]}


def _folder(
    media_id: MediaId | SearchPage,
    title: str,
    thumbnail: str | None = None,
    *,
    searchable: bool = False,
) -> BrowseMediaSource:
    """Return a folder node; a searchable one offers search in the media browser."""
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=str(media_id),
        media_class=MediaClass.DIRECTORY,
        media_content_type=MediaType.IMAGE,
        title=title,
        can_play=False,
        can_expand=True,
        thumbnail=thumbnail,
        **_search_options(searchable),
    )


def _asset(entry_id: str, asset_id: str, is_video: bool, title: str) -> BrowseMediaSource:
    """Return a playable photo or video node with its thumbnail."""
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=str(MediaId(entry_id, "asset", asset_id)),
        media_class=MediaClass.VIDEO if is_video else MediaClass.IMAGE,
        media_content_type=VIDEO_TYPE if is_video else IMAGE_TYPE,
        title=title,
        can_play=True,
        can_expand=False,
        thumbnail=proxy_path(entry_id, "thumbnail", asset_id),
    )


def _named_asset(entry_id: str, asset: Asset) -> BrowseMediaSource:
    """Return the node of an asset Immich described in full, titled by its file name."""
    return _asset(entry_id, asset.id, asset.is_video, asset.original_file_name or asset.id)


def _timeline_asset(entry_id: str, row: TimelineAsset) -> BrowseMediaSource:
    """Return the node of a timeline row, titled by when it was taken (local time)."""
    title = row.id
    if row.file_created_at is not None:
        taken = row.file_created_at + timedelta(hours=row.local_offset_hours or 0)
        title = taken.strftime("%Y-%m-%d %H:%M:%S")
    return _asset(entry_id, row.id, not row.is_image, title)


def _counted(title: str, count: int) -> str:
    """Return a folder title with its asset count."""
    return f"{title} ({count})"


def _page_folders(media_id: MediaId, count: int) -> list[BrowseMediaSource]:
    """Return the page folders of a month holding ``count`` assets."""
    return [
        _folder(
            replace(media_id, page=page),
            f"{(page - 1) * PAGE_SIZE + 1}-{min(page * PAGE_SIZE, count)}",
        )
        for page in range(1, (count + PAGE_SIZE - 1) // PAGE_SIZE + 1)
    ]


def _month_folders(
    media_id: MediaId, months: dict[tuple[int, int], int]
) -> list[BrowseMediaSource]:
    """Return one folder per month."""
    return [
        _folder(replace(media_id, year=year, month=month), _counted(f"{year:04d}-{month:02d}", n))
        for (year, month), n in months.items()
    ]


def _year_folders(media_id: MediaId, months: dict[tuple[int, int], int]) -> list[BrowseMediaSource]:
    """Return one folder per year."""
    years: dict[int, int] = {}
    for (year, _), count in months.items():
        years[year] = years.get(year, 0) + count
    return [
        _folder(replace(media_id, year=year), _counted(f"{year:04d}", count))
        for year, count in years.items()
    ]


class ImmichHubMediaSource(MediaSource):
    """Albums, shared albums, memories, favorites, people, tags and the timeline of Immich."""

    name = "Immich Hub"

    def __init__(self, hass: HomeAssistant) -> None:
        """Initialize the media source."""
        super().__init__(DOMAIN)
        self.hass = hass

    # ---- entry points ----------------------------------------------------------------------

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """Return a folder of the library, or a further page of a search."""
        if not item.identifier:
            return self._root()
        if search := SearchPage.parse(item.identifier):
            entry = self._entry(search.scope.entry_id, BrowseError)
            browse = partial(self._search_page, entry, search)
        else:
            media_id = self._parse(item.identifier, BrowseError)
            entry = self._entry(media_id.entry_id, BrowseError)
            browse = partial(self._browse, entry, media_id)
        with immich_errors(
            self.hass,
            entry,
            "browse_failed",
            exception=BrowseError,
            not_found="media_not_found",
            media_id=item.identifier,
        ):
            return await browse()

    async def async_search_media(
        self, item: MediaSourceItem, query: SearchMediaQuery
    ) -> SearchMedia:
        """Search an entry or a dated folder: one page of results, then a folder with more.

        Home Assistant calls this from 2026.3 on; older versions never do.
        """
        media_id = MediaId.parse(item.identifier) if item.identifier else None
        if media_id is None or not media_id.searchable:
            raise translated_error(
                BrowseError, "media_not_searchable", media_id=item.media_source_id
            )
        if not (text := query.search_query.strip()):
            raise translated_error(BrowseError, "search_query_empty")
        entry = self._entry(media_id.entry_id, BrowseError)
        classes = set(query.media_filter_classes or ())
        types = [t for t in ("image", "video") if MediaClass(t) in classes]
        if classes and not types:
            return SearchMedia(result=[])  # only kinds of media Immich does not hold
        client = entry.runtime_data.client
        with immich_errors(
            self.hass, entry, "search_failed", exception=BrowseError, media_id=item.media_source_id
        ):
            mode = "smart" if (await client.get_features()).smart_search else "name"
            search = SearchPage(
                replace(media_id, page=None), mode, types[0] if len(types) == 1 else "all", 1, text
            )
            return SearchMedia(result=await self._search_results(entry, search))

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Resolve a photo or video to a signed URL of the proxy view."""
        media_id = self._parse(item.identifier, Unresolvable)
        if media_id.kind != "asset":
            raise translated_error(Unresolvable, "media_not_playable", media_id=item.identifier)
        entry = self._entry(media_id.entry_id, Unresolvable)
        return await async_resolve_asset(self.hass, entry, media_id.object_id)

    # ---- validation ------------------------------------------------------------------------

    @staticmethod
    def _parse(identifier: str, error: type[HomeAssistantError]) -> MediaId:
        """Parse an identifier or raise the translated error."""
        if (media_id := MediaId.parse(identifier)) is None:
            raise translated_error(error, "invalid_media_id", media_id=identifier)
        return media_id

    def _entry(self, entry_id: str, error: type[HomeAssistantError]) -> ImmichHubConfigEntry:
        """Return a loaded entry that may browse media, or raise the translated error."""
        if (entry := loaded_entry(self.hass, entry_id)) is None:
            raise translated_error(error, "entry_not_loaded", entry_id=entry_id)
        if not entry.runtime_data.has(Feature.MEDIA_BROWSER):
            raise translated_error(error, "media_browser_not_allowed", title=entry.title)
        return entry

    # ---- folders ---------------------------------------------------------------------------

    def _root(self) -> BrowseMediaSource:
        """Return one folder per loaded entry that may browse media."""
        root = _folder(MediaId(""), self.name or DOMAIN)
        root.children = [
            _folder(MediaId(entry.entry_id), entry.title)
            for entry in self.hass.config_entries.async_loaded_entries(DOMAIN)
            if entry.runtime_data.has(Feature.MEDIA_BROWSER)
        ]
        return root

    async def _titles(self) -> dict[str, str]:
        """Return the translated titles of the folders."""
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "common", [DOMAIN]
        )
        prefix = f"component.{DOMAIN}.common."
        return {
            key.removeprefix(prefix): value
            for key, value in translations.items()
            if key.startswith(prefix)
        }

    async def _browse(self, entry: ImmichHubConfigEntry, media_id: MediaId) -> BrowseMediaSource:
        """Return the folder an identifier names."""
        if media_id.kind == "asset":
            raise translated_error(BrowseError, "media_not_browsable", media_id=str(media_id))
        browse = {
            "": self._entry_folders,
            "albums": self._albums,
            "shared": self._albums,
            "memories": self._memories,
            "memory": self._memory,
            "people": self._people,
            "tags": self._tags,
        }.get(media_id.kind, self._dated)
        return await browse(entry, media_id, await self._titles())

    async def _entry_folders(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> BrowseMediaSource:
        """Return the folders of an entry."""
        node = _folder(media_id, entry.title, searchable=True)
        node.children = [
            _folder(replace(media_id, kind=folder), titles[folder]) for folder in FOLDERS
        ]
        return node

    async def _tags(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> BrowseMediaSource:
        """Return the top-level tags; nested tags are folders inside their parent."""
        node = _folder(media_id, titles["tags"])
        node.children = [
            _folder(MediaId(entry.entry_id, "tag", tag.id), tag.name)
            for tag in await entry.runtime_data.client.list_tags()
            if tag.parent_id is None
        ]
        return node

    async def _albums(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> BrowseMediaSource:
        """Return the user's own albums, or the albums others share with the user."""
        client, user_id = entry.runtime_data.client, entry.runtime_data.user.id
        albums: Iterable[Album]
        if media_id.kind == "albums":
            albums = await client.list_albums()
        else:
            albums = (
                album
                for album in await client.list_albums(shared=True)
                if album.owner_id != user_id
            )
        node = _folder(media_id, titles[media_id.kind])
        node.children = [
            _folder(
                MediaId(entry.entry_id, "album", album.id),
                album.name,
                proxy_path(entry.entry_id, "thumbnail", album.thumbnail_asset_id)
                if album.thumbnail_asset_id
                else None,
            )
            for album in albums
        ]
        return node

    async def _memories(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> BrowseMediaSource:
        """Return the memories, today's first, each titled by how many years ago it was."""
        memories = await entry.runtime_data.client.list_memories()
        now = dt_util.now()

        def is_today(memory: Memory) -> bool:
            """Tell whether Immich shows the memory today."""
            return (memory.show_at is None or memory.show_at <= now) and (
                memory.hide_at is None or now < memory.hide_at
            )

        # Today's first; then the most recent day; within a day, the most recent year.
        memories.sort(
            key=lambda memory: (
                not is_today(memory),
                -(_shown_on(memory) or now).timestamp(),
                -(memory.data.year or 0),
            )
        )
        node = _folder(media_id, titles["memories"])
        node.children = [
            _folder(
                MediaId(entry.entry_id, "memory", memory.id),
                self._memory_title(memory, titles),
                proxy_path(entry.entry_id, "thumbnail", memory.assets[0].id)
                if memory.assets
                else None,
            )
            for memory in memories
        ]
        return node

    @staticmethod
    def _memory_title(memory: Memory, titles: dict[str, str]) -> str:
        """Return "N years ago" for an on-this-day memory, else the day it recalls.

        Immich sets ``memoryAt`` to the recalled day in its own year, so the years are counted
        from the day the memory is shown.
        """
        shown = _shown_on(memory) or dt_util.now()
        if (year := memory.data.year) is not None and (years := shown.year - year) >= 1:
            if years == 1:
                return titles["memory_one_year"]
            return titles["memory_years"].format(years=years)
        moment = memory.memory_at or memory.show_at
        return moment.date().isoformat() if moment else memory.id

    async def _memory(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> BrowseMediaSource:
        """Return the photos and videos of a memory."""
        memory = await entry.runtime_data.client.get_memory(media_id.object_id)
        node = _folder(media_id, self._memory_title(memory, titles))
        node.children = [_named_asset(entry.entry_id, asset) for asset in memory.assets]
        return node

    async def _people(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> BrowseMediaSource:
        """Return the named people with their face thumbnails."""
        node = _folder(media_id, titles["people"])
        node.children = [
            _folder(
                MediaId(entry.entry_id, "person", person.id),
                person.name,
                proxy_path(entry.entry_id, "person", person.id),
            )
            async for person in entry.runtime_data.client.iter_people()
            if person.name
        ]
        return node

    # ---- dated folders: favorites, timeline, album, person, tag ----------------------------

    async def _dated_title(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> tuple[str, list[BrowseMediaSource], bool]:
        """Return a dated folder's title, the folders before its assets, whether it is searched.

        Reading the album, person or tag first also tells a missing one apart from an empty one.
        Immich searches only the user's own assets, so an album of another user is not searched.
        """
        client = entry.runtime_data.client
        if media_id.kind == "album":
            album = await client.get_album(media_id.object_id)
            own = album.owner_id == entry.runtime_data.user.id
            return _counted(album.name, album.asset_count), [], own
        if media_id.kind == "person":
            return (await client.get_person(media_id.object_id)).name, [], True
        if media_id.kind == "tag":
            tags = await client.list_tags()
            if not (found := [tag for tag in tags if tag.id == media_id.object_id]):
                raise translated_error(BrowseError, "media_not_found", media_id=str(media_id))
            children = [
                _folder(MediaId(media_id.entry_id, "tag", tag.id), tag.name)
                for tag in tags
                if tag.parent_id == media_id.object_id
            ]
            return found[0].name, children, True
        return titles[media_id.kind], [], True

    async def _dated(
        self, entry: ImmichHubConfigEntry, media_id: MediaId, titles: dict[str, str]
    ) -> BrowseMediaSource:
        """Return a folder read through the timeline, split by date when it is large."""
        client = entry.runtime_data.client
        if media_id.month is not None:
            return await self._month(entry, media_id)
        title, children, searchable = await self._dated_title(entry, media_id, titles)
        buckets = await client.list_time_buckets(**media_id.filters)
        months = {_bucket_month(bucket): bucket.count for bucket in buckets if bucket.count}
        if media_id.year is not None:
            months = {key: n for key, n in months.items() if key[0] == media_id.year}
            if not months:
                raise translated_error(BrowseError, "media_not_found", media_id=str(media_id))
            title = _counted(f"{media_id.year:04d}", sum(months.values()))
        years = {year for year, _ in months}
        if media_id.kind != "timeline" and sum(months.values()) <= PAGE_SIZE:
            # Small enough for one listing: the assets themselves, not date groups.
            groups = await self._assets_of(client, media_id, months)
        elif media_id.year is None and (media_id.kind == "timeline" or len(years) > 1):
            groups = _year_folders(media_id, months)
        elif media_id.year is not None or len(months) > 1:
            groups = _month_folders(media_id, months)
        else:
            groups = [
                page
                for (year, month), count in months.items()
                for page in _page_folders(replace(media_id, year=year, month=month), count)
            ]
        node = _folder(media_id, title, searchable=searchable)
        node.children = [*children, *groups]
        return node

    async def _assets_of(
        self, client: ImmichClient, media_id: MediaId, months: Iterable[tuple[int, int]]
    ) -> list[BrowseMediaSource]:
        """Return every asset of the given months (a folder small enough for one listing)."""
        buckets = await asyncio.gather(
            *(
                client.get_time_bucket(_bucket_name(year, month), **media_id.filters)
                for year, month in months
            )
        )
        return [
            _timeline_asset(media_id.entry_id, row) for bucket in buckets for row in bucket.assets()
        ]

    async def _month(self, entry: ImmichHubConfigEntry, media_id: MediaId) -> BrowseMediaSource:
        """Return a month's assets, or its pages when it holds more than one listing."""
        assert media_id.year is not None
        assert media_id.month is not None
        client = entry.runtime_data.client
        reading = client.get_time_bucket(
            _bucket_name(media_id.year, media_id.month), **media_id.filters
        )
        searchable = True
        if media_id.kind == "album" and SEARCH_SUPPORTED:
            # Immich searches only the user's own assets: an album of another user is not searched.
            bucket, album = await asyncio.gather(reading, client.get_album(media_id.object_id))
            searchable = album.owner_id == entry.runtime_data.user.id
        else:
            bucket = await reading
        count = len(bucket.id)
        title = _counted(f"{media_id.year:04d}-{media_id.month:02d}", count)
        if media_id.page is None and count > PAGE_SIZE:
            node = _folder(media_id, title, searchable=searchable)
            node.children = _page_folders(media_id, count)
            return node
        page = media_id.page or 1
        rows = bucket.assets()[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if not rows:
            raise translated_error(BrowseError, "media_not_found", media_id=str(media_id))
        node = _folder(media_id, title, searchable=searchable)
        node.children = [_timeline_asset(media_id.entry_id, row) for row in rows]
        return node

    # ---- search ----------------------------------------------------------------------------

    async def _search_results(
        self, entry: ImmichHubConfigEntry, search: SearchPage
    ) -> list[BrowseMedia]:
        """Return a page of search results, then a folder with the next page if there is one."""
        assets, following = await search.results(entry.runtime_data.client)
        nodes: list[BrowseMedia] = [_named_asset(entry.entry_id, asset) for asset in assets]
        if following is not None:
            nodes.append(_folder(following, await self._more_results(search)))
        return nodes

    async def _more_results(self, search: SearchPage) -> str:
        """Return the title of a further page of a search."""
        return (await self._titles())["more_results"].format(query=search.query)

    async def _search_page(
        self, entry: ImmichHubConfigEntry, search: SearchPage
    ) -> BrowseMediaSource:
        """Return a further page of a search, opened from the folder ending the one before."""
        node = _folder(search, await self._more_results(search))
        node.children = await self._search_results(entry, search)
        return node
