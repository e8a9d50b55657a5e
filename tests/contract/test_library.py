"""Contract: memories, people and tags.

The kit's server has a memory of the day it was seeded and no people (machine learning is off):
a person and tags are made on it for the test; the fake's are seeded.
"""

from __future__ import annotations

import secrets

from custom_components.immich_hub.api import ImmichNotFoundError
from fake_immich.library import Person

from .harness import Pair, Side

NO_COLOR = "a tag has a color only when one was given to it"


async def test_memories(pair: Pair) -> None:
    """Every memory, one by id, those of its day, and their count."""
    fake, real = await pair.compare(lambda side: side.admin.list_memories())
    assert fake
    assert real
    days = {}
    for side, memories in zip(pair.sides, (fake, real), strict=True):
        side.ids["memory"] = memories[0].id
        days[side.name] = memories[0].show_at.date()
    await pair.compare(lambda side: side.admin.get_memory(side.ids["memory"]))
    await pair.compare(lambda side: side.admin.list_memories(is_saved=False))
    fake, real = await pair.compare(lambda side: side.admin.list_memories(day=days[side.name]))
    assert fake
    assert real
    await pair.compare(lambda side: side.admin.get_memory_statistics(day=days[side.name]))


async def _person(side: Side) -> str:
    """Make a person without a face on the real server; take a seeded one on the fake."""
    if side.fake is not None:
        library = side.fake.library
        person = Person(
            id=library.new_id(),
            owner_id=library.admin.id,
            name="Contract",
            thumbnail_asset_id=None,
            updated_at=library.now(),
        )
        library.people[person.id] = person
        return person.id
    made = await side.raw("POST", "/people", body={"name": "Contract"})
    assert made.status == 201, made.body
    person_id: str = made.json["id"]
    side.cleanups.append(lambda: side.raw("DELETE", f"/people/{person_id}"))
    return person_id


async def test_people(pair: Pair) -> None:
    """People, one person, and the face of a person who has none."""
    for side in pair.sides:
        side.ids["person"] = await _person(side)
    await pair.compare(lambda side: side.admin.list_people())
    await pair.compare(lambda side: side.admin.list_people(with_hidden=True, size=1))
    await pair.compare(lambda side: side.admin.get_person(side.ids["person"]))

    async def everyone(side: Side) -> list[str]:
        return [person.id async for person in side.admin.iter_people(with_hidden=True)]

    fake, real = await pair.compare(everyone)
    # Immich lists only people with a face on a photo; the new person has none yet.
    assert pair.fake.ids["person"] not in fake
    assert pair.real.ids["person"] not in real
    await pair.compare_error(
        lambda side: side.admin.get_person_thumbnail(side.ids["person"]), ImmichNotFoundError
    )


async def test_tags(pair: Pair) -> None:
    """Tags, nested ones included, and one tag."""
    real = pair.real
    made = await real.raw("PUT", "/tags", body={"tags": [f"Contract-{secrets.token_hex(3)}/Child"]})
    assert made.status == 200, made.body
    for tag in made.json:
        real.cleanups.append(lambda tag_id=tag["id"]: real.raw("DELETE", f"/tags/{tag_id}"))
    real.ids["tag"] = next(t["id"] for t in made.json if "parentId" in t)
    assert pair.fake.fake is not None
    pair.fake.ids["tag"] = next(
        t.id for t in pair.fake.fake.library.tags.values() if t.value == "Places/Paris"
    )
    await pair.compare(lambda side: side.admin.list_tags(), tolerated={"$[].color": NO_COLOR})
    await pair.compare(lambda side: side.admin.get_tag(side.ids["tag"]))
