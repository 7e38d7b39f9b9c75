"""The node collector over generated node files in the exact format (and the real ADL block line):
venue-wide counts from each event's own side, restarts with and without a saved position, a stalled
node, the top liquidated accounts, and the node's clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exporter.config import load_config
from exporter.exposition import render_families
from exporter.node.config import NodeStream
from exporter.replay.node_files import NodeFileWriter, block_line
from tests.node.support import (
    BLOCK_TIME,
    HLP_LIQUIDATOR,
    fill,
    fixture_event,
    fixture_line,
    poller,
    samples,
    value,
)

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20
CAROL = "0x" + "c3" * 20
MAKER = "0x" + "d4" * 20
ZERO_HASH = "0x" + "0" * 64


def _hour_file(data_dir: Path) -> Path:
    return data_dir / "node_fills_by_block" / "hourly" / "20251010" / "21"


def _start(data_dir: Path) -> NodeFileWriter:
    """A node that has begun its hour file (empty so far)."""
    writer = NodeFileWriter(data_dir)
    _hour_file(data_dir).parent.mkdir(parents=True, exist_ok=True)
    _hour_file(data_dir).touch()
    return writer


def test_the_real_adl_block_counts_one_venue_adl_from_the_deleveraged_side(tmp_path: Path) -> None:
    _start(tmp_path)
    node = poller(tmp_path)
    line = json.dumps(fixture_line()).encode() + b"\n"
    with _hour_file(tmp_path).open("ab") as handle:
        handle.write(line)
    found = samples(node)
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 1
    assert value(
        found, "hyperliquid_venue_auto_deleveraged_notional_usd_total", coin="AVAX"
    ) == pytest.approx(22.075 * 28.53)
    # The deleveraged side names the HLP liquidator as the underwater account: no liquidation counted.
    assert value(found, "hyperliquid_venue_liquidations_total", coin="AVAX", method="backstop") == 0
    assert value(found, "hyperliquid_node_block_height") == 758800641
    assert value(found, "hyperliquid_node_block_time_seconds") == pytest.approx(BLOCK_TIME)
    assert value(found, "hyperliquid_node_fills_total") == 1


def test_a_new_coin_is_published_at_zero_before_its_first_events_count(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path, listed=("BTC",))
    writer.write_block(1, BLOCK_TIME, [fixture_event()])
    first = samples(node)
    assert value(first, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 0
    second = samples(node)
    assert value(second, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 1


def test_a_new_coins_events_wait_until_its_zero_has_been_on_metrics_for_the_hold(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    now = [BLOCK_TIME]
    node = poller(tmp_path, clock=lambda: now[0], listed=("BTC",), new_series_hold_seconds=30.0)
    writer.write_block(1, BLOCK_TIME, [fixture_event()])
    # Polled every half second, faster than Prometheus scrapes: the 0 must stay out long enough.
    for _ in range(10):
        now[0] += 0.5
        assert value(samples(node), "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 0
    now[0] += 30.0
    samples(node)  # this render is the last at 0: the held increments apply from the next one
    now[0] += 0.5
    assert value(samples(node), "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 1
    # A listed coin is on /metrics from the start: once its hold has passed, its events count at once.
    writer.write_block(
        2,
        BLOCK_TIME + 1,
        [("0x" + "a1" * 20, fill(coin="BTC", direction="Auto-Deleveraging", liquidated_user=HLP_LIQUIDATOR))],
    )
    assert value(samples(node), "hyperliquid_venue_auto_deleverages_total", coin="BTC") == 1


def test_builder_dex_coins_are_on_metrics_from_the_start(tmp_path: Path) -> None:
    node = poller(tmp_path)
    node._context.dex_coins.publish(["xyz:TSLA"])
    found = samples(node)
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="xyz:TSLA") == 0


def test_each_liquidation_counts_once_from_the_liquidated_accounts_own_side(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path)
    liquidation_hash = "0x" + "11" * 32
    events = [
        # Alice's market liquidation crosses two makers: two fills of hers, one hash: one liquidation.
        (
            ALICE,
            fill(tid=10, sz="2.0", hash_=liquidation_hash, direction="Close Long", liquidated_user=ALICE),
        ),
        (
            ALICE,
            fill(tid=11, sz="3.0", hash_=liquidation_hash, direction="Close Long", liquidated_user=ALICE),
        ),
        # The makers' side names Alice: the other side of the same liquidation, not counted again.
        (MAKER, fill(tid=10, sz="2.0", hash_=liquidation_hash, direction="Open Long", liquidated_user=ALICE)),
        (MAKER, fill(tid=11, sz="3.0", hash_=liquidation_hash, direction="Open Long", liquidated_user=ALICE)),
        # Bob's position taken over by the backstop: his own side counts, the liquidator's does not.
        (
            BOB,
            fill(
                tid=12,
                hash_="0x" + "22" * 32,
                direction="Liquidated Cross Long",
                liquidated_user=BOB,
                method="backstop",
            ),
        ),
        (
            HLP_LIQUIDATOR,
            fill(
                tid=12, hash_="0x" + "22" * 32, direction="Open Long", liquidated_user=BOB, method="backstop"
            ),
        ),
        # An HLP liquidator's own inventory closed by ADL: counted from the deleveraged side only.
        (
            HLP_LIQUIDATOR,
            fill(
                tid=13, direction="Liquidated Cross Long", liquidated_user=HLP_LIQUIDATOR, method="backstop"
            ),
        ),
        (
            CAROL,
            fill(tid=13, direction="Auto-Deleveraging", liquidated_user=HLP_LIQUIDATOR, method="backstop"),
        ),
        # All-zero hashes identify nothing: each such fill is its own liquidation.
        (CAROL, fill(tid=14, hash_=ZERO_HASH, direction="Close Short", liquidated_user=CAROL)),
        (CAROL, fill(tid=15, hash_=ZERO_HASH, direction="Close Short", liquidated_user=CAROL)),
        # Ordinary fills count nowhere.
        (MAKER, fill(tid=16)),
    ]
    writer.write_block(2, BLOCK_TIME + 0.1, events)
    found = samples(node)
    assert value(found, "hyperliquid_venue_liquidations_total", coin="BTC", method="market") == 3
    assert value(found, "hyperliquid_venue_liquidated_notional_usd_total", coin="BTC", method="market") == 700
    assert value(found, "hyperliquid_venue_liquidations_total", coin="BTC", method="backstop") == 1
    assert (
        value(found, "hyperliquid_venue_liquidated_notional_usd_total", coin="BTC", method="backstop") == 100
    )
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="BTC") == 1
    assert value(found, "hyperliquid_venue_auto_deleveraged_notional_usd_total", coin="BTC") == 100
    assert value(found, "hyperliquid_node_fills_total") == 11


def test_the_largest_liquidated_accounts_get_a_series_and_the_rest_are_summed(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path, top_accounts=2)
    amounts = {ALICE: "5.0", BOB: "3.0", CAROL: "1.0", MAKER: "0.5"}
    events = [
        (account, fill(tid=k, sz=size, hash_=f"0x{k:064x}", liquidated_user=account))
        for k, (account, size) in enumerate(amounts.items(), start=1)
    ]
    writer.write_block(1, BLOCK_TIME, events)
    found = samples(node)
    top = {
        dict(labels)["account"]: sample
        for (name, labels), sample in found.items()
        if name == "hyperliquid_venue_liquidated_account_notional_usd"
    }
    assert top == {ALICE: 500, BOB: 300, "other": 150}


def test_liquidations_leave_the_top_accounts_window_by_chain_time(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path, top_accounts=5, top_accounts_window_seconds=600)
    start_ms = 1760130964831
    writer.write_block(1, BLOCK_TIME, [(ALICE, fill(tid=1, liquidated_user=ALICE, time_ms=start_ms))])
    later = [(BOB, fill(tid=2, hash_="0x" + "33" * 32, liquidated_user=BOB, time_ms=start_ms + 1_800_000))]
    writer.write_block(2, BLOCK_TIME + 1800, later)
    found = samples(node)
    accounts = {dict(labels)["account"] for (name, labels) in found if name.endswith("account_notional_usd")}
    assert accounts == {BOB, "other"}


def test_a_restart_with_a_saved_position_counts_what_was_written_meanwhile_once(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    state = tmp_path / "state" / "node-position.json"
    state.parent.mkdir()
    first = poller(tmp_path, state_file=state)
    writer.write_block(1, BLOCK_TIME, [fixture_event()])
    first.poll_now()
    first.close()
    # While the exporter is down the node writes two more ADL blocks.
    user, adl = fixture_event()
    writer.write_block(2, BLOCK_TIME + 1, [(user, {**adl, "tid": 2})])
    writer.write_block(3, BLOCK_TIME + 2, [(user, {**adl, "tid": 3})])
    second = poller(tmp_path, state_file=state)
    found = samples(second)
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 2
    assert value(found, "hyperliquid_node_block_height") == 3


def test_a_position_that_cannot_be_saved_is_counted_and_reading_goes_on(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path, state_file=tmp_path / "no-such-directory" / "position.json")
    writer.write_block(1, BLOCK_TIME, [fixture_event()])
    found = samples(node)
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 1
    assert value(found, "hyperliquid_node_file_events_total", event="position_not_saved") >= 1


def test_a_file_rewritten_from_its_start_never_counts_a_block_twice(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path)
    user, adl = fixture_event()
    writer.write_block(1, BLOCK_TIME, [(user, {**adl, "tid": 1})])
    samples(node)
    writer.write_block(2, BLOCK_TIME + 1, [(user, {**adl, "tid": 2})])
    assert value(samples(node), "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 2
    # The node's file is rewritten from scratch, holding block 2 again and a new block 3.
    lines = [block_line(2, BLOCK_TIME + 1, [(user, {**adl, "tid": 2})])]
    lines.append(block_line(3, BLOCK_TIME + 2, [(user, {**adl, "tid": 3})]))
    _hour_file(tmp_path).write_bytes(b"".join(lines)[:10])  # truncated first...
    samples(node)
    _hour_file(tmp_path).write_bytes(b"".join(lines))  # ...then written whole
    found = samples(node)
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 3
    assert value(found, "hyperliquid_node_file_events_total", event="duplicate_block") == 1
    assert value(found, "hyperliquid_node_file_events_total", event="truncated") == 1


def test_without_a_saved_position_a_restart_starts_at_the_newest_block(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    writer.write_block(1, BLOCK_TIME, [fixture_event()])
    node = poller(tmp_path)
    found = samples(node)
    assert ("hyperliquid_node_block_height", ()) not in found
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 0
    assert value(found, "hyperliquid_node_fills_total") == 0


def test_a_stalled_node_keeps_its_block_time_while_the_lag_grows(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    now = [BLOCK_TIME + 0.5]
    node = poller(tmp_path, clock=lambda: now[0])
    writer.write_block(7, BLOCK_TIME, [])
    found = samples(node)
    assert value(found, "hyperliquid_node_lag_seconds") == pytest.approx(0.5, abs=1e-3)
    now[0] += 120
    found = samples(node)
    assert value(found, "hyperliquid_node_block_time_seconds") == pytest.approx(BLOCK_TIME)
    assert value(found, "hyperliquid_node_block_height") == 7
    assert value(found, "hyperliquid_node_lag_seconds") == pytest.approx(120.5, abs=1e-3)


def test_malformed_lines_and_fills_are_counted_and_skipped(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path)
    user, adl = fixture_event()
    broken = {**adl, "px": "not-a-price", "tid": 5}
    writer.write_raw(BLOCK_TIME, b"{not json\n")
    writer.write_block(1, BLOCK_TIME, [(user, broken), (user, {**adl, "tid": 6})])
    writer.write_raw(BLOCK_TIME, b'{"block_number":2,"block_time":"2025-10-10T21:16:05.0","events":[7]}\n')
    found = samples(node)
    assert value(found, "hyperliquid_node_file_events_total", event="malformed_line") == 1
    assert value(found, "hyperliquid_node_file_events_total", event="malformed_event") == 1
    assert value(found, "hyperliquid_node_file_events_total", event="malformed_fill") == 1
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 1


def test_plain_node_fills_lines_are_read_as_user_fill_pairs(tmp_path: Path) -> None:
    writer = NodeFileWriter(tmp_path, NodeStream.FILLS)
    hour = tmp_path / "node_fills" / "hourly" / "20251010" / "21"
    hour.parent.mkdir(parents=True)
    hour.touch()
    node = poller(tmp_path)
    writer.write_block(0, BLOCK_TIME, [fixture_event()])
    found = samples(node)
    assert value(found, "hyperliquid_venue_auto_deleverages_total", coin="AVAX") == 1
    assert value(found, "hyperliquid_node_block_time_seconds") == pytest.approx(1760130964.831)
    assert ("hyperliquid_node_block_height", ()) not in found


def test_a_missing_data_directory_is_a_successful_poll_with_zero_counts(tmp_path: Path) -> None:
    node = poller(tmp_path / "not-there-yet")
    found = samples(node)
    assert value(found, "hyperliquid_node_fills_total") == 0
    assert value(found, "hyperliquid_venue_liquidated_account_notional_usd", account="other") == 0


async def test_a_poll_runs_off_the_event_loop_and_renders_counters(tmp_path: Path) -> None:
    writer = _start(tmp_path)
    node = poller(tmp_path)
    writer.write_block(1, BLOCK_TIME, [fixture_event()])
    rendered = render_families(await node.poll())
    family = rendered["hyperliquid_venue_auto_deleverages_total"]
    assert b"# TYPE hyperliquid_venue_auto_deleverages_total counter" in family.header
    assert b'hyperliquid_venue_auto_deleverages_total{coin="AVAX"} 1.0' in family.samples


def test_node_mode_is_off_unless_a_data_directory_is_configured(tmp_path: Path) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text("node:\n  data_dir: ${HL_NODE_DATA_DIR:-}\n")
    assert not load_config(config_file, environ={}).node.enabled
    node = load_config(config_file, environ={"HL_NODE_DATA_DIR": str(tmp_path)}).node
    assert node.enabled
    assert node.data_dir == tmp_path
