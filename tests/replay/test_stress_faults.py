"""Issue 14's health faults on the simulator, over real loopback HTTP: a 429 with a huge Retry-After,
a body dripped byte by byte and a response that never ends.

The exporter polls in rounds (every poller once, concurrently, like one interval of the
scheduler) against the simulator (`hyperliquid-replay`, in its own process on 127.0.0.1).
For each fault: the affected collector reports failure, the unaffected ones keep succeeding
with their data on /metrics, nothing reports success without its data, and within two rounds of
the fault clearing every collector succeeds again. Rounds, not wall-clock time, are what is asserted.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.app import Exporter, build_exporter
from exporter.config import Config
from exporter.replay.faults import Fault
from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port, running

# Generous for a shared, loaded test machine: nothing here measures speed.
INTERVAL = 2.0  # every poller's interval: the poll deadline is 4 s, the data's maximum age 6 s
TIMEOUT = 1.5  # per request, whole answer
RETRY_AFTER_CAP = 0.5

# Which data each collector publishes, to check it is (or is not) on /metrics.
DATA_OF = {
    "market": "hyperliquid_mark_price",
    "vaults": "hyperliquid_vault_account_value_usd",
    "accounts": "hyperliquid_account_value_usd",
    "fills": "hyperliquid_liquidations_total",
    "dexes": "hyperliquid_dex_info",
    "governance": "hyperliquid_validators",
}


@dataclass
class Observed:
    success: dict[str, float]
    present: set[str]
    paused_for: float


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The simulator in its own process, as in production: its work never stalls the exporter's loop."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable,
        "-m",
        "exporter.replay.cli",
        "--scenario",
        "calm",
        f"--web.listen-address=127.0.0.1:{port}",
        "--no-rate-limit",
    ]
    log = tmp_path_factory.mktemp("replay") / "replay.log"
    with running(argv, f"{url}/_replay/status", log, cwd=REPO_ROOT):
        yield url


def set_faults(url: str, faults: list[Fault]) -> None:
    response = httpx.post(
        f"{url}/_replay/faults", json={"faults": [f.model_dump() for f in faults]}, timeout=5
    )
    assert response.status_code == 200, response.text


def exporter_for(url: str) -> Exporter:
    every = {"interval_seconds": INTERVAL}
    config = Config.model_validate(
        {
            "hyperliquid": {
                "api_url": url,
                "timeout_seconds": TIMEOUT,
                "max_retries": 0,
                "retry_after_max_seconds": RETRY_AFTER_CAP,
                "weight_limit_per_minute": 1_000_000,
            },
            "collectors": {
                # Book depth is tests/market/test_book_depth.py's (its own collector, thinned under load).
                "market": {
                    **every,
                    "open_interest_cap_interval_seconds": INTERVAL,
                    "book_depth": {"enabled": False},
                },
                "vaults": every,
                "accounts": {
                    **every,
                    "liquidator_interval_seconds": INTERVAL,
                    "child_discovery_interval_seconds": 600,
                },
                "fills": every,
                "liveness": {"enabled": False},  # tests/replay/test_liveness_collector.py
            },
            "reference_prices": {"enabled": False},
            # REST faults are the subject here: no stream stands in for the faulty requests.
            "streaming": {"enabled": False},
        }
    )
    return build_exporter(config)


async def poll_round(exporter: Exporter) -> Observed:
    scheduler = exporter.scheduler
    await asyncio.gather(*(scheduler.poll_once(poller) for poller in scheduler.pollers))
    success: dict[str, float] = {}
    present: set[str] = set()
    for family in text_string_to_metric_families(exporter.render_metrics().decode()):
        for sample in family.samples:
            if sample.name == "hyperliquid_exporter_collector_success":
                success[sample.labels["collector"]] = sample.value
            present.add(sample.name)
    observed = Observed(success, present, exporter.context.budget.paused_for)
    # The invariant, in every round: a collector that reports success has its data on /metrics.
    for collector, value in success.items():
        if value == 1:
            assert DATA_OF[collector] in present, f"{collector} reports success without its data"
    return observed


@pytest.mark.parametrize(
    ("fault", "affected"),
    [
        # One 429 with Retry-After: 100000 on account reads (issue 14 froze every poller with it).
        (Fault(target="info:clearinghouseState", kind="rate_limit", retry_after=100_000), "accounts"),
        # Vault details dripped one byte a second: every read gets a byte, so no read ever times out.
        (Fault(target="info:vaultDetails", kind="drip", seconds=1.0), "vaults"),
        # Market contexts: headers and a byte, then nothing, ever.
        (Fault(target="info:metaAndAssetCtxs", kind="hang"), "market"),
    ],
    ids=["429-huge-retry-after", "dripping-body", "never-ending-response"],
)
async def test_fault_fails_only_its_collector_and_recovers_within_two_intervals(
    simulator: str, fault: Fault, affected: str
) -> None:
    url = simulator
    exporter = exporter_for(url)
    try:
        # Start-up (child discovery reads eight vaultDetails) may take a round or two.
        for _ in range(3):
            healthy = await poll_round(exporter)
            if healthy.success == dict.fromkeys(DATA_OF, 1.0):
                break
        assert healthy.success == dict.fromkeys(DATA_OF, 1.0)

        set_faults(url, [fault])
        # The fills poller reads the market's universe: with market data down it keeps the
        # coins it has and goes on counting, so it is unaffected too.
        unaffected = set(DATA_OF) - {affected}
        for _ in range(3):
            during = await poll_round(exporter)
            assert during.success[affected] == 0
            for collector in unaffected:
                assert during.success[collector] == 1, f"{collector} failed with {affected}'s fault"
                assert DATA_OF[collector] in during.present
            # A 429's pause never outlasts the cap, whatever Retry-After said.
            assert during.paused_for <= RETRY_AFTER_CAP

        set_faults(url, [])
        rounds = [await poll_round(exporter) for _ in range(2)]
        assert rounds[-1].success == dict.fromkeys(DATA_OF, 1.0), [r.success for r in rounds]
        assert DATA_OF[affected] in rounds[-1].present
    finally:
        set_faults(url, [])
        await exporter.aclose()
