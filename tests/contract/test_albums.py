"""Contract: albums, made on both sides from the same photo, through their whole life."""

from __future__ import annotations

import secrets

from custom_components.immich_hub.api import ImmichBadRequestError

from .harness import Pair, Side, make_jpeg

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def _make_album(side: Side, photos: list[str]) -> str:
    """Create an album with the first photo; return its id (deleted after the test)."""
    album = await side.admin.create_album(
        f"Contract {secrets.token_hex(3)}",
        description="made by a contract test",
        asset_ids=photos[:1],
    )
    if side.is_real:
        side.cleanups.append(lambda: side.raw("DELETE", f"/albums/{album.id}"))
    return album.id


async def test_album_life(pair: Pair) -> None:
    """Create, read, list, rename, fill, empty and delete an album."""
    photos = [make_jpeg(), make_jpeg()]
    for side in pair.sides:
        side.ids["photo"] = await side.upload(photos[0], "contract-1.jpg")
        side.ids["other"] = await side.upload(photos[1], "contract-2.jpg")

    async def create(side: Side) -> str:
        side.ids["album"] = await _make_album(side, [side.ids["photo"]])
        return side.ids["album"]

    await pair.compare(create)
    await pair.compare(lambda side: side.admin.get_album(side.ids["album"]))
    await pair.compare(lambda side: side.admin.list_albums())
    await pair.compare(lambda side: side.admin.list_albums(shared=False))
    await pair.compare(lambda side: side.admin.list_albums(asset_id=side.ids["photo"]))
    await pair.compare(lambda side: side.admin.list_shared_albums())
    await pair.compare(lambda side: side.admin.get_album_statistics())
    await pair.compare(
        lambda side: side.admin.update_album(
            side.ids["album"],
            name="Contract renamed",
            description="",
            thumbnail_asset_id=side.ids["photo"],
        )
    )
    fake, real = await pair.compare(
        lambda side: side.admin.add_assets_to_album(
            side.ids["album"], [side.ids["other"], side.ids["photo"], UNKNOWN_ID]
        )
    )
    assert [(r.success, r.error) for r in fake] == [(r.success, r.error) for r in real]
    fake, real = await pair.compare(
        lambda side: side.admin.remove_assets_from_album(
            side.ids["album"], [side.ids["other"], UNKNOWN_ID]
        )
    )
    assert [(r.success, r.error) for r in fake] == [(r.success, r.error) for r in real]
    await pair.compare(lambda side: side.admin.delete_album(side.ids["album"]))
    await pair.compare_error(
        lambda side: side.admin.get_album(side.ids["album"]), ImmichBadRequestError
    )


async def test_empty_album(pair: Pair) -> None:
    """An album without assets has no dates and no cover."""
    fake, real = await pair.compare(lambda side: _make_album(side, []))
    for side, album_id in zip(pair.sides, (fake, real), strict=True):
        side.ids["album"] = album_id
    fake, real = await pair.compare(lambda side: side.admin.get_album(side.ids["album"]))
    assert fake.start_date is real.start_date is None
    assert fake.thumbnail_asset_id is real.thumbnail_asset_id is None
    await pair.compare(lambda side: side.admin.list_albums())


async def test_shared_album_seen_by_the_user(pair: Pair) -> None:
    """The normal user sees the album shared with them (the kit's "Shared album", the fake's
    "Family")."""
    fake, real = await pair.compare(lambda side: side.user.list_albums(shared=True))
    assert fake
    assert real
    await pair.compare(lambda side: side.user.get_album(fake[0].id if side.fake else real[0].id))
    await pair.compare(lambda side: side.user.get_album_statistics())
