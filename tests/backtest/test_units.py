"""The backtest's pieces that need no stack: intervals, unions, differences, onsets, rule files, text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from exporter.backtest.cli import incident_coin
from exporter.backtest.collect import Range, _runs, read_panels
from exporter.backtest.model import AlertInterval, Backtest, PanelData, Timeline, Trace
from exporter.backtest.panels import panels
from exporter.backtest.prometheus_api import PrometheusAPI, Series
from exporter.backtest.report import figure, human, render, seconds_text
from exporter.backtest.summary import by_alert, differences, union
from exporter.backtest.timescale import rule_files, scale_rule_groups, write_scaled_rule_files
from exporter.replay.scenario import load_scenario, parse_scenario, scenario_onset

REPO = Path(__file__).resolve().parents[2]


def _alert(
    name: str, start: float, end: float, severity: str = "critical", coin: str = "BTC"
) -> AlertInterval:
    return AlertInterval(name, severity, (("coin", coin),), start, end, False, start, 1.0)


def _backtest(*alerts: AlertInterval, onset: float | None = 100.0) -> Backtest:
    return Backtest("t", "s", "r", Timeline(0.0, 10.0), 0.0, 100.0, onset, [], list(alerts))


def test_runs_split_at_gaps_longer_than_one_and_a_half_steps() -> None:
    assert _runs([1, 2, 3, 6, 7, 10], step=1) == [(1, 3), (6, 7), (10, 10)]
    assert _runs([], step=1) == []


def test_union_merges_overlapping_spans_only() -> None:
    assert union([(5, 8), (1, 3), (2, 4)]) == [(1, 4), (5, 8)]
    assert union([(1, 2), (3, 4)], gap=1) == [(1, 4)]


def test_alerts_grouped_critical_first_then_by_first_firing() -> None:
    groups = by_alert([_alert("B", 5, 6, "warning"), _alert("C", 9, 10), _alert("A", 7, 8)])
    assert list(groups) == [("A", "critical"), ("C", "critical"), ("B", "warning")]


def test_differences_name_alerts_of_one_rule_set_and_moved_first_firings() -> None:
    # Timeline speed 10: wall seconds count ten scenario seconds.
    a = _backtest(_alert("Both", 110, 120), _alert("OnlyA", 110, 120), _alert("Moved", 110, 130))
    b = _backtest(_alert("Both", 111, 120), _alert("OnlyB", 110, 120), _alert("Moved", 115, 130))
    found = {(d.alertname, d.what, d.first_a, d.first_b) for d in differences(a, b, tolerance=20)}
    assert found == {
        ("OnlyA", "only in A", 100.0, None),
        ("OnlyB", "only in B", None, 100.0),
        ("Moved", "first firing moved", 100.0, 150.0),
    }


def test_a_scenario_onset_is_its_annotation_else_its_first_event() -> None:
    assert scenario_onset(load_scenario("cascade-2025-10-10")) == 30.0
    plain = parse_scenario(
        {"name": "x", "events": [{"at": 40, "kind": "transfer", "account": "a", "usd": 1}]}, "test"
    )
    assert scenario_onset(plain) == 40.0
    assert scenario_onset(parse_scenario({"name": "x"}, "test")) == 0.0


def test_rule_files_take_directories_and_files_and_keep_same_names_apart(tmp_path: Path) -> None:
    shipped = rule_files([REPO / "rules"])
    assert len(shipped) >= 5
    assert all(path.name.endswith(".rules.yml") for path in shipped)
    again = rule_files([REPO / "rules" / "hyperliquid-hlp.rules.yml", REPO / "rules"])
    written = write_scaled_rule_files(again, tmp_path, 10)
    assert len({path.name for path in written}) == len(again)
    with pytest.raises(FileNotFoundError):
        rule_files([tmp_path / "missing"])


def test_numbers_and_durations_read_at_a_glance() -> None:
    assert human(60_123_456) == "60.1M"
    assert human(-2_500) == "-2.5k"
    assert human(0.0004) == "0.0004"
    assert human(None) == "–"
    assert seconds_text(45) == "45 s"
    assert seconds_text(185) == "3 min 05 s"
    assert seconds_text(-30) == "-30 s"


def test_the_price_panel_shows_the_coin_the_incident_is_about() -> None:
    assert incident_coin(load_scenario("jelly-2025-03-26")) == "JELLY"
    assert incident_coin(load_scenario("cascade-2025-10-10")) == "BTC"
    assert incident_coin(load_scenario("oracle-deviation")) == "SOL"


def test_compressed_rules_keep_scrape_health_in_wall_time() -> None:
    """Scrapes time out in wall seconds: "down for 1m" at speed 10 must not become six slow scrapes."""
    document = {
        "groups": [
            {
                "name": "g",
                "interval": "10s",
                "rules": [
                    {"alert": "Down", "expr": 'up{job="hyperliquid"} == 0', "for": "1m"},
                    {"alert": "Drop", "expr": "x / x offset 5m < 0.9", "for": "1m"},
                ],
            }
        ]
    }
    scaled = scale_rule_groups(document, 10.0)
    down, drop = scaled["groups"][0]["rules"]
    assert down["for"] == "1m"
    assert drop["for"] == "6000ms"
    assert drop["expr"] == "x / x offset 30000ms < 0.9"
    assert scaled["groups"][0]["interval"] == "1000ms"


def test_compressed_rules_keep_request_latency_in_wall_time() -> None:
    """A request takes what it takes in wall seconds whatever the simulator's speed: "p90 over 3 s for
    15 s" compressed to a 3 s window held 1.5 s paged on one slow burst of a loaded test machine."""
    document = {
        "groups": [
            {
                "name": "g",
                "rules": [
                    {
                        "record": "instance:p90",
                        "expr": "histogram_quantile(0.9, sum by (le) "
                        "(rate(hyperliquid_exporter_api_request_duration_seconds_bucket[30s])))",
                    },
                    {
                        "alert": "Slow",
                        "expr": "instance:hyperliquid_api_request_duration_seconds:p90_30s > 3",
                        "for": "15s",
                    },
                    {"alert": "Errors", "expr": "rate(errors[30s]) > 1", "for": "15s"},
                ],
            }
        ]
    }
    record, slow, errors = scale_rule_groups(document, 10.0)["groups"][0]["rules"]
    assert "[30s]" in record["expr"]
    assert slow["for"] == "15s"
    assert errors["expr"] == "rate(errors[3000ms]) > 1"
    assert errors["for"] == "1500ms"


def test_compressed_group_intervals_are_floored_at_the_scrape_interval() -> None:
    document = {
        "groups": [
            {"name": "fast", "interval": "1s", "rules": [{"record": "a", "expr": "x"}]},
            {"name": "slow", "interval": "1m", "rules": [{"record": "b", "expr": "x"}]},
        ]
    }
    fast, slow = scale_rule_groups(document, 10.0, min_interval_ms=1000)["groups"]
    # 100 ms would evaluate ten times between two scrapes of 1 s.
    assert fast["interval"] == "1000ms"
    assert slow["interval"] == "6000ms"


class _RecordedSeries(PrometheusAPI):
    """Answers a range query with the series of the metrics its expression names."""

    def __init__(self, by_metric: dict[str, Series]) -> None:
        super().__init__("http://127.0.0.1:9")
        self.by_metric = by_metric

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        return [series for metric, series in self.by_metric.items() if re.search(rf"\b{metric}\{{", expr)]


def _prices_figure_traces(by_metric: dict[str, Series]) -> dict[str, Any]:
    read = read_panels(_RecordedSeries(by_metric), panels("BTC"), Range(0.0, 20.0, 10.0), Timeline(0.0, 1.0))
    backtest = Backtest("t", "s", "r", Timeline(0.0, 1.0), 0.0, 20.0, None, read, [])
    prices_row_axis = "y2"  # the alerts row first, then the prices panel
    return {trace.name: trace for trace in figure(backtest).data if trace.yaxis == prices_row_axis}


def test_the_price_panel_draws_the_oracle_replica_where_the_exporter_publishes_it() -> None:
    times = [0.0, 10.0, 20.0]
    market = {
        "hyperliquid_mark_price": Series({"coin": "BTC"}, times, [100.0, 101.0, 99.0]),
        "hyperliquid_oracle_price": Series({"coin": "BTC"}, times, [100.5, 100.5, 99.5]),
    }
    replica = Series({"coin": "BTC"}, times, [100.4, 100.6, 99.4])
    drawn = _prices_figure_traces({**market, "hyperliquid_oracle_replica_price": replica})
    assert list(drawn["oracle replica"].y) == [100.4, 100.6, 99.4]
    assert {"mark", "oracle"} <= drawn.keys()
    # Derived from the references, not read from the venue: dashed, in a colour of its own.
    assert drawn["oracle replica"].line.dash == "dash"
    assert drawn["oracle"].line.dash == "solid"
    assert len({trace.line.color for trace in drawn.values()}) == len(drawn)
    without = _prices_figure_traces(market)
    assert "oracle replica" not in without
    assert {"mark", "oracle"} <= without.keys()


def test_a_panel_without_series_is_named_not_drawn_as_empty_axes() -> None:
    times: list[float | str] = [0.0, 10.0]
    drawn = PanelData("prices", "BTC prices", "USD", [Trace("mark", times, [1.0, 2.0])])
    empty = PanelData("funding", "BTC funding", "ratio", [])
    backtest = Backtest("t", "s", "r", Timeline(0.0, 1.0), 0.0, 10.0, None, [drawn, empty], [])
    backtest.not_drawn = {"HLP": "this source has no positions"}
    titles = [annotation.text for annotation in figure(backtest).layout.annotations]
    assert "BTC prices" in titles
    assert "BTC funding" not in titles
    page = render([backtest])
    assert '<li data-panel="BTC funding"><b>BTC funding</b>: no series in this range</li>' in page
    assert '<li data-panel="HLP"><b>HLP</b>: this source has no positions</li>' in page
    assert 'data-panel="BTC prices"' not in page
