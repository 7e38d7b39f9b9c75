"""Which alerts a rule change touches, so the comparison keeps them apart from evaluation timing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from exporter.backtest.model import AlertInterval, Backtest, Timeline
from exporter.backtest.report import render
from exporter.backtest.rule_changes import changed_alerts
from exporter.backtest.summary import differences
from exporter.backtest.timescale import rule_files

REPO = Path(__file__).resolve().parents[2]

BASE: list[dict[str, Any]] = [
    {"record": "coin:price:ratio", "expr": "max by (coin) (price) / max by (coin) (price offset 5m)"},
    {"record": "coin:price:fall", "expr": "coin:price:ratio < 0.9"},
    {"alert": "Falls", "expr": "coin:price:fall", "for": "1m", "labels": {"severity": "critical"}},
    {"alert": "Volume", "expr": "volume > 10", "labels": {"severity": "warning"}},
    {"alert": "Meta", "expr": 'ALERTS{alertname="Falls"}', "labels": {"severity": "info"}},
]


def _write(directory: Path, rules: list[dict[str, Any]]) -> list[Path]:
    directory.mkdir()
    path = directory / "set.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "interval": "10s", "rules": rules}]}))
    return [path]


def _changed(tmp_path: Path, rules: list[dict[str, Any]]) -> set[str]:
    return changed_alerts(_write(tmp_path / "a", BASE), _write(tmp_path / "b", rules))


def test_identical_sets_change_nothing(tmp_path: Path) -> None:
    assert _changed(tmp_path, [dict(rule) for rule in BASE]) == set()


def test_a_dropped_alert_is_changed_and_so_is_an_alert_that_reads_alerts(tmp_path: Path) -> None:
    assert _changed(tmp_path, [rule for rule in BASE if rule.get("alert") != "Volume"]) == {"Volume", "Meta"}


def test_a_changed_recording_rule_changes_the_alerts_that_read_it_through_other_rules(tmp_path: Path) -> None:
    rules = [dict(rule) for rule in BASE]
    rules[0]["expr"] = "max by (coin) (price) / max by (coin) (price offset 10m)"
    assert _changed(tmp_path, rules) == {"Falls", "Meta"}


def test_annotations_change_the_message_not_the_firing(tmp_path: Path) -> None:
    rules = [dict(rule) for rule in BASE]
    rules[3] = {**rules[3], "annotations": {"summary": "new words"}}
    assert _changed(tmp_path, rules) == set()


def test_a_changed_for_or_group_interval_changes_the_firing(tmp_path: Path) -> None:
    rules = [dict(rule) for rule in BASE]
    rules[3] = {**rules[3], "for": "5m"}
    assert _changed(tmp_path, rules) == {"Volume", "Meta"}
    (tmp_path / "c").mkdir()
    slower = tmp_path / "c" / "set.rules.yml"
    slower.write_text(yaml.safe_dump({"groups": [{"name": "g", "interval": "1m", "rules": BASE}]}))
    assert changed_alerts(rule_files([tmp_path / "a"]), [slower]) == {"Falls", "Volume", "Meta"}


def test_the_shipped_rules_against_themselves_change_nothing() -> None:
    files = rule_files([REPO / "rules"])
    assert changed_alerts(files, files) == set()


def _alert(name: str, start: float) -> AlertInterval:
    return AlertInterval(name, "critical", (("coin", "BTC"),), start, start + 10, False, start, 1.0)


def test_the_report_lists_timing_differences_apart_from_rule_differences() -> None:
    a = Backtest(
        "t", "s", "A", Timeline(0.0, 10.0), 0.0, 100.0, 0.0, [], [_alert("Dropped", 5), _alert("Edge", 5)]
    )
    b = Backtest("t", "s", "B", Timeline(0.0, 10.0), 0.0, 100.0, 0.0, [], [])
    found = differences(a, b, tolerance=10.0, changed={"Dropped"})
    assert {(d.alertname, d.rule_changed) for d in found} == {("Dropped", True), ("Edge", False)}
    page = render([a, b], found)
    by_rules = re.search(r'<table class="differences">(.*?)</table>', page, re.S)
    by_timing = re.search(r'<table class="timing-differences">(.*?)</table>', page, re.S)
    assert by_rules
    assert by_timing
    assert 'data-alert="Dropped"' in by_rules.group(1)
    assert 'data-alert="Edge"' not in by_rules.group(1)
    assert 'data-alert="Edge"' in by_timing.group(1)
    assert 'data-alert="Dropped"' not in by_timing.group(1)
