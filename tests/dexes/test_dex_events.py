"""Auto-deleveraging on a builder-dex coin is counted like the first dex's: from 0, by `dex:COIN`."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.replay.test_exporter_signatures import ExporterOnReplay

LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"


async def test_adl_on_a_builder_dex_coin_counts_from_zero(tmp_path: Path) -> None:
    scenario = tmp_path / "hip3-adl.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "name": "hip3-adl",
                "market": {
                    "baseline": True,
                    "dexes": [
                        {"name": "xyz", "coins": [{"name": "TSLA", "price": 430, "open_interest": 5000}]}
                    ],
                },
                "events": [
                    {
                        "at": 30,
                        "kind": "fills",
                        "account": LIQUIDATOR,
                        "coins": ["xyz:TSLA"],
                        "count": 3,
                        "method": "adl",
                    }
                ],
            }
        )
    )
    run = ExporterOnReplay(str(scenario))
    await run.observe(5)  # the dexes poller runs after the fills poller: its coins count from the next poll
    before = await run.observe(10)
    assert before.value("hyperliquid_auto_deleverages_total", coin="xyz:TSLA") == 0
    assert before.value("hyperliquid_auto_deleverages_total", coin="BTC") == 0
    after = await run.observe(60)
    assert after.value("hyperliquid_auto_deleverages_total", coin="xyz:TSLA") == 3
    assert after.value("hyperliquid_auto_deleverages_total", coin="BTC") == 0
