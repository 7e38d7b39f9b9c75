"""Poll durations and request weight of the exporter through the heavy cascade (issue 14).

The `cascade-heavy` scenario (21,000 liquidator fills, ADL bursts of 2,400 fills in one
millisecond) is stepped through in-process, as tests/replay/test_heavy_cascade.py does, with the
market collector on: every poller runs at its default interval in scenario time. Printed per page
size (500, 2000) and poller: polls, the slowest poll's wall duration against twice its interval,
and the request weight spent (surcharges included).

    PYTHONPATH=. .venv/bin/python -m benchmarks.heavy_cascade            # to 330 s of scenario time
    PYTHONPATH=. .venv/bin/python -m benchmarks.heavy_cascade --smoke    # to 100 s
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict

from tests.replay.test_heavy_cascade import END, Harness

STEP = 5.0
# Seconds of scenario time between polls of each poller (the shipped defaults).
EVERY = {
    "market": 10,
    "market_open_interest_cap": 60,
    "accounts_liquidators": 5,
    "accounts_hlp": 15,
    "fills": 30,
}


async def run(page_size: int, end: float) -> None:
    harness = Harness(page_size, market=True)
    polls: defaultdict[str, int] = defaultdict(int)
    slowest: defaultdict[str, float] = defaultdict(float)
    try:
        t = 0.0
        while t <= end:
            harness.replay.at(t)
            for name, every in EVERY.items():
                if t % every == 0:
                    slowest[name] = max(slowest[name], await harness.poll(name))
                    polls[name] += 1
            t += STEP
        used = dict(harness.context.budget.used)
        requests = dict(harness.context.stats.requests)
    finally:
        await harness.aclose()
    print(f"\npages of {page_size} fills, scenario time 0-{end:g} s")
    print(f"{'poller':<26}{'polls':>7}{'slowest s':>11}{'2x interval s':>15}")
    for name, every in EVERY.items():
        print(f"{name:<26}{polls[name]:>7}{slowest[name]:>11.3f}{2 * every:>15}")
    print("weight by collector: " + ", ".join(f"{k} {v:,.0f}" for k, v in sorted(used.items())))
    print("requests: " + ", ".join(f"{k} {v}" for k, v in sorted(requests.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="to 100 s of scenario time only")
    args = parser.parse_args()
    for page_size in (500, 2000):
        asyncio.run(run(page_size, 100.0 if args.smoke else END))


if __name__ == "__main__":
    main()
