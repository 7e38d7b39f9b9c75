"""Telegram and Discord rendering: escaping, limits, splitting between alerts, firing vs resolved."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.relay.late import mark_late
from exporter.relay.payload import WebhookPayload, parse_payload
from exporter.relay.render_discord import RESOLVED_COLOUR, SEVERITY_COLOURS, embed_size, render_discord
from exporter.relay.render_telegram import render_telegram, telegram_length
from tests.relay.fake_chat import check_discord_message, check_telegram_html
from tests.relay.harness import fixture_body, group_payload

GRAFANA = "https://grafana.example.org"
RUNBOOK = "https://github.com/hyperliquid-exporter/hyperliquid-exporter/blob/main/RUNBOOK.md#hyperliquidx"


def payload_of(body: dict[str, object]) -> WebhookPayload:
    return parse_payload(json.dumps(body).encode())


def big_group(count: int, description: str, status: str = "firing") -> WebhookPayload:
    fingerprints = [f"{index:016x}" for index in range(count)]
    return payload_of(group_payload("g", fingerprints, status=status, description=description))


def test_telegram_escapes_the_captured_annotation() -> None:
    [message] = render_telegram(payload_of(fixture_body("am025_webhook_firing")), None, 3)
    assert "Margin ratio 95% &lt;b&gt;&amp;" in message["text"]
    assert check_telegram_html(message["text"]) is None


def test_telegram_firing_and_resolved_read_differently() -> None:
    [firing] = render_telegram(payload_of(fixture_body("am025_webhook_firing")), None, 3)
    [resolved] = render_telegram(payload_of(fixture_body("am025_webhook_resolved")), None, 3)
    assert firing["text"].startswith("🔥 <b>[FIRING:1]")
    assert "critical, since 2026-11-25 16:47:37 UTC" in firing["text"]
    assert resolved["text"].startswith("✅ <b>[RESOLVED]")
    assert "resolved after 4s" in resolved["text"]


def test_links_to_runbook_grafana_and_prometheus() -> None:
    body = fixture_body("am025_webhook_firing")
    body["alerts"][0]["annotations"].update(
        runbook_url=RUNBOOK, dashboard_path="/d/hl-markets/x?var-coin=BTC&a=1"
    )
    payload = payload_of(body)
    [telegram] = render_telegram(payload, GRAFANA, 3)
    assert f'<a href="{RUNBOOK}">Runbook</a>' in telegram["text"]
    assert (
        '<a href="https://grafana.example.org/d/hl-markets/x?var-coin=BTC&amp;a=1">Grafana</a>'
        in telegram["text"]
    )
    assert '<a href="http://prom:9090/graph">Prometheus</a>' in telegram["text"]
    [discord] = render_discord(payload, GRAFANA, 3)
    description = discord["embeds"][0]["description"]
    assert f"[Runbook]({RUNBOOK})" in description
    assert "[Grafana](https://grafana.example.org/d/hl-markets/x?var-coin=BTC&a=1)" in description
    # Without a Grafana base URL a bare path is no link, so it is left out.
    assert "Grafana" not in render_telegram(payload, None, 3)[0]["text"]


def test_telegram_splits_a_large_group_between_alerts() -> None:
    payload = big_group(60, "x & <y> " * 60)
    messages = render_telegram(payload, GRAFANA, max_messages=100)
    assert len(messages) > 1
    seen = []
    for index, message in enumerate(messages, start=1):
        text = message["text"]
        assert telegram_length(text) <= 4096
        assert check_telegram_html(text) is None
        assert f"({index}/{len(messages)})" in text.splitlines()[0]
        seen += re.findall(r"alert ([0-9a-f]{16}) in g", text)
    assert seen == [f"{index:016x}" for index in range(60)]  # every alert once, whole, in order


def test_telegram_caps_messages_with_and_n_more() -> None:
    payload = big_group(60, "long description " * 80)
    messages = render_telegram(payload, None, max_messages=2)
    assert len(messages) == 2
    shown = sum(len(re.findall(r"alert [0-9a-f]{16} in g", m["text"])) for m in messages)
    assert messages[-1]["text"].endswith(f"… and {60 - shown} more alerts")
    assert "more alerts" not in messages[0]["text"]


def test_telegram_counts_alerts_alertmanager_truncated() -> None:
    body = fixture_body("am025_webhook_firing")
    body["truncatedAlerts"] = 7
    [message] = render_telegram(payload_of(body), None, 3)
    assert message["text"].endswith("… and 7 more alerts")


def test_discord_colours_and_limits() -> None:
    [firing] = render_discord(payload_of(fixture_body("am025_webhook_firing")), None, 3)
    [resolved] = render_discord(payload_of(fixture_body("am025_webhook_resolved")), None, 3)
    assert firing["embeds"][0]["color"] == SEVERITY_COLOURS["critical"]
    assert resolved["embeds"][0]["color"] == RESOLVED_COLOUR
    assert resolved["embeds"][0]["title"].startswith("✅ RESOLVED")
    assert firing["embeds"][0]["title"].startswith("🔥 CRITICAL")


def test_discord_splits_into_messages_within_10_embeds_and_6000_chars() -> None:
    payload = big_group(45, "d" * 5000)
    messages = render_discord(payload, GRAFANA, max_messages=100)
    assert len(messages) > 5
    for message in messages:
        assert check_discord_message(message) is None
        assert len(message["embeds"]) <= 10
        assert sum(embed_size(embed) for embed in message["embeds"]) <= 6000
    assert sum(len(m["embeds"]) for m in messages) == 45
    capped = render_discord(payload, GRAFANA, max_messages=1)
    assert capped[0]["content"].endswith(f"… and {45 - len(capped[0]['embeds'])} more alerts")


label_text = st.text(st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=60, deadline=None)
@given(
    summaries=st.lists(label_text, min_size=1, max_size=40),
    description=st.text(max_size=5000),
    label_value=label_text,
    status=st.sampled_from(["firing", "resolved"]),
)
def test_any_alert_text_renders_within_platform_limits(
    summaries: list[str], description: str, label_value: str, status: str
) -> None:
    body = group_payload(
        "g", [f"{i:016x}" for i in range(len(summaries))], status=status, description=description
    )
    for alert, summary in zip(body["alerts"], summaries, strict=True):
        alert["annotations"]["summary"] = summary
        alert["labels"]["note"] = label_value
    payload = payload_of(body)
    for message in render_telegram(payload, GRAFANA, 3):
        assert check_telegram_html(message["text"]) is None
    for message in render_discord(payload, GRAFANA, 3):
        assert check_discord_message(message) is None


def test_length_is_counted_as_telegram_counts_it() -> None:
    link = f'<a href="{RUNBOOK}?{"x" * 500}">Runbook</a>'
    assert telegram_length(f"{link} &lt;b&gt;&amp;") == len("Runbook <b>&")
    assert telegram_length("🔥") == 2  # UTF-16 code units: a surrogate pair


def test_link_targets_do_not_push_a_group_into_more_messages() -> None:
    body = group_payload("g", [f"{i:016x}" for i in range(10)], runbook_url=RUNBOOK + "#" + "x" * 300)
    [message] = render_telegram(payload_of(body), GRAFANA, 3)
    assert len(message["text"]) > 4096  # raw HTML is long; what Telegram counts is not
    assert check_telegram_html(message["text"]) is None


def test_urls_are_encoded_so_no_link_can_be_injected() -> None:
    body = fixture_body("am025_webhook_firing")
    body["alerts"][0]["annotations"]["runbook_url"] = 'https://ok.example/a)[x](https://evil.example"t"<b>'
    payload = payload_of(body)
    [discord] = render_discord(payload, None, 3)
    description = discord["embeds"][0]["description"]
    assert "[Runbook](https://ok.example/a%29%5Bx%5D%28https://evil.example%22t%22%3Cb%3E)" in description
    [telegram] = render_telegram(payload, None, 3)
    assert 'href="https://ok.example/a%29%5Bx%5D%28https://evil.example%22t%22%3Cb%3E"' in telegram["text"]
    assert check_telegram_html(telegram["text"]) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1/x",
        "http://host:99999/",
        "javascript:alert(1)",
        "https://",
        "https://u:p@host/",
        "//host/x",
    ],
)
def test_malformed_urls_are_left_out(url: str) -> None:
    body = fixture_body("am025_webhook_firing")
    body["alerts"][0]["annotations"]["runbook_url"] = url
    body["alerts"][0]["generatorURL"] = url
    [discord] = render_discord(payload_of(body), None, 3)
    assert "url" not in discord["embeds"][0]
    assert "Runbook" not in discord["embeds"][0]["description"]
    assert check_discord_message(discord) is None


def test_the_late_notice_fits_the_largest_telegram_message() -> None:
    messages = render_telegram(big_group(60, "d" * 1500), GRAFANA, 3)
    for message in messages:
        late = mark_late("telegram", message, 3 * 86400 + 7200)
        assert late["text"].startswith("<b>⏰ LATE: accepted 3d02h ago")
        assert check_telegram_html(late["text"]) is None
        assert telegram_length(late["text"]) <= 4096
    for message in render_discord(big_group(60, "d" * 1500), GRAFANA, 3):
        assert check_discord_message(mark_late("discord", message, 4000.0)) is None


OUT_OF_UTC = "0001-01-01T00:00:00+14:00"  # schema-valid, but in year 0 once in UTC


def test_a_start_time_utc_cannot_hold_is_shown_as_sent() -> None:
    body = fixture_body("am025_webhook_firing")
    body["alerts"][0]["startsAt"] = OUT_OF_UTC
    payload = payload_of(body)
    [message] = render_telegram(payload, None, 3)
    assert f"since {OUT_OF_UTC}" in message["text"]
    assert check_telegram_html(message["text"]) is None
    [discord] = render_discord(payload, GRAFANA, 3)
    assert f"since {OUT_OF_UTC}" in json.dumps(discord)
    assert all("timestamp" not in embed for embed in discord["embeds"])
    assert check_discord_message(discord) is None


def test_a_firing_group_carrying_only_resolved_alerts_is_not_firing_0() -> None:
    body = group_payload("g", ["a" * 16, "b" * 16], status="resolved")
    body["status"] = "firing"  # the group still fires; this notification holds only its resolved alerts
    payload = payload_of(body)
    [message] = render_telegram(payload, None, 3)
    [discord] = render_discord(payload, GRAFANA, 3)
    assert "FIRING:0" not in message["text"]
    assert "FIRING:0" not in json.dumps(discord)
    assert message["text"].startswith("✅ <b>[RESOLVED]")
    assert discord["content"].startswith("**\\[RESOLVED\\]")
