"""Grafana provisioning files: the datasources the dashboards name exist, and the provider finds the files."""

from __future__ import annotations

from typing import Any

import yaml

from tests.grafana.dashboards import (
    DASHBOARDS_DIR,
    PROVISIONING_DIR,
    declared_variables,
    iter_panels,
    load_dashboards,
)
from tests.support.binaries import REPO_ROOT

DATASOURCES: list[dict[str, Any]] = yaml.safe_load(
    (PROVISIONING_DIR / "datasources" / "prometheus.yaml").read_text()
)["datasources"]
PROVIDERS: list[dict[str, Any]] = yaml.safe_load(
    (PROVISIONING_DIR / "dashboards" / "hyperliquid.yaml").read_text()
)["providers"]


def test_prometheus_datasource_has_the_uid_dashboards_use_and_is_default() -> None:
    prometheus = [d for d in DATASOURCES if d["type"] == "prometheus"]
    assert len(prometheus) == 1
    assert prometheus[0]["uid"] == "prometheus"
    assert prometheus[0]["isDefault"] is True
    assert prometheus[0]["access"] == "proxy"


def test_alertmanager_datasource_speaks_the_prometheus_alertmanager_api() -> None:
    alertmanager = [d for d in DATASOURCES if d["type"] == "alertmanager"]
    assert len(alertmanager) == 1
    assert alertmanager[0]["jsonData"]["implementation"] == "prometheus"
    prometheus = next(d for d in DATASOURCES if d["type"] == "prometheus")
    assert prometheus["jsonData"]["alertmanagerUid"] == alertmanager[0]["uid"]


def test_every_datasource_a_dashboard_names_is_provisioned() -> None:
    provisioned = {(d["type"], d["uid"]) for d in DATASOURCES}
    # `${datasource}` starts on the default datasource of the variable's type: the provisioned Prometheus.
    provisioned |= {(d["type"], "${datasource}") for d in DATASOURCES if d.get("isDefault")}
    for name, dashboard in load_dashboards().items():
        for panel in iter_panels(dashboard):
            for node in [panel, *panel.get("targets", [])]:
                datasource = node.get("datasource")
                if datasource == {"type": "prometheus", "uid": "${datasource}"}:
                    # Resolved by the dashboard's `datasource` variable to a provisioned Prometheus.
                    assert declared_variables(dashboard)["datasource"]["query"] == "prometheus", name
                elif datasource:
                    assert (datasource["type"], datasource["uid"]) in provisioned, f"{name}: {datasource}"


def test_uids_and_names_are_unique() -> None:
    assert len({d["uid"] for d in DATASOURCES}) == len(DATASOURCES)
    assert len({d["name"] for d in DATASOURCES}) == len(DATASOURCES)


def test_one_file_provider_serves_the_dashboards_folder_read_only() -> None:
    assert len(PROVIDERS) == 1
    provider = PROVIDERS[0]
    assert provider["type"] == "file"
    assert provider["allowUiUpdates"] is False, "UI edits would be lost at the next provisioning run"
    assert provider["options"]["path"].startswith("/")
    assert any(DASHBOARDS_DIR.glob("*.json"))


def _seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]]


def test_time_interval_is_the_slowest_scrape_interval_of_the_shipped_prometheus_config() -> None:
    """$__rate_interval is at least 4x timeInterval; set too short for a job, its rate() panels go empty."""
    shipped = yaml.safe_load((REPO_ROOT / "prometheus.yml").read_text())
    default = shipped["global"].get("scrape_interval", "1m")
    intervals = [_seconds(job.get("scrape_interval", default)) for job in shipped["scrape_configs"]]
    prometheus = next(d for d in DATASOURCES if d["type"] == "prometheus")
    assert _seconds(prometheus["jsonData"]["timeInterval"]) == max(intervals)
