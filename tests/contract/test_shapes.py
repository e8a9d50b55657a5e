"""The shape comparison itself: each kind of difference is found, data is not."""

from __future__ import annotations

import pytest

from fake_immich.spec import load_spec

from .shapes import differences

SPEC = load_spec("3.0.3")
ALBUM = {"$ref": "#/components/schemas/AlbumResponseDto"}
TAG = {"$ref": "#/components/schemas/TagResponseDto"}
CHECK = {"$ref": "#/components/schemas/VersionCheckStateResponseDto"}


def test_values_are_not_compared() -> None:
    """Other values, other list lengths, integers against fractions: the same shape."""
    assert differences({"a": [1, 2], "b": "x"}, {"a": [3.5], "b": "y"}) == []


@pytest.mark.parametrize(
    ("fake", "real", "found"),
    [
        ({"a": 1}, {"a": "1"}, "$.a: the fake sends number, the real server string"),
        ({"a": 1}, {}, "$.a: sent by the fake only"),
        ({}, {"a": 1}, "$.a: sent by the real server only"),
        ([{"a": {"b": 1}}], [{"a": {"b": True}}], "$[].a.b: the fake sends number"),
        ({"a": None}, {"a": 1}, "$.a: the fake sends null, which the spec does not allow"),
    ],
)
def test_differences_are_found(fake: object, real: object, found: str) -> None:
    """Types, missing keys (deep in lists too) and nulls the spec does not allow."""
    assert [d for d in differences(fake, real) if d.startswith(found)]


def test_null_where_the_spec_allows_it() -> None:
    """A nullable field may be null on one side only: that is data."""
    real = {"checkedAt": None, "releaseVersion": None}
    fake = {"checkedAt": "2026-01-01T00:00:00.000Z", "releaseVersion": "v9.9.9"}
    assert differences(fake, real, spec=SPEC, schema=CHECK) == []


def test_tolerances() -> None:
    """An optional key may be tolerated on one side; a required one never."""
    fake = {"id": "x", "name": "a", "value": "a", "createdAt": "", "updatedAt": "", "color": "#f"}
    real = {k: v for k, v in fake.items() if k != "color"}
    assert differences(fake, real, spec=SPEC, schema=TAG) == ["$.color: sent by the fake only"]
    assert differences(fake, real, spec=SPEC, schema=TAG, tolerated={"$.color": "why"}) == []
    del real["name"]
    assert differences(fake, real, spec=SPEC, schema=TAG, tolerated={"$.name": "why"}) == [
        "$.color: sent by the fake only",
        "$.name: tolerated, but the spec requires it",
    ]
    assert differences({"albumName": "a"}, {}, spec=SPEC, schema=ALBUM, tolerated={}) == [
        "$.albumName: sent by the fake only"
    ]
