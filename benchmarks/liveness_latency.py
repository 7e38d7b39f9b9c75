"""Liveness latency: how soon a halted chain or a failing API reaches chat, and how soon the streams
recover from a hostile upstream. The venue half of the detection-latency benchmark (issue 27).

Venue faults run the whole product in real time (tests/support/stack.py: the simulator at speed 1,
the shipped poll intervals and streams, Prometheus scraping every 1 s and evaluating every 5 s,
the shipped Alertmanager routing, the relay and fake Telegram), on the scenarios `chain-freeze` (the
chain's clock stops at 120 s) and `api-outage-2025-07-29` (the info API fails from 300 s). For each it
prints, in seconds after the fault's onset: the alert's first evaluation true (`eval`), its turning
firing (`for`), Alertmanager's notification (`am`) and the Telegram message (`relay`); then, after
POST /_replay/venue {"fault": "none"}, the seconds until Alertmanager sent the resolved notification,
and whether the other diagnosis ever fired.

Stream faults run the exporter in process against the simulator (as tests/streaming do, with the
shipped stream timers: reconnect backoff from 0.5 s, pings every 50 s): seconds from a
`ws-hostile-frame` until every feed is live again, and from the exporter's start until every feed is
live with acknowledgements echoed as the live server does (`ack-rewrite`) and without.

    .venv/bin/python -m benchmarks.liveness_latency                      # everything (~8 min)
    .venv/bin/python -m benchmarks.liveness_latency --only streams       # the stream faults (~1 min)
    .venv/bin/python -m benchmarks.liveness_latency --only venue --runs 2
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.latency_downstream import alert_times, alertmanager_sent_at, chat_delivered_at
from benchmarks.latency_signals import Signal, Watch
from exporter.streaming.config import StreamingConfig
from tests.streaming.support import (
    FAST_STREAMS,
    eventually,
    exporter_config,
    live_replay,
    running_exporter,
    samples,
    total,
)
from tests.support.stack import WEBHOOK_PATH, Stack, StackOptions, running_stack, wait_until

FEEDS = ("market_contexts", "user_fills", "account_state")
# The shipped values of the timers tests/streaming shortens.
SHIPPED_TIMERS = {key: getattr(StreamingConfig(), key) for key in FAST_STREAMS}


@dataclass(frozen=True)
class VenueCase:
    scenario: str
    alertname: str
    for_seconds: float
    onset: float  # scenario seconds
    other: str  # the other diagnosis: must never fire
    goal_seconds: float


VENUE_CASES = (
    VenueCase("chain-freeze", "HyperliquidChainHalted", 10.0, 120.0, "HyperliquidAPIDegraded", 60.0),
    VenueCase("api-outage-2025-07-29", "HyperliquidAPIDegraded", 30.0, 300.0, "HyperliquidChainHalted", 90.0),
)
LEAD_IN_SECONDS = 45.0  # the stack starts this many scenario seconds (plus a random phase) before the onset


def _never(_: object) -> bool:
    return False


def _watch(case: VenueCase) -> Watch:
    return Watch(case.alertname, "critical", None, case.for_seconds, Signal(_never, (), frozenset()))


def _resolved_at(stack: Stack, alertname: str) -> float | None:
    for request in stack.sink.received(WEBHOOK_PATH):
        for alert in request.body.get("alerts", []):
            if alert["labels"].get("alertname") == alertname and alert["status"] == "resolved":
                return request.received_at
    return None


def _ever_fired(stack: Stack, alertname: str, seconds: float) -> bool:
    response = httpx.get(
        f"{stack.prometheus_url}/api/v1/query",
        params={"query": f'ALERTS{{alertname="{alertname}"}}[{int(seconds) + 1}s]'},
        timeout=30,
    )
    response.raise_for_status()
    return bool(response.json()["data"]["result"])


def run_venue(case: VenueCase, phase: float, workdir: Path) -> dict[str, float | bool | None]:
    options = StackOptions(
        scenario=case.scenario, start_offset=case.onset - LEAD_IN_SECONDS - phase, rate_limit=False
    )
    watch = _watch(case)
    with running_stack(options, workdir) as stack:
        onset_wall = stack.scenario_zero_wall + case.onset
        wait_until(
            lambda: chat_delivered_at(stack, watch),
            timeout=LEAD_IN_SECONDS + phase + 180,
            what=case.alertname,
        )
        elapsed = time.time() - stack.started_at + 5
        times = alert_times(stack, watch, elapsed)
        stages = {
            "eval": times.active_at,
            "for": times.firing_at,
            "am": alertmanager_sent_at(stack, watch),
            "relay": chat_delivered_at(stack, watch),
        }
        recovered_wall = time.time()
        httpx.post(f"{stack.replay_url}/_replay/venue", json={"fault": "none"}, timeout=5).raise_for_status()
        wait_until(
            lambda: _resolved_at(stack, case.alertname), timeout=240, what=f"{case.alertname} resolved"
        )
        resolved = _resolved_at(stack, case.alertname)
        other = _ever_fired(stack, case.other, time.time() - stack.started_at + 5)
    out: dict[str, float | bool | None] = {
        name: None if at is None else at - onset_wall for name, at in stages.items()
    }
    out["resolved_after_recovery"] = None if resolved is None else resolved - recovered_wall
    out["other_fired"] = other
    return out


async def _all_live_within(exporter: object, limit: float) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < limit:
        observed = samples(exporter)  # type: ignore[arg-type]
        if all(total(observed, "hyperliquid_stream_up", feed=feed) == 1 for feed in FEEDS):
            return loop.time() - started
        await asyncio.sleep(0.05)
    return float("inf")


async def hostile_frame_recovery() -> float:
    async with live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (_, url):
        config = exporter_config(url, SHIPPED_TIMERS, market={"enabled": True, "interval_seconds": 1.0})
        async with running_exporter(config) as exporter:
            await _all_live_within(exporter, 30)
            streaming = exporter.streaming
            assert streaming is not None
            failures = streaming.stats.connection("users").failures
            async with httpx.AsyncClient(base_url=url) as admin:
                (await admin.post("/_replay/ws", json={"fault": "ws-hostile-frame"})).raise_for_status()
            await eventually(lambda: failures["RecursionError"] >= 1, within=10, step=0.01)
            return await _all_live_within(exporter, 30)


async def time_to_live(rewrite_acks: bool) -> float:
    async with live_replay("calm", start_offset=0.0, speed=1.0) as (state, url):
        state.ws.rewrite_acks = rewrite_acks
        config = exporter_config(url, SHIPPED_TIMERS, market={"enabled": True, "interval_seconds": 1.0})
        async with running_exporter(config) as exporter:
            return await _all_live_within(exporter, 60)


def _fmt(value: float | bool | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", choices=("venue", "streams"), help="one half (default: both)")
    parser.add_argument("--runs", type=int, default=1, help="runs per venue case and stream fault")
    parser.add_argument("--seed", type=int, default=1, help="seed of the runs' random phases")
    parser.add_argument("--workdir", type=Path, help="keep the stacks' logs here")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    if args.only in (None, "streams"):
        hostile = [asyncio.run(hostile_frame_recovery()) for _ in range(args.runs)]
        plain = [asyncio.run(time_to_live(False)) for _ in range(args.runs)]
        rewritten = [asyncio.run(time_to_live(True)) for _ in range(args.runs)]
        print("stream faults (seconds; median of runs)")
        print(f"  every feed live again after ws-hostile-frame: {statistics.median(hostile):.2f} (goal 10)")
        print(f"  every feed live from start, acks as sent:     {statistics.median(plain):.2f}")
        print(f"  every feed live from start, acks rewritten:   {statistics.median(rewritten):.2f}")
    if args.only in (None, "venue"):
        root = args.workdir or Path(tempfile.mkdtemp(prefix="liveness-latency-"))
        stages = " ".join(f"{name:>6}" for name in ("eval", "for", "am", "relay"))
        header = f"{'scenario':24} {'alert':24} run {stages} goal  resolved other"
        print("venue faults (seconds after the onset; resolved: after the recovery)")
        print(header)
        for case in VENUE_CASES:
            for run in range(args.runs):
                phase = rng.uniform(0, 10)
                result = run_venue(case, phase, root / f"{case.scenario}-{run}")
                relay = result["relay"]
                met = isinstance(relay, float) and relay <= case.goal_seconds
                print(
                    f"{case.scenario:24} {case.alertname:24} {run:>3} "
                    + " ".join(f"{_fmt(result[s]):>6}" for s in ("eval", "for", "am", "relay"))
                    + f" {'met' if met else 'MISS':>4} {_fmt(result['resolved_after_recovery']):>8}"
                    + f" {_fmt(result['other_fired']):>5}"
                )
        print(f"logs: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
