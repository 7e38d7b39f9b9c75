"""The Grafana dashboard linter's rules (grafana/dashboard-linter), in Python, with its `.lint` exclusions.

Rule names are the linter's, so a `.lint` file written for it means the same here. Only Prometheus
dashboards are in scope, as for the linter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.grafana.dashboards import declared_variables, iter_panels

DATASOURCE_REFERENCES = ("$datasource", "${datasource}")
UNIT_PANEL_TYPES = frozenset({"timeseries", "stat", "gauge", "singlestat", "graph"})
NO_TARGET_PANEL_TYPES = frozenset({"row", "text", "news", "dashlist", "alertlist", "annolist"})
# Unit ids of Grafana's value formats (packages/grafana-data/src/valueFormats/categories.ts) that fit
# this project's metrics; an id outside the list is either a typo or needs adding here deliberately.
VALID_UNITS = frozenset(
    {
        "none", "short", "string", "percent", "percentunit", "sci", "locale", "bool", "bool_yes_no",
        "bool_on_off", "s", "ms", "µs", "ns", "m", "h", "d", "dtdurations", "dateTimeAsIso",
        "dateTimeFromNow", "bytes", "decbytes", "bits", "Bps", "binBps", "reqps", "rps", "ops", "wps",
        "rpm", "opm", "currencyUSD", "currencyEUR", "hertz",
    }
)  # fmt: skip
_RATE_CALL = re.compile(r"\b(?:rate|irate)\s*\(")
_RANGE = re.compile(r"\[([^\]:]+)(?::[^\]]*)?\]")
_SELECTOR = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Finding:
    rule: str
    dashboard: str
    panel: str
    message: str

    def __str__(self) -> str:
        where = f"{self.dashboard}" + (f" / {self.panel!r}" if self.panel else "")
        return f"{self.rule}: {where}: {self.message}"


Rule = Callable[[Mapping[str, Any]], Iterator[Finding]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(check: Rule) -> Rule:
        RULES[name] = check
        return check

    return register


def _panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    return (p for p in iter_panels(dashboard) if p.get("type") != "row")


def _exprs(panel: Mapping[str, Any]) -> Iterator[str]:
    for target in panel.get("targets", []):
        if target.get("expr"):
            yield str(target["expr"])


@rule("template-datasource-rule")
def _template_datasource(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    variable = declared_variables(dashboard).get("datasource")
    title = str(dashboard.get("title"))
    if variable is None:
        yield Finding("template-datasource-rule", title, "", "no templated datasource variable `datasource`")
        return
    if variable.get("type") != "datasource" or variable.get("query") != "prometheus":
        yield Finding(
            "template-datasource-rule", title, "", "`datasource` must be of type datasource, query prometheus"
        )
    if variable.get("label") != "Data source":
        yield Finding("template-datasource-rule", title, "", "`datasource` must be labelled 'Data source'")


def _template_variable_rule(name: str, label: str) -> Rule:
    def check(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
        variable = declared_variables(dashboard).get(name)
        if variable is None or variable.get("type") != "query" or not variable.get("multi"):
            yield Finding(
                f"template-{name}-rule", str(dashboard.get("title")), "", f"no multi-value `{name}` ({label})"
            )

    return check


RULES["template-job-rule"] = _template_variable_rule("job", "Job")
RULES["template-instance-rule"] = _template_variable_rule("instance", "Instance")


@rule("template-on-time-change-reload-rule")
def _template_reload(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    for name, variable in declared_variables(dashboard).items():
        if variable.get("type") == "query" and variable.get("refresh") != 2:
            yield Finding(
                "template-on-time-change-reload-rule",
                str(dashboard.get("title")),
                "",
                f"variable {name} must refresh on time range change (refresh: 2)",
            )


@rule("panel-datasource-rule")
def _panel_datasource(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    for panel in _panels(dashboard):
        for node in [panel, *panel.get("targets", [])]:
            datasource = node.get("datasource")
            if datasource is None:
                continue
            uid = datasource.get("uid") if isinstance(datasource, dict) else datasource
            if uid not in DATASOURCE_REFERENCES:
                yield Finding(
                    "panel-datasource-rule",
                    str(dashboard.get("title")),
                    str(panel.get("title")),
                    f"datasource {datasource!r} is not the templated `${{datasource}}`",
                )


@rule("panel-title-description-rule")
def _panel_title_description(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    for panel in _panels(dashboard):
        if not str(panel.get("title", "")).strip() or not str(panel.get("description", "")).strip():
            yield Finding(
                "panel-title-description-rule",
                str(dashboard.get("title")),
                str(panel.get("title")),
                "panel needs a title and a description",
            )


@rule("panel-units-rule")
def _panel_units(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    for panel in _panels(dashboard):
        if panel.get("type") not in UNIT_PANEL_TYPES:
            continue
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if unit not in VALID_UNITS:
            yield Finding(
                "panel-units-rule",
                str(dashboard.get("title")),
                str(panel.get("title")),
                f"unit {unit!r} is missing or not a known Grafana unit id",
            )


@rule("panel-no-targets-rule")
def _panel_no_targets(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    for panel in _panels(dashboard):
        if panel.get("type") not in NO_TARGET_PANEL_TYPES and not panel.get("targets"):
            yield Finding(
                "panel-no-targets-rule", str(dashboard.get("title")), str(panel.get("title")), "no targets"
            )


def _rate_ranges(expr: str) -> Iterator[str]:
    """The range of the vector selector inside every rate()/irate() call."""
    for call in _RATE_CALL.finditer(expr):
        depth, end = 1, call.end()
        while end < len(expr) and depth:
            depth += {"(": 1, ")": -1}.get(expr[end], 0)
            end += 1
        ranges = _RANGE.findall(expr[call.end() : end])
        yield ranges[-1].strip() if ranges else ""


@rule("target-rate-interval-rule")
def _target_rate_interval(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    for panel in _panels(dashboard):
        for expr in _exprs(panel):
            for window in _rate_ranges(expr):
                if window != "$__rate_interval":
                    yield Finding(
                        "target-rate-interval-rule",
                        str(dashboard.get("title")),
                        str(panel.get("title")),
                        f"rate over [{window}] instead of [$__rate_interval] in {expr!r}",
                    )


def _target_matcher_rule(label: str) -> Rule:
    wanted = re.compile(rf'\b{label}\s*=~\s*"\$(?:{label}|\{{{label}\}})"')

    def check(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
        for panel in _panels(dashboard):
            for expr in _exprs(panel):
                selectors = _SELECTOR.findall(expr)
                if not selectors or not all(wanted.search(s) for s in selectors):
                    yield Finding(
                        f"target-{label}-rule",
                        str(dashboard.get("title")),
                        str(panel.get("title")),
                        f'a selector lacks {label}=~"${label}" in {expr!r}',
                    )

    return check


RULES["target-job-rule"] = _target_matcher_rule("job")
RULES["target-instance-rule"] = _target_matcher_rule("instance")


@rule("uneditable-dashboard")
def _uneditable(dashboard: Mapping[str, Any]) -> Iterator[Finding]:
    if dashboard.get("editable") is not False:
        yield Finding(
            "uneditable-dashboard",
            str(dashboard.get("title")),
            "",
            "provisioned dashboards set editable: false",
        )


@dataclass(frozen=True)
class Exclusion:
    rule: str
    reason: str
    # (dashboard title, panel title) pairs; empty: the whole rule, everywhere. "" matches any.
    entries: tuple[tuple[str, str], ...] = ()

    def covers(self, finding: Finding) -> bool:
        if finding.rule != self.rule:
            return False
        if not self.entries:
            return True
        return any(d in ("", finding.dashboard) and p in ("", finding.panel) for d, p in self.entries)


def load_exclusions(path: Path) -> list[Exclusion]:
    document = yaml.safe_load(path.read_text()) or {}
    exclusions = []
    for name, body in (document.get("exclusions") or {}).items():
        if name not in RULES:
            raise ValueError(f"{path}: exclusion for unknown rule {name!r}")
        reason = str((body or {}).get("reason", "")).strip()
        if not reason:
            raise ValueError(f"{path}: exclusion of {name} gives no reason")
        entries = tuple(
            (str(e.get("dashboard", "")), str(e.get("panel", ""))) for e in (body.get("entries") or [])
        )
        exclusions.append(Exclusion(name, reason, entries))
    return exclusions


def lint(dashboard: Mapping[str, Any]) -> list[Finding]:
    return [finding for check in RULES.values() for finding in check(dashboard)]
