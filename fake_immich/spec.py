"""Load an Immich OpenAPI document and validate values against its schemas.

A small OpenAPI 3.0 validator written for the fake server: schemas are compiled once into
closures (validators return ``None`` on success or a list of error strings), so that a
50,000-asset album can be checked in reasonable time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
import json
import os
from pathlib import Path
import re
from typing import Any, Final

# The specs live beside the checkout (../shared/immich-openapi); IMMICH_OPENAPI_DIR overrides.
SPEC_DIR: Final = Path(
    os.environ.get(
        "IMMICH_OPENAPI_DIR", Path(__file__).resolve().parents[2] / "shared" / "immich-openapi"
    )
)
SUPPORTED_VERSIONS: Final = ("2.7.3", "3.0.3")

type Validator = Callable[[Any], list[str] | None]
type Schema = Mapping[str, Any]

_UUID_RE: Final = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Loose ISO 8601: Immich's clients send both "Z" and offsets, with or without fractions.
_DATETIME_RE: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+$")
UNKNOWN_PROPERTY: Final = "is not a declared property"
_FORMATS: Final[dict[str, re.Pattern[str]]] = {
    "uuid": _UUID_RE,
    "date-time": _DATETIME_RE,
    "date": _DATE_RE,
    "email": _EMAIL_RE,
}


def spec_path(version: str) -> Path:
    """Return the path of the spec file for an API version."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(
            f"unsupported Immich API version {version!r}; use one of {SUPPORTED_VERSIONS}"
        )
    path = SPEC_DIR / f"immich-openapi-{version}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; set IMMICH_OPENAPI_DIR to the spec folder")
    return path


@cache
def load_spec(version: str) -> Spec:
    """Load (once per process and version) the spec of an Immich API version."""
    document = json.loads(spec_path(version).read_text(encoding="utf-8"))
    # Upstream caveat: `in` is not allowed on an http security scheme (OAS 3.0).
    document["components"]["securitySchemes"]["bearer"].pop("in", None)
    return Spec(document)


_TYPE_NAMES: Final[dict[type, str]] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


_PY_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "integer": (int,),  # exact types: a bool is not an integer
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _prefix(errors: list[str], key: str) -> list[str]:
    return [f"{key}{err}" if err.startswith((".", "[")) else f"{key}: {err}" for err in errors]


class SchemaCompiler:
    """Compile OpenAPI schemas (with `$ref`s into one document) into validator closures."""

    def __init__(self, document: Mapping[str, Any], *, strict: bool = False) -> None:
        self._document = document
        self._refs: dict[str, Validator] = {}
        # Strict (for requests): properties a schema does not declare are reported, since a
        # client sending them speaks another dialect (e.g. `deviceId` to Immich 3).
        self._strict = strict

    def resolve(self, ref: str) -> Schema:
        """Resolve a local JSON pointer such as `#/components/schemas/AssetResponseDto`."""
        node: Any = self._document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node  # type: ignore[no-any-return]

    def compile(self, schema: Schema) -> Validator:
        """Compile a schema into a validator."""
        if "$ref" in schema:
            return self._compile_ref(schema["$ref"])
        nullable = bool(schema.get("nullable"))
        kind = schema.get("type")
        allowed = _PY_TYPES.get(kind) if isinstance(kind, str) else None
        checks = self._checks(schema)
        null_errors = None if nullable else ["is null but not nullable"]

        # Hot path (big listings): the type test is inlined, the rest runs only if declared.
        def validate(value: Any) -> list[str] | None:
            if value is None:
                return null_errors
            if allowed is not None and type(value) not in allowed:
                return [f"expected {kind}, got {_type_name(value)}"]
            for check in checks:
                errors = check(value)
                if errors:
                    return errors
            return None

        return validate

    def _compile_ref(self, ref: str) -> Validator:
        if ref in self._refs:
            return self._refs[ref]
        # Placeholder first so recursive schemas terminate.
        cell: list[Validator] = []

        def by_ref(value: Any) -> list[str] | None:
            return cell[0](value)

        self._refs[ref] = by_ref
        cell.append(self.compile(self.resolve(ref)))
        return by_ref

    def _checks(self, schema: Schema) -> list[Validator]:
        checks: list[Validator] = []
        for key in ("allOf", "oneOf", "anyOf"):
            if key in schema:
                checks.append(self._combinator(key, [self.compile(s) for s in schema[key]]))
        kind = schema.get("type")
        if "enum" in schema:
            allowed = list(schema["enum"])

            def check_enum(value: Any) -> list[str] | None:
                if value in allowed:
                    return None
                return [f"{value!r} is not one of {allowed}"]

            checks.append(check_enum)
        if kind == "string" or (kind is None and ("format" in schema or "pattern" in schema)):
            checks.extend(self._string_checks(schema))
        if kind in ("integer", "number"):
            checks.extend(self._number_checks(schema))
        if kind == "array" or "items" in schema:
            checks.append(self._array_check(schema))
        if kind == "object" or "properties" in schema:
            checks.append(self._object_check(schema))
        return checks

    def _combinator(self, key: str, validators: list[Validator]) -> Validator:
        if key == "allOf":

            def all_of(value: Any) -> list[str] | None:
                for validator in validators:
                    errors = validator(value)
                    if errors:
                        return errors
                return None

            return all_of

        def any_of(value: Any) -> list[str] | None:
            collected: list[str] = []
            passed = 0
            for validator in validators:
                errors = validator(value)
                if errors:
                    collected.extend(errors)
                else:
                    passed += 1
            if passed == 0:
                return [f"matches none of {key}: {'; '.join(collected)}"]
            if key == "oneOf" and passed > 1:
                return [f"matches {passed} schemas of oneOf"]
            return None

        return any_of

    @staticmethod
    def _string_checks(schema: Schema) -> list[Validator]:
        checks: list[Validator] = []
        fmt = schema.get("format")
        if fmt in _FORMATS:
            regex = _FORMATS[fmt]

            def check_format(value: Any) -> list[str] | None:
                if isinstance(value, str) and not regex.match(value):
                    return [f"{value!r} is not a valid {fmt}"]
                return None

            checks.append(check_format)
        if "pattern" in schema:
            pattern = re.compile(schema["pattern"])

            def check_pattern(value: Any) -> list[str] | None:
                if isinstance(value, str) and not pattern.search(value):
                    return [f"{value!r} does not match pattern {pattern.pattern!r}"]
                return None

            checks.append(check_pattern)
        min_length = schema.get("minLength")
        max_length = schema.get("maxLength")
        if min_length is not None or max_length is not None:

            def check_length(value: Any) -> list[str] | None:
                if not isinstance(value, str):
                    return None
                if min_length is not None and len(value) < min_length:
                    return [f"{value!r} is shorter than {min_length}"]
                if max_length is not None and len(value) > max_length:
                    return [f"{value!r} is longer than {max_length}"]
                return None

            checks.append(check_length)
        return checks

    @staticmethod
    def _number_checks(schema: Schema) -> list[Validator]:
        minimum = schema.get("minimum")
        maximum = schema.get("maximum")
        if minimum is None and maximum is None:
            return []

        def check_range(value: Any) -> list[str] | None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            if minimum is not None and value < minimum:
                return [f"{value} is less than the minimum {minimum}"]
            if maximum is not None and value > maximum:
                return [f"{value} is more than the maximum {maximum}"]
            return None

        return [check_range]

    def _array_check(self, schema: Schema) -> Validator:
        items = self.compile(schema["items"]) if "items" in schema else None
        min_items = schema.get("minItems")
        max_items = schema.get("maxItems")

        def check(value: Any) -> list[str] | None:
            if not isinstance(value, list):
                return None
            if min_items is not None and len(value) < min_items:
                return [f"has {len(value)} items, fewer than {min_items}"]
            if max_items is not None and len(value) > max_items:
                return [f"has {len(value)} items, more than {max_items}"]
            if items is not None:
                for index, item in enumerate(value):
                    errors = items(item)
                    if errors:
                        return _prefix(errors, f"[{index}]")
            return None

        return check

    def _object_check(self, schema: Schema) -> Validator:
        properties = {name: self.compile(sub) for name, sub in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        extra_validator = self.compile(extra) if isinstance(extra, dict) and extra else None
        forbid_extra = extra is False or (
            self._strict and "additionalProperties" not in schema and "properties" in schema
        )

        def check(value: Any) -> list[str] | None:
            if type(value) is not dict:
                return None
            errors: list[str] = []
            for name in required:
                if name not in value:
                    errors.append(f".{name}: is required")
            for name, item in value.items():
                validator = properties.get(name)
                if validator is None:
                    if forbid_extra:
                        errors.append(f".{name}: {UNKNOWN_PROPERTY}")
                        continue
                    validator = extra_validator
                    if validator is None:
                        continue
                sub_errors = validator(item)
                if sub_errors:
                    errors.extend(_prefix(sub_errors, f".{name}"))
            return errors or None

        return check


@dataclass(slots=True)
class Parameter:
    """One declared operation parameter."""

    name: str
    location: str
    required: bool
    schema: Schema
    validator: Validator


@dataclass(slots=True)
class Operation:
    """One operation of the spec (a method on a path template)."""

    method: str
    template: str
    operation_id: str
    raw: Mapping[str, Any] = field(repr=False)
    parameters: list[Parameter]
    public: bool
    permission: str | None
    admin_only: bool
    body_required: bool
    body_content: dict[str, Validator]
    body_schemas: dict[str, Schema]
    responses: dict[str, dict[str, Validator | None]] = field(default_factory=dict)

    def param_schema(self, name: str) -> Schema | None:
        """Return the schema of a parameter, if declared."""
        for param in self.parameters:
            if param.name == name:
                return param.schema
        return None


@dataclass(slots=True)
class _Template:
    regex: re.Pattern[str]
    names: tuple[str, ...]
    template: str
    params: int


class Spec:
    """A loaded spec: operations by path template, compiled validators, enums."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.version: str = document["info"]["version"]
        self.compiler = SchemaCompiler(document)
        self.request_compiler = SchemaCompiler(document, strict=True)
        self.schemas: dict[str, Any] = document["components"]["schemas"]
        self.operations: dict[tuple[str, str], Operation] = {}
        self._static: dict[str, str] = {}
        self._templates: list[_Template] = []
        self._methods: dict[str, set[str]] = {}
        for template, item in document["paths"].items():
            for method, raw in item.items():
                if method == "parameters":
                    continue
                self.operations[(method.upper(), template)] = self._operation(method, template, raw)
                self._methods.setdefault(template, set()).add(method.upper())
            self._add_template(template)
        # Literal segments win over parameters (`/albums/statistics` before `/albums/{id}`).
        self._templates.sort(key=lambda t: (t.params, t.template))

    def _add_template(self, template: str) -> None:
        if "{" not in template:
            self._static[template] = template
            return
        names = tuple(re.findall(r"{(\w+)}", template))
        pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        self._templates.append(_Template(re.compile(pattern), names, template, len(names)))

    def _operation(self, method: str, template: str, raw: Mapping[str, Any]) -> Operation:
        params = [
            Parameter(
                name=p["name"],
                location=p["in"],
                required=bool(p.get("required")),
                schema=p.get("schema", {}),
                validator=self.request_compiler.compile(p.get("schema", {})),
            )
            for p in raw.get("parameters", [])
        ]
        body = raw.get("requestBody", {})
        content = body.get("content", {})
        responses: dict[str, dict[str, Validator | None]] = {}
        for status, response in raw.get("responses", {}).items():
            responses[status] = {
                ctype: (
                    self.compiler.compile(media["schema"])
                    if "json" in ctype and "schema" in media
                    else None
                )
                for ctype, media in response.get("content", {}).items()
            }
        return Operation(
            method=method.upper(),
            template=template,
            operation_id=raw.get("operationId", f"{method} {template}"),
            raw=raw,
            parameters=params,
            public="security" not in raw,
            permission=raw.get("x-immich-permission"),
            admin_only=bool(raw.get("x-immich-admin-only")),
            body_required=bool(body.get("required")),
            body_content={
                ctype: self.request_compiler.compile(media.get("schema", {}))
                for ctype, media in content.items()
            },
            body_schemas={ctype: media.get("schema", {}) for ctype, media in content.items()},
            responses=responses,
        )

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """Find the operation for a request.

        Returns the operation (or None), the path parameters, and whether the path exists at
        all (so an unknown method on a known path can be told apart from an unknown path).
        """
        method = method.upper()
        known = False
        template = self._static.get(path)
        if template is not None:
            known = True
            if (method, template) in self.operations:
                return self.operations[(method, template)], {}, True
        for candidate in self._templates:
            found = candidate.regex.match(path)
            if found:
                known = True
                if (method, candidate.template) in self.operations:
                    return self.operations[(method, candidate.template)], found.groupdict(), True
        return None, {}, known

    def resolve(self, schema: Schema) -> Schema:
        """Follow `$ref`s (and a lone `allOf`) to the schema that declares the type."""
        while "$ref" in schema:
            schema = self.compiler.resolve(schema["$ref"])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.resolve(schema["allOf"][0])
        return schema

    def coerce(self, schema: Schema, raw: str) -> Any:
        """Convert a query/path/form string to the schema's type; leave it if it does not fit."""
        kind = self.resolve(schema).get("type")
        if kind == "integer" and re.fullmatch(r"-?\d+", raw):
            return int(raw)
        if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", raw):
            return float(raw) if "." in raw else int(raw)
        if kind == "boolean" and raw in ("true", "false"):
            return raw == "true"
        return raw

    def coerce_query(self, schema: Schema, values: list[str]) -> Any:
        """Convert a query parameter's values (repeated keys make an array)."""
        resolved = self.resolve(schema)
        if resolved.get("type") == "array":
            items = resolved.get("items", {})
            return [self.coerce(items, v) for v in values]
        return self.coerce(schema, values[-1])

    def methods(self, template: str) -> set[str]:
        """Return the methods declared on a path template."""
        return self._methods.get(template, set())

    def enum(self, name: str) -> list[str]:
        """Return the values of an enum schema."""
        return list(self.schemas[name]["enum"])

    def schema(self, name: str) -> Schema:
        """Return a component schema by name."""
        return self.schemas[name]  # type: ignore[no-any-return]

    def validator(self, name: str) -> Validator:
        """Return the compiled validator of a component schema."""
        return self.compiler.compile({"$ref": f"#/components/schemas/{name}"})
