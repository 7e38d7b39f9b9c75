"""Reading Hyperliquid JSON leniently but safely.

Numbers arrive as decimal strings (sometimes as JSON numbers), nulls are normal, unknown fields
are ignored. Anything else raises ParseError naming the request type and the field's path, so a
garbled response costs one sample and one error count, never the poll loop.
"""

from __future__ import annotations

import math
from typing import Any

from exporter.hyperliquid.errors import ParseError


def to_float(value: Any, request_type: str, path: str) -> float:
    if isinstance(value, bool):
        raise ParseError(request_type, path, f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise ParseError(request_type, path, f"expected a decimal string, got {value[:40]!r}") from None
    else:
        raise ParseError(request_type, path, f"expected a decimal string, got {type(value).__name__}")
    if not math.isfinite(number):
        raise ParseError(request_type, path, f"expected a finite number, got {value!r}")
    return number


def as_list(value: Any, request_type: str, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(request_type, path, f"expected a list, got {type(value).__name__}")
    return value


class JsonObject:
    """A JSON object with typed accessors that know where they are in the response."""

    __slots__ = ("data", "path", "request_type")

    def __init__(self, data: Any, request_type: str, path: str = "$") -> None:
        if not isinstance(data, dict):
            raise ParseError(request_type, path, f"expected an object, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.request_type = request_type
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def _required(self, key: str) -> Any:
        if key not in self.data:
            raise ParseError(self.request_type, self._at(key), "missing")
        value = self.data[key]
        if value is None:
            raise ParseError(self.request_type, self._at(key), "is null")
        return value

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str) -> str:
        value = self._required(key)
        if not isinstance(value, str):
            raise ParseError(
                self.request_type, self._at(key), f"expected a string, got {type(value).__name__}"
            )
        return value

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if self.has(key) else None

    def number(self, key: str) -> float:
        return to_float(self._required(key), self.request_type, self._at(key))

    def optional_number(self, key: str) -> float | None:
        return self.number(key) if self.has(key) else None

    def integer(self, key: str) -> int:
        value = self._required(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParseError(self.request_type, self._at(key), f"expected an integer, got {value!r}")
        return value

    def optional_integer(self, key: str) -> int | None:
        return self.integer(key) if self.has(key) else None

    def flag(self, key: str, default: bool = False) -> bool:
        if not self.has(key):
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise ParseError(self.request_type, self._at(key), f"expected true or false, got {value!r}")
        return value

    def obj(self, key: str) -> JsonObject:
        return JsonObject(self._required(key), self.request_type, self._at(key))

    def optional_obj(self, key: str) -> JsonObject | None:
        return self.obj(key) if self.has(key) else None

    def items(self, key: str) -> list[Any]:
        return as_list(self._required(key), self.request_type, self._at(key))

    def optional_items(self, key: str) -> list[Any]:
        return self.items(key) if self.has(key) else []
