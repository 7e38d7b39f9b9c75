"""Alertmanager's `max_alerts` on the relay receivers keeps every group under the relay's body limit.

Without it a large group (a cascade over 170 coins) exceeded `max_body_bytes`, got 413, and Alertmanager
does not retry a 4xx: the whole notification was lost.
"""

from __future__ import annotations

import copy
import json

import yaml

from exporter.relay.config import RelayConfig
from tests.relay.harness import fixture_body
from tests.support.binaries import REPO_ROOT

# The largest alert the shipped rules produce is under 2 KiB; 8 KiB leaves room for long label values.
MAX_ALERT_BYTES = 8 * 1024


def relay_receivers() -> dict[str, dict[str, object]]:
    config = yaml.safe_load((REPO_ROOT / "alertmanager" / "alertmanager.yml").read_text())
    return {
        receiver["name"]: receiver["webhook_configs"][0]
        for receiver in config["receivers"]
        if receiver["name"].startswith("relay-")
    }


def test_relay_receivers_cap_alerts_per_webhook() -> None:
    receivers = relay_receivers()
    assert set(receivers) == {"relay-telegram", "relay-discord"}
    for webhook in receivers.values():
        max_alerts = webhook.get("max_alerts")
        assert isinstance(max_alerts, int)
        assert max_alerts > 0


def test_a_full_group_of_the_largest_alerts_fits_the_body_limit() -> None:
    shipped = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())["relay"]["max_body_bytes"]
    assert shipped == RelayConfig().max_body_bytes
    body = fixture_body("am025_webhook_firing")
    largest = copy.deepcopy(body["alerts"][0])
    largest["annotations"]["description"] = ""
    largest["annotations"]["description"] = "x" * (MAX_ALERT_BYTES - len(json.dumps(largest)))
    assert len(json.dumps(largest)) == MAX_ALERT_BYTES
    for webhook in relay_receivers().values():
        max_alerts = webhook["max_alerts"]
        assert isinstance(max_alerts, int)
        body["alerts"] = [largest] * max_alerts
        assert len(json.dumps(body).encode()) < shipped


def test_the_largest_alert_of_the_shipped_rules_is_within_the_assumed_size() -> None:
    rules = [
        rule
        for path in sorted((REPO_ROOT / "rules").glob("*.rules.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    template = fixture_body("am025_webhook_firing")["alerts"][0]
    for rule in rules:
        alert = copy.deepcopy(template)
        alert["labels"] = {**rule.get("labels", {}), "alertname": rule["alert"], "coin": "X" * 40}
        # Templates expand to about their own length plus label values; double it to be safe.
        alert["annotations"] = {key: value * 2 for key, value in rule.get("annotations", {}).items()}
        assert len(json.dumps(alert).encode()) < MAX_ALERT_BYTES / 2, rule["alert"]
