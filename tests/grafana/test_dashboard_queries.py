"""Every panel query parses in the real promtool and reads only metrics that something publishes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.grafana.dashboards import PanelQuery, load_dashboards, panel_queries, substitute
from tests.grafana.promql import (
    metric_names,
    promtool_check_rules,
    recording_rule_names,
    write_as_recording_rules,
)
from tests.support.binaries import REPO_ROOT
from tests.support.published_metrics import DESIGN_RECORDING_RULES, published_metric_names


@pytest.fixture(scope="module")
def queries() -> list[PanelQuery]:
    return panel_queries()


def test_every_dashboard_contributes_queries(queries: list[PanelQuery]) -> None:
    per_dashboard = {d["uid"]: 0 for d in load_dashboards().values()}
    for query in queries:
        per_dashboard[query.dashboard_uid] += 1
    assert all(count >= 5 for count in per_dashboard.values()), per_dashboard


def test_substitution_leaves_no_grafana_syntax(queries: list[PanelQuery]) -> None:
    for query in queries:
        assert "$" not in query.expr, query.where
        assert "[[" not in query.expr, query.where


def test_substitution_uses_given_values_and_rejects_undeclared_variables() -> None:
    assert (
        substitute('rate(x{coin=~"$coin"}[$__rate_interval])', {"coin": "BTC"}) == 'rate(x{coin=~"BTC"}[1m])'
    )
    assert substitute('x{coin=~"${coin:regex}"}', {"coin": "ETH"}) == 'x{coin=~"ETH"}'
    with pytest.raises(KeyError, match=r"\$acount"):
        substitute('x{account=~"$acount"}', {"account": ".*"})


def test_every_panel_query_parses_in_promtool(queries: list[PanelQuery], tmp_path: Path) -> None:
    rules_file = tmp_path / "panel-queries.yml"
    write_as_recording_rules(queries, rules_file)
    result = promtool_check_rules(rules_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_promtool_check_names_the_panel_of_a_broken_query(queries: list[PanelQuery], tmp_path: Path) -> None:
    broken = PanelQuery("hl-test", "Broken panel", "A", "", "sum by (coin (rate(x[5m]))")
    rules_file = tmp_path / "broken.yml"
    write_as_recording_rules([queries[0], broken], rules_file)
    result = promtool_check_rules(rules_file)
    assert result.returncode != 0
    assert "Broken panel" in result.stdout + result.stderr


def test_every_metric_a_query_reads_is_published_or_recorded(queries: list[PanelQuery]) -> None:
    known = published_metric_names() | recording_rule_names(REPO_ROOT / "rules")
    unknown = {
        f"{query.where}: {name}"
        for query in queries
        for name in metric_names(query.expr)
        if name not in known
    }
    assert not unknown, "\n".join(sorted(unknown))


def test_dashboards_use_the_shared_recording_rules(queries: list[PanelQuery]) -> None:
    """Dashboards and alerts read the same derived series, so a panel shows what an alert judged."""
    used = set().union(*(metric_names(query.expr) for query in queries))
    assert used >= DESIGN_RECORDING_RULES, sorted(DESIGN_RECORDING_RULES - used)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            'sum by (coin) (rate(hyperliquid_liquidations_total{method="backstop"}[5m]))',
            {"hyperliquid_liquidations_total"},
        ),
        (
            "max without(instance) (a_metric) * on(account) group_left(name) max by (account, name) (b_info)",
            {"a_metric", "b_info"},
        ),
        ("coin:x:ratio offset 5m > bool 0.5 and ignoring(side) y", {"coin:x:ratio", "y"}),
        ('count(ALERTS{alertname=~"a|b"}) or vector(1e3)', {"ALERTS"}),
        ("histogram_quantile(0.9, sum by (le) (rate(h_bucket[1m:30s])))", {"h_bucket"}),
        ('label_replace(up, "x", "$1", "job", "(.*)")', {"up"}),
    ],
)
def test_metric_name_scanner(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected
