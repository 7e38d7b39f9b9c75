"""Compress the rules' time the way `hyperliquid-replay --speed N` compresses a scenario's.

With the simulator N times faster, dividing every `for`, range selector, subquery and `offset` of
the shipped rules by N keeps each rule's meaning in scenario time: "OI fell 5% in 1m" still
compares points one scenario minute apart. Rates per second are not scaled (they grow N-fold),
and absolute constants such as staleness thresholds in seconds are left as they are. Neither is the
`for` of an alert on Prometheus' own scrapes (`up`): a scrape's timeout is wall time, so "down for a
minute" divided by 10 would page on six slow scrapes of a busy test machine. Rules on the API's request
durations are not scaled at all (windows nor `for`): a request takes wall seconds whatever the
simulator's speed, so "p90 over 3 s within 30 s, for 15 s" compressed to a 3 s window held 1.5 s paged
on one slow burst of a loaded machine. A group's own
`interval` is floored at the scrape interval: a group evaluated between two scrapes sees the same
samples again, so the shipped 1 s groups at speed 10 would cost ten evaluations a second for nothing.

Evaluation intervals are rounded up to the millisecond, the rest to the nearest: at speed 30 a 10 s
interval is 334 ms, so a `for: 1m` (2000 ms) still holds after six evaluations as it does in real time
(six of 333 ms are 1998 ms: the alert would fire one evaluation late).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

_UNIT_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_536_000_000,
}
_DURATION = r"(?:\d+(?:ms|s|m|h|d|w|y))+"
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_RANGE = re.compile(rf"\[({_DURATION})(?::({_DURATION})?)?\]")
_OFFSET = re.compile(rf"\boffset\s+(-?)({_DURATION})")
_SCRAPE_HEALTH = re.compile(r"\bup\s*\{")
_REQUEST_LATENCY = re.compile(r"api_request_duration_seconds")


def duration_ms(text: str) -> int:
    if not re.fullmatch(_DURATION, text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(number) * _UNIT_MS[unit] for number, unit in _PART.findall(text))


def scaled(text: str, factor: float) -> str:
    return f"{max(1, round(duration_ms(text) / factor))}ms"


def scaled_interval(text: str, factor: float) -> str:
    """An evaluation interval, compressed and rounded up to the millisecond."""
    return f"{evaluation_ms(duration_ms(text) / 1000, factor)}ms"


def evaluation_ms(seconds: float, factor: float) -> int:
    # Less a nanosecond: a quotient that is whole in exact arithmetic may come out a hair above it.
    return max(1, math.ceil(seconds * 1000 / factor - 1e-6))


def scale_expr(expr: str, factor: float) -> str:
    def range_(match: re.Match[str]) -> str:
        window, step = match.group(1), match.group(2)
        if ":" not in match.group(0):
            return f"[{scaled(window, factor)}]"
        return f"[{scaled(window, factor)}:{scaled(step, factor) if step else ''}]"

    def offset(match: re.Match[str]) -> str:
        return f"offset {match.group(1)}{scaled(match.group(2), factor)}"

    return _OFFSET.sub(offset, _RANGE.sub(range_, expr))


def scale_rule_groups(document: dict[str, Any], factor: float, min_interval_ms: int = 1) -> dict[str, Any]:
    """Every duration divided by `factor`; group intervals no shorter than `min_interval_ms`."""
    for group in document.get("groups", []):
        if "interval" in group:
            interval = max(min_interval_ms, duration_ms(scaled_interval(str(group["interval"]), factor)))
            group["interval"] = f"{interval}ms"
        for rule in group.get("rules", []):
            expr = str(rule["expr"])
            wall_latency = _REQUEST_LATENCY.search(expr) is not None
            wall_time = wall_latency or _SCRAPE_HEALTH.search(expr) is not None
            if not wall_latency:
                rule["expr"] = scale_expr(expr, factor)
            for key in ("for", "keep_firing_for"):
                if key in rule and not wall_time:
                    rule[key] = scaled(str(rule[key]), factor)
    return document


def rule_files(paths: list[Path]) -> list[Path]:
    """Rule files from a mix of files and directories (a directory stands for its `*.rules.yml`)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.rules.yml")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no rule file or directory {path}")
    if not files:
        raise FileNotFoundError(f"no *.rules.yml in {', '.join(map(str, paths))}")
    return files


def write_scaled_rule_files(
    files: list[Path], output_dir: Path, factor: float, min_interval_ms: int = 1
) -> list[Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for index, path in enumerate(files):
        document = scale_rule_groups(yaml.safe_load(path.read_text()), factor, min_interval_ms)
        # Numbered: two rule sets may hold files of the same name.
        target = output_dir / f"{index:02d}-{path.name.removesuffix('.rules.yml')}.rules.yml"
        target.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000))
        written.append(target)
    return written


def write_scaled_rules(
    source_dir: Path, output_dir: Path, factor: float, min_interval_ms: int = 1
) -> list[Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source_dir.glob("*.rules.yml")):
        document = scale_rule_groups(yaml.safe_load(path.read_text()), factor, min_interval_ms)
        target = output_dir / path.name
        target.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000))
        written.append(target)
    return written
