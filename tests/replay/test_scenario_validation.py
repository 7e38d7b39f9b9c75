"""Bad scenarios fail to load with an error that names the file and the offending key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exporter.replay.scenario import ScenarioError, load_scenario, parse_scenario
from exporter.replay.timeline import Timeline

WATCHED = {"address": "0x5eed000000000000000000000000000000000001", "name": "w", "deposits": 1000.0}


def compile_scenario(data: dict[str, Any]) -> Timeline:
    return Timeline(parse_scenario({"name": "bad", **data}, "bad.yaml"))


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"speed": 2}, "speed: Extra inputs are not permitted"),
        ({"market": {"coins": [{"name": "BTC", "price": "95000"}]}}, "market.coins.0.price"),
        ({"market": {"coins": [{"name": "BTC", "price": -1.0}]}}, "market.coins.0.price"),
        ({"accounts": [{**WATCHED, "address": "0x123"}]}, "accounts.0.address"),
        (
            {"hlp": {"pnl": [[10, 1.0], [5, 2.0]]}},
            "hlp.pnl: Value error, path points must be in increasing time",
        ),
        ({"hlp": {"pnl": [[10, 1.0, 3.0]]}}, "hlp.pnl.0"),
        (
            {
                "events": [
                    {
                        "kind": "ramp",
                        "at": 1,
                        "coins": ["BTC"],
                        "quantity": "price",
                        "to": 1.0,
                        "by_ratio": 2.0,
                    }
                ]
            },
            "events.0.ramp: Value error, give exactly one of `to` and `by_ratio`",
        ),
        (
            {"events": [{"kind": "ramp", "at": 1, "coins": ["BTC"], "quantity": "colour", "to": 1.0}]},
            "events.0.ramp.quantity",
        ),
        ({"events": [{"kind": "explode", "at": 1}]}, "events.0: Input tag 'explode'"),
        ({"events": [{"kind": "oi_cap", "at": -5, "coin": "BTC"}]}, "events.0.oi_cap.at"),
        (
            {"events": [{"kind": "market_rules", "at": 1, "coin": "BTC"}]},
            "events.0.market_rules: Value error, give `margin_mode`, `max_leverage` or both",
        ),
        (
            {"events": [{"kind": "market_rules", "at": 1, "coin": "BTC", "margin_mode": "crossish"}]},
            "events.0.market_rules.margin_mode",
        ),
    ],
)
def test_model_errors_name_the_key(data: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ScenarioError, match=r"bad\.yaml: invalid scenario") as error:
        parse_scenario({"name": "bad", **data}, "bad.yaml")
    assert complaint in str(error.value)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (
            {"events": [{"kind": "oi_cap", "at": 3, "coin": "NOPE"}]},
            "events.0 (oi_cap at 3s): unknown coin 'NOPE'",
        ),
        (
            {"events": [{"kind": "market_rules", "at": 3, "coin": "NOPE", "max_leverage": 3}]},
            "events.0 (market_rules at 3s): unknown coin 'NOPE'",
        ),
        (
            {"events": [{"kind": "transfer", "at": 3, "account": "ghost", "usd": 5.0}]},
            "events.0 (transfer at 3s): unknown account 'ghost'",
        ),
        (
            {
                "accounts": [WATCHED],
                "events": [
                    {
                        "kind": "backstop",
                        "at": 3,
                        "account": "w",
                        "liquidator": "HLP Liquidator",
                        "coin": "BTC",
                        "price": 1.0,
                    }
                ],
            },
            "w holds no BTC position",
        ),
        (
            {"market": {"coins": [{"name": "NEWCOIN"}]}},
            "market.coins.0: coin NEWCOIN is not in the baseline, so it needs a price",
        ),
        (
            {"market": {"coins": [{"name": "ETH", "price": 1.0}, {"name": "ETH", "price": 2.0}]}},
            "listed twice",
        ),
        ({"accounts": [WATCHED, {**WATCHED, "name": "other"}]}, "is used twice"),
        (
            {"events": [{"kind": "delist", "at": 3, "coin": "LOOM", "settle_price": 1.0}]},
            "LOOM is already delisted",
        ),
    ],
)
def test_compile_errors_name_the_event_or_key(data: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ScenarioError) as error:
        compile_scenario(data)
    assert complaint in str(error.value)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'no-such'.*calm"):
        load_scenario("no-such")
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(str(tmp_path / "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML"):
        load_scenario(str(broken))
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="top level must be a mapping"):
        load_scenario(str(listed))


def test_a_minimal_scenario_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "name: tiny\nmarket:\n  baseline: false\n  coins: [{name: ABC, price: 2}]\nhlp: {children: []}\n"
    )
    timeline = Timeline(load_scenario(str(path)))
    assert [coin.name for coin in timeline.market.coins] == ["ABC"]
