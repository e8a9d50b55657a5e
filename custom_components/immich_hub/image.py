"""Image entities: a random photo, a random favorite and today's memories, rotating."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from io import BytesIO
from typing import Any

from PIL import Image, ImageOps

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
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
    """A photo from Immich that changes on the configured interval.

    The next photo is fetched as soon as one is shown, so it is ready when due.
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

    async def async_added_to_hass(self) -> None:
        """Show the first photo and start rotating."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_time_interval(self.hass, self._async_rotate, self.interval)
        )
        self.entry.async_create_task(self.hass, self._async_rotate(), eager_start=False)

    async def _async_rotate(self, _now: datetime | None = None) -> None:
        """Show the prefetched photo (or fetch one now), then prefetch the next."""
        shown = self._next or await self._async_fetch()
        self._next = None
        if shown is not None:
            self._shown = shown
            self._attr_image_last_updated = dt_util.utcnow()
            self.async_write_ha_state()
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
        """Return the photo shown."""
        return self._shown.image if self._shown else None

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
