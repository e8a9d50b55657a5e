"""Slideshows of Immich photos and videos on any media player.

A slideshow plays one asset after another through ``media_player.play_media`` with signed URLs
of the proxy view, one per tick of a timer. It stops when asked, when the player is turned off,
when something else starts playing on it, or at the end (unless it loops). While Immich cannot be
reached it pauses on the current slide and resumes by itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
import random
from typing import Any, Final

from homeassistant.components.media_player.browse_media import async_process_play_media_url
from homeassistant.components.media_player.const import (
    ATTR_MEDIA_CONTENT_ID,
    ATTR_MEDIA_CONTENT_TYPE,
    DOMAIN as MEDIA_PLAYER_DOMAIN,
    SERVICE_PLAY_MEDIA,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_STANDBY, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_state_change_event
from homeassistant.util import dt as dt_util

from .api import ImmichClient, ImmichError
from .const import DOMAIN, LOGGER
from .data import ImmichHubConfigEntry, signal_slideshow
from .playback import async_resolve_asset

SOURCES: Final = ("memories", "album", "favorites", "person", "tag", "random")
SOURCES_WITH_ID: Final = frozenset({"album", "person", "tag"})
RANDOM_SLIDES: Final = 100
MAX_FAILED_SLIDES: Final = 3
"""Slides in a row a player may refuse before the slideshow stops."""


@dataclass(frozen=True, slots=True)
class Slide:
    """One asset of a slideshow."""

    asset_id: str
    is_video: bool
    duration_s: float | None = None


async def async_collect_slides(
    client: ImmichClient, source: str, source_id: str | None
) -> list[Slide]:
    """Return the assets of a source, in the order they were taken."""
    if source == "memories":
        memories = await client.list_memories(day=dt_util.now().date())
        return [
            Slide(asset.id, asset.is_video, _seconds(asset.duration_ms))
            for memory in memories
            for asset in memory.assets
        ]
    if source == "random":
        assets = await client.search_random(size=RANDOM_SLIDES)
        return [Slide(a.id, a.is_video, _seconds(a.duration_ms)) for a in assets]
    # The timeline also holds the assets other users share, which search does not.
    filters: dict[str, Any] = (
        {"is_favorite": True} if source == "favorites" else {f"{source}_id": source_id}
    )
    slides: list[Slide] = []
    for bucket in await client.list_time_buckets(order="asc", **filters):
        bucket_assets = await client.get_time_bucket(bucket.time_bucket, order="asc", **filters)
        slides.extend(
            Slide(row.id, not row.is_image, _seconds(row.duration_ms))
            for row in bucket_assets.assets()
        )
    return slides


def _seconds(duration_ms: int | None) -> float | None:
    """Return a duration in seconds."""
    return None if duration_ms is None else duration_ms / 1000


@dataclass(slots=True)
class Slideshow:
    """A slideshow running on one media player, one slide per timer tick."""

    hass: HomeAssistant
    entry: ImmichHubConfigEntry
    player: str
    source: str
    source_id: str | None
    slides: list[Slide]
    interval: float
    shuffle: bool
    loop: bool
    status: str = "playing"
    position: int = 0
    _sent: deque[str] = field(default_factory=lambda: deque(maxlen=2), init=False)
    _failures: int = field(default=0, init=False)
    _unsubs: list[Callable[[], None]] = field(default_factory=list, init=False)
    _timer: Callable[[], None] | None = field(default=None, init=False)
    _stopped: bool = field(default=False, init=False)

    def is_stopped(self) -> bool:
        """Tell whether the slideshow has been stopped (a call, so each await is seen anew)."""
        return self._stopped

    @property
    def current(self) -> Slide | None:
        """Return the slide on screen."""
        return self.slides[self.position - 1] if self.position else None

    def as_dict(self) -> dict[str, Any]:
        """Return what a dashboard shows of the slideshow."""
        current = self.current
        return {
            "player": self.player,
            "source": self.source,
            "source_id": self.source_id,
            "status": self.status,
            "position": self.position,
            "total": len(self.slides),
            "asset_id": current.asset_id if current else None,
        }

    @callback
    def async_start(self) -> None:
        """Start playing, replacing any slideshow on the same player (of any entry).

        The entry's runtime data holds the slideshow until it stops; the entry stops those
        still running when it unloads.
        """
        async_stop_slideshow(self.hass, self.player, "replaced")
        self.entry.runtime_data.slideshows[self.player] = self
        if self.shuffle:
            random.shuffle(self.slides)
        self._unsubs.append(
            async_track_state_change_event(self.hass, self.player, self._async_player_changed)
        )
        self._changed()
        self._async_step()

    @callback
    def async_stop(self, reason: str) -> None:
        """Stop the slideshow (again is harmless)."""
        if self._stopped:
            return
        self._stopped = True
        running = self.entry.runtime_data.slideshows
        if running.get(self.player) is self:
            del running[self.player]
        for unsub in self._unsubs:
            unsub()
        if self._timer is not None:
            self._timer()
            self._timer = None
        LOGGER.debug("Slideshow on %s stopped: %s", self.player, reason)
        self.status = "stopped"
        self._changed()

    def _changed(self) -> None:
        """Tell the entry's slideshow entity."""
        async_dispatcher_send(self.hass, signal_slideshow(self.entry.entry_id))

    @callback
    def _async_player_changed(self, event: Event[EventStateChangedData]) -> None:
        """Stop when the player is turned off or plays something else."""
        new = event.data["new_state"]
        if new is None or new.state in (STATE_OFF, STATE_STANDBY, STATE_UNAVAILABLE):
            self.async_stop("player off")
            return
        content = new.attributes.get(ATTR_MEDIA_CONTENT_ID)
        # The previous slide counts as ours: a player may still report it while it switches.
        if content and self._sent and content not in self._sent:
            self.async_stop("player plays something else")

    @callback
    def _async_step(self, _now: datetime | None = None) -> None:
        """Show the next slide, in a task of the entry."""
        self._timer = None
        if not self._stopped:
            self.entry.async_create_task(self.hass, self._async_next())

    def _schedule(self, delay: float) -> None:
        """Come back for the next slide after a delay."""
        if not self._stopped:
            self._timer = async_call_later(self.hass, delay, self._async_step)

    async def _async_next(self) -> None:
        """Show one slide, or pause while Immich cannot be reached, or finish."""
        if self.position >= len(self.slides):
            if not self.loop:
                self.async_stop("finished")
                return
            self.position = 0
            if self.shuffle:
                random.shuffle(self.slides)
        reachable = await self._async_reachable(self.entry.runtime_data.client)
        if self.is_stopped():  # while waiting for Immich
            return
        if not reachable:
            self._schedule(self.interval)
            return
        slide = self.slides[self.position]
        shown = await self._async_show(slide)
        if self.is_stopped():  # while the player took the slide
            return
        self.position += 1
        if not shown:
            self._failures += 1
            if self._failures >= min(MAX_FAILED_SLIDES, len(self.slides)):
                LOGGER.warning(
                    "Slideshow on %s stopped: %s slides in a row could not be played",
                    self.player,
                    self._failures,
                )
                self.async_stop("slides could not be played")
            else:
                self._schedule(0)
            return
        self._failures = 0
        self.status = "playing"
        self._changed()
        wait = self.interval
        if slide.is_video and slide.duration_s:
            wait = max(wait, slide.duration_s)
        self._schedule(wait)

    async def _async_reachable(self, client: ImmichClient) -> bool:
        """Tell whether Immich answers; pause on the current slide while it does not."""
        try:
            reachable = await client.ping()
        except ImmichError as err:
            LOGGER.debug("Slideshow on %s paused: %s", self.player, err)
            reachable = False
        if not reachable and self.status != "paused":
            self.status = "paused"
            self._changed()
        return reachable

    async def _async_show(self, slide: Slide) -> bool:
        """Ask the player to play one slide; tell whether it took it.

        The slide is resolved as the media browser resolves it: a signed URL of the proxy view
        and the media type Immich serves.
        """
        try:
            media = await async_resolve_asset(self.hass, self.entry, slide.asset_id)
            url = async_process_play_media_url(self.hass, media.url)
            self._sent.append(url)
            await self.hass.services.async_call(
                MEDIA_PLAYER_DOMAIN,
                SERVICE_PLAY_MEDIA,
                {
                    ATTR_ENTITY_ID: self.player,
                    ATTR_MEDIA_CONTENT_ID: url,
                    ATTR_MEDIA_CONTENT_TYPE: media.mime_type,
                },
                blocking=True,
            )
        except HomeAssistantError as err:
            LOGGER.warning("Slideshow on %s skips asset %s: %s", self.player, slide.asset_id, err)
            return False
        return True


@callback
def async_stop_slideshow(hass: HomeAssistant, player: str, reason: str) -> bool:
    """Stop the slideshow on a media player, whichever entry runs it; tell whether one ran."""
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        running: ImmichHubConfigEntry = entry
        if (show := running.runtime_data.slideshows.get(player)) is not None:
            show.async_stop(reason)
            return True
    return False
