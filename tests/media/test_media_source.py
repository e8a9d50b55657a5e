"""Browse and resolve the Immich library through Home Assistant's media source, over HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_hub.const import CONF_IMAGE_SIZE, DOMAIN, IMAGE_SIZE_FULLSIZE
from custom_components.immich_hub.media_source import PAGE_SIZE
from fake_immich import FakeImmich
from homeassistant.components import media_source
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import BrowseMediaSource, PlayMedia, Unresolvable
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant

from .conftest import add_entry

pytestmark = pytest.mark.usefixtures("setup_media_source")

ROOT = "media-source://immich_hub"
MISSING = "00000000-0000-4000-8000-000000000000"


async def resolve(hass: HomeAssistant, entry: MockConfigEntry, asset_id: str) -> PlayMedia:
    """Resolve one asset of an entry, as a player asks for it."""
    return await media_source.async_resolve_media(
        hass, f"{ROOT}/{entry.entry_id}/asset/{asset_id}", None
    )


async def browse(hass: HomeAssistant, identifier: str = "") -> BrowseMediaSource:
    """Browse one identifier below the Immich Hub root."""
    return await media_source.async_browse_media(
        hass, f"{ROOT}/{identifier}" if identifier else ROOT
    )


def asset_ids(node: BrowseMediaSource) -> list[str]:
    """Return the ids of the photos and videos listed in a folder."""
    return [
        child.media_content_id.rsplit("/", 1)[1]
        for child in node.children or []
        if not child.can_expand
    ]


def folders(node: BrowseMediaSource) -> dict[str, str]:
    """Return the sub-folders of a folder, title to identifier."""
    return {
        child.title: child.media_content_id.removeprefix(f"{ROOT}/")
        for child in node.children or []
        if child.can_expand
    }


async def walk(hass: HomeAssistant, identifier: str) -> tuple[list[str], list[BrowseMediaSource]]:
    """Return every asset below a folder (in listing order) and every folder visited."""
    node = await browse(hass, identifier)
    found, visited = asset_ids(node), [node]
    for child in folders(node).values():
        more, seen = await walk(hass, child)
        found += more
        visited += seen
    return found, visited


def visible(immich: FakeImmich, owner_id: str) -> set[str]:
    """Return the ids of a user's assets on the timeline."""
    return {
        asset.id
        for asset in immich.library.assets.values()
        if asset.owner_id == owner_id and asset.visibility == "timeline" and not asset.is_trashed
    }


async def test_root_lists_entries_that_may_browse(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Only entries whose key may browse media appear; the others explain why not."""
    limited = await add_entry(hass, immich, immich.limited_key, immich.user_user_id)

    root = await browse(hass)

    assert folders(root) == {loaded_entry.title: loaded_entry.entry_id}
    with pytest.raises(BrowseError) as err:
        await browse(hass, limited.entry_id)
    assert err.value.translation_key == "media_browser_not_allowed"


async def test_entry_folders(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """An entry shows the seven folders of the library, with translated titles."""
    node = await browse(hass, loaded_entry.entry_id)

    assert node.title == loaded_entry.title
    assert folders(node) == {
        title: f"{loaded_entry.entry_id}/{key}"
        for title, key in (
            ("Albums", "albums"),
            ("Shared with me", "shared"),
            ("Memories", "memories"),
            ("Favorites", "favorites"),
            ("People", "people"),
            ("Tags", "tags"),
            ("Timeline", "timeline"),
        )
    }


async def test_albums(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Own albums show with their covers; an album lists its assets and its size."""
    node = await browse(hass, f"{loaded_entry.entry_id}/albums")

    albums = {album.name: album for album in immich.library.albums.values()}
    assert set(folders(node)) == {"Holidays", "Family", "Empty album"}
    covers = {child.title: child.thumbnail for child in node.children or []}
    holidays = albums["Holidays"]
    assert covers["Holidays"] == (
        f"/api/immich_hub/{loaded_entry.entry_id}/thumbnail/{holidays.thumbnail_id}"
    )
    assert covers["Empty album"] is None

    album = await browse(hass, folders(node)["Holidays"])
    assert album.title == "Holidays (10)"
    assert Counter(asset_ids(album)) == Counter(list(holidays.asset_ids))
    assert all(child.thumbnail for child in album.children or [])
    empty = await browse(hass, folders(node)["Empty album"])
    assert empty.children == []

    shared = await browse(hass, f"{loaded_entry.entry_id}/shared")
    assert shared.children == []


async def test_shared_album_lists_the_owners_assets(
    hass: HomeAssistant, immich: FakeImmich, user_entry: MockConfigEntry
) -> None:
    """An album shared with the user lists its owner's photos, which search would not find."""
    shared = await browse(hass, f"{user_entry.entry_id}/shared")

    assert list(folders(shared)) == ["Family"]
    family = await browse(hass, folders(shared)["Family"])
    album = immich.library.albums[immich.library.shared_album_id]
    assert Counter(asset_ids(family)) == Counter(list(album.asset_ids))
    own = await browse(hass, f"{user_entry.entry_id}/albums")
    assert set(folders(own)) == {"Hiking", "Pets"}


async def test_memories(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Today's memories come first, each titled by how many years ago it was."""
    node = await browse(hass, f"{loaded_entry.entry_id}/memories")

    today = immich.library.today
    memories = [
        immich.library.memories[child.media_content_id.rsplit("/", 1)[1]]
        for child in node.children or []
    ]
    mine = [m for m in immich.library.memories.values() if m.owner_id == immich.admin_user_id]
    assert len(memories) == len(mine)
    shown_today = [m.show_at.date() == today for m in memories]
    assert shown_today == sorted(shown_today, reverse=True)
    assert shown_today.count(True) == 3
    titles = [child.title for child in node.children or []]
    assert titles[:3] == ["1 year ago", "3 years ago", "6 years ago"]
    assert all(child.thumbnail for child in node.children or [])

    first = await browse(hass, (node.children or [])[0].media_content_id.removeprefix(f"{ROOT}/"))
    assert first.title == "1 year ago"
    assert asset_ids(first) == list(memories[0].asset_ids)


async def test_favorites(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Favorites list every favorite photo of the user."""
    found, _ = await walk(hass, f"{loaded_entry.entry_id}/favorites")

    favorites = {
        asset_id
        for asset_id in visible(immich, immich.admin_user_id)
        if immich.library.assets[asset_id].is_favorite
    }
    assert favorites
    assert Counter(found) == Counter(favorites)


async def test_people(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Named people show with their face; a person lists the photos they are in."""
    node = await browse(hass, f"{loaded_entry.entry_id}/people")

    assert set(folders(node)) == {"Alice", "Bob", "Charlie"}
    person_id = folders(node)["Alice"].rsplit("/", 1)[1]
    faces = {child.title: child.thumbnail for child in node.children or []}
    assert faces["Alice"] == f"/api/immich_hub/{loaded_entry.entry_id}/person/{person_id}"
    alice = await browse(hass, folders(node)["Alice"])
    assert alice.title == "Alice"
    expected = {
        asset_id
        for asset_id in visible(immich, immich.admin_user_id)
        if person_id in immich.library.assets[asset_id].person_ids
    }
    assert Counter(asset_ids(alice)) == Counter(expected)


async def test_tags_nest(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Nested tag values are nested folders; a tag lists its photos and its children's."""
    node = await browse(hass, f"{loaded_entry.entry_id}/tags")

    assert set(folders(node)) == {"Places", "Events"}
    places = await browse(hass, folders(node)["Places"])
    assert places.title == "Places"
    assert set(folders(places)) == {"Paris", "Berlin"}
    paris = await browse(hass, folders(places)["Paris"])
    paris_id = folders(places)["Paris"].rsplit("/", 1)[1]
    expected = {
        asset_id
        for asset_id in visible(immich, immich.admin_user_id)
        if paris_id in immich.library.assets[asset_id].tag_ids
    }
    assert Counter(asset_ids(paris)) == Counter(expected)
    assert set(asset_ids(paris)) <= set(asset_ids(places))


async def test_timeline_by_year_then_month(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """The timeline shows years, then months, and every photo exactly once."""
    node = await browse(hass, f"{loaded_entry.entry_id}/timeline")

    years = folders(node)
    assets = [immich.library.assets[i] for i in visible(immich, immich.admin_user_id)]
    assert {title.split(" ")[0] for title in years} == {str(a.taken_at.year) for a in assets}
    assert asset_ids(node) == []
    year = await browse(hass, next(iter(years.values())))
    assert all(len(title.split(" ")[0]) == 7 for title in folders(year))
    found, _ = await walk(hass, f"{loaded_entry.entry_id}/timeline")
    assert Counter(found) == Counter(a.id for a in assets)


async def test_large_album_is_paged_and_complete(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A large album opens with one timeline count and lists each asset once, in pages."""
    added = immich.add_assets(1_000, album="Big")
    album_id = immich.library.find_album("Big", immich.admin_user_id).id  # type: ignore[union-attr]
    identifier = f"{loaded_entry.entry_id}/album/{album_id}"
    immich.clear_requests()

    top = await browse(hass, identifier)

    assert top.title == "Big (1000)"
    assert asset_ids(top) == []
    assert [request.path for request in immich.requests] == [
        f"/albums/{album_id}",
        "/timeline/buckets",
    ]
    found, visited = await walk(hass, identifier)
    assert Counter(found) == Counter(added)
    assert max(len(asset_ids(node)) for node in visited) <= PAGE_SIZE
    pages = [node for node in visited if node.media_content_id.count("/") == 7]
    assert pages
    full_month = next(
        identifier
        for title, identifier in folders(top).items()
        if int(title.split("(")[1].rstrip(")")) > PAGE_SIZE
    )
    assert next(iter(folders(await browse(hass, full_month)))) == f"1-{PAGE_SIZE}"


async def test_album_in_one_month_is_paged(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A large folder within one month is split straight into pages."""
    added = immich.add_assets(PAGE_SIZE + 2, album="Burst")
    album = immich.library.find_album("Burst", immich.admin_user_id)
    assert album is not None
    start = datetime(2010, 1, 1, tzinfo=immich.library.assets[added[0]].taken_at.tzinfo)
    for asset_id in added:
        immich.library.assets[asset_id].taken_at = start
    identifier = f"{loaded_entry.entry_id}/album/{album.id}"

    top = await browse(hass, identifier)

    assert list(folders(top)) == [f"1-{PAGE_SIZE}", f"{PAGE_SIZE + 1}-{PAGE_SIZE + 2}"]
    found, _ = await walk(hass, identifier)
    assert Counter(found) == Counter(added)


@pytest.mark.parametrize(
    "identifier",
    [
        "not an id",
        "{entry}/nothing",
        "{entry}/album",
        "{entry}/album/not-a-uuid",
        "{entry}/album/../../server/about",
        "{entry}/albums/2024",
        "{entry}/memory/" + MISSING + "/2024",
        "{entry}/timeline/24",
        "{entry}/timeline/2024/13",
        "{entry}/timeline/2024/01/0",
        "{entry}/asset/" + MISSING + "/extra",
        "{entry}/",
    ],
)
async def test_malformed_identifier(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, identifier: str
) -> None:
    """A malformed identifier is refused, translated, before anything is sent to Immich."""
    identifier = identifier.format(entry=loaded_entry.entry_id)
    immich.clear_requests()

    with pytest.raises(BrowseError) as browse_err:
        await browse(hass, identifier)
    with pytest.raises(Unresolvable) as resolve_err:
        await media_source.async_resolve_media(hass, f"{ROOT}/{identifier}", None)

    assert browse_err.value.translation_key == "invalid_media_id"
    assert resolve_err.value.translation_key == "invalid_media_id"
    assert immich.requests == []


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("01JAAAAAAAAAAAAAAAAAAAAAAA", "entry_not_loaded"),
        ("{entry}/album/" + MISSING, "media_not_found"),
        ("{entry}/person/" + MISSING, "media_not_found"),
        ("{entry}/tag/" + MISSING, "media_not_found"),
        ("{entry}/memory/" + MISSING, "media_not_found"),
        ("{entry}/timeline/1901", "media_not_found"),
        ("{entry}/timeline/1901/01", "media_not_found"),
        ("{entry}/favorites/2010/01/9", "media_not_found"),
        ("{entry}/asset/" + MISSING, "media_not_browsable"),
    ],
)
async def test_browse_missing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, identifier: str, key: str
) -> None:
    """A missing entry, album, person, tag, memory, year or page gets a translated error."""
    with pytest.raises(BrowseError) as err:
        await browse(hass, identifier.format(entry=loaded_entry.entry_id))

    assert err.value.translation_key == key


async def test_unloaded_entry(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """An unloaded entry leaves the root and can be neither browsed nor resolved."""
    await hass.config_entries.async_unload(loaded_entry.entry_id)

    assert (await browse(hass)).children == []
    with pytest.raises(BrowseError) as err:
        await browse(hass, f"{loaded_entry.entry_id}/albums")
    assert err.value.translation_key == "entry_not_loaded"
    with pytest.raises(Unresolvable) as unresolvable:
        await resolve(hass, loaded_entry, MISSING)
    assert unresolvable.value.translation_key == "entry_not_loaded"


async def test_browse_failure(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """An Immich failure while browsing is a translated error that names the folder."""
    immich.add_fault("status", path="/albums", status=500)

    with pytest.raises(BrowseError) as err:
        await browse(hass, f"{loaded_entry.entry_id}/albums")

    assert err.value.translation_key == "browse_failed"


def first_asset(immich: FakeImmich, *, kind: str = "IMAGE", mime: str | None = None) -> str:
    """Return the id of one of the admin's assets of a kind (and MIME type)."""
    return next(
        asset.id
        for asset in immich.library.assets.values()
        if asset.owner_id == immich.admin_user_id
        and asset.type == kind
        and (mime is None or asset.mime == mime)
    )


async def test_resolve_image_to_signed_preview(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A photo resolves to a signed URL of its JPEG preview, which plays without a login."""
    asset_id = first_asset(immich, mime="image/png")

    media = await resolve(hass, loaded_entry, asset_id)

    assert media.mime_type == "image/jpeg"
    assert media.url.startswith(f"/api/immich_hub/{loaded_entry.entry_id}/preview/{asset_id}?")
    assert "authSig=" in media.url
    client = await hass_client_no_auth()
    response = await client.get(media.url)
    assert response.status == 200
    assert response.content_type == "image/jpeg"


async def test_resolve_full_size(
    hass: HomeAssistant, immich: FakeImmich, config_entry: MockConfigEntry
) -> None:
    """With the full-size option, a photo resolves to its original and its own type."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_IMAGE_SIZE: IMAGE_SIZE_FULLSIZE}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    asset_id = first_asset(immich, mime="image/png")

    media = await resolve(hass, config_entry, asset_id)

    assert media.mime_type == "image/png"
    assert media.url.startswith(f"/api/immich_hub/{config_entry.entry_id}/original/{asset_id}?")


async def test_resolve_video(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A video resolves to Immich's playable stream."""
    asset_id = first_asset(immich, kind="VIDEO")

    media = await resolve(hass, loaded_entry, asset_id)

    assert media.mime_type == "video/mp4"
    assert media.url.startswith(f"/api/immich_hub/{loaded_entry.entry_id}/video/{asset_id}?")


@pytest.mark.parametrize(
    ("original", "encoded", "announced"),
    [
        ("video/x-matroska", True, "video/mp4"),
        ("video/webm", False, "video/webm"),
        ("video/quicktime", False, "video/mp4"),
    ],
)
async def test_resolve_video_as_immich_plays_it(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    original: str,
    encoded: bool,
    announced: str,
) -> None:
    """A video is announced as what Immich plays: its MP4 transcode, or the original.

    A QuickTime original is announced as MP4, which players that do not know QuickTime play.
    """
    asset = immich.library.assets[first_asset(immich, kind="VIDEO")]
    asset.mime, asset.encoded = original, encoded

    media = await resolve(hass, loaded_entry, asset.id)

    assert media.mime_type == announced


async def test_resolve_video_when_immich_cannot_tell(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A video resolves even when Immich fails to say what it plays; it is announced as MP4."""
    asset = immich.library.assets[first_asset(immich, kind="VIDEO")]
    asset.mime, asset.encoded = "video/webm", False
    immich.add_fault("status", path=f"/assets/{asset.id}/video/playback", status=500)

    media = await resolve(hass, loaded_entry, asset.id)

    assert media.mime_type == "video/mp4"
    assert media.url.startswith(f"/api/immich_hub/{loaded_entry.entry_id}/video/{asset.id}?")


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("{entry}/albums", "media_not_playable"),
        ("{entry}/album/" + MISSING, "media_not_playable"),
        ("{entry}/asset/" + MISSING, "media_not_found"),
    ],
)
async def test_resolve_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, identifier: str, key: str
) -> None:
    """A folder or a missing asset does not resolve, with a translated error."""
    with pytest.raises(Unresolvable) as err:
        await media_source.async_resolve_media(
            hass, f"{ROOT}/{identifier.format(entry=loaded_entry.entry_id)}", None
        )

    assert err.value.translation_key == key


async def test_resolve_failure(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """An Immich failure while resolving is a translated error."""
    asset_id = first_asset(immich)
    immich.add_fault("status", path=f"/assets/{asset_id}", status=503)

    with pytest.raises(Unresolvable) as err:
        await resolve(hass, loaded_entry, asset_id)

    assert err.value.translation_key == "resolve_failed"
    assert immich.admin_key not in str(err.value)


async def test_revoked_key_asks_for_a_new_one(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Browsing or playing with a key Immich no longer accepts starts reauthentication."""
    asset_id = first_asset(immich)
    del immich.library.keys[immich.admin_key]

    with pytest.raises(BrowseError) as browse_err:
        await browse(hass, f"{loaded_entry.entry_id}/albums")
    with pytest.raises(Unresolvable) as resolve_err:
        await resolve(hass, loaded_entry, asset_id)
    await hass.async_block_till_done()

    assert browse_err.value.translation_key == "browse_failed"
    assert resolve_err.value.translation_key == "resolve_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
