"""Every alert name, at every severity, reaches the receivers that route_expectations.yaml names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.alertmanager.rendering import amtool, render_shipped_config
from tests.support.binaries import ALERTMANAGER_DIR, REPO_ROOT

EXPECTATIONS: dict[str, Any] = yaml.safe_load((ALERTMANAGER_DIR / "route_expectations.yaml").read_text())
SEVERITIES = ("critical", "warning", "info", "none")


def expected_receivers(alertname: str, severity: str) -> list[str]:
    by_name: dict[str, list[str] | dict[str, list[str]]] = EXPECTATIONS["receivers_by_alertname"]
    if alertname in by_name:
        named = by_name[alertname]
        return named if isinstance(named, list) else named.get(severity, named["default"])
    by_severity: dict[str, list[str]] = EXPECTATIONS["receivers_by_severity"]
    return by_severity[severity]


def route_cases() -> list[tuple[str, str]]:
    return [(alertname, severity) for alertname in EXPECTATIONS["alerts"] for severity in SEVERITIES]


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_shipped_config(tmp_path_factory.mktemp("routes") / "rendered")


@pytest.mark.parametrize(("alertname", "severity"), route_cases())
def test_alert_reaches_expected_receivers(config_path: Path, alertname: str, severity: str) -> None:
    labels = {"alertname": alertname, **EXPECTATIONS["alerts"][alertname]}
    if severity != "none":
        labels["severity"] = severity
    expected = ",".join(expected_receivers(alertname, severity))
    result = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config_path}",
        f"--verify.receivers={expected}",
        *(f"{name}={value}" for name, value in labels.items()),
    )
    assert result.returncode == 0, f"{labels} routed to {result.stdout.strip()!r}, expected {expected!r}"
    assert result.stdout.strip() == expected


def test_expectations_name_only_known_receivers(config_path: Path) -> None:
    config = yaml.safe_load(config_path.read_text())
    defined = {receiver["name"] for receiver in config["receivers"]}
    named = {
        receiver
        for receivers in [
            *EXPECTATIONS["receivers_by_severity"].values(),
            *(
                receivers
                for named in EXPECTATIONS["receivers_by_alertname"].values()
                for receivers in (named if isinstance(named, dict) else {"all": named}).values()
            ),
        ]
        for receiver in receivers
    }
    assert named == defined, "every receiver is expected somewhere and every expected receiver exists"


def alerting_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in sorted((REPO_ROOT / "rules").glob("*.yml")):
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            rules.extend(rule for rule in group.get("rules", []) if "alert" in rule)
    return rules


def test_every_alerting_rule_has_route_expectations() -> None:
    rules = alerting_rules()
    assert rules, "rules/*.yml define no alerting rules"
    unlisted = sorted({rule["alert"] for rule in rules} - set(EXPECTATIONS["alerts"]))
    assert not unlisted, f"add these alert names to alertmanager/route_expectations.yaml: {unlisted}"
    bad_severity = sorted(
        rule["alert"]
        for rule in rules
        if rule.get("labels", {}).get("severity") not in EXPECTATIONS["receivers_by_severity"]
    )
    assert not bad_severity, f"alerting rules without a routed severity label: {bad_severity}"
