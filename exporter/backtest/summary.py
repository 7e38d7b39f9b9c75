"""Alert intervals summarised for a reader: unions per severity and per alert, and the differences
between two rule sets' firing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from exporter.backtest.model import AlertInterval, Backtest

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def union(spans: list[tuple[float, float]], gap: float = 0.0) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def by_alert(alerts: list[AlertInterval]) -> dict[tuple[str, str], list[AlertInterval]]:
    """Intervals per (alertname, severity), the most severe and earliest alerts first."""
    groups: dict[tuple[str, str], list[AlertInterval]] = defaultdict(list)
    for alert in alerts:
        groups[(alert.alertname, alert.severity)].append(alert)
    ordered = sorted(
        groups.items(), key=lambda item: (SEVERITY_ORDER.get(item[0][1], 9), min(a.start for a in item[1]))
    )
    return {key: sorted(value, key=lambda a: a.start) for key, value in ordered}


@dataclass(frozen=True)
class Difference:
    alertname: str
    severity: str
    labels: str
    what: str  # "only in A", "only in B", "first firing moved"
    first_a: float | None  # seconds from the onset (or from the range's start)
    first_b: float | None
    # False: both sets define the alert (and what it reads) the same way, so the two servers' scrape and
    # evaluation instants made the difference, not the rules.
    rule_changed: bool = True


def _first_firings(backtest: Backtest) -> dict[tuple[str, str, str], float]:
    zero = backtest.onset if backtest.onset is not None else backtest.start
    first: dict[tuple[str, str, str], float] = {}
    for alert in backtest.alerts:
        key = (alert.alertname, alert.severity, alert.label_text)
        offset = backtest.timeline.seconds(alert.start - zero)
        first[key] = min(first.get(key, offset), offset)
    return first


def differences(
    a: Backtest, b: Backtest, tolerance: float, changed: set[str] | None = None
) -> list[Difference]:
    """Alerts that fire under one rule set only, and those whose first firing moved by more than
    `tolerance` seconds (two runs of one scenario differ by an evaluation or two). `changed`: the alerts
    the two sets define differently (exporter/backtest/rule_changes.py); None counts every alert."""
    first_a, first_b = _first_firings(a), _first_firings(b)
    result = []
    for key in sorted(first_a.keys() | first_b.keys(), key=lambda k: (SEVERITY_ORDER.get(k[1], 9), k)):
        in_a, in_b = first_a.get(key), first_b.get(key)
        if in_a is None:
            what = "only in B"
        elif in_b is None:
            what = "only in A"
        elif abs(in_a - in_b) > tolerance:
            what = "first firing moved"
        else:
            continue
        rule_changed = changed is None or key[0] in changed
        result.append(Difference(key[0], key[1], key[2], what, in_a, in_b, rule_changed))
    return result
