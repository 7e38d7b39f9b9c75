"""The mixin generator: the default config gives the shipped files, another one its selectors and runbooks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mixin.config import MixinConfig, MixinConfigError, load_mixin_config
from mixin.generate import (
    DASHBOARDS_DIR,
    DEFAULT_ALERTMANAGER_SELECTOR,
    DEFAULT_EXPORTER_SELECTOR,
    DEFAULT_RELAY_SELECTOR,
    DEFAULT_RUNBOOK,
    KUBERNETES_DIR,
    RULES_DIR,
    generate,
)
from tests.support.binaries import REPO_ROOT, find_binary

JOB_MATCHER = re.compile(r'\bjob\s*(?:=~|!~|!=|=)\s*"[^"]*"')
CUSTOM = {
    "exporter_selector": 'job="hl-exporter", namespace="monitoring"',
    "relay_selector": 'job="hl-relay", namespace="monitoring"',
    "alertmanager_selector": 'job="am", namespace="monitoring"',
    "runbook_url_pattern": "https://runbooks.example.org/hyperliquid/{alertname}.html",
    "kubernetes": {"rule_labels": {"release": "kube-prometheus-stack"}, "dashboard_folder": "Crypto"},
}


def test_default_config_reproduces_every_shipped_file_byte_for_byte() -> None:
    outputs = generate(load_mixin_config())
    assert {p for p in outputs if p.parent == RULES_DIR} == {
        p.relative_to(REPO_ROOT) for p in (REPO_ROOT / RULES_DIR).glob("*.yml")
    }
    assert {p for p in outputs if p.parent == DASHBOARDS_DIR} == {
        p.relative_to(REPO_ROOT) for p in (REPO_ROOT / DASHBOARDS_DIR).glob("*.json")
    }
    generated = {p.relative_to(REPO_ROOT) for p in (REPO_ROOT / KUBERNETES_DIR).glob("*.yaml")}
    assert generated == {p for p in outputs if p.parent == KUBERNETES_DIR}, (
        "deploy/kubernetes/generated is stale: run `python -m mixin.generate --output-dir .`"
    )
    for relative, text in outputs.items():
        assert (REPO_ROOT / relative).read_text(encoding="utf-8") == text, (
            f"{relative} differs from the generator's output: run `python -m mixin.generate --output-dir .`"
        )


def _shipped_texts() -> dict[str, str]:
    texts = {p.name: p.read_text() for p in (REPO_ROOT / RULES_DIR).glob("*.yml")}
    for path in (REPO_ROOT / DASHBOARDS_DIR).glob("*.json"):
        texts[path.name] = path.read_text().replace('\\"', '"')
    return texts


def test_every_job_matcher_in_rules_and_dashboards_is_a_configurable_selector() -> None:
    """A job matcher the generator does not know would keep the default job name under any config."""
    for name, text in _shipped_texts().items():
        for matcher in JOB_MATCHER.findall(text):
            assert matcher in (
                DEFAULT_EXPORTER_SELECTOR,
                DEFAULT_RELAY_SELECTOR,
                DEFAULT_ALERTMANAGER_SELECTOR,
            ), f"{name}: {matcher}"


def test_every_alert_has_a_runbook_url_the_pattern_rewrites() -> None:
    for path in sorted((REPO_ROOT / RULES_DIR).glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    url = rule["annotations"].get("runbook_url", "")
                    match = DEFAULT_RUNBOOK.fullmatch(url)
                    assert match, f"{path.name}: {rule['alert']}: runbook_url {url!r}"
                    assert match.group(1) == rule["alert"].lower(), (
                        f"{rule['alert']}: anchor {match.group(1)}"
                    )


@pytest.fixture(scope="module")
def custom_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("mixin")
    config = directory / "mine.yaml"
    config.write_text(yaml.safe_dump(CUSTOM))
    result = subprocess.run(
        [sys.executable, "-m", "mixin.generate", f"--config={config}", f"--output-dir={directory / 'out'}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return directory / "out"


def test_another_config_puts_its_selectors_and_runbooks_everywhere(custom_output: Path) -> None:
    rules = {p.name: p.read_text() for p in (custom_output / RULES_DIR).glob("*.yml")}
    dashboards = {p.name: p.read_text() for p in (custom_output / DASHBOARDS_DIR).glob("*.json")}
    for name, text in {**rules, **dashboards}.items():
        assert 'job="hyperliquid' not in text.replace('\\"', '"'), name
        assert 'job="alertmanager"' not in text, name
        assert "github.com/hyperliquid-exporter" not in text, name
    exporter_rules = yaml.safe_load(rules["hyperliquid-exporter.rules.yml"])["groups"][0]["rules"]
    down = next(r for r in exporter_rules if r.get("alert") == "HyperliquidExporterDown")
    selector = 'job="hl-exporter", namespace="monitoring"'
    assert down["expr"] == f"up{{{selector}}} == 0 or absent(up{{{selector}}})"
    assert down["annotations"]["runbook_url"] == (
        "https://runbooks.example.org/hyperliquid/HyperliquidExporterDown.html"
    )
    assert 'job="am", namespace="monitoring"' in rules["hyperliquid-alerting.rules.yml"]
    health = json.loads(dashboards["hl-health.json"])
    exprs = [t["expr"] for p in health["panels"] for t in p.get("targets", [])]
    assert (
        'up{job="hl-exporter", namespace="monitoring"} or up{job="hl-relay", namespace="monitoring"}' in exprs
    )
    result = subprocess.run(
        [
            find_binary("promtool"),
            "check",
            "rules",
            *sorted(str(p) for p in (custom_output / RULES_DIR).glob("*.yml")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_another_config_labels_the_kubernetes_objects(custom_output: Path) -> None:
    rule = yaml.safe_load(
        (custom_output / KUBERNETES_DIR / "prometheusrule-hyperliquid-exporter.yaml").read_text()
    )
    assert rule["metadata"]["labels"] == {"release": "kube-prometheus-stack"}
    exprs = [str(r["expr"]) for group in rule["spec"]["groups"] for r in group["rules"]]
    assert any('up{job="hl-exporter", namespace="monitoring"}' in expr for expr in exprs)
    dashboard = yaml.safe_load((custom_output / KUBERNETES_DIR / "dashboard-hl-health.yaml").read_text())
    assert dashboard["metadata"]["annotations"] == {"grafana_folder": "Crypto"}
    assert json.loads(dashboard["data"]["hl-health.json"])["uid"] == "hl-health"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"exporter_selector": "hyperliquid"},
            "exporter_selector: Value error, 'hyperliquid' is not a list of PromQL",
        ),
        ({"relay_selector": 'job="a" or up'}, "relay_selector: Value error"),
        ({"runbook_url_pattern": "https://x/{coin}"}, "only {anchor} and {alertname} may be used"),
        ({"runbook_url_pattern": "runbooks/{anchor}"}, "must be an http(s) URL"),
        ({"selectors": {}}, "selectors: Extra inputs are not permitted"),
        ({"kubernetes": {"rule_labels": {"bad label!": "x"}}}, "not a valid Kubernetes label name"),
    ],
)
def test_a_wrong_config_is_refused_with_the_key_named(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**CUSTOM, **change}))
    with pytest.raises(MixinConfigError) as raised:
        load_mixin_config(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_shipped_config_is_the_default_selectors() -> None:
    config = load_mixin_config()
    assert isinstance(config, MixinConfig)
    assert (config.exporter_selector, config.relay_selector, config.alertmanager_selector) == (
        DEFAULT_EXPORTER_SELECTOR,
        DEFAULT_RELAY_SELECTOR,
        DEFAULT_ALERTMANAGER_SELECTOR,
    )
