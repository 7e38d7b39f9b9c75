"""Soak benchmark of the alert relay (issue 18): is it flat over time, and does it lose or double anything?

The relay runs as its own process with its shipped pacing and retry settings. Webhooks arrive at
Alertmanager's pace: every group sends a notification each `--interval` seconds (Alertmanager's
group_interval; each one a new state of the group), and a share of them is sent twice, as Alertmanager's
retries and HA peers do. The loopback chat fakes answer a share of requests with a random failure (a 5xx
page, a 429 with retry_after 1 s, or a 2 s stall). At the start (after a warm-up) and at the end the script
prints the relay's RSS, open file descriptors, queue depth and queue file size; after the last webhook it
waits for the queue to drain and prints, per platform, notifications accepted, delivered, superseded
(replaced by a newer state of their group before they were sent), lost and duplicated.

    nice .venv/bin/python -m benchmarks.relay_soak             # 30 minutes
    .venv/bin/python -m benchmarks.relay_soak --smoke          # 1 minute, for CI
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from exporter.relay.config import DISCORD_DEFAULT_PACING, TELEGRAM_DEFAULT_PACING, RetryConfig
from tests.relay.fake_chat import FakeChatAPI, fake_chat_api
from tests.relay.harness import AUTH, group_payload
from tests.relay.stack import relay_process, write_relay_config

PLATFORMS = ("telegram", "discord")
NOTIFICATION = re.compile(r"alert ([0-9a-f]{4})([0-9a-f]{12})")


@dataclass(frozen=True)
class Posted:
    started: float
    accepted: dict[str, set[str]]  # fingerprints answered 200 per platform
    answers: collections.Counter[int]  # HTTP status of every webhook request
    first: Sample  # after the warm-up
    last: Sample  # when the last webhook was posted


@dataclass(frozen=True)
class Sample:
    at_seconds: float
    rss_kib: int
    open_files: int
    queue_depth: dict[str, float]
    queue_file_kib: int


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long webhooks keep arriving")
    parser.add_argument("--groups", type=int, default=12, help="alert groups notifying in turn")
    parser.add_argument(
        "--interval", type=float, default=60.0, help="seconds between a group's notifications"
    )
    parser.add_argument("--redelivery-ratio", type=float, default=0.1, help="share of webhooks sent twice")
    parser.add_argument("--failure-ratio", type=float, default=0.1, help="share of chat requests that fail")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the start sample")
    parser.add_argument("--drain-deadline", type=float, default=600.0)
    parser.add_argument("--smoke", action="store_true", help="one minute, 4 groups every 5 s")
    args = parser.parse_args(argv)
    if args.smoke:
        args.minutes, args.groups, args.interval, args.warmup = 1.0, 4, 5.0, 5.0
    return args


def sample(pid: int, relay_url: str, queue_path: Path, started: float) -> Sample:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    open_files = len(os.listdir(f"/proc/{pid}/fd"))
    exposition = httpx.get(f"{relay_url}/metrics", timeout=10).text
    depth = {
        sample.labels["channel"]: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "hyperliquid_relay_queue_depth"
    }
    size = sum(path.stat().st_size for path in queue_path.parent.glob(queue_path.name + "*"))
    return Sample(time.monotonic() - started, rss, open_files, depth, size // 1024)


def metric_total(relay_url: str, name: str, channel: str) -> float:
    exposition = httpx.get(f"{relay_url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name and sample.labels.get("channel") == channel
    )


def superseded_in(queue_path: Path) -> dict[str, set[str]]:
    """Notifications whose messages the queue records as superseded by a newer state of their group."""
    db = sqlite3.connect(f"file:{queue_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT channel, body FROM messages WHERE state = 'superseded'").fetchall()
    finally:
        db.close()
    found: dict[str, set[str]] = {platform: set() for platform in PLATFORMS}
    for channel, body in rows:
        found[channel].update(m.group(1) + m.group(2) for m in NOTIFICATION.finditer(body))
    return found


def fingerprint(group: int, sequence: int) -> str:
    return f"{group:04x}{sequence:012x}"


def run(args: argparse.Namespace) -> int:
    rng = random.Random(18)
    with tempfile.TemporaryDirectory(prefix="relay-soak-") as tmp, fake_chat_api() as fake:
        workdir = Path(tmp)
        fake.behaviour.random_failure_ratio = args.failure_ratio
        queue_path = workdir / "queue.sqlite3"
        config = write_relay_config(
            workdir / "config.yaml",
            fake.url,
            queue_path,
            {
                "retry": RetryConfig().model_dump(),
                "telegram": {"pacing": [w.model_dump() for w in TELEGRAM_DEFAULT_PACING]},
                "discord": {"pacing": [w.model_dump() for w in DISCORD_DEFAULT_PACING]},
            },
        )
        with (
            relay_process(config, workdir / "relay.log") as (process, url),
            httpx.Client(base_url=url) as client,
        ):
            posted = post_for(args, client, rng, process.pid, url, queue_path)
            drained = wait_drained(url, args.drain_deadline)
            time.sleep(3.0)  # a late duplicate would still be counted
            end = sample(process.pid, url, queue_path, posted.started)
            superseded = superseded_in(queue_path)
        report(args, fake, posted, superseded, end, drained)
    return 0


def post_for(
    args: argparse.Namespace,
    client: httpx.Client,
    rng: random.Random,
    pid: int,
    url: str,
    queue_path: Path,
) -> Posted:
    """Post webhooks until --minutes pass, sampling the relay after the warm-up and at the end."""
    started = time.monotonic()
    accepted: dict[str, set[str]] = {platform: set() for platform in PLATFORMS}
    answers: collections.Counter[int] = collections.Counter()
    spacing = args.interval / args.groups
    sequence = 0
    first: Sample | None = None
    while time.monotonic() - started < args.minutes * 60:
        group = sequence % args.groups
        body = group_payload(f"g{group}", [fingerprint(group, sequence)])
        for platform in PLATFORMS:
            copies = 2 if rng.random() < args.redelivery_ratio else 1
            for _ in range(copies):
                for _attempt in range(5):  # Alertmanager retries a 5xx within its flush
                    response = client.post(f"/webhook/{platform}", json=body, headers=AUTH, timeout=30)
                    answers[response.status_code] += 1
                    if response.status_code < 500:
                        break
                    time.sleep(1.0)
                if response.status_code == 200:
                    accepted[platform].add(fingerprint(group, sequence))
        sequence += 1
        if first is None and time.monotonic() - started >= args.warmup:
            first = sample(pid, url, queue_path, started)
        time.sleep(spacing)
    last = sample(pid, url, queue_path, started)
    return Posted(started, accepted, answers, first or last, last)


def wait_drained(url: str, deadline_seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < deadline_seconds:
        depth = sum(metric_total(url, "hyperliquid_relay_queue_depth", platform) for platform in PLATFORMS)
        if depth == 0:
            return time.monotonic() - started
        time.sleep(1.0)
    return None


def report(
    args: argparse.Namespace,
    fake: FakeChatAPI,
    posted: Posted,
    superseded: dict[str, set[str]],
    end: Sample,
    drained: float | None,
) -> None:
    print(
        f"relay soak: {args.minutes:g} min, {args.groups} groups every {args.interval:g} s, "
        f"{args.redelivery_ratio:.0%} redelivered, {args.failure_ratio:.0%} of chat requests failing"
    )
    print(f"webhook answers: {dict(sorted(posted.answers.items()))}")
    print("sample               t s   RSS MiB  open fds  queue tg/dc  queue file KiB")
    for name, point in (
        ("start (after warmup)", posted.first),
        ("end of webhooks", posted.last),
        ("drained", end),
    ):
        depth = "/".join(f"{point.queue_depth.get(p, 0):.0f}" for p in PLATFORMS)
        print(
            f"{name:<20} {point.at_seconds:5.0f} {point.rss_kib / 1024:9.1f} {point.open_files:9d} "
            f"{depth:>12} {point.queue_file_kib:15d}"
        )
    print(
        f"queue drained {drained:.0f} s after the last webhook"
        if drained is not None
        else "queue NOT drained"
    )
    print("platform  accepted delivered superseded  lost  dup  chat API failures")
    for platform in PLATFORMS:
        expected = posted.accepted[platform]
        seen = collections.Counter(
            fingerprint(int(m.group(1), 16), int(m.group(2), 16))
            for text in fake.texts(platform)
            for m in NOTIFICATION.finditer(text)
        )
        duplicated = sum(count - 1 for count in seen.values())
        unexpected = set(seen) - expected
        # Superseded: replaced by a newer state of its group before it was sent (and not sent after all).
        replaced = (superseded[platform] & expected) - set(seen)
        lost = len(expected - set(seen) - replaced)
        failures = sum(count for (p, kind), count in fake.answers.items() if p == platform and kind != "200")
        print(
            f"{platform:<9} {len(expected):8d} {len(set(seen)):9d} {len(replaced):10d} "
            f"{lost:5d} {duplicated:4d} {failures:8d}"
            + (f"  unexpected {sorted(unexpected)}" if unexpected else "")
        )


if __name__ == "__main__":
    sys.exit(run(parse_args(sys.argv[1:])))
