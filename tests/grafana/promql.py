"""PromQL checks without a PromQL library: the real promtool parses, a small scanner finds metric names."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from tests.grafana.dashboards import PanelQuery
from tests.support.binaries import find_binary

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_LABEL_MATCHERS = re.compile(r"\{[^{}]*\}")
_LABEL_LISTS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
# An identifier not glued to a preceding digit (so the `m` of `5m` or the `e` of `1e3` is not one).
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
)
_NUMBERS = frozenset({"inf", "nan"})


def metric_names(expr: str) -> set[str]:
    """Metric names selected by `expr` (a substituted PromQL expression)."""
    text = _STRING.sub('""', expr)
    text = _LABEL_MATCHERS.sub(" ", text)
    text = _LABEL_LISTS.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    names: set[str] = set()
    for match in _IDENTIFIER.finditer(text):
        name, is_call = match.group(1), match.group(2)
        if is_call or name.lower() in _KEYWORDS or name.lower() in _NUMBERS:
            continue
        names.add(name)
    return names


def write_as_recording_rules(queries: Sequence[PanelQuery], path: Path) -> None:
    """One rule group per query, named after where the query lives, so promtool's errors point at it."""
    groups = [
        {
            "name": f"{index}: {query.where}",
            "rules": [{"record": f"grafana:panel_query_{index}", "expr": query.expr}],
        }
        for index, query in enumerate(queries)
    ]
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False, width=1000))


def promtool_check_rules(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_binary("promtool"), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def recording_rule_expressions(rules_dir: Path) -> dict[str, list[str]]:
    """Every `record:` name in the rule files of `rules_dir` (not its tests/), with its expressions."""
    expressions: dict[str, list[str]] = {}
    for path in sorted([*rules_dir.glob("*.yml"), *rules_dir.glob("*.yaml")]):
        document = yaml.safe_load(path.read_text()) or {}
        for group in document.get("groups", []):
            for rule in group.get("rules", []):
                if "record" in rule:
                    expressions.setdefault(rule["record"], []).append(str(rule["expr"]))
    return expressions


def recording_rule_names(rules_dir: Path) -> set[str]:
    return set(recording_rule_expressions(rules_dir))


def needs_history(expr: str, rules: Mapping[str, list[str]], _seen: frozenset[str] = frozenset()) -> bool:
    """Whether `expr` looks back in time (range, subquery, offset), itself or through a recording rule."""
    text = _STRING.sub('""', expr)
    if "[" in text or re.search(r"\boffset\b", text):
        return True
    return any(
        needs_history(rule_expr, rules, _seen | {name})
        for name in metric_names(expr) - _seen
        for rule_expr in rules.get(name, [])
    )
