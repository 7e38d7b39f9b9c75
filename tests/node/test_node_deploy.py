"""The node-mode deployment examples: the exporter reads the node's volume read-only, keeps its position on
a writable one, and the Kubernetes example is valid and scraped under the shipped job."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import yaml

from tests.support.binaries import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "deploy" / "docker-compose.yml").read_text())
KUBERNETES_EXAMPLE = REPO_ROOT / "deploy" / "examples" / "kubernetes-node-mode.yaml"


def _statefulset() -> dict[str, Any]:
    (document,) = yaml.safe_load_all(KUBERNETES_EXAMPLE.read_text())
    assert document["kind"] == "StatefulSet"
    return dict(document)


def test_compose_node_profile_shares_the_nodes_volume_read_only_with_the_exporter() -> None:
    services = COMPOSE["services"]
    assert services["node"]["profiles"] == ["node"]
    assert "node-data:/home/hluser/hl/data" in services["node"]["volumes"]
    exporter_volumes = services["exporter"]["volumes"]
    assert "node-data:/node/data:ro" in exporter_volumes
    assert any(volume.startswith("exporter-state:") for volume in exporter_volumes)
    assert "--batch-by-block" in services["node"]["command"]


def test_the_kubernetes_example_is_valid_and_mounts_the_node_volume_read_only() -> None:
    document = _statefulset()
    kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)
    containers = {
        container["name"]: container for container in document["spec"]["template"]["spec"]["containers"]
    }
    mounts = {mount["name"]: mount for mount in containers["exporter"]["volumeMounts"]}
    assert mounts["node-data"].get("readOnly") is True
    assert not mounts["exporter-state"].get("readOnly", False)
    env = {item["name"]: item["value"] for item in containers["exporter"]["env"]}
    assert env["HL_NODE_DATA_DIR"] == mounts["node-data"]["mountPath"]
    assert env["HL_NODE_STATE_FILE"].startswith(mounts["exporter-state"]["mountPath"] + "/")


def test_the_kubernetes_example_is_selected_by_the_shipped_service() -> None:
    service = next(
        doc
        for doc in yaml.safe_load_all((REPO_ROOT / "deploy" / "kubernetes" / "exporter.yaml").read_text())
        if doc["kind"] == "Service"
    )
    labels = _statefulset()["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
