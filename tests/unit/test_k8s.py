"""The Kubernetes manifests render with kustomize and validate strictly, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from convrec_kit.settings import REPO_ROOT

BIN = Path(sys.executable).parent


def render(overlay: str) -> list[dict]:
    done = subprocess.run([str(BIN / "kubectl"), "kustomize", str(REPO_ROOT / "k8s" / overlay)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.mark.parametrize("overlay", ["base", "overlays/triton-gpu"])
def test_manifests_validate_strictly(overlay, tmp_path):
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(render(overlay)))
    done = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_service_has_grpc_readiness_and_autoscaling():
    docs = render("base")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for name, port in (("intent", 50052), ("retrieval", 50053), ("ranking", 50054)):
        assert ("HorizontalPodAutoscaler", name) in kinds and ("Service", name) in kinds
        deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["grpc"]["port"] == port
        assert container["args"] == ["serve", name]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["CONVREC_MODEL_BACKEND"] == "embedded" and config["CONVREC_LOG_FORMAT"] == "json"


def test_gpu_overlay_points_the_services_at_triton_on_a_gpu():
    docs = render("overlays/triton-gpu")
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["CONVREC_MODEL_BACKEND"] == "triton" and config["CONVREC_TRITON_URL"] == "triton:8001"
    triton = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "triton")
    container = triton["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"name": "CONVREC_TRITON_DEVICE", "value": "gpu"} in container["env"]
