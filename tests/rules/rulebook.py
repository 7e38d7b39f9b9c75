"""Read the Prometheus rule files and promtool test files of rules/ as plain data for structural checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.binaries import REPO_ROOT

RULES_DIR = REPO_ROOT / "rules"
RULE_TESTS_DIR = RULES_DIR / "tests"
RUNBOOK = REPO_ROOT / "RUNBOOK.md"
ALERTS_DOC = REPO_ROOT / "docs" / "alerts.md"

RULE_FILES = sorted(RULES_DIR.glob("*.rules.yml"))
RULE_TEST_FILES = sorted(RULE_TESTS_DIR.glob("*.test.yml"))

RUNBOOK_BASE_URL = "https://github.com/hyperliquid-exporter/hyperliquid-exporter/blob/main/RUNBOOK.md"


@dataclass(frozen=True)
class Rule:
    group: str
    position: int
    expr: str
    alert: str | None = None
    record: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    for_: str | None = None

    @property
    def name(self) -> str:
        name = self.alert or self.record
        if name is None:
            raise ValueError(f"rule {self.position} of group {self.group} has neither alert nor record")
        return name


@dataclass(frozen=True)
class Group:
    name: str
    file: Path
    rules: tuple[Rule, ...]


def _load_yaml(path: Path) -> Any:
    with path.open() as handle:
        return yaml.safe_load(handle)


def load_groups() -> list[Group]:
    groups: list[Group] = []
    for path in RULE_FILES:
        for raw_group in _load_yaml(path)["groups"]:
            rules = tuple(
                Rule(
                    group=raw_group["name"],
                    position=index,
                    expr=str(raw["expr"]),
                    alert=raw.get("alert"),
                    record=raw.get("record"),
                    labels={str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
                    annotations={str(k): str(v) for k, v in (raw.get("annotations") or {}).items()},
                    for_=raw.get("for"),
                )
                for index, raw in enumerate(raw_group["rules"])
            )
            groups.append(Group(name=raw_group["name"], file=path, rules=rules))
    return groups


def all_rules() -> list[Rule]:
    return [rule for group in load_groups() for rule in group.rules]


def alert_rules() -> list[Rule]:
    return [rule for rule in all_rules() if rule.alert is not None]


def recording_names() -> set[str]:
    return {rule.record for rule in all_rules() if rule.record is not None}


@dataclass(frozen=True)
class AlertAssertion:
    test_file: Path
    alertname: str
    fires: bool


def alert_assertions() -> list[AlertAssertion]:
    """Every alert_rule_test entry of every promtool test file: which alert, and whether it must fire."""
    found: list[AlertAssertion] = []
    for path in RULE_TEST_FILES:
        for test in _load_yaml(path)["tests"]:
            for check in test.get("alert_rule_test") or []:
                fires = bool(check.get("exp_alerts"))
                found.append(AlertAssertion(test_file=path, alertname=check["alertname"], fires=fires))
    return found


def rule_files_of_test(path: Path) -> list[Path]:
    """The rule files a promtool test file loads (its globs resolved against its own directory)."""
    resolved: list[Path] = []
    for pattern in _load_yaml(path)["rule_files"]:
        matches = sorted(path.parent.glob(pattern))
        if not matches:
            raise ValueError(f"{path.name}: rule_files entry {pattern!r} matches no file")
        resolved.extend(match.resolve() for match in matches)
    return resolved


def markdown_anchors(path: Path) -> set[str]:
    """GitHub's anchors for a markdown file's headings: lowercased, punctuation dropped, spaces to '-'."""
    anchors: set[str] = set()
    for line in path.read_text().splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).lower())
            anchors.add(text.replace(" ", "-"))
    return anchors
