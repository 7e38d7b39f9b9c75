"""REST request weight of the exporter in calm, with the streams on or off.

Runs the calm scenario (one watched account) through the whole stack at speed 1, lets the exporter
warm up (first polls and stream connections), then reads `hyperliquid_exporter_api_weight_used_total`
from its /metrics at the start and end of a window and prints the weight per minute, per collector
and in total, against Hyperliquid's 1200 per minute per IP.

    PYTHONPATH=. .venv/bin/python -m benchmarks.rest_weight                    # shipped (streams on)
    PYTHONPATH=. .venv/bin/python -m benchmarks.rest_weight --polling-only     # streaming.enabled false
    PYTHONPATH=. .venv/bin/python -m benchmarks.rest_weight --smoke            # 20 s window
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.stack import StackOptions, running_stack

LIMIT_PER_MINUTE = 1200.0
WEIGHT_METRIC = "hyperliquid_exporter_api_weight_used_total"


def weight_by_collector(exporter_url: str) -> dict[str, float]:
    text = httpx.get(f"{exporter_url}/metrics", timeout=10).text
    used: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == WEIGHT_METRIC:
                used[sample.labels.get("collector", "")] += sample.value
    return dict(used)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--polling-only", action="store_true", help="streaming.enabled: false")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the window (default 60)")
    parser.add_argument("--window", type=float, default=300.0, help="measured seconds (default 300)")
    parser.add_argument("--smoke", action="store_true", help="10 s warm-up, 20 s window")
    parser.add_argument("--workdir", type=Path, help="keep logs here (default: a temporary directory)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    warmup, window = (10.0, 20.0) if args.smoke else (args.warmup, args.window)
    extra = {"streaming": {"enabled": False}} if args.polling_only else {}
    options = StackOptions(scenario="calm", speed=1.0, rate_limit=True, extra_exporter_config=extra)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rest-weight-"))
    mode = "polling only" if args.polling_only else "streams on (shipped)"
    with running_stack(options, workdir) as stack:
        time.sleep(warmup)
        before = weight_by_collector(stack.exporter_url)
        time.sleep(window)
        after = weight_by_collector(stack.exporter_url)
    per_minute = {
        collector: (after.get(collector, 0.0) - before.get(collector, 0.0)) * 60.0 / window
        for collector in sorted(set(before) | set(after))
    }
    total = sum(per_minute.values())
    print(f"REST weight in calm, {mode}: {window:g} s window after {warmup:g} s warm-up")
    print("| collector | weight/min |")
    print("|---|---|")
    for collector, value in per_minute.items():
        print(f"| {collector} | {value:.0f} |")
    print(f"| total | {total:.0f} ({total / LIMIT_PER_MINUTE:.0%} of {LIMIT_PER_MINUTE:.0f}/min) |")
    print(f"logs: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
