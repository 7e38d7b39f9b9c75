"""Every dashboard passes the Grafana dashboard linter's rules, except what grafana/dashboards/.lint says."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.grafana.dashboard_lint import RULES, Exclusion, Finding, lint, load_exclusions
from tests.grafana.dashboards import DASHBOARDS_DIR, load_dashboards

DASHBOARDS = load_dashboards()
EXCLUSIONS = load_exclusions(DASHBOARDS_DIR / ".lint")


def _reportable(findings: list[Finding]) -> list[str]:
    return [str(f) for f in findings if not any(e.covers(f) for e in EXCLUSIONS)]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_passes_the_linter(name: str) -> None:
    assert _reportable(lint(DASHBOARDS[name])) == []


def test_every_exclusion_is_still_needed() -> None:
    findings = [f for dashboard in DASHBOARDS.values() for f in lint(dashboard)]
    for exclusion in EXCLUSIONS:
        assert any(exclusion.covers(f) for f in findings), f"{exclusion.rule}: excluded but never reported"


def _broken(mutate: Any) -> list[str]:
    dashboard = copy.deepcopy(DASHBOARDS["hl-health.json"])
    mutate(dashboard)
    return sorted({f.rule for f in lint(dashboard)} - {e.rule for e in EXCLUSIONS if not e.entries})


def _first_timeseries(dashboard: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in dashboard["panels"] if p["type"] == "timeseries")


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda d: d.update(editable=True), "uneditable-dashboard"),
        (lambda d: d["templating"].update(list=[]), "template-datasource-rule"),
        (
            lambda d: _first_timeseries(d).update(datasource={"type": "prometheus", "uid": "prometheus"}),
            "panel-datasource-rule",
        ),
        (lambda d: _first_timeseries(d).pop("description"), "panel-title-description-rule"),
        (lambda d: _first_timeseries(d)["fieldConfig"]["defaults"].pop("unit"), "panel-units-rule"),
        (
            lambda d: _first_timeseries(d)["fieldConfig"]["defaults"].update(unit="seconds"),
            "panel-units-rule",
        ),
        (lambda d: _first_timeseries(d).update(targets=[]), "panel-no-targets-rule"),
        (
            lambda d: _first_timeseries(d)["targets"][0].update(expr="sum(rate(x_total[5m]))"),
            "target-rate-interval-rule",
        ),
        (
            lambda d: d["templating"]["list"].append({"name": "coin", "type": "query", "refresh": 1}),
            "template-on-time-change-reload-rule",
        ),
    ],
)
def test_each_rule_catches_its_mistake(mutate: Any, rule: str) -> None:
    assert rule in RULES
    assert _broken(mutate) == [rule]


def test_exclusion_entries_match_dashboard_and_panel() -> None:
    finding = Finding("panel-units-rule", "Hyperliquid exporter health", "Build", "no unit")
    assert Exclusion("panel-units-rule", "why", (("Hyperliquid exporter health", ""),)).covers(finding)
    assert not Exclusion("panel-units-rule", "why", (("Other", "Build"),)).covers(finding)
    assert not Exclusion("panel-datasource-rule", "why").covers(finding)
