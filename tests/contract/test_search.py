"""Contract: searches, the timeline and the counts, over photos made on both sides."""

from __future__ import annotations

from datetime import date
import secrets

from custom_components.immich_hub.api import ImmichBadRequestError

from .harness import Pair, Side, make_jpeg

TAKEN = date(2022, 5, 6)  # the day make_jpeg's photos are taken (uploads say so too)


async def _upload_two(pair: Pair) -> str:
    """Upload the same two new photos to both sides; return the token in their names."""
    token = secrets.token_hex(4)
    photos = [make_jpeg(), make_jpeg()]
    for side in pair.sides:
        for number, data in enumerate(photos, 1):
            side.ids[f"photo{number}"] = await side.upload(data, f"contract-{token}-{number}.jpg")
    return token


async def test_metadata_search(pair: Pair) -> None:
    """Filters, EXIF data, page after page."""
    token = await _upload_two(pair)
    by_name = {"originalFileName": token}
    fake, real = await pair.compare(
        lambda side: side.admin.search_metadata(with_exif=True, extra=by_name)
    )
    assert len(fake.items) == len(real.items) == 2
    fake, real = await pair.compare(
        lambda side: side.admin.search_metadata(
            taken_after=TAKEN, taken_before=date(2022, 5, 7), order="asc", size=1, extra=by_name
        )
    )
    assert fake.next_page_number == real.next_page_number == 2

    async def every(side: Side) -> list[str]:
        return [a.id async for a in side.admin.iter_search_metadata(size=1, extra=by_name)]

    fake, real = await pair.compare(every)
    assert len(fake) == len(real) == 2
    await pair.compare(lambda side: side.admin.search_metadata(is_favorite=True, size=3))


async def _album_of_two(side: Side) -> str:
    """Put both uploaded photos into a new album; return its id."""
    made = await side.admin.create_album(
        "Contract search", asset_ids=[side.ids["photo1"], side.ids["photo2"]]
    )
    if side.is_real:
        side.cleanups.append(lambda: side.raw("DELETE", f"/albums/{made.id}"))
    side.ids["album"] = made.id
    return made.id


async def test_random_search(pair: Pair) -> None:
    """Random photos of an album, with their EXIF data."""
    await _upload_two(pair)
    await pair.compare(_album_of_two)
    fake, real = await pair.compare(
        lambda side: side.admin.search_random(size=5, with_exif=True, album_ids=[side.ids["album"]])
    )
    assert len(fake) == len(real) == 2
    # As the image entities ask: a photo with its EXIF data and people.
    await pair.compare(
        lambda side: side.admin.search_random(
            size=1, asset_type="IMAGE", with_exif=True, extra={"withPeople": True}
        )
    )


async def test_smart_search_without_machine_learning(pair: Pair) -> None:
    """Smart search is refused where machine learning is off (as on the kit's server)."""
    assert pair.fake.fake is not None
    pair.fake.fake.features["smartSearch"] = False
    fake, real = await pair.compare(lambda side: side.admin.get_features())
    assert fake.smart_search is real.smart_search is False
    await pair.compare_error(lambda side: side.admin.search_smart("beach"), ImmichBadRequestError)


async def test_timeline(pair: Pair) -> None:
    """The months of the timeline and the photos of one."""
    await _upload_two(pair)
    fake, real = await pair.compare(lambda side: side.admin.list_time_buckets())
    assert "2022-05-01" in {b.time_bucket[:10] for b in fake}
    assert "2022-05-01" in {b.time_bucket[:10] for b in real}
    await pair.compare(lambda side: side.admin.get_time_bucket("2022-05-01"))
    await pair.compare(lambda side: side.admin.list_time_buckets(is_favorite=True))
    await pair.compare(lambda side: side.admin.list_time_buckets(visibility="archive"))


async def test_timeline_of_an_album(pair: Pair) -> None:
    """The timeline of one album."""
    await _upload_two(pair)
    await pair.compare(_album_of_two)
    fake, real = await pair.compare(
        lambda side: side.admin.list_time_buckets(album_id=side.ids["album"])
    )
    assert [(b.time_bucket, b.count) for b in fake] == [(b.time_bucket, b.count) for b in real]
    await pair.compare(
        lambda side: side.admin.get_time_bucket("2022-05-01", album_id=side.ids["album"])
    )


async def test_statistics(pair: Pair) -> None:
    """The counts the library sensors show."""
    await pair.compare(lambda side: side.admin.get_asset_statistics())
    await pair.compare(lambda side: side.admin.get_album_statistics())
    await pair.compare(lambda side: side.admin.get_memory_statistics())
    await pair.compare(lambda side: side.user.get_asset_statistics())
