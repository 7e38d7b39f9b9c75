"""Compare JSON documents by shape: same keys, same JSON types, recursively.

A schema is built from the real response (merging every element of a list, so optional keys and
nullable values seen anywhere count), then the simulated response is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


@dataclass
class Schema:
    types: set[str] = field(default_factory=set)
    keys: dict[str, Schema] = field(default_factory=dict)
    required: set[str] | None = None  # keys present in every object seen
    items: Schema | None = None


def schema_of(value: Any, schema: Schema | None = None) -> Schema:
    schema = schema or Schema()
    kind = json_type(value)
    schema.types.add(kind)
    if kind == "object":
        present = set(value)
        schema.required = present if schema.required is None else schema.required & present
        for key, item in value.items():
            schema.keys[key] = schema_of(item, schema.keys.get(key))
    elif kind == "array":
        schema.items = schema.items or Schema()
        for item in value:
            schema_of(item, schema.items)
    return schema


def mismatches(
    schema: Schema,
    value: Any,
    path: str = "$",
    extra_allowed: frozenset[str] = frozenset(),
    missing_allowed: frozenset[str] = frozenset(),
    nullable: frozenset[str] = frozenset(),
    maps: frozenset[str] = frozenset(),
) -> list[str]:
    """Differences of `value` from `schema`. Key names in the allow-lists apply at any depth;
    `maps` are paths whose keys are data (coin names), so only the value types are compared."""
    problems: list[str] = []
    kind = json_type(value)
    name = path.rsplit(".", 1)[-1]
    null_either_side = name in nullable and (kind == "null" or schema.types == {"null"})
    if kind not in schema.types and not null_either_side:
        return [f"{path}: {kind}, real API gives {sorted(schema.types)}"]
    if kind == "object" and "object" in schema.types:
        if path in maps:
            merged = Schema()
            for sub in schema.keys.values():
                merged.types |= sub.types
            for key, item in value.items():
                problems += mismatches(
                    merged, item, f"{path}.{key}", extra_allowed, missing_allowed, nullable, maps
                )
            return problems
        for key in sorted(set(schema.required or ()) - set(value) - missing_allowed):
            problems.append(f"{path}.{key}: missing")
        for key, item in value.items():
            if key not in schema.keys:
                if key not in extra_allowed:
                    problems.append(f"{path}.{key}: not in the real response")
                continue
            problems += mismatches(
                schema.keys[key], item, f"{path}.{key}", extra_allowed, missing_allowed, nullable, maps
            )
    elif kind == "array" and schema.items is not None and schema.items.types:
        for index, item in enumerate(value):
            problems += mismatches(
                schema.items, item, f"{path}[{index}]", extra_allowed, missing_allowed, nullable, maps
            )
            if len(problems) > 20:
                break
    return problems
