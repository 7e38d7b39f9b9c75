"""Which alerts two rule sets define differently, directly or through the recorded series they read.

Two Prometheus servers on one scenario run scrape and evaluate a moment apart, so an alert at the edge
of its threshold may fire under one and not the other even when both sets define it the same way. The
comparison keeps those apart from the differences the rule change makes.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# An expression that reads ALERTS (or ALERTS_FOR_STATE) depends on every alert of its set.
_ALERTS_SERIES = "ALERTS"

Definitions = dict[str, list[str]]


def _canonical(rule: dict[str, Any], interval: Any) -> str:
    """What decides when a rule's series exist: its expression, labels, `for`, and its group's interval
    (annotations change the text of a message, not its firing)."""
    fields = {key: rule.get(key) for key in ("expr", "for", "keep_firing_for", "labels")}
    fields["interval"] = interval
    return json.dumps(fields, sort_keys=True, default=str)


def definitions(files: Iterable[Path]) -> tuple[Definitions, Definitions, dict[str, set[str]]]:
    """(recording rules by name, alerts by name, the names each rule name's expressions mention)."""
    recorded: Definitions = defaultdict(list)
    alerts: Definitions = defaultdict(list)
    mentions: dict[str, set[str]] = defaultdict(set)
    for path in files:
        document = yaml.safe_load(path.read_text()) or {}
        for group in document.get("groups") or []:
            for rule in group.get("rules") or []:
                name = rule.get("record") or rule.get("alert")
                if not name:
                    continue
                target = recorded if "record" in rule else alerts
                target[name].append(_canonical(rule, group.get("interval")))
                mentions[name].update(_NAME.findall(str(rule.get("expr", ""))))
    for table in (recorded, alerts):
        for values in table.values():
            values.sort()
    return dict(recorded), dict(alerts), dict(mentions)


def changed_alerts(a_files: Iterable[Path], b_files: Iterable[Path]) -> set[str]:
    """Alert names defined differently in the two sets: in one only, with another definition, or reading
    a recorded series (or ALERTS) that is itself defined differently."""
    recorded_a, alerts_a, mentions_a = definitions(a_files)
    recorded_b, alerts_b, mentions_b = definitions(b_files)
    changed = {
        name
        for name in recorded_a.keys() | recorded_b.keys() | alerts_a.keys() | alerts_b.keys()
        if recorded_a.get(name) != recorded_b.get(name) or alerts_a.get(name) != alerts_b.get(name)
    }
    mentions = {
        name: mentions_a.get(name, set()) | mentions_b.get(name, set()) for name in mentions_a | mentions_b
    }
    all_alerts = alerts_a.keys() | alerts_b.keys()
    grew = True
    while grew:
        alerts_changed = bool(changed & all_alerts)
        grew = False
        for name, mentioned in mentions.items():
            if name in changed:
                continue
            reads_alerts = any(m.startswith(_ALERTS_SERIES) for m in mentioned)
            if mentioned & changed or (alerts_changed and reads_alerts):
                changed.add(name)
                grew = True
    return changed & all_alerts
