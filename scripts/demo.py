"""`make demo SCENARIO=jelly-2025-03-26 [SPEED=10]`: replay an incident through the whole product.

Starts the simulator on the scenario, the exporter, Prometheus with the project's rules,
Alertmanager with the project's routing, the relay and loopback stand-ins for Telegram, Discord,
Slack and the webhook receivers, all on 127.0.0.1; prints where to look, then every chat message as
it arrives. Ctrl-C (or --duration) stops everything.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from exporter.replay.scenario import scenario_names
from tests.support.stack import Stack, StackOptions, running_stack

TAG = re.compile(r"<[^>]+>")


def _print_where_to_look(stack: Stack, workdir: Path) -> None:
    print(
        f"""
Scenario {stack.options.scenario} at speed {stack.options.speed:g} is running. Look at:
  simulator (Hyperliquid API)   {stack.replay_url}/_replay/status
  exporter                      {stack.exporter_url}/metrics
  Prometheus alerts             {stack.prometheus_url}/alerts
  Prometheus risk score         {stack.prometheus_url}/graph?g0.expr=hyperliquid%3Arisk_score%3Amax
  Alertmanager                  {stack.alertmanager_url}
  relay                         {stack.relay_url}/metrics
  logs and configs              {workdir}
Chat messages delivered to the stand-in Telegram and Discord follow. Ctrl-C stops everything.
""",
        flush=True,
    )


def _follow(stack: Stack, duration: float | None) -> None:
    shown = {"telegram": 0, "discord": 0}
    deadline = None if duration is None else time.monotonic() + duration
    while deadline is None or time.monotonic() < deadline:
        for platform in shown:
            texts = stack.chat.texts(platform)
            for text in texts[shown[platform] :]:
                plain = TAG.sub("", text).replace("&#x27;", "'").replace("&amp;", "&")
                print(f"--- {platform} (scenario t={stack.scenario_time():.0f}s)\n{plain}\n", flush=True)
            shown[platform] = len(texts)
        time.sleep(1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default="jelly-2025-03-26", help=", ".join(scenario_names()))
    parser.add_argument("--speed", type=float, default=1.0, help="scenario seconds per wall-clock second")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    args = parser.parse_args(argv)
    speed = args.speed
    options = StackOptions(
        scenario=args.scenario,
        speed=speed,
        # The shipped 5 s scrape and evaluation intervals, compressed with the scenario.
        scrape_interval=max(0.5, 5 / speed),
        evaluation_interval=max(0.5, 5 / speed),
        rate_limit=speed <= 1,
    )
    workdir = Path(tempfile.mkdtemp(prefix=f"hyperliquid-demo-{args.scenario}-"))
    try:
        with running_stack(options, workdir) as stack:
            _print_where_to_look(stack, workdir)
            _follow(stack, args.duration)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
