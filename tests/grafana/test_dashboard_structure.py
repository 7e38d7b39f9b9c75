"""Dashboard JSON that Grafana's file provisioning loads as intended (Grafana itself cannot run here)."""

from __future__ import annotations

import json
import re
from itertools import combinations
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests.grafana.dashboards import (
    DASHBOARDS_DIR,
    EXPECTED_UIDS,
    declared_variables,
    iter_panels,
    load_dashboards,
    prometheus_targets,
    referenced_variables,
)
from tests.support.binaries import REPO_ROOT

DASHBOARDS = load_dashboards()
ALLOWED_DATASOURCES = [
    {"type": "prometheus", "uid": "prometheus"},
    # hl-builder-dexes: the `datasource` variable convention the other dashboards are moving to.
    {"type": "prometheus", "uid": "${datasource}"},
    {"type": "alertmanager", "uid": "alertmanager"},
]
GRAFANA_BUILTIN = {"type": "grafana", "uid": "-- Grafana --"}
GRID_COLUMNS = 24


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _texts(dashboard: dict[str, Any]) -> list[str]:
    """Every string Grafana interpolates variables into: queries, titles, legends, descriptions, links."""
    texts: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {
                    "expr",
                    "title",
                    "legendFormat",
                    "description",
                    "url",
                    "titleFormat",
                    "textFormat",
                }:
                    texts.append(str(value))
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(dashboard.get("panels", []))
    collect(dashboard.get("annotations", {}))
    collect([v.get("query") for v in declared_variables(dashboard).values()])
    return texts


def _datasources(dashboard: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for panel in iter_panels(dashboard):
        if panel.get("type") == "row":
            continue
        found.append((f"panel {panel.get('title')!r}", panel.get("datasource")))
        found.extend(
            (f"panel {panel.get('title')!r} target", t.get("datasource")) for t in panel.get("targets", [])
        )
    found.extend(
        (f"variable {name}", v.get("datasource"))
        for name, v in declared_variables(dashboard).items()
        if v.get("type") != "datasource"  # it picks a data source; it does not query one
    )
    found.extend(
        (f"annotation {a.get('name')!r}", a.get("datasource"))
        for a in dashboard.get("annotations", {}).get("list", [])
        if not a.get("builtIn")
    )
    return found


def test_the_five_dashboards_exist_with_unique_uids_and_titles() -> None:
    uids = [str(d.get("uid")) for d in DASHBOARDS.values()]
    titles = [d.get("title") for d in DASHBOARDS.values()]
    assert sorted(uids) == sorted(EXPECTED_UIDS), "uids must be unique and exactly the five"
    assert len(set(titles)) == len(titles), titles


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_file_is_a_bare_provisionable_dashboard(name: str) -> None:
    dashboard = DASHBOARDS[name]
    raw = (DASHBOARDS_DIR / name).read_text()
    assert "__inputs" not in dashboard, "export without 'sharing externally'"
    assert "dashboard" not in dashboard, "the bare dashboard, not an API wrapper around it"
    assert "${DS_" not in raw, "file provisioning does not resolve ${DS_...} placeholders"
    assert dashboard.get("id") is None, "a fixed numeric id clashes across Grafana instances"
    assert name == f"{dashboard['uid']}.json"
    assert len(dashboard["uid"]) <= 40
    assert isinstance(dashboard.get("schemaVersion"), int)
    assert dashboard.get("title")
    assert "hyperliquid" in dashboard.get("tags", []), "the dashboard links menu lists dashboards by this tag"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panel_ids_are_unique_and_every_panel_is_complete(name: str) -> None:
    panels = list(iter_panels(DASHBOARDS[name]))
    ids = [panel.get("id") for panel in panels]
    assert all(isinstance(panel_id, int) for panel_id in ids), ids
    assert len(set(ids)) == len(ids), f"duplicate panel ids in {name}: {ids}"
    for panel in panels:
        assert panel.get("type"), panel
        assert panel.get("title"), f"panel {panel.get('id')} in {name} has no title"
        if panel["type"] != "row":
            assert panel.get("targets"), f"panel {panel['title']!r} in {name} has no query"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_grid_positions_fit_24_columns_without_overlap(name: str) -> None:
    boxes = []
    for panel in iter_panels(DASHBOARDS[name]):
        grid = panel["gridPos"]
        x, y, w, h = grid["x"], grid["y"], grid["w"], grid["h"]
        assert min(x, y) >= 0, f"{panel['title']!r}: {grid}"
        assert min(w, h) > 0, f"{panel['title']!r}: {grid}"
        assert x + w <= GRID_COLUMNS, f"{panel['title']!r} ends at column {x + w}"
        boxes.append((panel["title"], x, y, w, h))
    for (title_a, xa, ya, wa, ha), (title_b, xb, yb, wb, hb) in combinations(boxes, 2):
        overlaps = xa < xb + wb and xb < xa + wa and ya < yb + hb and yb < ya + ha
        assert not overlaps, f"{title_a!r} overlaps {title_b!r} in {name}"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_datasource_is_a_provisioned_uid(name: str) -> None:
    for where, datasource in _datasources(DASHBOARDS[name]):
        assert datasource in ALLOWED_DATASOURCES, f"{name}: {where} uses datasource {datasource!r}"
    for annotation in DASHBOARDS[name].get("annotations", {}).get("list", []):
        if annotation.get("builtIn"):
            assert annotation["datasource"] == GRAFANA_BUILTIN


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_prometheus_target_has_expr_and_unique_ref_id(name: str) -> None:
    for panel in iter_panels(DASHBOARDS[name]):
        targets = prometheus_targets(panel)
        assert len(targets) == len(panel.get("targets", [])), f"{panel['title']!r}: non-Prometheus target"
        ref_ids = [t.get("refId") for t in targets]
        assert all(ref_ids), f"{panel['title']!r}: target without refId"
        assert len(set(ref_ids)) == len(ref_ids), f"{panel['title']!r}: duplicate refId {ref_ids}"
        for target in targets:
            assert str(target.get("expr", "")).strip(), f"{panel['title']!r} {target['refId']}: empty expr"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_used_variable_is_declared(name: str) -> None:
    dashboard = DASHBOARDS[name]
    declared = set(declared_variables(dashboard))
    used = set().union(*(referenced_variables(text) for text in _texts(dashboard)))
    assert used <= declared, f"{name} uses undeclared variables {sorted(used - declared)}"


def test_coin_and_account_variables_match_alert_dashboard_links() -> None:
    """Alert annotations link with ?var-coin= and ?var-account=; the dashboards must declare those names."""
    by_uid = {d["uid"]: d for d in DASHBOARDS.values()}
    for uid in ("hl-hlp", "hl-markets", "hl-liquidations"):
        assert "coin" in declared_variables(by_uid[uid]), uid
    assert "account" in declared_variables(by_uid["hl-liquidations"])
    for variable in (
        declared_variables(by_uid["hl-markets"])["coin"],
        declared_variables(by_uid["hl-liquidations"])["account"],
    ):
        assert variable["type"] == "query"
        assert re.search(r"label_values\(|query_result\(", json.dumps(variable["query"]))
        assert variable["multi"]
        assert variable["includeAll"]
        assert variable["allValue"] == ".*"


def test_links_between_dashboards_point_at_existing_uids_and_slugs() -> None:
    slugs = {d["uid"]: _slug(d["title"]) for d in DASHBOARDS.values()}
    assert slugs["hl-markets"] == "hyperliquid-oracle-and-markets", (
        "the slug used in alert dashboard_path examples"
    )
    for dashboard in DASHBOARDS.values():
        for text in _texts(dashboard):
            for uid, slug in re.findall(r"/d/([\w-]+)/([\w-]+)", text):
                assert slugs.get(uid) == slug, f"{dashboard['uid']}: link to /d/{uid}/{slug}"


def _alert_dashboard_paths() -> list[tuple[str, str]]:
    paths: list[tuple[str, str]] = []
    for path in sorted((REPO_ROOT / "rules").glob("*.yml")):
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            for rule in group.get("rules", []):
                if "dashboard_path" in rule.get("annotations", {}):
                    paths.append((rule["alert"], rule["annotations"]["dashboard_path"]))
    return paths


def test_alert_dashboard_paths_open_an_existing_dashboard_with_declared_variables() -> None:
    by_uid = {d["uid"]: d for d in DASHBOARDS.values()}
    checked = 0
    for alert, dashboard_path in _alert_dashboard_paths():
        url = urlsplit(dashboard_path)
        match = re.fullmatch(r"/d/([\w-]+)/([\w-]+)", url.path)
        assert match, f"{alert}: dashboard_path {dashboard_path!r} is not /d/<uid>/<slug>"
        uid, slug = match.groups()
        assert uid in by_uid, f"{alert}: no dashboard with uid {uid}"
        assert slug == _slug(by_uid[uid]["title"]), f"{alert}: slug {slug!r} of {uid}"
        for parameter in parse_qs(url.query):
            assert parameter.startswith("var-"), f"{alert}: unexpected parameter {parameter}"
            assert parameter.removeprefix("var-") in declared_variables(by_uid[uid]), f"{alert}: {parameter}"
        checked += 1
    assert checked > 0, "no dashboard_path annotations found in rules/"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_threshold_steps_ascend(name: str) -> None:
    """Grafana colours by the last step at or below the value: steps out of order colour the wrong range."""
    for panel in iter_panels(DASHBOARDS[name]):
        steps = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", [])
        values = [step["value"] for step in steps[1:]]
        assert values == sorted(values), f"{panel['title']!r}: threshold steps {values}"
        if steps:
            assert steps[0]["value"] is None, f"{panel['title']!r}: the base step has no value"


def _python_regex(grafana_regex: str) -> re.Pattern[str]:
    """Grafana's /pattern/ with JavaScript named groups, as a Python pattern."""
    assert re.fullmatch(r"/.*/", grafana_regex), f"{grafana_regex!r} is not a /regex/"
    return re.compile(grafana_regex[1:-1].replace("(?<", "(?P<"))


def test_account_variable_shows_names_and_keeps_addresses_as_values() -> None:
    """query_result lines look like `{account="0x..",name="..."} 1 <ms>`: the regex must split them."""
    line = '{account="0xf3f496c9486be5924a93d67e98298733bb47057c",name="eth-whale"} 1 1764000000000'
    variables = [
        declared_variables(d)["account"] for d in DASHBOARDS.values() if "account" in declared_variables(d)
    ]
    assert variables
    for variable in variables:
        match = _python_regex(variable["regex"]).search(line)
        assert match is not None, variable["regex"]
        assert match.group("value") == "0xf3f496c9486be5924a93d67e98298733bb47057c"
        assert match.group("text") == "eth-whale"
