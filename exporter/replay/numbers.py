"""Decimal strings in the style of the Hyperliquid API ("30135.0", "0.001565", "-0.0134")."""

from __future__ import annotations

import math
from decimal import Decimal


def decimal_string(value: float, decimals: int = 6) -> str:
    """Fixed-point text without exponent, trailing zeros trimmed, always one decimal (`"0.0"`)."""
    if not math.isfinite(value):
        raise ValueError(f"cannot format non-finite number {value!r}")
    text = f"{Decimal(repr(value)):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    else:
        text += ".0"
    if text in ("-0.0", "-0"):
        return "0.0"
    return text


def price_string(value: float, sz_decimals: int) -> str:
    """A perp price as Hyperliquid prints it: at most 5 significant figures and 6 - szDecimals decimals."""
    if value == 0:
        return "0.0"
    magnitude = math.floor(math.log10(abs(value)))
    significant_decimals = max(0, 4 - magnitude)
    decimals = min(significant_decimals, max(0, 6 - sz_decimals))
    # Integer prices are always valid on Hyperliquid, whatever their number of significant figures.
    return decimal_string(round(value, decimals), decimals)


def size_string(value: float, sz_decimals: int) -> str:
    return decimal_string(round(value, sz_decimals), sz_decimals)


def usd_string(value: float) -> str:
    return decimal_string(value, 6)


def rate_string(value: float) -> str:
    return decimal_string(value, 8)
