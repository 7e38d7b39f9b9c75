"""Structure the rest of the stack relies on: names from DESIGN.md, labels and annotations every alert
carries (Alertmanager routes and inhibits on them; templates and the relay render them), recording rules
evaluated before the alerts that read them, and every alert both fired and held silent in a promtool test.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.rules.rulebook import (
    ALERTS_DOC,
    RULE_FILES,
    RULE_TEST_FILES,
    RUNBOOK,
    RUNBOOK_BASE_URL,
    Rule,
    alert_assertions,
    alert_rules,
    all_rules,
    load_groups,
    markdown_anchors,
    recording_names,
    rule_files_of_test,
)
from tests.support.published_metrics import DESIGN_RECORDING_RULES, published_metric_names

# The public names fixed by DESIGN.md ("Interfaces other tools rely on").
DESIGN_ALERTS = {
    "HyperliquidWatchdog",
    "HyperliquidExporterDown",
    "HyperliquidAPIUnreachable",
    "HyperliquidDataStale",
    "HyperliquidAPIWeightBudgetHigh",
    "HyperliquidAlertDeliveryFailing",
    "HyperliquidOracleDeviation",
    "HyperliquidMarkOracleDivergence",
    "HyperliquidPriceMoveFast",
    "HyperliquidOpenInterestDropFast",
    "HyperliquidLiquidationCascade",
    "HyperliquidOpenInterestCapReached",
    "HyperliquidFundingRateExtreme",
    "HyperliquidLiquidityThin",
    "HyperliquidMarketDelisted",
    "HyperliquidHLPBackstopTakeover",
    "HyperliquidHLPConcentration",
    "HyperliquidHLPUnrealizedLoss",
    "HyperliquidHLPPnLDrop",
    "HyperliquidAutoDeleveraging",
    "HyperliquidAccountNearLiquidation",
}
SEVERITIES = {"critical", "warning", "info"}
COLLECTORS = {
    "market",
    "prices",
    "vaults",
    "accounts",
    "fills",
    "dexes",
    "liveness",
    "node",
    "governance",
    "exporter",
    "relay",
    "alertmanager",
}
DASHBOARD_UIDS = {"hl-overview", "hl-hlp", "hl-markets", "hl-liquidations", "hl-health", "hl-builder-dexes"}
RISK_DOMAINS = {"oracle", "market", "liquidation", "vault"}
# Always firing by design: there is no input under which it may be silent.
ALWAYS_FIRING = {"HyperliquidWatchdog"}

ALERTS = alert_rules()
ALERT_IDS = [
    f"{rule.name}/{rule.labels.get('severity', '?')}/{rule.group}#{rule.position}" for rule in ALERTS
]


def test_every_design_alert_exists() -> None:
    names = {rule.name for rule in ALERTS}
    assert DESIGN_ALERTS - names == set()


def test_every_design_recording_rule_exists() -> None:
    assert DESIGN_RECORDING_RULES - recording_names() == set()


def test_risk_score_covers_every_domain() -> None:
    domains = {
        rule.labels.get("domain")
        for group in load_groups()
        for rule in group.rules
        if rule.record == "domain:hyperliquid_risk_score:ratio"
    }
    assert domains == RISK_DOMAINS


def test_recording_rules_are_named_level_metric_operations() -> None:
    pattern = re.compile(r"^[a-z][a-z_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")
    assert sorted(name for name in recording_names() if not pattern.match(name)) == []


def test_group_names_are_unique() -> None:
    names = [group.name for group in load_groups()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_IDS)
def test_alert_labels(rule: Rule) -> None:
    assert re.fullmatch(r"Hyperliquid[A-Z][A-Za-z]+", rule.name)
    assert rule.labels.get("severity") in SEVERITIES
    # The collector label is static, or (HyperliquidDataStale) carried over from the series it reads.
    if "collector" in rule.labels:
        assert rule.labels["collector"] in COLLECTORS
    else:
        assert re.search(r"by \([^)]*\bcollector\b[^)]*\)", rule.expr), (
            "no collector label and none from the expr"
        )


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_IDS)
def test_alert_annotations(rule: Rule) -> None:
    annotations = rule.annotations
    assert set(annotations) == {"summary", "description", "runbook_url", "dashboard_path"}
    assert annotations["summary"].endswith(".")
    assert annotations["description"].strip()
    assert annotations["runbook_url"] == f"{RUNBOOK_BASE_URL}#{rule.name.lower()}"
    path = re.fullmatch(r"/d/([a-z-]+)/[a-z0-9-]+(\?.*)?", annotations["dashboard_path"])
    assert path is not None, annotations["dashboard_path"]
    assert path.group(1) in DASHBOARD_UIDS


def test_runbook_has_an_anchor_for_every_alert() -> None:
    anchors = markdown_anchors(RUNBOOK)
    missing = {rule.annotations["runbook_url"].split("#", 1)[1] for rule in ALERTS} - anchors
    assert missing == set()


def test_alerts_doc_lists_every_alert() -> None:
    text = ALERTS_DOC.read_text()
    assert sorted(name for name in {rule.name for rule in ALERTS} if f"`{name}`" not in text) == []


def test_recording_rules_precede_the_alerts_that_read_them_in_the_same_group() -> None:
    recorded_in = {
        rule.record: (group.name, rule.position)
        for group in load_groups()
        for rule in group.rules
        if rule.record is not None
    }
    problems = []
    for group in load_groups():
        for rule in group.rules:
            if rule.alert is None:
                continue
            for match in re.finditer(r"([a-z_]+:[a-z0-9_]+:[a-z0-9_]+)(\[)?", rule.expr):
                name, over_a_range = match.group(1), match.group(2) is not None
                where = recorded_in.get(name)
                if where is None:
                    problems.append(f"{rule.name} reads {name}, which no rule records")
                elif over_a_range:
                    # A range (`x[15m]`) spans many evaluations of the recording group: order is moot.
                    continue
                elif where[0] != group.name or where[1] > rule.position:
                    problems.append(f"{rule.name} in {group.name} reads {name} recorded at {where}")
    assert problems == []


def test_every_alert_fires_in_some_test() -> None:
    fired = {assertion.alertname for assertion in alert_assertions() if assertion.fires}
    assert {rule.name for rule in ALERTS} - fired == set()


def test_every_alert_is_held_silent_in_some_test() -> None:
    silent = {assertion.alertname for assertion in alert_assertions() if not assertion.fires}
    assert {rule.name for rule in ALERTS} - ALWAYS_FIRING - silent == set()


def test_every_severity_of_every_alert_fires_in_some_test() -> None:
    """Each warning/critical variant, not just each name, is seen firing by exp_labels."""
    fired: set[tuple[str, str]] = set()
    for path in RULE_TEST_FILES:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for check in test.get("alert_rule_test") or []:
                for alert in check.get("exp_alerts") or []:
                    fired.add((check["alertname"], alert["exp_labels"]["severity"]))
    declared = {(rule.name, rule.labels["severity"]) for rule in ALERTS}
    assert declared - fired == set()


def test_every_rule_file_is_unit_tested() -> None:
    covered = {path for test_file in RULE_TEST_FILES for path in rule_files_of_test(test_file)}
    assert {path.resolve() for path in RULE_FILES} - covered == set()


@pytest.mark.parametrize(
    "scenario",
    [
        "calm",
        "eth-whale-2025-03-12",
        "jelly-2025-03-26",
        "cascade-2025-10-10",
        "oracle-deviation",
        "watched-whale",
    ],
)
def test_every_incident_has_a_scenario_test_over_all_rules(scenario: str) -> None:
    test_file = next(path for path in RULE_TEST_FILES if path.name == f"scenario-{scenario}.test.yml")
    assert {path.resolve() for path in RULE_FILES} <= set(rule_files_of_test(test_file))


# Metrics the rules may read: the exporter's and the relay's public names, plus Prometheus' own `up` and
# `ALERTS`. A misspelt name would make an alert silently dead.
KNOWN_METRICS = published_metric_names()
RECORDING_NAME = re.compile(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+")


def metrics_read_by(expr: str) -> set[str]:
    # Label values (`source="hyperliquid_spot"`) are not metric names.
    without_recordings = RECORDING_NAME.sub(" ", re.sub(r'"[^"]*"', " ", expr))
    names = set(re.findall(r"\bhyperliquid_[a-z0-9_]+\b", without_recordings))
    if re.search(r"\bup\{", without_recordings):
        names.add("up")
    return names


def test_metric_names_read_by_rules_are_published() -> None:
    read = {name for rule in all_rules() for name in metrics_read_by(rule.expr)}
    assert read - KNOWN_METRICS == set()


def test_metric_names_fed_by_unit_tests_are_published() -> None:
    """Test inputs use the same names, so a consistent typo in a rule and its test cannot pass."""
    fed: set[str] = set()
    for path in RULE_TEST_FILES:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for series in test.get("input_series") or []:
                fed.add(series["series"].split("{", 1)[0])
    assert fed - KNOWN_METRICS == set()


def test_metric_name_check_sees_a_typo() -> None:
    assert metrics_read_by("max by (coin) (hyperliquid_mark_prise_usd) / coin:hyperliquid_x:ratio") == {
        "hyperliquid_mark_prise_usd"
    }
