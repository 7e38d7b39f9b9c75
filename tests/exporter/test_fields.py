"""Field readers: lenient about shapes the API really sends, strict about everything else."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, to_float

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def test_numbers_as_strings_or_numbers() -> None:
    obj = JsonObject({"px": "14.3161", "n": 3, "f": 0.25, "null": None}, "test")
    assert obj.number("px") == 14.3161
    assert obj.number("n") == 3.0
    assert obj.number("f") == 0.25
    assert obj.optional_number("null") is None
    assert obj.optional_number("absent") is None


@pytest.mark.parametrize("bad", ["NaN", "inf", "abc", True, [], {}])
def test_bad_numbers_name_the_field(bad: Any) -> None:
    with pytest.raises(ParseError, match=r"test response: \$\.px: "):
        JsonObject({"px": bad}, "test").number("px")


def test_missing_and_null_required_fields_are_named() -> None:
    obj = JsonObject({"a": None}, "clearinghouseState", "$.assetPositions[3].position")
    with pytest.raises(ParseError, match=r"\$\.assetPositions\[3\]\.position\.a: is null"):
        obj.text("a")
    with pytest.raises(ParseError, match=r"\.b: missing"):
        obj.integer("b")


@given(json_values, st.sampled_from(["text", "number", "integer", "obj", "items", "optional_number", "flag"]))
def test_accessors_raise_only_parse_errors(value: Any, accessor: str) -> None:
    with contextlib.suppress(ParseError):
        getattr(JsonObject({"key": value}, "fuzz"), accessor)("key")


@given(json_values)
def test_to_float_raises_only_parse_errors(value: Any) -> None:
    with contextlib.suppress(ParseError):
        to_float(value, "fuzz", "$")
