"""The real Alertmanager, running the shipped configuration, delivers alerts as routed, grouped and inhibited.

Receivers are loopback sinks; the tree's timers are divided by TIMER_DIVISOR (tests/alertmanager/timers.py)
so that a critical group is sent about 0.2 s after its first alert instead of 10 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.alertmanager.rendering import (
    DISCORD_PATH,
    GRAFANA_URL,
    HEARTBEAT_PATH,
    RELAY_TOKEN,
    SLACK_PATH,
    TELEGRAM_PATH,
    WEBHOOK_PATH,
    render_shipped_config,
)
from tests.alertmanager.sinks import Received, RecordingSink, running_sink
from tests.alertmanager.timers import scale_route_timers
from tests.support.alertmanager import alertmanager_command
from tests.support.processes import free_port, running

RUNBOOK_BASE = "https://github.com/hyperliquid-exporter/hyperliquid-exporter/blob/main/RUNBOOK.md"
MARKETS_DASHBOARD = "/d/hl-markets/hyperliquid-oracle-and-markets"
TIMER_DIVISOR = 60
# After the expected deliveries, wait this long for unexpected ones: longer than any shrunk
# group_interval of the chat routes (5 min / 60), so a late extra message would have been sent.
SETTLE_SECONDS = 6.0
ALL_PATHS = (TELEGRAM_PATH, DISCORD_PATH, SLACK_PATH, WEBHOOK_PATH, HEARTBEAT_PATH)


@dataclass
class Stack:
    alertmanager_url: str
    sink: RecordingSink

    def post(self, *alerts: dict[str, Any]) -> None:
        response = httpx.post(f"{self.alertmanager_url}/api/v2/alerts", json=list(alerts), timeout=10)
        assert response.status_code == 200, response.text

    def alert_states(self, alertname: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.alertmanager_url}/api/v2/alerts",
            params={"filter": f'alertname="{alertname}"'},
            timeout=10,
        )
        response.raise_for_status()
        states: list[dict[str, Any]] = response.json()
        return states

    def alerts_at(self, path: str, alertname: str | None = None) -> list[list[dict[str, Any]]]:
        """The alerts of each notification received on path (optionally only notifications for alertname)."""
        return [
            alerts
            for alerts in (alerts_in(request) for request in self.sink.received(path))
            if alertname is None or any(alert["labels"]["alertname"] == alertname for alert in alerts)
        ]


def alerts_in(request: Received) -> list[dict[str, Any]]:
    """Webhook payloads carry alerts; Slack messages are turned into one pseudo-alert per text line."""
    if "alerts" in request.body:
        alerts: list[dict[str, Any]] = request.body["alerts"]
        return alerts
    attachment = request.body["attachments"][0]
    alertname = attachment["title"].split("] ", 1)[1].split(" (", 1)[0]
    return [
        {"labels": {"alertname": alertname}, "line": line, "attachment": attachment}
        for line in attachment["text"].splitlines()
        if line.startswith("•")
    ]


def alert(alertname: str, severity: str, collector: str, **labels: str) -> dict[str, Any]:
    subject = " ".join(f"{name}={value}" for name, value in labels.items())
    return {
        "labels": {"alertname": alertname, "severity": severity, "collector": collector, **labels},
        "annotations": {
            "summary": f"{alertname} {subject}".strip(),
            "runbook_url": f"{RUNBOOK_BASE}#{alertname.lower()}",
            "dashboard_path": f"{MARKETS_DASHBOARD}?var-coin={labels.get('coin', '')}",
        },
        "generatorURL": "http://prometheus:9090/graph",
    }


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_sink() as (sink, sink_url):
        config_path = render_shipped_config(tmp_path / "rendered", receiver_base_url=sink_url)
        config = yaml.safe_load(config_path.read_text())
        scale_route_timers(config["route"], TIMER_DIVISOR)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [
            *alertmanager_command(),
            f"--config.file={config_path}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.external-url={url}",
            "--cluster.listen-address=",
        ]
        with running(argv, f"{url}/-/ready", tmp_path / "alertmanager.log"):
            yield Stack(url, sink)


def test_cascade_over_170_coins_is_one_message_per_chat_receiver(stack: Stack) -> None:
    coins = [f"C{index:03d}" for index in range(170)]
    stack.post(*(alert("HyperliquidPriceMoveFast", "critical", "market", coin=coin) for coin in coins))

    stack.sink.wait_until(
        lambda: (
            all(stack.sink.received(path) for path in (TELEGRAM_PATH, DISCORD_PATH, SLACK_PATH))
            and len(stack.sink.received(WEBHOOK_PATH)) == len(coins)
        ),
        what="the cascade on every critical receiver",
    )
    _settle(stack.sink)

    for path in (TELEGRAM_PATH, DISCORD_PATH):
        (request,) = _exactly_one(stack.sink.received(path), path)
        assert request.headers["authorization"] == f"Bearer {RELAY_TOKEN}"
        assert request.body["version"] == "4"
        assert request.body["groupLabels"] == {"alertname": "HyperliquidPriceMoveFast"}
        # max_alerts: 100 keeps the body under the relay's limit; the rest is counted as truncatedAlerts.
        shown = sorted(item["labels"]["coin"] for item in request.body["alerts"])
        assert len(shown) == 100
        assert set(shown) <= set(coins)
        assert request.body["truncatedAlerts"] == 70

    (slack,) = _exactly_one(stack.sink.received(SLACK_PATH), SLACK_PATH)
    attachment = slack.body["attachments"][0]
    assert slack.body["channel"] == "#hl-test"
    assert attachment["title"] == "[FIRING:170] HyperliquidPriceMoveFast (critical)"
    assert attachment["color"] == "danger"
    assert attachment["text"].count("\n•") + attachment["text"].startswith("•") == 20
    assert "170 in total, first 20 shown" in attachment["text"]
    assert (
        f"<{GRAFANA_URL}/d/hl-markets/hyperliquid-oracle-and-markets?var-coin=C000|Grafana>"
        in attachment["text"]
    )

    # The machine receiver is grouped per subject: one notification per coin.
    webhook_coins = sorted(alerts[0]["labels"]["coin"] for alerts in stack.alerts_at(WEBHOOK_PATH))
    assert webhook_coins == coins
    assert not stack.sink.received(HEARTBEAT_PATH)


def test_critical_inhibits_the_warning_of_the_same_subject_only(stack: Stack) -> None:
    name = "HyperliquidHLPUnrealizedLoss"
    stack.post(
        alert(name, "critical", "accounts", coin="JELLY"),
        alert(name, "warning", "accounts", coin="JELLY"),
        alert(name, "warning", "accounts", coin="ETH"),
    )
    stack.sink.wait_until(
        lambda: len(stack.alerts_at(DISCORD_PATH)) == 2 and len(stack.alerts_at(SLACK_PATH)) == 2,
        what="the critical and the warning notification on Discord and Slack",
    )
    _settle(stack.sink)

    delivered = {
        (item["labels"]["severity"], item["labels"]["coin"])
        for alerts in stack.alerts_at(DISCORD_PATH)
        for item in alerts
    }
    assert delivered == {("critical", "JELLY"), ("warning", "ETH")}
    assert [len(alerts) for alerts in stack.alerts_at(SLACK_PATH)] == [1, 1]
    # Telegram hears only the critical one: warnings are not routed there.
    assert [[item["labels"]["coin"] for item in alerts] for alerts in stack.alerts_at(TELEGRAM_PATH)] == [
        ["JELLY"]
    ]

    states = {
        (item["labels"]["severity"], item["labels"]["coin"]): item["status"]
        for item in stack.alert_states(name)
    }
    assert states[("warning", "JELLY")]["state"] == "suppressed"
    assert states[("warning", "JELLY")]["inhibitedBy"]
    assert states[("warning", "ETH")]["state"] == "active"


def _state(stack: Stack, alertname: str, coin: str | None = None) -> str:
    found = [
        item["status"]["state"]
        for item in stack.alert_states(alertname)
        if coin is None or item["labels"].get("coin") == coin
    ]
    assert len(found) == 1, (alertname, coin, found)
    return str(found[0])


def test_a_chain_halt_pages_once_whichever_vantage_point_sees_it(stack: Stack) -> None:
    stack.post(
        alert("HyperliquidChainHalted", "critical", "exporter"),
        alert("HyperliquidNodeChainHalted", "critical", "node"),
        alert("HyperliquidNodeStalled", "warning", "node"),
        # Frozen data is a symptom of the halt too, a node's venue counts included.
        alert("HyperliquidAutoDeleveraging", "critical", "fills", coin="SOL"),
    )
    stack.sink.wait_until(
        lambda: bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidChainHalted")),
        what="the chain halt in Telegram",
    )
    _settle(stack.sink)
    assert _state(stack, "HyperliquidChainHalted") == "active"
    assert _state(stack, "HyperliquidNodeChainHalted") == "suppressed"  # the API side's halt pages
    assert _state(stack, "HyperliquidNodeStalled") == "suppressed"
    assert _state(stack, "HyperliquidAutoDeleveraging", "SOL") == "suppressed"


def test_node_mode_adl_pages_once_per_coin(stack: Stack) -> None:
    stack.post(
        alert("HyperliquidVenueAutoDeleveraging", "critical", "node", coin="ETH"),
        alert("HyperliquidAutoDeleveraging", "critical", "fills", coin="ETH"),
        alert("HyperliquidAutoDeleveraging", "critical", "fills", coin="SOL"),
    )
    stack.sink.wait_until(
        lambda: (
            bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidVenueAutoDeleveraging"))
            and bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidAutoDeleveraging"))
        ),
        what="the venue ADL and the monitored accounts' SOL ADL in Telegram",
    )
    _settle(stack.sink)
    assert _state(stack, "HyperliquidAutoDeleveraging", "ETH") == "suppressed"  # the venue's ADL of ETH pages
    assert _state(stack, "HyperliquidAutoDeleveraging", "SOL") == "active"
    assert _state(stack, "HyperliquidVenueAutoDeleveraging", "ETH") == "active"


def test_stale_market_data_inhibits_market_alerts_and_nothing_else(stack: Stack) -> None:
    stack.post(
        alert("HyperliquidDataStale", "warning", "market"),
        alert("HyperliquidMarkOracleDivergence", "critical", "market", coin="ETH"),
        alert(
            "HyperliquidHLPPnLDrop", "critical", "vaults", vault="0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
        ),
    )
    stack.sink.wait_until(
        lambda: (
            bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidHLPPnLDrop"))
            and bool(stack.alerts_at(DISCORD_PATH, "HyperliquidDataStale"))
        ),
        what="the vault alert and the stale-data warning",
    )
    _settle(stack.sink)

    for path in ALL_PATHS:
        assert not stack.alerts_at(path, "HyperliquidMarkOracleDivergence"), path
    (divergence,) = stack.alert_states("HyperliquidMarkOracleDivergence")
    (stale,) = stack.alert_states("HyperliquidDataStale")
    assert divergence["status"]["inhibitedBy"] == [stale["fingerprint"]]


def test_exporter_down_mutes_data_and_exporter_alerts_but_not_the_watchdog(stack: Stack) -> None:
    stack.post(
        alert("HyperliquidExporterDown", "critical", "exporter"),
        alert("HyperliquidAPIWeightBudgetHigh", "warning", "exporter"),
        alert("HyperliquidPriceMoveFast", "critical", "market", coin="BTC"),
        alert("HyperliquidAutoDeleveraging", "critical", "fills", coin="ETH"),
        alert("HyperliquidAlertDeliveryFailing", "critical", "relay", channel="telegram"),
        alert("HyperliquidWatchdog", "info", "exporter"),
    )
    stack.sink.wait_until(
        lambda: (
            bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidExporterDown"))
            and bool(stack.alerts_at(SLACK_PATH, "HyperliquidAlertDeliveryFailing"))
            and bool(stack.sink.received(HEARTBEAT_PATH))
        ),
        what="exporter-down, delivery-failing and the heartbeat",
    )
    _settle(stack.sink)

    delivered = {
        item["labels"]["alertname"]
        for path in ALL_PATHS
        for alerts in stack.alerts_at(path)
        for item in alerts
    }
    assert delivered == {"HyperliquidExporterDown", "HyperliquidAlertDeliveryFailing", "HyperliquidWatchdog"}
    # The relay's own failure bypasses the relay.
    assert not stack.alerts_at(TELEGRAM_PATH, "HyperliquidAlertDeliveryFailing")
    assert not stack.alerts_at(DISCORD_PATH, "HyperliquidAlertDeliveryFailing")


def test_watchdog_reaches_only_the_heartbeat_and_repeats(stack: Stack) -> None:
    stack.post(alert("HyperliquidWatchdog", "info", "exporter"))
    stack.sink.wait_until(lambda: len(stack.sink.received(HEARTBEAT_PATH)) >= 3, what="three heartbeats")

    for request in stack.sink.received(HEARTBEAT_PATH):
        assert [item["labels"]["alertname"] for item in request.body["alerts"]] == ["HyperliquidWatchdog"]
    for path in (TELEGRAM_PATH, DISCORD_PATH, SLACK_PATH, WEBHOOK_PATH):
        assert not stack.sink.received(path), path


def test_info_goes_to_the_webhook_and_resolved_warnings_reach_slack(stack: Stack) -> None:
    info = alert("HyperliquidOpenInterestCapReached", "info", "market", coin="JELLY")
    warning = alert("HyperliquidFundingRateExtreme", "warning", "market", coin="kPEPE")
    stack.post(info, warning)
    stack.sink.wait_until(
        lambda: bool(stack.sink.received(WEBHOOK_PATH)) and bool(stack.sink.received(SLACK_PATH)),
        what="the info alert on the webhook and the warning on Slack",
    )
    stack.post({**warning, "endsAt": "2000-01-01T00:00:00Z"})
    stack.sink.wait_until(
        lambda: any(
            request.body["attachments"][0]["title"].startswith("[RESOLVED]")
            for request in stack.sink.received(SLACK_PATH)
        ),
        what="the resolved warning on Slack",
    )

    resolved = stack.sink.received(SLACK_PATH)[-1].body["attachments"][0]
    assert resolved["title"] == "[RESOLVED] HyperliquidFundingRateExtreme (warning)"
    assert resolved["color"] == "good"
    assert resolved["text"].startswith("*Resolved:*\n• HyperliquidFundingRateExtreme coin=kPEPE")
    (webhook,) = stack.alerts_at(WEBHOOK_PATH)
    assert [item["labels"]["alertname"] for item in webhook] == ["HyperliquidOpenInterestCapReached"]
    assert not stack.alerts_at(TELEGRAM_PATH)
    assert not stack.alerts_at(DISCORD_PATH, "HyperliquidOpenInterestCapReached")


def _exactly_one(requests: list[Received], path: str) -> list[Received]:
    assert len(requests) == 1, f"{path} got {len(requests)} notifications, expected one"
    return requests


def _settle(sink: RecordingSink) -> None:
    """Give Alertmanager time to send anything it should not; the assertions that follow look for it."""
    with pytest.raises(TimeoutError):
        sink.wait_until(lambda: False, timeout=SETTLE_SECONDS)


def _delivered(stack: Stack) -> set[str]:
    return {
        item["labels"]["alertname"]
        for path in ALL_PATHS
        for alerts in stack.alerts_at(path)
        for item in alerts
    }


def test_a_halted_chain_pages_once_and_mutes_what_it_explains(stack: Stack) -> None:
    stack.post(
        alert("HyperliquidChainHalted", "critical", "liveness", instance="exporter:9762"),
        alert("HyperliquidAPIDegraded", "critical", "liveness", instance="exporter:9762"),
        alert("HyperliquidStreamSilent", "warning", "exporter", feed="market_contexts"),
        alert("HyperliquidOracleDeviation", "critical", "prices", coin="BTC"),
        alert("HyperliquidDataStale", "warning", "market"),
        alert("HyperliquidAlertDeliveryFailing", "critical", "relay", channel="telegram"),
    )
    stack.sink.wait_until(
        lambda: (
            bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidChainHalted"))
            and bool(stack.alerts_at(SLACK_PATH, "HyperliquidAlertDeliveryFailing"))
        ),
        what="the halt and the relay's own failure",
    )
    _settle(stack.sink)
    assert _delivered(stack) == {"HyperliquidChainHalted", "HyperliquidAlertDeliveryFailing"}
    (halted,) = stack.alert_states("HyperliquidChainHalted")
    (silent,) = stack.alert_states("HyperliquidStreamSilent")
    assert silent["status"]["inhibitedBy"] == [halted["fingerprint"]]


def test_a_failing_api_pages_once_and_keeps_the_data_alerts(stack: Stack) -> None:
    stack.post(
        alert("HyperliquidAPIDegraded", "critical", "liveness", instance="exporter:9762"),
        alert("HyperliquidAPIUnreachable", "critical", "market"),
        alert("HyperliquidDataStale", "warning", "market"),
        alert("HyperliquidStreamDown", "warning", "exporter", feed="user_fills"),
        alert("HyperliquidAutoDeleveraging", "critical", "fills", coin="ETH"),
    )
    stack.sink.wait_until(
        lambda: (
            bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidAPIDegraded"))
            and bool(stack.alerts_at(TELEGRAM_PATH, "HyperliquidAutoDeleveraging"))
        ),
        what="the API alert and the auto-deleveraging",
    )
    _settle(stack.sink)
    # What arrives from the live venue is still news; the API's own symptoms are not.
    assert _delivered(stack) == {"HyperliquidAPIDegraded", "HyperliquidAutoDeleveraging"}
    (degraded,) = stack.alert_states("HyperliquidAPIDegraded")
    for name in ("HyperliquidAPIUnreachable", "HyperliquidDataStale", "HyperliquidStreamDown"):
        (state,) = stack.alert_states(name)
        assert degraded["fingerprint"] in state["status"]["inhibitedBy"], name
