"""Every template renders with amtool, and says what an on-call person needs: summary, runbook, Grafana."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.alertmanager.rendering import GRAFANA_URL, amtool, render_shipped_config
from tests.support.binaries import ALERTMANAGER_DIR

DEFINE = re.compile(r'{{-?\s*define\s+"([^"]+)"')
REFERENCE = re.compile(r'{{-?\s*template\s+"([^"]+)"')
RUNBOOK = "https://github.com/hyperliquid-exporter/hyperliquid-exporter/blob/main/RUNBOOK.md#hyperliquidpricemovefast"
# Helper templates take one alert, a list of alerts or a string as their dot, not the notification.
DOT_FOR_HELPER = (
    (re.compile(r"\.alert_line$|^hl\.alert\."), "(index .Alerts 0)"),
    (re.compile(r"\.alert_list$"), ".Alerts"),
    (re.compile(r"\.escape$"), '"a < b & c"'),
)


def template_names() -> list[str]:
    return sorted(
        {
            name
            for path in (ALERTMANAGER_DIR / "templates").glob("*.tmpl")
            for name in DEFINE.findall(path.read_text())
        }
    )


def alert(coin: str, status: str = "firing", summary: str | None = None) -> dict[str, Any]:
    annotations = {
        "runbook_url": RUNBOOK,
        "dashboard_path": f"/d/hl-markets/hyperliquid-oracle-and-markets?var-coin={coin}",
    }
    if summary is not None:
        annotations["summary"] = summary
    return {
        "status": status,
        "labels": {
            "alertname": "HyperliquidPriceMoveFast",
            "severity": "critical",
            "collector": "market",
            "coin": coin,
        },
        "annotations": annotations,
        "startsAt": "2026-11-25T16:47:37Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-25T16:57:37Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": coin.encode().hex().ljust(16, "0")[:16],
    }


def notification(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    firing = any(item["status"] == "firing" for item in alerts)
    return {
        "receiver": "slack",
        "status": "firing" if firing else "resolved",
        "alerts": alerts,
        "groupLabels": {"alertname": "HyperliquidPriceMoveFast"},
        "commonLabels": {
            "alertname": "HyperliquidPriceMoveFast",
            "severity": "critical",
            "collector": "market",
        },
        "commonAnnotations": {"runbook_url": RUNBOOK},
        "externalURL": "http://alertmanager:9093",
    }


@pytest.fixture(scope="module")
def templates_glob(tmp_path_factory: pytest.TempPathFactory) -> str:
    config = render_shipped_config(tmp_path_factory.mktemp("templates") / "rendered")
    return str(config.parent / "templates" / "*.tmpl")


def render(
    templates_glob: str, tmp_path: Path, name: str, data: dict[str, Any], kind: str = "text", dot: str = "."
) -> str:
    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps(data))
    result = amtool(
        "template",
        "render",
        f"--template.glob={templates_glob}",
        f"--template.type={kind}",
        f"--template.data={data_file}",
        f'--template.text={{{{ template "{name}" {dot} }}}}',
    )
    assert result.returncode == 0, f"{name}: {result.stderr}"
    return result.stdout


TWO_ALERTS = notification(
    [
        alert("BTC", summary="BTC mark moved 12% <b>& in 5m"),
        alert("ETH", status="resolved", summary="ETH moved 9%"),
    ]
)


def dot_for(name: str) -> str:
    return next((dot for pattern, dot in DOT_FOR_HELPER if pattern.search(name)), ".")


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders(templates_glob: str, tmp_path: Path, name: str) -> None:
    kind = "html" if name.startswith("hl.telegram.") else "text"
    assert render(templates_glob, tmp_path, name, TWO_ALERTS, kind, dot=dot_for(name)).strip()


def test_helpers_render_what_they_are_given(templates_glob: str, tmp_path: Path) -> None:
    assert render(
        templates_glob, tmp_path, "hl.slack.escape", TWO_ALERTS, dot=dot_for("hl.slack.escape")
    ) == ("a &lt; b &amp; c")
    assert (
        render(templates_glob, tmp_path, "hl.alert.subject", TWO_ALERTS, dot="(index .Alerts 0)")
        == " coin=BTC"
    )
    assert render(templates_glob, tmp_path, "hl.grafana_url", TWO_ALERTS) == GRAFANA_URL


def test_every_referenced_template_is_defined() -> None:
    sources = [ALERTMANAGER_DIR / "alertmanager.yml", *(ALERTMANAGER_DIR / "templates").glob("*.tmpl")]
    referenced = {name for path in sources for name in REFERENCE.findall(path.read_text())}
    assert referenced
    assert referenced <= set(template_names())


def test_slack_title_and_color_follow_status_and_severity(templates_glob: str, tmp_path: Path) -> None:
    assert render(templates_glob, tmp_path, "hl.slack.title", TWO_ALERTS) == (
        "[FIRING:1] HyperliquidPriceMoveFast (critical)"
    )
    assert render(templates_glob, tmp_path, "hl.slack.color", TWO_ALERTS) == "danger"
    resolved = notification([alert("ETH", status="resolved", summary="ETH moved 9%")])
    assert (
        render(templates_glob, tmp_path, "hl.slack.title", resolved)
        == "[RESOLVED] HyperliquidPriceMoveFast (critical)"
    )
    assert render(templates_glob, tmp_path, "hl.slack.color", resolved) == "good"


def test_slack_text_is_one_escaped_line_per_alert_with_links(templates_glob: str, tmp_path: Path) -> None:
    lines = render(templates_glob, tmp_path, "hl.slack.text", TWO_ALERTS).strip().splitlines()
    grafana = f"{GRAFANA_URL}/d/hl-markets/hyperliquid-oracle-and-markets?var-coin="
    assert lines == [
        f"• BTC mark moved 12% &lt;b&gt;&amp; in 5m · <{RUNBOOK}|runbook> · <{grafana}BTC|Grafana>",
        "*Resolved:*",
        f"• ETH moved 9% · <{RUNBOOK}|runbook> · <{grafana}ETH|Grafana>",
    ]


def test_alert_without_summary_is_named_by_its_subject(templates_glob: str, tmp_path: Path) -> None:
    text = render(templates_glob, tmp_path, "hl.slack.text", notification([alert("SOL")]))
    assert text.startswith("• HyperliquidPriceMoveFast coin=SOL · ")


def test_cascade_is_cut_after_twenty_lines(templates_glob: str, tmp_path: Path) -> None:
    cascade = notification([alert(f"C{index:03d}", summary=f"C{index:03d} fell") for index in range(170)])
    for name, kind in (
        ("hl.slack.text", "text"),
        ("hl.telegram.message", "html"),
        ("hl.discord.message", "text"),
    ):
        text = render(templates_glob, tmp_path, name, cascade, kind)
        assert text.count(" fell") == 20, name
        assert "170 in total, first 20 shown" in text, name


def test_telegram_message_escapes_values_and_links(templates_glob: str, tmp_path: Path) -> None:
    text = render(templates_glob, tmp_path, "hl.telegram.message", TWO_ALERTS, kind="html")
    assert text.startswith("<b>[FIRING:1] HyperliquidPriceMoveFast (critical)</b>\n")
    assert "BTC mark moved 12% &lt;b&gt;&amp; in 5m" in text
    assert (
        f'<a href="{GRAFANA_URL}/d/hl-markets/hyperliquid-oracle-and-markets?var-coin=BTC">Grafana</a>'
        in text
    )
    assert f'<a href="{RUNBOOK}">runbook</a>' in text


def test_discord_message_uses_markdown_links(templates_glob: str, tmp_path: Path) -> None:
    text = render(templates_glob, tmp_path, "hl.discord.message", TWO_ALERTS)
    assert f"[Grafana]({GRAFANA_URL}/d/hl-markets/hyperliquid-oracle-and-markets?var-coin=BTC)" in text
    assert "**Resolved:**" in text
