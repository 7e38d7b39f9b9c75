"""Read a backtest's panels and alerts from a Prometheus over a range (a compressed scenario run's
Prometheus, or a recorded one)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from exporter.backtest.model import AlertInterval, Backtest, PanelData, Timeline, Trace
from exporter.backtest.panels import Panel, legend
from exporter.backtest.prometheus_api import AlertingRule, Labels, PrometheusAPI
from exporter.backtest.timescale import scale_expr

# ALERTS labels that are not the alert's identity in a report.
_NOT_IDENTITY = {"__name__", "alertname", "alertstate", "severity", "instance", "job"}
# The alerts a report reads: all but the always-firing watchdog.
EVERY_ALERT = 'alertname!="HyperliquidWatchdog"'


@dataclass(frozen=True)
class Range:
    start: float  # wall epoch seconds
    end: float
    step: float  # wall seconds between points
    speed: float = 1.0  # range selectors in panel queries are divided by it


def read_panels(api: PrometheusAPI, panels: list[Panel], span: Range, timeline: Timeline) -> list[PanelData]:
    result = []
    for panel in panels:
        traces = []
        for query in panel.queries:
            expr = scale_expr(query.expr, span.speed) if span.speed != 1 else query.expr
            for series in api.query_range(expr, span.start, span.end, span.step):
                traces.append(
                    Trace(
                        legend(query.legend, series.labels),
                        [timeline.x(t) for t in series.times],
                        series.values,
                    )
                )
        result.append(PanelData(panel.key, panel.title, panel.unit, traces))
    return result


def _runs(times: list[float], step: float) -> list[tuple[float, float]]:
    """Consecutive stretches of sample times (a gap of more than 1.5 steps separates two)."""
    runs: list[tuple[float, float]] = []
    for t in times:
        if runs and t - runs[-1][1] <= 1.5 * step:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _rule_for(rules: list[AlertingRule], labels: Labels) -> AlertingRule | None:
    for rule in rules:
        if rule.name == labels.get("alertname") and all(labels.get(k) == v for k, v in rule.labels.items()):
            return rule
    return None


def _value(api: PrometheusAPI, rule: AlertingRule | None, labels: Labels, times: list[float]) -> float | None:
    """The alert expression's value for this alert's series, at the first of `times` where it has one."""
    if rule is None:
        return None
    for at in times:
        for sample_labels, value in api.query(rule.expr, at):
            if all(
                labels.get(name) == sample
                for name, sample in sample_labels.items()
                if name != "__name__" and name not in rule.labels
            ):
                return value
    return None


def read_alerts(api: PrometheusAPI, span: Range, selector: str = EVERY_ALERT) -> list[AlertInterval]:
    """The firing intervals of the `ALERTS{selector}` series over the range."""
    rules = api.alerting_rules()
    pending: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = defaultdict(list)
    firing: list[tuple[Labels, float, float]] = []
    for series in api.query_range(f"ALERTS{{{selector}}}", span.start, span.end, span.step):
        state = series.labels.get("alertstate")
        identity = tuple(sorted((k, v) for k, v in series.labels.items() if k != "alertstate"))
        for start, end in _runs(series.times, span.step):
            if state == "pending":
                pending[identity].append((start, end))
            elif state == "firing":
                firing.append((series.labels, start, end))
    intervals = []
    for labels, start, end in firing:
        identity = tuple(sorted((k, v) for k, v in labels.items() if k != "alertstate"))
        before = [p for p in pending[identity] if p[1] <= start and start - p[1] <= 2 * span.step]
        crossed = before[-1][0] if before else start
        rule = _rule_for(rules, labels)
        intervals.append(
            AlertInterval(
                alertname=labels["alertname"],
                severity=labels.get("severity", "none"),
                labels=tuple(sorted((k, v) for k, v in labels.items() if k not in _NOT_IDENTITY)),
                start=start,
                end=end,
                still_firing=end >= span.end - 1.5 * span.step,
                crossed_at=crossed,
                value=_value(api, rule, labels, [crossed, start]),
            )
        )
    return sorted(intervals, key=lambda a: (a.start, a.alertname))


def read_backtest(
    api: PrometheusAPI,
    panels: list[Panel],
    span: Range,
    timeline: Timeline,
    *,
    title: str,
    source: str,
    rules: str,
    onset: float | None,
    alerts: str = EVERY_ALERT,
) -> Backtest:
    return Backtest(
        title=title,
        source=source,
        rules=rules,
        timeline=timeline,
        start=span.start,
        end=span.end,
        onset=onset,
        panels=read_panels(api, panels, span, timeline),
        alerts=read_alerts(api, span, alerts),
    )
