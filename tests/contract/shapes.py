"""Shapes of JSON bodies (keys and value types, recursively) and how two of them differ.

The values of the fake and of a real Immich differ (other photos, other ids, other dates); their
structure must not. A body's shape merges every element of a list, so a key that only some
albums carry (``startDate``: albums with assets) is seen once for the whole list.

How two shapes are compared, with the operation's response schema from the spec at hand:

- a value's type (``string``, ``number``, ``boolean``, ``object``, ``array``) must match;
  integers and fractions are both ``number``, as in JSON;
- ``null`` on one side and a value on the other is data, not shape, when the spec declares the
  field nullable (a photo without GPS has ``city: null``); otherwise it is a difference;
- a key sent by one side only is a difference; a test may tolerate it by path, with its reason,
  only when the spec declares the key optional and its presence depends on the data (a
  tolerance of a required key is itself reported);
- list elements are compared when both lists have at least one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fake_immich.spec import Spec

Schema = Mapping[str, Any]

_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


@dataclass
class Shape:
    """The merged structure of one or more JSON values."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    items: Shape | None = None

    def add(self, value: Any) -> Shape:
        """Merge a value into the shape."""
        self.types.add(_TYPES[type(value)])
        if isinstance(value, dict):
            for key, item in value.items():
                self.keys.setdefault(key, Shape()).add(item)
        elif isinstance(value, list):
            for item in value:
                if self.items is None:
                    self.items = Shape()
                self.items.add(item)
        return self

    @property
    def concrete(self) -> set[str]:
        """Return the types seen other than null."""
        return self.types - {"null"}


def shape_of(value: Any) -> Shape:
    """Return the shape of a decoded JSON value."""
    return Shape().add(value)


@dataclass
class _Walk:
    spec: Spec | None
    tolerated: Mapping[str, str]
    found: list[str] = field(default_factory=list)

    def resolve(self, schema: Schema | None) -> tuple[Schema | None, bool]:
        """Return the schema that declares the type, and whether the value may be null."""
        if schema is None or self.spec is None:
            return None, False
        nullable = bool(schema.get("nullable"))
        resolved = self.spec.resolve(schema)
        return resolved, nullable or bool(resolved.get("nullable"))

    def compare(self, fake: Shape, real: Shape, schema: Schema | None, path: str) -> None:
        resolved, nullable = self.resolve(schema)
        if fake.concrete and real.concrete and fake.concrete != real.concrete:
            self.found.append(
                f"{path}: the fake sends {_names(fake.concrete)}, "
                f"the real server {_names(real.concrete)}"
            )
            return
        if bool(fake.concrete) != bool(real.concrete) and not nullable:
            null_side = "the fake" if not fake.concrete else "the real server"
            self.found.append(f"{path}: {null_side} sends null, which the spec does not allow")
            return
        if "object" in fake.types and "object" in real.types:
            self.compare_keys(fake, real, resolved, path)
        if fake.items is not None and real.items is not None:
            items = resolved.get("items") if resolved else None
            self.compare(fake.items, real.items, items, f"{path}[]")

    def compare_keys(self, fake: Shape, real: Shape, schema: Schema | None, path: str) -> None:
        properties: Mapping[str, Any] = (schema or {}).get("properties", {})
        required = set((schema or {}).get("required", []))
        extra = (schema or {}).get("additionalProperties")
        for key in sorted(fake.keys.keys() | real.keys.keys()):
            where = f"{path}.{key}"
            sub_schema = properties.get(key, extra if isinstance(extra, Mapping) else None)
            if key in fake.keys and key in real.keys:
                self.compare(fake.keys[key], real.keys[key], sub_schema, where)
                continue
            sender = "the fake" if key in fake.keys else "the real server"
            if where in self.tolerated and key in required:
                self.found.append(f"{where}: tolerated, but the spec requires it")
            elif where not in self.tolerated:
                self.found.append(f"{where}: sent by {sender} only")


def _names(types: set[str]) -> str:
    return " or ".join(sorted(types))


def differences(
    fake: Any,
    real: Any,
    *,
    spec: Spec | None = None,
    schema: Schema | None = None,
    tolerated: Mapping[str, str] | None = None,
) -> list[str]:
    """Return how the shapes of two decoded JSON bodies differ (empty when they agree).

    ``tolerated`` maps paths such as ``$.build`` or ``$[].exifInfo.lensModel`` to the reason a
    key may be sent by one side only.
    """
    walk = _Walk(spec, tolerated or {})
    walk.compare(shape_of(fake), shape_of(real), schema, "$")
    return walk.found
