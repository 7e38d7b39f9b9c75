"""Scrapes and webhooks while clients without credentials attack (issue 28), beside the same without.

The real exporter and relay run with basic auth (bcrypt cost 10) and the open-files limit of many hosts
(1,024), default web flags. Probes, as Prometheus and Alertmanager would send them: an authorised
`/metrics` of each every 250 ms on a kept-alive connection, and a webhook (a new group each time, bearer
token, new connection) every 500 ms. Each phase runs the probes for `--seconds`:

- quiet: no attack;
- flood: `--rate` wrong-password requests a second at each command (a new password each, own connection);
- slow headers: `--slow` connections to each command sending a header byte every 5 s.

Printed per phase: probe times (median, p99, max, failures), what the attack got back, and how much each
log grew. The attacker connects from 127.0.0.2, another loopback address, as a host on the network would.

    .venv/bin/python -m benchmarks.hostile_load                   # 30 s phases, 50/s flood, 2,000 slow
    .venv/bin/python -m benchmarks.hostile_load --seconds 5 --slow 300   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import httpx
import yaml

from benchmarks.hostile_clients import open_files_limit
from tests.relay.fake_chat import fake_chat_api
from tests.relay.harness import AUTH, fixture_body
from tests.relay.stack import RELAY_ENV, write_relay_config
from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port

USER, PASSWORD = "prometheus", "benchmark-password"
EXPORTER_CONFIG = {
    "hyperliquid": {"api_url": "http://127.0.0.1:9", "timeout_seconds": 1, "max_retries": 0},
    "reference_prices": {"enabled": False},
}


@dataclass
class Server:
    name: str
    url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]


@dataclass
class Probe:
    times: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    def record_failure(self, what: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1

    def summary(self) -> str:
        if not self.times:
            return f"no answer ({self.failures})"
        ordered = sorted(self.times)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        failed = f", failed {self.failures}" if self.failures else ""
        return (
            f"n={len(ordered):4d} median {statistics.median(ordered) * 1000:7.1f} ms  "
            f"p99 {p99 * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms{failed}"
        )


@contextlib.contextmanager
def server(name: str, argv: list[str], port: int, workdir: Path) -> Iterator[Server]:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env={**os.environ, **RELAY_ENV},
            preexec_fn=open_files_limit(1024),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/-/healthy", auth=(USER, PASSWORD), timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield Server(name, url, port, log, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def every(period: float, stop: asyncio.Event, action: Callable[[], Awaitable[None]]) -> None:
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    while not stop.is_set():
        await action()
        next_at += period
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, next_at - loop.time()))


async def probes(exporter: Server, relay: Server, seconds: float) -> dict[str, Probe]:
    results = {"exporter /metrics": Probe(), "relay /metrics": Probe(), "relay webhook": Probe()}
    stop = asyncio.Event()
    sequence = iter(range(10**9))

    async def timed(probe: Probe, request: Awaitable[httpx.Response]) -> None:
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            probe.record_failure(type(exc).__name__)
            return
        if response.status_code == 200:
            probe.times.append(time.perf_counter() - started)
        else:
            probe.record_failure(str(response.status_code))

    async with httpx.AsyncClient(auth=(USER, PASSWORD), timeout=15) as scraper:

        async def scrape(target: Server, probe: Probe) -> None:
            await timed(probe, scraper.get(f"{target.url}/metrics"))

        async def webhook() -> None:
            body = fixture_body("am025_webhook_firing")
            body["groupKey"] = f'{{}}:{{bench="{next(sequence)}"}}'
            async with httpx.AsyncClient(timeout=15) as alertmanager:
                await timed(
                    results["relay webhook"],
                    alertmanager.post(f"{relay.url}/webhook/telegram", json=body, headers=AUTH),
                )

        tasks = [
            asyncio.create_task(every(0.25, stop, lambda: scrape(exporter, results["exporter /metrics"]))),
            asyncio.create_task(every(0.25, stop, lambda: scrape(relay, results["relay /metrics"]))),
            asyncio.create_task(every(0.5, stop, webhook)),
        ]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
    return results


def report(phase: str, results: dict[str, Probe], attack: str, logs: dict[str, int]) -> None:
    print(f"\n== {phase}")
    for name, probe in results.items():
        print(f"  {name:18s} {probe.summary()}")
    if attack:
        print(f"  attack: {attack}")
    print("  log growth: " + ", ".join(f"{name} {size:,} bytes" for name, size in logs.items()))


async def phase(name: str, servers: list[Server], seconds: float, attack: list[str] | None) -> None:
    """Probes for `seconds`; with `attack` (hostile_clients arguments before the target's), one
    attacking process per server, started 5 s earlier so the attack is in full swing."""
    before = {s.name: s.log.stat().st_size for s in servers}
    lead = 5.0
    attackers = []
    for target in servers:
        if attack is None:
            continue
        target_args = [f"{target.url}/metrics", USER] if attack[0] == "flood" else [str(target.port)]
        attackers.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.hostile_clients",
                attack[0],
                *target_args,
                *attack[1:],
                str(seconds + lead),
                cwd=REPO_ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
        )
    if attackers:
        await asyncio.sleep(lead)
    results = await probes(servers[0], servers[1], seconds)
    outcomes = []
    for target, attacker in zip(servers, attackers, strict=False):
        out, _ = await attacker.communicate()
        outcomes.append(f"{target.name} {out.decode().strip()}")
    logs = {s.name: s.log.stat().st_size - before[s.name] for s in servers}
    report(name, results, "; ".join(outcomes), logs)


async def run(args: argparse.Namespace, exporter: Server, relay: Server) -> None:
    servers = [exporter, relay]
    await phase("quiet (no attack)", servers, args.seconds, None)
    flood = ["flood", f"{args.rate:g}"]
    await phase(f"flood: {args.rate:g} wrong passwords/s at each", servers, args.seconds, flood)
    slow = ["slow", str(args.slow)]
    await phase(f"slow headers: {args.slow} connections at each", servers, args.seconds, slow)
    for target in servers:
        print(f"  {target.name} log total: {target.log.stat().st_size:,} bytes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="probe time per phase")
    parser.add_argument("--rate", type=float, default=50.0, help="wrong-password requests per second")
    parser.add_argument("--slow", type=int, default=2000, help="slow-header connections per command")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory, fake_chat_api() as chat:
        workdir = Path(directory)
        web = workdir / "web.yml"
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()
        web.write_text(f"basic_auth_users:\n  {USER}: '{hashed}'\n")
        exporter_config = workdir / "exporter.yaml"
        exporter_config.write_text(yaml.safe_dump(EXPORTER_CONFIG))
        relay_config = write_relay_config(workdir / "relay.yaml", chat.url, workdir / "queue.db")
        exporter_port, relay_port = free_port(), free_port()
        common = [f"--web.config.file={web}"]
        exporter_argv = [
            sys.executable, "-m", "exporter.cli", f"--config.file={exporter_config}",
            f"--web.listen-address=127.0.0.1:{exporter_port}", *common,
        ]  # fmt: skip
        relay_argv = [
            sys.executable, "-m", "exporter.relay.cli", f"--config.file={relay_config}",
            f"--web.listen-address=127.0.0.1:{relay_port}", *common,
        ]  # fmt: skip
        cores = os.cpu_count()
        print(f"exporter and relay: basic auth at bcrypt cost 10, open-files limit 1,024; {cores} cores")
        with (
            server("exporter", exporter_argv, exporter_port, workdir) as exporter,
            server("relay", relay_argv, relay_port, workdir) as relay,
        ):
            asyncio.run(run(args, exporter, relay))


if __name__ == "__main__":
    main()
