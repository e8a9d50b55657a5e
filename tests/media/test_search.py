"""Search in the media browser, on Home Assistant versions that have it (2026.3 and later).

Each test asserts what a user gets on the Home Assistant it runs on. Home Assistant before 2026.3
never asks a media source to search; there the folders offer no search and the websocket
command does not exist. The tests of the search itself ask Home Assistant where it can search,
and otherwise ask Immich Hub's media source directly, as later versions do, so that the search
is exercised on every version.
"""

from __future__ import annotations

from collections import Counter
import logging

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.immich_hub.const import DOMAIN
from custom_components.immich_hub.media_source import (
    PAGE_SIZE,
    SEARCH_SUPPORTED,
    ImmichHubMediaSource,
)
from fake_immich import FakeImmich
from homeassistant.components import media_source
from homeassistant.components.media_player import MediaClass
from homeassistant.components.media_player.browse_media import BrowseMedia, SearchMediaQuery
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import MediaSourceItem
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant

from .test_media_source import ROOT, browse, folders, resolve

pytestmark = pytest.mark.usefixtures("setup_media_source")

MODES = pytest.mark.parametrize("smart", [True, False], ids=["smart", "metadata"])
"""Immich with smart search (machine learning on), and without it."""


async def search(
    hass: HomeAssistant,
    identifier: str,
    query: str,
    classes: list[MediaClass] | None = None,
) -> list[BrowseMedia]:
    """Search a folder as the media browser does; return the result list."""
    request = SearchMediaQuery(search_query=query, media_filter_classes=classes)
    if SEARCH_SUPPORTED:
        uri = f"{ROOT}/{identifier}" if identifier else ROOT
        found = await media_source.async_search_media(hass, uri, request)
    else:
        item = MediaSourceItem(hass, DOMAIN, identifier, None)
        found = await ImmichHubMediaSource(hass).async_search_media(item, request)
    return list(found.result)


def assets_of(nodes: list[BrowseMedia]) -> list[str]:
    """Return the asset ids among search results, in order."""
    return [node.media_content_id.rsplit("/", 1)[1] for node in nodes if not node.can_expand]


def more_of(nodes: list[BrowseMedia]) -> str | None:
    """Return the identifier of the folder with further results, if there is one."""
    more = [node for node in nodes if node.can_expand]
    assert len(more) <= 1
    assert all(node is nodes[-1] for node in more), "further results come last"
    return more[0].media_content_id.removeprefix(f"{ROOT}/") if more else None


def matching(
    immich: FakeImmich, text: str, *, kind: str | None = None, owner: str | None = None
) -> set[str]:
    """Return the ids of the admin's assets whose file name or description holds the text."""
    text = text.casefold()
    return {
        asset.id
        for asset in immich.library.assets.values()
        if asset.owner_id == (owner or immich.admin_user_id)
        and (text in asset.file_name.casefold() or text in asset.description.casefold())
        and (kind is None or asset.type == kind)
        and not asset.is_trashed
    }


# ---- where search is offered ----------------------------------------------------------------


async def test_folders_offer_search_where_home_assistant_can(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    user_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Folders of the library offer search exactly where this Home Assistant can search.

    The entry, favorites, timeline (and its years and months), the user's own albums, people
    and tags offer it with the image and video filters; lists of albums, people, tags and
    memories keep the browser's own filter by title, and an album of another user is not
    offered, as Immich searches only the user's own assets. Nothing is logged either way.
    """
    entry = loaded_entry.entry_id
    lib, admin = immich.library, immich.admin_user_id
    own_album = next(a.id for a in lib.albums.values() if a.owner_id == admin and a.asset_ids)
    # Noah sees an album Ada shares with him.
    shared = next(iter(folders(await browse(hass, f"{user_entry.entry_id}/shared")).values()))
    person = next(p.id for p in lib.people.values() if p.owner_id == admin and p.name)
    tag = next(t.id for t in lib.tags.values() if t.owner_id == admin)
    timeline = await browse(hass, f"{entry}/timeline")
    year = next(iter(folders(timeline).values()))
    month = next(iter(folders(await browse(hass, year)).values()))
    memory = next(iter(folders(await browse(hass, f"{entry}/memories")).values()))
    searchable = [
        entry,
        f"{entry}/favorites",
        f"{entry}/timeline",
        year,
        month,
        f"{entry}/album/{own_album}",
        f"{entry}/person/{person}",
        f"{entry}/tag/{tag}",
    ]
    not_searchable = [
        f"{entry}/albums",
        f"{entry}/shared",
        f"{entry}/memories",
        f"{entry}/people",
        f"{entry}/tags",
        memory,
        shared,
    ]
    caplog.clear()

    offered = {
        identifier: (await browse(hass, identifier)).as_dict()
        for identifier in searchable + not_searchable
    }

    for identifier in searchable:
        assert offered[identifier]["can_search"] is SEARCH_SUPPORTED, identifier
        if SEARCH_SUPPORTED:
            assert offered[identifier]["search_media_classes"] == ["image", "video"]
        else:
            assert "search_media_classes" not in offered[identifier]
    for identifier in not_searchable:
        assert offered[identifier]["can_search"] is False, identifier
    assert (await browse(hass)).as_dict()["can_search"] is False
    assert [r.message for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_search_over_the_websocket(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The media browser's search command answers with playable photos and videos.

    On Home Assistant before 2026.3 the command does not exist, and Immich is not asked.
    """
    client = await hass_ws_client(hass)
    immich.clear_requests()

    await client.send_json_auto_id(
        {
            "type": "media_source/search_media",
            "media_content_id": f"{ROOT}/{loaded_entry.entry_id}",
            "search_query": "harbour",
        }
    )
    answer = await client.receive_json()

    if not SEARCH_SUPPORTED:
        assert answer["success"] is False
        assert answer["error"]["code"] == "unknown_command"
        assert immich.requests == []
        return
    assert answer["success"] is True
    results = answer["result"]["result"]
    assert {r["media_content_id"].rsplit("/", 1)[1] for r in results} == matching(immich, "harbour")
    for result in results:
        asset = immich.library.assets[result["media_content_id"].rsplit("/", 1)[1]]
        assert result["title"] == asset.file_name
        assert result["can_play"] is True
        assert result["can_expand"] is False
        assert result["media_class"] == ("video" if asset.type == "VIDEO" else "image")
        assert (
            result["thumbnail"] == f"/api/immich_hub/{loaded_entry.entry_id}/thumbnail/{asset.id}"
        )


# ---- what a search finds ---------------------------------------------------------------------


@MODES
@pytest.mark.parametrize("query", ["harbour", "beach", "Cat"])
async def test_search_finds_file_names_and_descriptions(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, smart: bool, query: str
) -> None:
    """A search finds the user's photos and videos by meaning, or by file name and description.

    Each is listed once, titled by its file name, and plays through the proxy.
    """
    immich.features["smartSearch"] = smart

    results = await search(hass, loaded_entry.entry_id, query)

    found = assets_of(results)
    assert Counter(found) == Counter(matching(immich, query))
    assert more_of(results) is None
    assert [node.title for node in results] == [immich.library.assets[i].file_name for i in found]
    media = await resolve(hass, loaded_entry, found[0])
    assert "authSig=" in media.url


@MODES
async def test_search_without_results(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, smart: bool
) -> None:
    """A search that matches nothing answers an empty list, not an error."""
    immich.features["smartSearch"] = smart

    assert await search(hass, loaded_entry.entry_id, "zebra") == []


async def test_metadata_search_when_smart_search_is_off(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """Without smart search, Immich is asked by file name, then by description, never smartly."""
    immich.features["smartSearch"] = False
    immich.clear_requests()

    await search(hass, loaded_entry.entry_id, "harbour")

    paths = [request.path for request in immich.requests]
    assert paths == ["/server/features", "/search/metadata", "/search/metadata"]
    bodies = [request.json for request in immich.requests[1:]]
    assert [(b.get("originalFileName"), b.get("description")) for b in bodies] == [
        ("harbour", None),
        (None, "harbour"),
    ]


@MODES
async def test_search_within_a_folder(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, smart: bool
) -> None:
    """A search in favorites, an album, a person, a tag or a year finds only what is in it."""
    immich.features["smartSearch"] = smart
    lib, entry = immich.library, loaded_entry.entry_id
    pictures = matching(immich, "picture")
    album = next(a for a in lib.albums.values() if a.owner_id == immich.admin_user_id)
    person = next(p for p in lib.people.values() if p.owner_id == immich.admin_user_id)
    year = next(iter({lib.assets[i].taken_at.year for i in pictures}))
    scopes = {
        f"{entry}/favorites": {i for i in pictures if lib.assets[i].is_favorite},
        f"{entry}/album/{album.id}": pictures & set(album.asset_ids),
        f"{entry}/person/{person.id}": {
            i for i in pictures if person.id in lib.assets[i].person_ids
        },
        f"{entry}/timeline/{year}": {i for i in pictures if lib.assets[i].taken_at.year == year},
    }
    parents = {tag.parent_id for tag in lib.tags.values()}
    for tag in lib.tags.values():  # a tag without nested tags, which Immich would include
        tagged = {i for i in pictures if tag.id in lib.assets[i].tag_ids}
        if tag.owner_id == immich.admin_user_id and tag.id not in parents and tagged:
            scopes[f"{entry}/tag/{tag.id}"] = tagged
            break
    assert len(scopes) == 5

    for identifier, expected in scopes.items():
        assert expected, identifier
        assert set(assets_of(await search(hass, identifier, "picture"))) == expected, identifier


@MODES
@pytest.mark.parametrize(
    ("classes", "kind"),
    [
        ([MediaClass.VIDEO], "VIDEO"),
        ([MediaClass.IMAGE], "IMAGE"),
        ([MediaClass.IMAGE, MediaClass.VIDEO], None),
        ([], None),
    ],
)
async def test_search_for_photos_or_videos(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    smart: bool,
    classes: list[MediaClass],
    kind: str | None,
) -> None:
    """The browser's media filter narrows a search to photos or to videos."""
    immich.features["smartSearch"] = smart

    found = assets_of(await search(hass, loaded_entry.entry_id, "harbour", classes))

    assert set(found) == matching(immich, "harbour", kind=kind)


async def test_search_for_media_immich_does_not_hold(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A search only for music finds nothing, and Immich is not asked."""
    immich.clear_requests()

    assert await search(hass, loaded_entry.entry_id, "harbour", [MediaClass.MUSIC]) == []
    assert immich.requests == []


# ---- paging ----------------------------------------------------------------------------------


@MODES
async def test_search_over_many_pages(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, smart: bool
) -> None:
    """A search matching more than one page of Immich's results lists them all, page by page.

    The result holds one page and a folder with more; each further page is one more folder, so
    every match is reached, each once, and each page costs one request to Immich.
    """
    immich.features["smartSearch"] = smart
    added = immich.add_assets(2 * PAGE_SIZE + 30)
    for number, asset_id in enumerate(added):
        asset = immich.library.assets[asset_id]
        if number < PAGE_SIZE + 20:
            asset.file_name = f"OWL_{number:04d}.jpg"
        if PAGE_SIZE - 40 <= number < 2 * PAGE_SIZE:
            asset.description = "A snowy owl"
    expected = matching(immich, "owl")
    assert len(expected) == 2 * PAGE_SIZE
    immich.clear_requests()

    results = await search(hass, loaded_entry.entry_id, "owl")

    assert len(assets_of(results)) == PAGE_SIZE
    assert len(immich.requests) == 2  # the server's features, then one page
    found, pages = assets_of(results), 1
    while (more := more_of(results)) is not None:
        page = await browse(hass, more)
        assert page.title == "More results for “owl”"
        assert page.as_dict()["can_search"] is False
        results = list(page.children or [])
        found += assets_of(results)
        pages += 1
    assert Counter(found) == Counter(expected)
    assert pages >= 2


# ---- refusals and failures -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "query", "key"),
    [
        ("", "cat", "media_not_searchable"),
        ("{entry}/albums", "cat", "media_not_searchable"),
        ("{entry}/memories", "cat", "media_not_searchable"),
        ("{entry}/asset/00000000-0000-4000-8000-000000000000", "cat", "media_not_searchable"),
        ("{entry}/nothing", "cat", "media_not_searchable"),
        ("{entry}", "   ", "search_query_empty"),
        ("01JAAAAAAAAAAAAAAAAAAAAAAA", "cat", "entry_not_loaded"),
    ],
)
async def test_search_refused(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    identifier: str,
    query: str,
    key: str,
) -> None:
    """A search where none can be made gets a translated error; Immich is not asked."""
    immich.clear_requests()

    with pytest.raises(BrowseError) as err:
        await search(hass, identifier.format(entry=loaded_entry.entry_id), query)

    assert err.value.translation_key == key
    assert immich.requests == []


@pytest.mark.parametrize(
    "identifier",
    [
        "{entry}/albums/search/smart/all/2/owl",
        "{entry}/favorites/search/smart/all/0/owl",
        "{entry}/favorites/search/other/all/2/owl",
        "{entry}/favorites/search/smart/music/2/owl",
        "{entry}/favorites/search/smart/all/2/%20",
        "{entry}/favorites/search/smart/all/2/owl/more",
        "{entry}/timeline/2024/01/2/search/smart/all/2/owl",
    ],
)
async def test_malformed_page_of_results(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry, identifier: str
) -> None:
    """A page of results with a malformed identifier is refused before Immich is asked."""
    immich.clear_requests()

    with pytest.raises(BrowseError) as err:
        await browse(hass, identifier.format(entry=loaded_entry.entry_id))

    assert err.value.translation_key == "invalid_media_id"
    assert immich.requests == []


@pytest.mark.parametrize("failing", ["/server/features", "/search/smart"])
async def test_search_failure(
    hass: HomeAssistant,
    immich: FakeImmich,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    failing: str,
) -> None:
    """An Immich failure while searching is a translated error naming the folder."""
    immich.add_fault("status", path=failing, status=500)

    with pytest.raises(BrowseError) as err:
        await search(hass, loaded_entry.entry_id, "harbour")

    assert err.value.translation_key == "search_failed"
    assert err.value.translation_placeholders["media_id"] == f"{ROOT}/{loaded_entry.entry_id}"
    assert immich.admin_key not in str(err.value)
    if SEARCH_SUPPORTED:  # the browser shows the translated message
        client = await hass_ws_client(hass)
        await client.send_json_auto_id(
            {
                "type": "media_source/search_media",
                "media_content_id": f"{ROOT}/{loaded_entry.entry_id}",
                "search_query": "harbour",
            }
        )
        answer = await client.receive_json()
        assert answer["error"]["message"].startswith(
            f"Immich could not search {ROOT}/{loaded_entry.entry_id}: "
        )


async def test_failure_on_a_further_page(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """An Immich failure while opening further results is a translated browse error."""
    immich.add_fault("status", path="/search/", status=503)

    with pytest.raises(BrowseError) as err:
        await browse(hass, f"{loaded_entry.entry_id}/favorites/search/smart/all/2/owl")

    assert err.value.translation_key == "browse_failed"


async def test_search_with_a_revoked_key_asks_for_a_new_one(
    hass: HomeAssistant, immich: FakeImmich, loaded_entry: MockConfigEntry
) -> None:
    """A search with a key Immich no longer accepts starts reauthentication."""
    del immich.library.keys[immich.admin_key]

    with pytest.raises(BrowseError) as err:
        await search(hass, loaded_entry.entry_id, "harbour")
    await hass.async_block_till_done()

    assert err.value.translation_key == "search_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_another_users_search(
    hass: HomeAssistant, immich: FakeImmich, user_entry: MockConfigEntry
) -> None:
    """Each entry searches its own user's library."""
    found = assets_of(await search(hass, user_entry.entry_id, "picture"))

    assert set(found) == matching(immich, "picture", owner=immich.user_user_id)
