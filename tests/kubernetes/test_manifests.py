"""deploy/kubernetes: every object valid against its schema (offline), and the objects fit together."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from mixin.generate import DEFAULT_EXPORTER_SELECTOR, DEFAULT_RELAY_SELECTOR
from tests.kubernetes.operator_schemas import OPERATOR_SCHEMAS
from tests.support.binaries import REPO_ROOT, find_binary

KUBERNETES_DIR = REPO_ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = kubernetes_validate.latest_version()


def _resources(directory: Path) -> list[Path]:
    """The files a kustomization includes, following directory resources into their kustomization."""
    files: list[Path] = []
    for resource in yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]:
        path = directory / resource
        files.extend(_resources(path) if path.is_dir() else [path])
    return files


RESOURCES = _resources(KUBERNETES_DIR)


def _objects() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in RESOURCES:
        for document in yaml.safe_load_all(path.read_text()):
            where = f"{path.relative_to(KUBERNETES_DIR)}: {document['kind']}/{document['metadata']['name']}"
            found.append((where, document))
    return found


OBJECTS = _objects()


def _of_kind(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in OBJECTS if document["kind"] == kind]


def validate(document: dict[str, Any]) -> None:
    """Raise a ValidationError naming the path if document breaks its kind's schema."""
    schema = OPERATOR_SCHEMAS.get(document["kind"])
    if schema is None:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    else:
        jsonschema.validate(document, schema)


def test_kustomization_includes_every_manifest_and_nothing_else() -> None:
    listed = {str(p.relative_to(KUBERNETES_DIR)) for p in RESOURCES}
    on_disk = {str(p.relative_to(KUBERNETES_DIR)) for p in KUBERNETES_DIR.rglob("*.yaml")}
    assert listed == on_disk - {"kustomization.yaml", "generated/kustomization.yaml"}


@pytest.mark.parametrize(("where", "document"), OBJECTS, ids=[where for where, _ in OBJECTS])
def test_object_is_valid_against_its_schema(where: str, document: dict[str, Any]) -> None:
    validate(document)


@pytest.mark.parametrize(
    ("kind", "mutate", "message"),
    [
        ("Deployment", lambda d: d["spec"].update(replicas="one"), "'one' is not of type 'integer'"),
        ("Service", lambda d: d["spec"]["ports"][0].update(prot="TCP"), "Additional properties"),
        ("ServiceMonitor", lambda d: d["spec"]["endpoints"][0].update(scrapeInterval="5s"), "scrapeInterval"),
        ("ServiceMonitor", lambda d: d["spec"]["endpoints"][0].update(interval="5 s"), "does not match"),
        ("PrometheusRule", lambda d: d["spec"]["groups"][0]["rules"][0].pop("expr"), "'expr' is a required"),
    ],
)
def test_the_validation_catches_mistakes(kind: str, mutate: Any, message: str) -> None:
    broken = copy.deepcopy(_of_kind(kind)[0])
    mutate(broken)
    with pytest.raises((jsonschema.ValidationError, kubernetes_validate.ValidationError)) as raised:
        validate(broken)
    assert message in str(raised.value)


def _pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_deployments_services_and_service_monitors_fit_together() -> None:
    deployments = _of_kind("Deployment")
    services = _of_kind("Service")
    for deployment in deployments:
        assert _matches(deployment["spec"]["selector"]["matchLabels"], _pod_labels(deployment))
    for service in services:
        (deployment,) = [d for d in deployments if _matches(service["spec"]["selector"], _pod_labels(d))]
        container_ports = {
            p["name"]: p["containerPort"]
            for c in deployment["spec"]["template"]["spec"]["containers"]
            for p in c["ports"]
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in container_ports, f"{service['metadata']['name']}: {port}"
    for monitor in _of_kind("ServiceMonitor"):
        (service,) = [
            s
            for s in services
            if _matches(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
        ]
        names = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= names


def test_each_container_listens_where_its_port_and_probes_say() -> None:
    for deployment in _of_kind("Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        (listen,) = [a for a in container["args"] if a.startswith("--web.listen-address=")]
        (port,) = container["ports"]
        assert listen == f"--web.listen-address=:{port['containerPort']}"
        assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/-/healthy"


def test_volumes_refer_to_objects_that_exist() -> None:
    configmaps = {c["metadata"]["name"] for c in _of_kind("ConfigMap")}
    claims = {c["metadata"]["name"] for c in _of_kind("PersistentVolumeClaim")}
    for deployment in _of_kind("Deployment"):
        for volume in deployment["spec"]["template"]["spec"]["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims


def test_service_names_give_the_job_labels_the_rules_select() -> None:
    """The Prometheus Operator names a ServiceMonitor's job after the Service."""
    jobs = {f'job="{s["metadata"]["name"]}"' for s in _of_kind("Service")}
    assert jobs == {DEFAULT_EXPORTER_SELECTOR, DEFAULT_RELAY_SELECTOR}


def test_service_monitors_scrape_as_often_as_the_shipped_prometheus_yml() -> None:
    jobs = {
        job["job_name"]: job
        for job in yaml.safe_load((REPO_ROOT / "prometheus.yml").read_text())["scrape_configs"]
    }
    for monitor in _of_kind("ServiceMonitor"):
        job = jobs[monitor["metadata"]["name"]]
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["interval"] == job["scrape_interval"], monitor["metadata"]["name"]
        assert endpoint.get("scrapeTimeout") == job.get("scrape_timeout"), monitor["metadata"]["name"]


def test_relay_runs_alone_on_its_queue_volume() -> None:
    (relay,) = [d for d in _of_kind("Deployment") if d["metadata"]["name"] == "hyperliquid-relay"]
    assert relay["spec"]["replicas"] == 1
    assert relay["spec"]["strategy"]["type"] == "Recreate"


def test_prometheus_rules_pass_promtool(tmp_path: Path) -> None:
    paths = []
    for rule in _of_kind("PrometheusRule"):
        path = tmp_path / f"{rule['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump(rule["spec"]))
        paths.append(str(path))
    assert len(paths) == len(list((REPO_ROOT / "rules").glob("*.yml")))
    result = subprocess.run(
        [find_binary("promtool"), "check", "rules", *paths], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_configmaps_carry_each_dashboard_for_the_sidecar() -> None:
    dashboards = [
        c for c in _of_kind("ConfigMap") if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    shipped = {
        p.name: json.loads(p.read_text()) for p in (REPO_ROOT / "grafana" / "dashboards").glob("*.json")
    }
    carried = {name: json.loads(text) for c in dashboards for name, text in c["data"].items()}
    assert carried == shipped
    for configmap in dashboards:
        assert re.fullmatch(r"grafana-dashboard-[a-z0-9-]+", configmap["metadata"]["name"])
        # kubectl apply keeps the object in an annotation limited to 256 KiB.
        assert len(json.dumps(configmap)) < 256 * 1024
