"""`hyperliquid-backtest --node` end to end on a 51-second node hour (the real ADL block of 10 Oct 2025
between generated blocks): the real exporter in node mode and one real Prometheus, at speed 20."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from exporter.backtest.cli import main
from exporter.backtest.panels import NOT_IN_A_NODE_HOUR
from tests.backtest.node_hour import write_node_hour
from tests.support.binaries import find_binary

# The real ADL block's time is 21:16:04.83.
ONSET = "2025-10-10T21:16:00Z"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("node-backtest")
    hour = write_node_hour(root / "data" / "node_fills_by_block" / "hourly" / "20251010" / "21")
    output = root / "report.html"
    code = main(
        [
            f"--node={root / 'data'}",
            "--hour=20251010/21",
            f"--onset={ONSET}",
            "--speed=20",
            f"--prometheus.binary={find_binary('prometheus')}",
            f"--output={output}",
            f"--workdir={root / 'work'}",
        ]
    )
    assert code == 0
    assert hour.is_file()
    return re.sub(r"<script\b.*?</script>", "", output.read_text(), flags=re.S)


def test_the_venue_adl_alert_is_listed_from_the_onset(report: str) -> None:
    section = re.search(r'data-alert="HyperliquidVenueAutoDeleveraging"[^>]*>(.*?)</section>', report, re.S)
    assert section, "HyperliquidVenueAutoDeleveraging missing from the table"
    row = re.search(
        r"<td>coin=AVAX[^<]*</td><td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC</td><td>(\d+) s</td>",
        section.group(1),
    )
    assert row, section.group(1)
    first = datetime.strptime(row.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    onset = datetime.fromisoformat(ONSET.replace("Z", "+00:00"))
    # Chain time: after the ADL block (21:16:04.83), within a few evaluations of it.
    assert (
        datetime(2025, 10, 10, 21, 16, 4, tzinfo=UTC)
        <= first
        <= datetime(2025, 10, 10, 21, 16, 20, tzinfo=UTC)
    )
    assert abs((first - onset).total_seconds() - int(row.group(2))) <= 1


def test_only_the_rules_on_the_nodes_series_are_listed(report: str) -> None:
    # The exporter's API collectors are off for a node hour: their health alerts are not the hour's.
    assert set(re.findall(r'<section class="alert" data-alert="([^"]+)"', report)) == {
        "HyperliquidVenueAutoDeleveraging"
    }


def test_the_report_names_the_panels_a_node_hour_has_no_data_for(report: str) -> None:
    named = re.findall(r'<li data-panel="([^"]+)">', report)
    assert named == list(NOT_IN_A_NODE_HOUR)
    panels = re.search(r"data-panels='([^']+)'", report)
    assert panels
    assert "liquidations" in panels.group(1)
    # The liquidations panel has points (not an empty axis).
    counts = dict(re.findall(r"&quot;(\w+)&quot;: (\d+)", panels.group(1)))
    assert int(counts["liquidations"]) > 0
    assert "Onset: 2025-10-10 21:16:00 UTC" in report
