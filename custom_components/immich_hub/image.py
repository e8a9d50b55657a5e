"""Image entities: a random photo, a random favorite and today's memories, rotating."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from io import BytesIO
from typing import Any

from PIL import Image, ImageOps

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .api import Asset, AssetMediaSize, ImmichClient, ImmichError
from .const import CONF_IMAGE_INTERVAL, CONF_PAIR_PORTRAITS, LOGGER, Feature, option
from .data import ImmichHubConfigEntry
from .entity import device_info
from .playback import IMAGE_TYPE

PARALLEL_UPDATES = 0
CANDIDATES = 10
"""Random assets asked for at once, so that a second portrait can be found for pairing."""


@dataclass(frozen=True, slots=True)
class Shown:
    """What one image entity shows: the photos and what is known of them."""

    image: bytes
    assets: list[Asset]
    attributes: dict[str, Any] = field(default_factory=dict)


def _is_portrait(asset: Asset) -> bool:
    """Tell whether an asset is taller than wide."""
    return bool(asset.width and asset.height and asset.height > asset.width)


def _compose(images: list[bytes]) -> bytes:
    """Turn photos upright and, for two, put them side by side at one height (in an executor)."""
    upright = [ImageOps.exif_transpose(Image.open(BytesIO(data))) for data in images]
    if len(upright) == 1:
        result = upright[0]
    else:
        height = min(image.height for image in upright)
        scaled = [
            image.resize((round(image.width * height / image.height), height)) for image in upright
        ]
        result = Image.new("RGB", (sum(image.width for image in scaled), height))
        left = 0
        for image in scaled:
            result.paste(image, (left, 0))
            left += image.width
    out = BytesIO()
    result.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass(frozen=True, kw_only=True)
class ImmichHubImageDescription(ImageEntityDescription):
    """An image entity and how it picks its photos."""

    pick: Callable[[ImmichHubImage], Any]


class ImmichHubImage(ImageEntity):
    """A photo from Immich that changes on the configured interval while someone looks at it.

    Immich is asked for photos only when the picture is asked for (``async_image``: a dashboard
    card through the image proxy, a media player, a notification, ``image.snapshot``). One photo
    is fetched at startup. An interval after a photo was shown, the next one is shown only if
    the picture was asked for meanwhile; else nothing is fetched, and the photo stays until an
    ask, which then shows a new photo within seconds (the ask itself is served the old one).
    Each ask fetches the next photo ahead of time, so a viewer gets it at once when due.
    ``homeassistant.update_entity`` on a photo left unseen that long replaces it, and waits.

    The state (when the photo changed) and the attributes describe the photo shown, so with
    nobody looking they keep describing the last one, however old, and do not change: an
    automation reads the details of the photo it would send, but ``memories_today`` and
    ``showing`` may be of an earlier day, and one triggered by the state waits for a look.
    """

    _attr_has_entity_name = True
    _attr_content_type = IMAGE_TYPE
    # The photo's details change with every photo shown: not worth a row in the recorder each.
    _unrecorded_attributes = frozenset(
        {"asset_id", "asset_ids", "taken_at", "place", "people", "album", "file_name", "years_ago"}
    )
    entity_description: ImmichHubImageDescription

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichHubConfigEntry,
        description: ImmichHubImageDescription,
    ) -> None:
        """Set up the entity; the first photo comes once it is added."""
        super().__init__(hass)
        self.entity_description = description
        self.entry = entry
        self.client: ImmichClient = entry.runtime_data.client
        self.pair_portraits = bool(option(entry, CONF_PAIR_PORTRAITS))
        self.interval = timedelta(seconds=int(option(entry, CONF_IMAGE_INTERVAL)))
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info: DeviceInfo = device_info(entry)
        self._shown: Shown | None = None
        self._next: Shown | None = None
        self._position = 0
        self._asked = True
        """The photo shown was asked for since it was shown; true until the first is shown."""
        self._stale = False
        """An interval has passed with nobody asking: the next ask brings a new photo."""
        self._due: CALLBACK_TYPE | None = None
        self._fetching = asyncio.Lock()
        self._rotation: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def async_added_to_hass(self) -> None:
        """Show a first photo (in a task of the entry, which setup waits for)."""
        await super().async_added_to_hass()
        self.async_on_remove(self._async_stop)
        # Added again after its entity id changed, it starts afresh too.
        self._asked, self._stale = True, False
        self._rotation = self._track(
            self.entry.async_create_task(self.hass, self._async_rotate(), eager_start=False)
        )

    @callback
    def _async_stop(self) -> None:
        """Stop rotating and drop the fetches under way."""
        if self._due:
            self._due()
        for task in self._tasks:
            task.cancel()

    def _track(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        """Keep a fetch task, to cancel it when the entity goes."""
        if not task.done():
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return task

    @callback
    def _async_start(self, job: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run a fetch in the background, cancelled with the entry or the entity."""
        return self._track(
            self.entry.async_create_background_task(self.hass, job, f"{self.entity_id} {name}")
        )

    @callback
    def _async_start_rotation(self) -> None:
        """Move on to the next photo now."""
        self._stale = False
        self._rotation = self._async_start(self._async_rotate(), "rotation")

    @callback
    def _async_due(self, _now: datetime) -> None:
        """Move on if the photo shown was asked for; else wait for someone to ask."""
        self._due = None
        if self._asked:
            self._async_start_rotation()
        else:
            self._stale = True

    async def _async_rotate(self) -> None:
        """Show the prefetched photo (or fetch one now) and come back in an interval."""
        async with self._fetching:
            shown = self._next or await self._async_fetch()
            self._next = None
        if shown is not None:
            self._shown = shown
            self._asked = False
            self._attr_image_last_updated = dt_util.utcnow()
            self.async_write_ha_state()
        # After a failure, the photo kept is still wanted if it was: try again in an interval.
        self._due = async_call_later(self.hass, self.interval, self._async_due)

    async def _async_prefetch(self) -> None:
        """Fetch the next photo for whoever is looking, so that it shows at once when due."""
        async with self._fetching:
            if self._next is None:
                self._next = await self._async_fetch()

    async def _async_fetch(self) -> Shown | None:
        """Pick photos and download their previews; on failure keep what is shown."""
        try:
            assets, attributes = await self.entity_description.pick(self)
            if not assets:
                return None
            images = [await self._async_preview(asset.id) for asset in assets]
        except ImmichError as err:
            LOGGER.debug("No new photo for %s: %s", self.entity_id, err)
            return None
        image = await self.hass.async_add_executor_job(_compose, images)
        return Shown(image, assets, attributes)

    async def _async_preview(self, asset_id: str) -> bytes:
        """Download an asset's preview, which Immich renders as JPEG even for HEIC and RAW."""
        async with await self.client.get_thumbnail(asset_id, size=AssetMediaSize.PREVIEW) as stream:
            return await stream.read()

    def paired(self, assets: list[Asset], *, keep_first: bool = False) -> list[Asset]:
        """Return the photos to show: two portraits side by side when asked and possible.

        With ``keep_first`` the first photo is shown whatever it is (the next memory).
        """
        first = assets[0]
        if not self.pair_portraits:
            return [first]
        portraits = [asset for asset in assets if _is_portrait(asset)]
        if keep_first:
            others = [asset for asset in portraits if asset.id != first.id]
            return [first, others[0]] if _is_portrait(first) and others else [first]
        return portraits[:2] if len(portraits) >= 2 else [first]

    async def random_assets(self, *, is_favorite: bool | None = None) -> list[Asset]:
        """Return random photos with their details."""
        return await self.client.search_random(
            size=CANDIDATES if self.pair_portraits else 1,
            is_favorite=is_favorite,
            asset_type="IMAGE",
            with_exif=True,
            extra={"withPeople": True},
        )

    async def describe(self, assets: list[Asset], **extra: Any) -> dict[str, Any]:
        """Return what a dashboard may show about the photos."""
        first = assets[0]
        exif = first.exif_info
        taken = (exif.date_time_original if exif else None) or first.local_date_time
        place = (
            ", ".join(part for part in (exif.city, exif.state, exif.country) if part)
            if exif
            else ""
        )
        albums = await self.client.list_albums(asset_id=first.id)
        return {
            "asset_id": first.id,
            "asset_ids": [asset.id for asset in assets],
            "taken_at": taken.isoformat() if taken else None,
            "place": place or None,
            "people": [person.name for person in first.people if person.name],
            "album": albums[0].name if albums else None,
            "file_name": first.original_file_name,
            **extra,
        }

    def claim_position(self, count: int) -> int:
        """Return the next position in a list of ``count`` photos, going round."""
        index = self._position % count
        self._position = index + 1
        return index

    async def async_image(self) -> bytes | None:
        """Return the photo shown, which counts as looked at: fetch what comes next."""
        self._asked = True
        if self._stale:
            self._async_start_rotation()
        elif self._next is None and not self._fetching.locked():
            self._async_start(self._async_prefetch(), "prefetch")
        return self._shown.image if self._shown else None

    async def async_update(self) -> None:
        """Show a new photo now if the one shown is stale (``homeassistant.update_entity``)."""
        if self._stale:
            self._async_start_rotation()
        if self._rotation is not None:
            await asyncio.wait([self._rotation])

    @property
    def available(self) -> bool:
        """Tell whether a photo has been shown yet."""
        return self._shown is not None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return what is known about the photo shown."""
        return self._shown.attributes if self._shown else {}


async def _pick_random(
    entity: ImmichHubImage, *, favorite: bool = False
) -> tuple[list[Asset], dict[str, Any]]:
    """Pick a random photo, or a random favorite."""
    assets = await entity.random_assets(is_favorite=True if favorite else None)
    if not assets:
        return [], {}
    chosen = entity.paired(assets)
    return chosen, await entity.describe(chosen)


async def _pick_memory(entity: ImmichHubImage) -> tuple[list[Asset], dict[str, Any]]:
    """Pick the next photo of today's memories, or a random favorite when there is none."""
    today = dt_util.now().date()
    memories = await entity.client.list_memories(day=today)
    photos = [
        (asset, memory.data.year)
        for memory in memories
        for asset in memory.assets
        if asset.type == "IMAGE"
    ]
    if not photos:
        # Rather than going blank on a day without memories, show a favorite and say so.
        assets, attributes = await _pick_random(entity, favorite=True)
        return assets, {**attributes, "memories_today": 0, "showing": "favorite"}
    index = entity.claim_position(len(photos))
    ordered = [asset for asset, _ in photos[index:] + photos[:index]]
    chosen = entity.paired(ordered, keep_first=True)
    year = photos[index][1]
    return chosen, await entity.describe(
        chosen,
        memories_today=len(memories),
        showing="memory",
        years_ago=today.year - year if year else None,
    )


IMAGES: tuple[ImmichHubImageDescription, ...] = (
    ImmichHubImageDescription(key="random", translation_key="random", pick=_pick_random),
    ImmichHubImageDescription(
        key="favorites", translation_key="favorites", pick=partial(_pick_random, favorite=True)
    ),
    ImmichHubImageDescription(key="memories", translation_key="memories", pick=_pick_memory),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the image entities when the key may read and view photos."""
    if entry.runtime_data.has(Feature.IMAGE_ENTITIES):
        async_add_entities(ImmichHubImage(hass, entry, description) for description in IMAGES)
