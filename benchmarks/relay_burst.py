"""Burst benchmark of the alert relay (issue 8), beside Alertmanager's native Telegram and Discord notifiers.

A burst of alerts (500 in 50 groups by default) is posted to the real Alertmanager 0.25 in one request, as
Prometheus would. Alertmanager routes it either to the relay (webhook_configs, bearer auth) or to its own
telegram_configs and discord_configs. Both paths deliver to the same loopback fakes of the Telegram and
Discord APIs, which enforce the platforms' published limits (Telegram 1 message/s per chat and 20/min per
group; Discord webhooks 5 per 2 s and 30/min), answer 429 with retry_after when they are exceeded, and inject
an extra 429 every Nth request. Printed per path and platform: alerts delivered, lost (never delivered by
the deadline), duplicated (delivered more than once), messages, 429s received, and the time from the burst
to the last delivery against the theoretical minimum under those limits.

    .venv/bin/python -m benchmarks.relay_burst            # 500 alerts / 50 groups (about 13 minutes)
    .venv/bin/python -m benchmarks.relay_burst --smoke    # 20 alerts / 4 groups (about 40 seconds)
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.relay.fake_chat import DISCORD_LIMITS, TELEGRAM_LIMITS, FakeChatAPI, Window, fake_chat_api
from tests.relay.stack import (
    alertmanager_process,
    native_receiver,
    post_alerts,
    relay_process,
    relay_receiver,
    write_alertmanager_config,
    write_relay_config,
)

PLATFORMS = ("telegram", "discord")
ALERT_ID = re.compile(r"burst-(\d+)-of-g(\d+)")
GROUP_WAIT_SECONDS = 2


@dataclass(frozen=True)
class Outcome:
    path: str
    platform: str
    alerts: int
    delivered: int
    lost: int
    duplicated: int
    messages: int
    rate_limited: int
    refused: int
    seconds: float | None
    minimum_seconds: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="20 alerts in 4 groups, for CI")
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument(
        "--inject-429-every", type=int, default=25, help="extra 429 every Nth request (0: none)"
    )
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds to wait for each path")
    parser.add_argument("--group-interval", default="30s", help="Alertmanager group_interval for both paths")
    args = parser.parse_args(argv)
    if args.smoke:
        args.alerts, args.groups, args.deadline, args.inject_429_every = 20, 4, 120.0, 5
    if args.alerts % args.groups:
        parser.error("--alerts must be a multiple of --groups")
    return args


def burst(alerts: int, groups: int) -> list[dict[str, Any]]:
    """Alerts that start now, so Alertmanager waits group_wait before the first notification."""
    per_group = alerts // groups
    starts_at = datetime.now(UTC).isoformat()
    return [
        {
            "startsAt": starts_at,
            "labels": {
                "alertname": "HyperliquidAccountNearLiquidation",
                "severity": "critical",
                "collector": "accounts",
                "group": f"g{group:03d}",
                "account": f"0x{group:04x}{index:036x}",
            },
            "annotations": {
                "summary": f"burst-{group * per_group + index}-of-g{group}",
                "description": "Position 2.1% from its liquidation price; mark falling 4%/5m.",
                "runbook_url": "https://github.com/hyperliquid-exporter/hyperliquid-exporter/blob/main/RUNBOOK.md"
                "#hyperliquidaccountnearliquidation",
                "dashboard_path": "/d/hl-liquidations/hyperliquid-liquidations",
            },
        }
        for group in range(groups)
        for index in range(per_group)
    ]


def minimum_seconds(messages: int, windows: tuple[Window, ...]) -> float:
    """Earliest time the last of `messages` sends can happen when every window is respected."""
    sent: list[float] = []
    for _ in range(messages):
        at = sent[-1] if sent else 0.0
        for window in windows:
            if len(sent) >= window.messages:
                at = max(at, sent[-window.messages] + window.seconds)
        sent.append(at)
    return (sent[-1] if sent else 0.0) + GROUP_WAIT_SECONDS


@contextlib.contextmanager
def relay_path(workdir: Path, fake: FakeChatAPI) -> Iterator[dict[str, Any]]:
    # The relay with its defaults: published pacing, 3 messages at most per notification.
    config = write_relay_config(
        workdir / "config.yaml",
        fake.url,
        workdir / "queue.sqlite3",
        {
            "retry": {
                "attempts": 4,
                "initial_backoff_seconds": 1.0,
                "max_backoff_seconds": 30.0,
                "hold_seconds": 30,
            },
            "telegram": {"pacing": [w.model_dump() for w in _default_pacing("telegram")]},
            "discord": {"pacing": [w.model_dump() for w in _default_pacing("discord")]},
        },
    )
    with relay_process(config, workdir / "relay.log") as (_, url):
        yield relay_receiver(url)


def _default_pacing(channel: str) -> tuple[Any, ...]:
    from exporter.relay.config import DISCORD_DEFAULT_PACING, TELEGRAM_DEFAULT_PACING

    return TELEGRAM_DEFAULT_PACING if channel == "telegram" else DISCORD_DEFAULT_PACING


@contextlib.contextmanager
def native_path(workdir: Path, fake: FakeChatAPI) -> Iterator[dict[str, Any]]:
    yield native_receiver(fake.url)


def run_path(name: str, args: argparse.Namespace) -> list[Outcome]:
    alerts = burst(args.alerts, args.groups)
    with tempfile.TemporaryDirectory(prefix=f"relay-burst-{name}-") as tmp, fake_chat_api() as fake:
        workdir = Path(tmp)
        fake.behaviour.enforce_limits = True
        fake.behaviour.inject_429_every = args.inject_429_every
        fake.behaviour.injected_retry_after = 1.0
        receiver_context = relay_path if name == "relay" else native_path
        with receiver_context(workdir, fake) as receiver:
            am_config = write_alertmanager_config(
                workdir / "alertmanager.yml",
                receiver,
                ["group"],
                group_wait=f"{GROUP_WAIT_SECONDS}s",
                group_interval=args.group_interval,
            )
            with alertmanager_process(am_config, workdir) as am_url:
                started = time.monotonic()
                post_alerts(am_url, alerts)
                finished = _wait_for_all(fake, args.alerts, started + args.deadline)
                time.sleep(3.0)  # late duplicates, if any, still count
        return [
            _outcome(name, platform, fake, args, started, finished.get(platform)) for platform in PLATFORMS
        ]


def _alert_ids(fake: FakeChatAPI, platform: str) -> list[int]:
    return [int(m.group(1)) for text in fake.texts(platform) for m in ALERT_ID.finditer(text)]


def _wait_for_all(fake: FakeChatAPI, alerts: int, deadline: float) -> dict[str, float]:
    finished: dict[str, float] = {}
    while time.monotonic() < deadline and len(finished) < len(PLATFORMS):
        for platform in PLATFORMS:
            if platform not in finished and len(set(_alert_ids(fake, platform))) >= alerts:
                finished[platform] = time.monotonic()
        time.sleep(0.1)
    return finished


def _outcome(
    path: str,
    platform: str,
    fake: FakeChatAPI,
    args: argparse.Namespace,
    started: float,
    finished: float | None,
) -> Outcome:
    ids = _alert_ids(fake, platform)
    counts = collections.Counter(ids)
    messages = fake.count(platform)
    limits = TELEGRAM_LIMITS if platform == "telegram" else DISCORD_LIMITS
    return Outcome(
        path=path,
        platform=platform,
        alerts=args.alerts,
        delivered=len(counts),
        lost=args.alerts - len(counts),
        duplicated=sum(count - 1 for count in counts.values()),
        messages=messages,
        rate_limited=fake.answers[(platform, "429")],
        refused=fake.answers[(platform, "400")],
        seconds=None if finished is None else finished - started,
        minimum_seconds=minimum_seconds(max(messages, args.groups), limits),
    )


def print_table(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    print(
        f"burst: {args.alerts} alerts in {args.groups} groups; fakes enforce Telegram 1/s + 20/min per group "
        f"chat, Discord 5/2s + 30/min per webhook; extra 429 every {args.inject_429_every} requests"
    )
    header = f"{'path':<8} {'platform':<9} {'delivered':>9} {'lost':>5} {'dup':>4} {'messages':>8} "
    header += f"{'429s':>5} {'400s':>5} {'time s':>8} {'min s':>7}"
    print(header)
    for o in outcomes:
        seconds = f"{o.seconds:8.1f}" if o.seconds is not None else f"{'>' + str(int(args.deadline)):>8}"
        print(
            f"{o.path:<8} {o.platform:<9} {o.delivered:>9} {o.lost:>5} {o.duplicated:>4} {o.messages:>8} "
            f"{o.rate_limited:>5} {o.refused:>5} {seconds} {o.minimum_seconds:7.1f}"
        )
    print("lost: alerts not delivered by the deadline; 400s: messages refused for exceeding platform limits")
    print("min s: group_wait plus the earliest time the path's last message can leave within the limits")
    print("       (for at least one message per group, or as many messages as the path sent)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    outcomes = run_path("relay", args) + run_path("native", args)
    print_table(outcomes, args)
    relay = [o for o in outcomes if o.path == "relay"]
    return 0 if all(o.lost == 0 and o.duplicated == 0 for o in relay) else 1


if __name__ == "__main__":
    sys.exit(main())
