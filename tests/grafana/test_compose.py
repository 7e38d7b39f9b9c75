"""deploy/docker-compose.yml and deploy/.env.example, checked without a Docker engine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from exporter.deploy.prometheus_config import AdaptError, adapt_target
from tests.grafana.dashboards import PROVISIONING_DIR
from tests.support.binaries import REPO_ROOT, find_binary

DEPLOY_DIR = REPO_ROOT / "deploy"
COMPOSE_FILE = DEPLOY_DIR / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def _env_example() -> tuple[dict[str, str], set[str]]:
    """(active NAME=value lines, names only shown commented out as optional)."""
    active: dict[str, str] = {}
    optional: set[str] = set()
    for line in (DEPLOY_DIR / ".env.example").read_text().splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            commented, name, value = match.groups()
            if commented:
                optional.add(name)
            else:
                active[name] = value
    return active, optional


def _references(text: str) -> dict[str, bool]:
    """Variable name -> whether it is required (no default given)."""
    found: dict[str, bool] = {}
    for name, operator, _ in _REFERENCE.findall(text):
        required = operator in ("", "?", ":?")
        found[name] = found.get(name, False) or required
    return found


def _yaml_references(path: Path) -> dict[str, bool]:
    """Variables referenced in the string values of a YAML file (comments are not values)."""
    strings: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)
        elif isinstance(node, str):
            strings.append(node)

    collect(yaml.safe_load(path.read_text()))
    return _references("\n".join(strings))


def _bind_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path (relative to deploy/) of the service's bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = source
    return mounts


def _placeholder_value(name: str) -> str:
    if name.endswith("_SMARTHOST"):
        return "smtp.example.invalid:587"
    return (
        f"https://{name.lower().replace('_', '-')}.example.invalid/hook"
        if name.endswith("_URL")
        else f"{name}-value"
    )


def test_compose_file_has_the_whole_stack() -> None:
    always = {
        "exporter",
        "relay",
        "alertmanager-config",
        "alertmanager",
        "prometheus-config",
        "prometheus",
        "grafana",
    }
    assert {name for name, service in SERVICES.items() if "profiles" not in service} == always
    assert SERVICES["replay"]["profiles"] == ["demo"], "the simulator runs only in the demo profile"
    assert set(COMPOSE["volumes"]) >= {
        "relay-data",
        "prometheus-data",
        "grafana-data",
        "alertmanager-state",
        "prometheus-config",
    }


def test_exporter_and_relay_run_the_projects_image_on_their_ports() -> None:
    for name, command, port in (
        ("exporter", "hyperliquid-exporter", 9762),
        ("relay", "hyperliquid-alert-relay", 9763),
    ):
        service = SERVICES[name]
        assert service["build"] == {"context": "..", "dockerfile": "Dockerfile"}
        assert service["command"][0] == command
        assert f"--web.listen-address=:{port}" in service["command"]
        assert any(str(p).endswith(f":{port}:{port}") for p in service["ports"]), service["ports"]
        assert _bind_mounts(service)["/etc/hyperliquid/config.yaml"] == "../config.yaml"
    assert SERVICES["relay"]["environment"]["HEALTHCHECK_URL"] == "http://127.0.0.1:9763/-/healthy"
    assert SERVICES["replay"]["command"][0] == "hyperliquid-replay"
    assert "--web.listen-address=:9764" in SERVICES["replay"]["command"]
    assert SERVICES["replay"]["environment"]["HEALTHCHECK_URL"] == "http://127.0.0.1:9764/-/healthy"
    assert "relay-data:/var/lib/hyperliquid" in SERVICES["relay"]["volumes"]


def test_bind_mounts_exist_in_the_repository() -> None:
    for name, service in SERVICES.items():
        for source in _bind_mounts(service).values():
            resolved = (DEPLOY_DIR / source).resolve()
            assert resolved.is_relative_to(REPO_ROOT), f"{name}: {source} is outside the repository"
            assert resolved.exists(), f"{name}: {source} does not exist"


def _flag(command: list[str], flag: str) -> str:
    return next(argument.split("=", 1)[1] for argument in command if argument.startswith(f"{flag}="))


def test_prometheus_reads_the_adapted_copy_of_the_shipped_config_and_the_rules() -> None:
    adapter, prometheus = SERVICES["prometheus-config"], SERVICES["prometheus"]
    assert adapter["command"][0] == "hyperliquid-prometheus-config"
    source, output = _flag(adapter["command"], "--source"), _flag(adapter["command"], "--output")
    assert _bind_mounts(adapter)[source] == "../prometheus.yml"
    shared = PurePosixPath(output).parent
    assert f"prometheus-config:{shared}" in adapter["volumes"]
    assert f"prometheus-config:{shared}:ro" in prometheus["volumes"]
    assert f"--config.file={output}" in prometheus["command"]
    assert prometheus["depends_on"]["prometheus-config"]["condition"] == "service_completed_successfully"
    # Relative rule_files are resolved against the source's directory: the rules must be mounted there.
    assert _bind_mounts(prometheus)[str(PurePosixPath(source).parent / "rules")] == "../rules"


def test_adapted_prometheus_config_targets_compose_services_and_passes_promtool(tmp_path: Path) -> None:
    output = tmp_path / "prometheus.yml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "exporter.deploy.prometheus_config",
            f"--source={REPO_ROOT / 'prometheus.yml'}",
            f"--output={output}",
            f"--rules-base={REPO_ROOT}",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    check = subprocess.run(
        [find_binary("promtool"), "check", "config", str(output)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    adapted = yaml.safe_load(output.read_text())
    scrape_targets = {
        job["job_name"]: [t for static in job["static_configs"] for t in static["targets"]]
        for job in adapted["scrape_configs"]
    }
    assert scrape_targets["hyperliquid"] == ["exporter:9762"]
    assert scrape_targets["hyperliquid-relay"] == ["relay:9763"]
    managers = [
        t for m in adapted["alerting"]["alertmanagers"] for s in m["static_configs"] for t in s["targets"]
    ]
    assert managers == ["alertmanager:9093"]
    assert any("9093:9093" in str(port) for port in SERVICES["alertmanager"]["ports"])


def test_a_localhost_target_without_a_compose_service_is_refused() -> None:
    with pytest.raises(AdaptError, match=r"scrape_configs\[node\].*localhost:9100"):
        adapt_target("localhost:9100", "scrape_configs[node]")
    assert adapt_target("node-exporter:9100", "scrape_configs[node]") == "node-exporter:9100"
    assert adapt_target("127.0.0.1:9763", "scrape_configs[relay]") == "relay:9763"


def test_grafana_mounts_provisioning_where_the_dashboard_provider_looks() -> None:
    grafana = SERVICES["grafana"]
    mounts = _bind_mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == "../grafana/provisioning"
    provider = yaml.safe_load((PROVISIONING_DIR / "dashboards" / "hyperliquid.yaml").read_text())[
        "providers"
    ][0]
    assert mounts[provider["options"]["path"]] == "../grafana/dashboards"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(provider["options"]["path"] + "/")
    assert (REPO_ROOT / "grafana" / "dashboards" / Path(home).name).is_file()
    for path in PROVISIONING_DIR.rglob("*.yaml"):
        for variable in _yaml_references(path):
            assert variable in grafana["environment"], (
                f"{path.name} reads ${variable}, grafana does not set it"
            )


def test_alertmanager_reads_the_config_rendered_into_the_shared_volume() -> None:
    renderer, alertmanager = SERVICES["alertmanager-config"], SERVICES["alertmanager"]
    assert renderer["command"][0] == "hyperliquid-alertmanager-config"
    assert "--output-dir=/run/hyperliquid" in renderer["command"]
    assert "alertmanager-state:/run/hyperliquid" in renderer["volumes"]
    assert "alertmanager-state:/run/hyperliquid" in alertmanager["volumes"]
    assert "--config.file=/run/hyperliquid/alertmanager.yml" in alertmanager["command"]
    assert alertmanager["depends_on"]["alertmanager-config"]["condition"] == "service_completed_successfully"
    # The rendered file is mode 600 and owned by the image's uid; Alertmanager must run as that uid.
    assert alertmanager["user"] == "10001:10001"


def test_every_variable_is_documented_in_env_example_and_required_ones_are_listed_to_fill() -> None:
    active, optional = _env_example()
    documented = set(active) | optional
    references = {
        path.name: _yaml_references(path)
        for path in (COMPOSE_FILE, REPO_ROOT / "config.yaml", REPO_ROOT / "alertmanager" / "alertmanager.yml")
    }
    # Alertmanager templates are filled as text by the same renderer.
    for template in sorted((REPO_ROOT / "alertmanager" / "templates").glob("*.tmpl")):
        references[template.name] = _references(template.read_text())
    set_by_compose = set(SERVICES["alertmanager-config"].get("environment", {}))
    for source, variables in references.items():
        for name, required in variables.items():
            rendered_by_compose = source not in {COMPOSE_FILE.name, "config.yaml"}
            if rendered_by_compose and name in set_by_compose:
                continue
            assert name in documented, f"{source} uses ${name}, deploy/.env.example does not mention it"
            if required:
                assert name in active, f"{name} is required by {source}: list it uncommented"


def test_env_example_holds_no_secret_values() -> None:
    active, _ = _env_example()
    secrets = [name for name in active if re.search(r"TOKEN|PASSWORD|SECRET|WEBHOOK|_URL$", name)]
    assert secrets, "expected the secrets to be listed"
    assert all(active[name] == "" for name in secrets), {name: active[name] for name in secrets}


def test_no_secret_is_written_into_the_compose_file() -> None:
    for name, service in SERVICES.items():
        environment = service.get("environment", {})
        for key, value in environment.items():
            if re.search(r"TOKEN|PASSWORD|SECRET", key):
                assert _REFERENCE.fullmatch(str(value)), f"{name}: {key} must come from the environment"


def test_the_renderer_produces_a_config_amtool_accepts_from_env_example_names(tmp_path: Path) -> None:
    """Run the compose service's command on the repository's Alertmanager config, as `up` would."""
    active, _ = _env_example()
    renderer = SERVICES["alertmanager-config"]
    environment = {name: _placeholder_value(name) for name in active}
    environment.update(renderer["environment"])
    arguments = [a for a in renderer["command"][1:] if not a.startswith(("--source-dir", "--output-dir"))]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "exporter.deploy.alertmanager_config",
            *arguments,
            f"--source-dir={REPO_ROOT / 'alertmanager'}",
            f"--output-dir={tmp_path}",
            f"--amtool={find_binary('amtool')}",
        ],
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rendered = (tmp_path / "alertmanager.yml").read_text()
    assert "http://relay:9763/webhook/telegram" in rendered
    assert environment["HL_RELAY_BEARER_TOKEN"] in rendered


def _installed_version(name: str) -> str:
    script = (REPO_ROOT / "scripts" / "install-prometheus-binaries.sh").read_text()
    match = re.search(rf"^{name}_version=([0-9.]+)$", script, re.MULTILINE)
    assert match, f"scripts/install-prometheus-binaries.sh sets no {name}_version"
    return match.group(1)


DIGEST = r"@sha256:[0-9a-f]{64}"


def test_every_upstream_image_is_pinned_by_digest() -> None:
    for name, service in SERVICES.items():
        if "build" in service:
            continue
        assert re.fullmatch(rf"[\w./-]+:[\w.-]+{DIGEST}", service["image"]), f"{name}: {service['image']}"


def test_compose_runs_the_versions_the_tests_run() -> None:
    """Alertmanager exactly; Prometheus the same 2.53 LTS line (Debian trixie packages 2.53.3, the image is
    2.53.5, the line's newest patch release); the Grafana datasource names the image's version."""
    prometheus, alertmanager = _installed_version("prometheus"), _installed_version("alertmanager")
    prometheus_image = re.fullmatch(rf"prom/prometheus:v([0-9.]+){DIGEST}", SERVICES["prometheus"]["image"])
    assert prometheus_image, SERVICES["prometheus"]["image"]
    image_version = prometheus_image.group(1)
    assert image_version.split(".")[:2] == prometheus.split(".")[:2]
    assert re.fullmatch(
        rf"prom/alertmanager:v{re.escape(alertmanager)}{DIGEST}", SERVICES["alertmanager"]["image"]
    )
    datasources = yaml.safe_load((PROVISIONING_DIR / "datasources" / "prometheus.yaml").read_text())
    (datasource,) = [d for d in datasources["datasources"] if d["type"] == "prometheus"]
    assert datasource["jsonData"]["prometheusVersion"] == image_version
    for binary, version in (("prometheus", prometheus), ("prometheus-alertmanager", alertmanager)):
        output = subprocess.run(
            [find_binary(binary), "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert f"version {version}+" in output, f"run scripts/install-prometheus-binaries.sh: {output[:80]}"


def test_services_of_the_image_run_installed_commands_and_mount_no_source() -> None:
    """A pip or Docker install is enough: compose runs console scripts, never files from the checkout."""
    scripts = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"])
    for name, service in SERVICES.items():
        if service.get("image") != SERVICES["exporter"].get("image"):
            continue
        command = service.get("command")
        if command:
            assert command[0] in scripts, f"{name} runs {command[0]}, which the package does not install"
        for source in _bind_mounts(service).values():
            assert not source.endswith(".py"), f"{name} mounts source file {source}"
