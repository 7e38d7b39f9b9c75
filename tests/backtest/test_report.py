"""`hyperliquid-backtest` end to end on the cascade's first two minutes (real simulator, exporter and
Prometheus at speed 10), under the shipped rules and under a proposal without the ADL alert (two
Prometheus servers on one run); the report opened in headless Chromium. A recorded range is read
back from a running Prometheus.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from exporter.backtest.cli import main
from exporter.backtest.stack import ScenarioRun, running_scenario
from exporter.backtest.timescale import rule_files
from tests.backtest.browser import rendered_dom, screenshot

REPO = Path(__file__).resolve().parents[2]
SCENARIO = "cascade-2025-10-10"
# Onset at 30 s: the HLP backstops start within seconds, the first ADL at 94 s.
WINDOW = ["--from=0", "--to=150", "--speed=10", "--warmup=6"]
EXPECTED = {"HyperliquidHLPBackstopTakeover", "HyperliquidAutoDeleveraging"}
PANELS = ["prices", "open_interest", "funding", "hlp", "liquidations"]
DROPPED = "HyperliquidAutoDeleveraging"


def _proposal(directory: Path) -> Path:
    """The shipped rules without the ADL alert: a rule set that must differ in firing."""
    directory.mkdir()
    for path in rule_files([REPO / "rules"]):
        document = yaml.safe_load(path.read_text())
        for group in document["groups"]:
            group["rules"] = [rule for rule in group["rules"] if rule.get("alert") != DROPPED]
        (directory / path.name).write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


@dataclass(frozen=True)
class Report:
    path: Path
    html: str
    dom: str
    seconds: float


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = tmp_path_factory.mktemp("backtest")
    output = root / "report.html"
    began = time.monotonic()
    code = main(
        [
            f"--scenario={SCENARIO}",
            *WINDOW,
            f"--rules={REPO / 'rules'}",
            f"--compare-rules={_proposal(root / 'proposal')}",
            f"--output={output}",
            f"--workdir={root / 'work'}",
        ]
    )
    seconds = time.monotonic() - began
    print(f"hyperliquid-backtest, two rule sets on one run over t=0-150 s: {seconds:.1f} s")
    assert code == 0
    html = output.read_text()
    return Report(output, html, rendered_dom(output), seconds)


def _columns(dom: str) -> list[str]:
    parts = dom.split('<div class="column"')[1:]
    assert len(parts) == 2
    return parts


def test_the_report_needs_no_network(compared: Report) -> None:
    assert "<script src" not in compared.html
    # Outside the inlined plotly.js (whose strings name its web site).
    markup = re.sub(r"<script\b.*?</script>", "", compared.html, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?://""", markup)
    assert "Plotly.newPlot" in compared.html


def test_each_panel_is_drawn_with_data_in_the_browser(compared: Report) -> None:
    for column in _columns(compared.dom):
        subplots = column.split('<g class="subplot ')[1:]
        # The alerts row, then the panels in order.
        assert len(subplots) == 1 + len(PANELS)
        for key, subplot in zip(PANELS, subplots[1:], strict=True):
            lines = re.findall(r'class="js-line" d="M[^"]*L', subplot)
            assert lines, f"panel {key} drew no line"
        assert re.findall(r'class="js-line" d="M[^"]*L', subplots[0]), "no alert interval drawn"


def test_each_expected_alert_has_a_row_in_the_table(compared: Report) -> None:
    shipped, proposal = _columns(compared.dom)
    for name in EXPECTED:
        section = re.search(rf'data-alert="{name}"[^>]*>(.*?)</section>', shipped, re.S)
        assert section, f"{name} missing from the table"
        # A row: labels, first firing, from onset, duration, value.
        assert re.search(r"<td>[^<]*</td><td>t=\d+ s</td><td>-?[\d ]+(min )?[\d]* ?s</td>", section.group(1))
    # From the onset (30 s): the first firing's scenario time less 30 s.
    # (each rounded to the second on its own: one second apart at most)
    pairs = re.findall(r"<td>t=(\d+) s</td><td>(-?\d+) s</td>", shipped)
    assert pairs
    for first, from_onset in pairs:
        assert abs(int(first) - 30 - int(from_onset)) <= 1, (first, from_onset)
    assert f'data-alert="{DROPPED}"' not in proposal
    assert 'data-alert="HyperliquidHLPBackstopTakeover"' in proposal


def test_the_differences_list_the_alert_only_one_rule_set_fires(compared: Report) -> None:
    table = re.search(r'<table class="differences">(.*?)</table>', compared.dom, re.S)
    assert table
    rows = re.findall(r'<tr data-alert="([^"]+)"><td>([^<]+)</td>', table.group(1))
    assert (DROPPED, "only in A") in rows
    assert all(name == DROPPED or what != "only in A" for name, what in rows), rows
    # Alerts defined alike in both sets that fired differently are timing, listed apart.
    timing = re.search(r'<table class="timing-differences">(.*?)</table>', compared.dom, re.S)
    assert timing is None or f'data-alert="{DROPPED}"' not in timing.group(1)


def test_a_screenshot_is_taken(compared: Report) -> None:
    image = screenshot(compared.path, compared.path.with_suffix(".png"))
    data = image.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1600, 2400)
    assert len(data) > 50_000  # plots, not a blank page


def test_a_recorded_range_is_read_from_its_prometheus(tmp_path: Path) -> None:
    run = ScenarioRun(SCENARIO, (tuple(rule_files([REPO / "rules"])),), speed=10, start_offset=-60)
    with running_scenario(run, tmp_path / "work") as running:
        running.wait_for_scenario_time(150)
        output = tmp_path / "recorded.html"
        code = main(
            [
                f"--prometheus={running.prometheus_urls[0]}",
                f"--from={running.wall_time(0)}",
                f"--to={running.wall_time(150)}",
                f"--onset={running.wall_time(30)}",
                "--step=0.5",
                f"--output={output}",
            ]
        )
    assert code == 0
    html = output.read_text()
    for name in EXPECTED:
        assert f'data-alert="{name}"' in html
    assert "time (UTC)" in html


def test_rules_are_refused_for_a_recorded_range(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--prometheus=http://127.0.0.1:9", "--from=0", "--to=1", "--rules=rules"])
    assert code == 2
    assert "recorded range" in capsys.readouterr().err
