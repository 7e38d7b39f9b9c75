"""Attacks by a client with no credentials, run against the real commands on 127.0.0.1.

Each test starts the exporter or the relay as users do, attacks it for a few bounded seconds, and checks
that it kept answering the clients that matter and counted or refused what it should. No wall-clock
figures are asserted (the machine is shared); benchmarks/hostile_load.py prints them.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.hostile_clients import flood_wrong_passwords, hold_slow_headers, raise_own_open_files_limit
from tests.relay.fake_chat import FakeChatAPI, fake_chat_api
from tests.relay.harness import AUTH, fixture_body
from tests.relay.stack import RELAY_ENV
from tests.security.stack import command, metric, relay_argv, wait_until
from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port
from tests.web.tls import self_signed, write_web_config

USER, PASSWORD = "alice", "correct horse"
COMMANDS = ("exporter", "relay")
PREFIX = {"exporter": "hyperliquid_exporter", "relay": "hyperliquid_relay"}


async def _post_webhook(url: str) -> int:
    """As Alertmanager sends it: a connection of its own, the bearer token, no basic auth."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{url}/webhook/telegram", json=fixture_body("am025_webhook_firing"), headers=AUTH
        )
    return response.status_code


# --- a wrong-password flood ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", COMMANDS)
async def test_a_wrong_password_flood_is_refused_without_starving_scrapes(tmp_path: Path, kind: str) -> None:
    web = write_web_config(tmp_path / "web.yml", users={USER: PASSWORD})
    auth = (USER, PASSWORD)
    with command(kind, tmp_path, (f"--web.config.file={web}",), auth=auth) as running:
        stop = asyncio.Event()
        started = time.monotonic()
        flood = asyncio.create_task(flood_wrong_passwords(f"{running.url}/metrics", USER, 60, stop))
        scrapes: list[int] = []
        webhooks: list[int] = []
        async with httpx.AsyncClient(timeout=10, auth=auth) as client:
            for _ in range(15):  # about 3 s of flood
                scrapes.append((await client.get(f"{running.url}/metrics")).status_code)
                if kind == "relay":
                    webhooks.append(await _post_webhook(running.url))
                await asyncio.sleep(0.2)
        stop.set()
        stats = await flood
        # What the client's budget allows (FailureLimiter: a burst of 10, then 1 a second), with slack.
        allowed = 10 + (time.monotonic() - started) + 5
        refused = f"{PREFIX[kind]}_http_logins_refused_total"
        rate_limited = metric(f"{running.url}/metrics", refused, auth, reason="rate_limited")
    assert set(scrapes) == {200}
    assert set(webhooks) <= {200}
    assert stats.sent >= 150
    assert set(stats.statuses) <= {401, 429, 503}, stats.statuses
    # Only the client's burst and refill reach bcrypt; every other guess is refused before it.
    assert stats.statuses[401] <= allowed, stats.statuses
    assert stats.statuses[429] >= stats.sent - allowed - stats.statuses[503]
    assert rate_limited is not None
    assert rate_limited >= stats.statuses[429]


# --- slow headers and the connection limit -------------------------------------------------------------


@pytest.mark.parametrize("kind", COMMANDS)
async def test_slow_header_connections_cannot_hold_the_listener(tmp_path: Path, kind: str) -> None:
    raise_own_open_files_limit(2000)
    flags = ("--web.max-connections=40", "--web.read-header-timeout=2")
    with command(kind, tmp_path, flags, open_files=256) as running:
        stop = asyncio.Event()
        attack = asyncio.create_task(hold_slow_headers("127.0.0.1", running.port, 300, stop, interval=0.5))
        await asyncio.sleep(2)
        answers: list[int] = []
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(10):
                answers.append((await client.get(f"{running.url}/metrics")).status_code)
                if kind == "relay":
                    answers.append(await _post_webhook(running.url))
                await asyncio.sleep(0.1)
            exposition = (await client.get(f"{running.url}/metrics")).text
        stop.set()
        stats = await attack
        evicted = _sample(exposition, f'{PREFIX[kind]}_http_connections_refused_total{{reason="evicted"}}')
        open_now = _sample(exposition, f"{PREFIX[kind]}_http_connections_open")
    assert set(answers) == {200}
    assert stats.opened > 40
    assert stats.closed_by_server > 0
    assert evicted > 0
    assert open_now <= 40
    assert running.log.stat().st_size < 100_000, running.log_text()[-2000:]


def _sample(exposition: str, series: str) -> float:
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{series} not in the exposition")


@pytest.mark.parametrize("kind", COMMANDS)
def test_a_connection_that_never_finishes_its_headers_is_closed(tmp_path: Path, kind: str) -> None:
    with command(kind, tmp_path, ("--web.read-header-timeout=1",)) as running:
        with socket.create_connection(("127.0.0.1", running.port), timeout=20) as sock:
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and nothing more
            assert sock.recv(1024) == b""  # closed by the server, not by our 20 s timeout
        timeouts = metric(
            f"{running.url}/metrics",
            f"{PREFIX[kind]}_http_connections_refused_total",
            reason="header_timeout",
        )
    assert timeouts is not None
    assert timeouts >= 1


async def test_a_connection_limit_above_the_open_files_limit_is_lowered_to_fit(tmp_path: Path) -> None:
    """Past the open-files limit accept() fails (EMFILE); asyncio logged each failure with a traceback
    (149,503 in 30 s). The limit is lowered to fit, so the flood never gets there."""
    raise_own_open_files_limit(2000)
    flags = ("--web.max-connections=5000", "--web.read-header-timeout=3")
    with command("relay", tmp_path, flags, open_files=400) as running:
        stop = asyncio.Event()
        attack = asyncio.create_task(hold_slow_headers("127.0.0.1", running.port, 300, stop, interval=0.5))
        await asyncio.sleep(3)
        answers = []
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(5):
                answers.append((await client.get(f"{running.url}/-/healthy")).status_code)
            exposition = (await client.get(f"{running.url}/metrics")).text
        stop.set()
        stats = await attack
    log = running.log_text()
    assert set(answers) == {200}
    assert stats.closed_by_server > 0
    assert _sample(exposition, "hyperliquid_relay_http_connections_max") == 80  # 400 - 64 - 2 * 128
    assert _sample(exposition, "hyperliquid_relay_http_accept_errors_total") == 0
    assert "--web.max-connections=5000 lowered to 80" in log
    assert "Traceback" not in log
    assert len(log) < 20_000


# --- the reload endpoint -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", COMMANDS)
def test_reload_needs_the_lifecycle_flag_and_sighup_still_works(tmp_path: Path, kind: str) -> None:
    web = write_web_config(tmp_path / "web.yml")
    with command(kind, tmp_path, (f"--web.config.file={web}",)) as running:
        for content_type in (
            "text/plain",
            "application/x-www-form-urlencoded",
        ):  # what a cross-site form sends
            refused = httpx.post(
                f"{running.url}/-/reload", content=b"x", headers={"content-type": content_type}
            )
            assert refused.status_code == 403
        write_web_config(web, users={USER: PASSWORD})
        running.process.send_signal(signal.SIGHUP)
        wait_until(lambda: httpx.get(f"{running.url}/metrics").status_code == 401, "reload on SIGHUP")
    with command(
        kind, tmp_path, (f"--web.config.file={web}", "--web.enable-lifecycle"), auth=(USER, PASSWORD)
    ) as running:
        assert httpx.post(f"{running.url}/-/reload", auth=(USER, PASSWORD)).status_code == 200


def test_a_web_config_that_would_hang_fails_the_reload_and_frees_the_lock(tmp_path: Path) -> None:
    web = write_web_config(tmp_path / "web.yml")
    with command("relay", tmp_path, (f"--web.config.file={web}", "--web.enable-lifecycle")) as running:
        web.write_text("basic_auth_users: {alice: '$2b$31$" + "a" * 53 + "'}\n")
        running.process.send_signal(signal.SIGHUP)
        failed = httpx.post(f"{running.url}/-/reload", timeout=60)
        assert failed.status_code == 500
        assert "bcrypt cost 31" in failed.text
        assert metric(f"{running.url}/metrics", "hyperliquid_relay_config_last_reload_successful") == 0
        write_web_config(web)
        assert httpx.post(f"{running.url}/-/reload", timeout=60).status_code == 200
        assert metric(f"{running.url}/metrics", "hyperliquid_relay_config_last_reload_successful") == 1


# --- config defects refused by --config.check ----------------------------------------------------------

TLS = "tls_server_config: {{cert_file: {cert}, key_file: {key}, %s}}\n"
DEFECTS = {
    "cost_31": ("basic_auth_users: {alice: '$2b$31$" + "a" * 53 + "'}\n", "bcrypt cost 31 is outside 4..14"),
    "min_above_max": (
        TLS % "min_version: TLS13, max_version: TLS12",
        "min_version TLS13 is above max_version TLS12",
    ),
    "tls10": (TLS % "min_version: TLS10", "TLS10 is refused by OpenSSL"),
}


@pytest.mark.parametrize("kind", COMMANDS)
@pytest.mark.parametrize("defect", DEFECTS)
def test_config_check_refuses_each_web_config_defect(tmp_path: Path, kind: str, defect: str) -> None:
    certificate = self_signed(tmp_path)
    text, message = DEFECTS[defect]
    web = tmp_path / "web.yml"
    web.write_text(text.format(cert=certificate.cert, key=certificate.key) if "{cert}" in text else text)
    argv = relay_argv(tmp_path, free_port()) if kind == "relay" else _exporter_check_argv(tmp_path)
    checked = subprocess.run(
        [*argv, f"--web.config.file={web}", "--config.check"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **RELAY_ENV},
        timeout=60,
        check=False,
    )
    assert checked.returncode == 1
    assert message in checked.stderr


def _exporter_check_argv(tmp_path: Path) -> list[str]:
    config = tmp_path / "empty.yaml"
    config.write_text("")
    return [sys.executable, "-m", "exporter.cli", f"--config.file={config}"]


# --- secrets in config errors --------------------------------------------------------------------------

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.mark.parametrize("kind", COMMANDS)
@pytest.mark.parametrize("check", [True, False])
def test_a_token_in_the_wrong_variable_is_never_printed(tmp_path: Path, kind: str, check: bool) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "relay:\n  bearer_token: ${RELAY_BEARER_TOKEN}\n  telegram:\n"
        "    bot_token: ${TG_BOT_TOKEN}\n    chat_id: ${TG_CHAT_ID}\n"
    )
    module = "exporter.relay.cli" if kind == "relay" else "exporter.cli"
    swapped = {"RELAY_BEARER_TOKEN": "t", "TG_BOT_TOKEN": "-100123", "TG_CHAT_ID": BOT_TOKEN}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            module,
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{free_port()}",
        ]
        + (["--config.check"] if check else []),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **swapped},
        timeout=60,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1
    assert "relay.telegram.chat_id" in output
    assert BOT_TOKEN.split(":")[1] not in output


# --- two relays on one queue ---------------------------------------------------------------------------


def test_a_second_relay_reaching_the_queue_through_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    queue = tmp_path / "first" / "queue.db"
    link = tmp_path / "second" / "queue.db"
    link.symlink_to(queue)
    first_argv = functools.partial(relay_argv, tmp_path / "first", queue=queue)
    with command("relay", tmp_path, argv=first_argv, name="first") as first:
        second = subprocess.run(
            relay_argv(tmp_path / "second", free_port(), link),
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, **RELAY_ENV},
            timeout=60,
            check=False,
        )
        assert first.process.poll() is None
    assert second.returncode != 0
    assert f"in use by another relay process (pid {first.process.pid}" in second.stdout + second.stderr


# --- payloads that used to be lost or mislabelled ------------------------------------------------------


def test_out_of_range_start_times_are_delivered_and_no_firing_0(tmp_path: Path) -> None:
    with fake_chat_api() as fake:
        argv = functools.partial(relay_argv, tmp_path, chat_url=fake.url)
        with command("relay", tmp_path, argv=argv) as running:
            odd_start = fixture_body("am025_webhook_firing")
            odd_start["alerts"][0]["startsAt"] = "0001-01-01T00:00:00+14:00"
            only_resolved = fixture_body("am025_webhook_resolved")
            only_resolved["status"] = "firing"
            only_resolved["groupKey"] = '{}:{group="other"}'
            for body in (odd_start, only_resolved):
                response = httpx.post(f"{running.url}/webhook/telegram", json=body, headers=AUTH, timeout=10)
                assert response.status_code == 200, response.text
            texts = _delivered(fake, 2)
    assert any("since 0001-01-01T00:00:00+14:00" in text for text in texts)
    assert not any("FIRING:0" in text for text in texts)
    assert any("[RESOLVED]" in text for text in texts)


def _delivered(fake: FakeChatAPI, count: int) -> list[str]:
    return fake.wait_for("telegram", count)
