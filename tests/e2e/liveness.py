"""Is the venue halted or is its API failing? The whole stack in real time (streams on, shipped timers),
on the simulator's venue faults: each situation reaches chat as one critical alert within its deadline,
nothing it explains pages beside it, and it resolves once the venue recovers (the test:
tests/e2e/test_scenarios.py, whose compressed scenarios these real-time stacks run beside).

- `chain-freeze` (the chain's clock stops at 120 s): `HyperliquidChainHalted` within 60 s.
- `api-outage-2025-07-29` (the info API fails from 300 s while the chain runs): `HyperliquidAPIDegraded`
  within 90 s, never `HyperliquidChainHalted`.
The recovery is forced with POST /_replay/venue {"fault": "none"} once the alert has been delivered.
Both cases run at the same time, each in its own stack.
Only firing messages sent from the onset on count: what the exporter's own start-up raises (a stream
still backfilling, a poll behind the start-up burst), and its resolution, is not the venue's failure.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.stack import SLACK_PATH, WEBHOOK_PATH, Stack, StackOptions, running_stack, wait_until


@dataclass(frozen=True)
class Case:
    scenario: str
    alert: str
    onset: float  # scenario second the venue fails
    within: float  # scenario seconds within which the alert must reach the chats
    start_offset: float
    never: str  # the other diagnosis, which must not fire at all


CASES = {
    "chain-freeze": Case(
        "chain-freeze", "HyperliquidChainHalted", 120.0, 60.0, 80.0, "HyperliquidAPIDegraded"
    ),
    "api-outage-2025-07-29": Case(
        "api-outage-2025-07-29", "HyperliquidAPIDegraded", 300.0, 90.0, 240.0, "HyperliquidChainHalted"
    ),
}

CHAT_ALERT_NAME = re.compile(r"\b(Hyperliquid[A-Za-z]+)\b")


def _chat_names_since(stack: Stack, wall: float) -> set[str]:
    """Alert names in the Telegram, Discord and Slack firing messages sent at or after `wall` (epoch
    seconds); a resolved message is no page."""
    monotonic_to_wall = time.time() - time.monotonic()
    texts = [item.text for item in list(stack.chat.delivered) if item.at + monotonic_to_wall >= wall]
    for request in stack.sink.received(SLACK_PATH):
        if request.received_at >= wall:
            texts += [str(a.get("title", "")) for a in request.body.get("attachments", [])]
    firing = [text for text in texts if "FIRING" in text.upper()]
    return {name for text in firing for name in CHAT_ALERT_NAME.findall(text)}


def _webhook_statuses(stack: Stack, alertname: str) -> set[str]:
    return {
        alert["status"]
        for body in stack.sink_bodies(WEBHOOK_PATH)
        for alert in body.get("alerts", [])
        if alert["labels"]["alertname"] == alertname
    }


@dataclass(frozen=True)
class Observed:
    delivered_at: float
    firing: set[str]
    firing_after: set[str]
    chats: set[str]
    chats_after: set[str]
    log_dir: Path


def observe(case: Case, workdir: Path) -> Observed:
    options = StackOptions(scenario=case.scenario, start_offset=case.start_offset, rate_limit=False)
    with running_stack(options, workdir) as stack:
        assert stack.scenario_time() < case.onset, "the stack must be up before the venue fails"
        onset_wall = stack.scenario_zero_wall + case.onset

        def in_every_chat() -> bool:
            telegram = {n for t in stack.telegram_texts() for n in CHAT_ALERT_NAME.findall(t)}
            discord = {n for t in stack.discord_texts() for n in CHAT_ALERT_NAME.findall(t)}
            return case.alert in telegram and case.alert in discord

        wait_until(in_every_chat, timeout=case.onset - case.start_offset + case.within + 60, what=case.alert)
        delivered_at = stack.scenario_time()
        firing = {alert["labels"]["alertname"] for alert in stack.firing_alerts()}
        chats = _chat_names_since(stack, onset_wall)
        stack.http.post(
            f"{stack.replay_url}/_replay/venue", json={"fault": "none"}, timeout=5
        ).raise_for_status()
        wait_until(
            lambda: "resolved" in _webhook_statuses(stack, case.alert),
            timeout=180,
            what=f"{case.alert} resolved",
        )
        firing_after = {alert["labels"]["alertname"] for alert in stack.firing_alerts()}
        chats_after = _chat_names_since(stack, onset_wall)
    return Observed(delivered_at, firing, firing_after, chats, chats_after, workdir)
