"""Read the provisioned Grafana dashboards and list every Prometheus query in them.

`panel_queries()` is the reusable entry point: it returns each query (panel targets, annotations and the
metric selectors behind query variables) with Grafana's macros and template variables replaced, so the
result can be handed to promtool or run against a real Prometheus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.binaries import REPO_ROOT

DASHBOARDS_DIR = REPO_ROOT / "grafana" / "dashboards"
PROVISIONING_DIR = REPO_ROOT / "grafana" / "provisioning"
PROMETHEUS_DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
EXPECTED_UIDS = frozenset(
    {"hl-overview", "hl-hlp", "hl-markets", "hl-liquidations", "hl-health", "hl-builder-dexes"}
)

# Durations Grafana computes from the time picker and scrape interval. Any valid value keeps a query's
# meaning for parsing; 1m is at least 4x the 15 s scrape interval, as $__rate_interval guarantees.
MACRO_VALUES: Mapping[str, str] = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
}

# $name, ${name}, ${name:format} and the deprecated [[name]].
_VARIABLE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\$(\w+)|\[\[(\w+)(?::[\w]+)?\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\s*\)\s*$", re.DOTALL)
_QUERY_RESULT = re.compile(r"^\s*query_result\((?P<expr>.+)\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class PanelQuery:
    """One PromQL expression as Grafana would send it, and where it came from."""

    dashboard_uid: str
    panel_title: str
    ref_id: str
    raw_expr: str
    expr: str

    @property
    def where(self) -> str:
        return f"{self.dashboard_uid} / {self.panel_title!r} / {self.ref_id}"


def load_dashboards(directory: Path = DASHBOARDS_DIR) -> dict[str, dict[str, Any]]:
    """Every dashboard JSON file in `directory`, keyed by file name."""
    dashboards: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            loaded = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: top level must be a dashboard object, got {type(loaded).__name__}")
        dashboards[path.name] = loaded
    return dashboards


def iter_panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including rows and the panels kept inside collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def prometheus_targets(panel: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [t for t in panel.get("targets", []) if _datasource_type(t, panel) == "prometheus"]


def _datasource_type(target: Mapping[str, Any], panel: Mapping[str, Any]) -> str | None:
    datasource = target.get("datasource") or panel.get("datasource") or {}
    return datasource.get("type") if isinstance(datasource, dict) else None


def declared_variables(dashboard: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in dashboard.get("templating", {}).get("list", [])}


def referenced_variables(text: str) -> set[str]:
    """Names of the template variables used in `text`, Grafana's own `__` variables excluded."""
    names = {next(group for group in match.groups() if group) for match in _VARIABLE.finditer(text)}
    return {name for name in names if not name.startswith("__")}


def default_variable_values(dashboard: Mapping[str, Any]) -> dict[str, str]:
    """What each variable stands for when "All" is selected: its allValue, else any non-empty value."""
    values: dict[str, str] = {}
    for name, variable in declared_variables(dashboard).items():
        all_value = variable.get("allValue")
        values[name] = all_value if variable.get("includeAll") and all_value else ".+"
    return values


def substitute(expr: str, variable_values: Mapping[str, str]) -> str:
    """Replace Grafana macros and template variables; an undeclared variable is an error naming it."""

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name in MACRO_VALUES:
            return MACRO_VALUES[name]
        if name in variable_values:
            return variable_values[name]
        raise KeyError(f"variable ${name} is not declared (known: {sorted(variable_values)})")

    return _VARIABLE.sub(replace, expr)


def variable_query_expr(query: str) -> str | None:
    """The PromQL behind a query variable: the selector of `label_values(selector, label)` or the
    expression of `query_result(expr)`; None for `label_values(label)`, which reads no series."""
    label_values = _LABEL_VALUES.match(query)
    if label_values is not None:
        return label_values.group("selector")
    query_result = _QUERY_RESULT.match(query)
    if query_result is not None:
        return query_result.group("expr")
    raise ValueError(f"unsupported variable query {query!r}: expected label_values(...) or query_result(...)")


def _variable_query_text(variable: Mapping[str, Any]) -> str:
    query = variable.get("query", "")
    return str(query.get("query", "")) if isinstance(query, dict) else str(query)


def panel_queries(
    dashboards: Mapping[str, Mapping[str, Any]] | None = None,
    variable_values: Mapping[str, str] | None = None,
) -> list[PanelQuery]:
    """Every (dashboard, panel title, expr) with macros and variables substituted.

    `variable_values` overrides the per-dashboard defaults (e.g. {"coin": "BTC"} to query one coin).
    Annotation queries appear with the panel title "annotation: NAME", query variables as "variable: NAME".
    """
    queries: list[PanelQuery] = []
    for dashboard in (dashboards if dashboards is not None else load_dashboards()).values():
        values = {**default_variable_values(dashboard), **(variable_values or {})}
        for title, ref_id, raw in _raw_queries(dashboard):
            queries.append(PanelQuery(str(dashboard.get("uid")), title, ref_id, raw, substitute(raw, values)))
    return queries


def _raw_queries(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(title, refId, expr) of every Prometheus query in the dashboard, before substitution."""
    for panel in iter_panels(dashboard):
        for target in prometheus_targets(panel):
            yield str(panel.get("title", "")), str(target.get("refId", "")), str(target.get("expr", ""))
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if (annotation.get("datasource") or {}).get("type") == "prometheus":
            yield f"annotation: {annotation.get('name')}", "annotation", str(annotation.get("expr", ""))
    for name, variable in declared_variables(dashboard).items():
        if variable.get("type") == "query":
            expr = variable_query_expr(_variable_query_text(variable))
            if expr is not None:
                yield f"variable: {name}", "variable", expr
