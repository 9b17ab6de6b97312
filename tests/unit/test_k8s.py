"""The Kubernetes manifests render with kustomize and validate strictly, offline; the
network policies, headless Services and the Redis overlay say what they should."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from convrec_kit.channels import SERVICE_CONFIG
from convrec_kit.settings import REPO_ROOT, CommonSettings

BIN = Path(sys.executable).parent
K8S = REPO_ROOT / "k8s"
OVERLAYS = ["base", "overlays/triton-gpu", "overlays/redis"]
DOWNSTREAM = (("intent", 50052), ("retrieval", 50053), ("ranking", 50054))
NAMESPACE = {"kubernetes.io/metadata.name": "convrec"}
MONITORING = {"kubernetes.io/metadata.name": "monitoring"}
METRICS = {"intent": 9152, "retrieval": 9153, "ranking": 9154}
PORTS = {"gateway": 50051, **dict(DOWNSTREAM)}
TLS_DIR = "/etc/convrec/tls"


def render(overlay: str | Path) -> list[dict]:
    done = subprocess.run([str(BIN / "kubectl"), "kustomize", str(K8S / overlay)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def composed(tmp_path: Path) -> Path:
    """An overlay of the user's own: Triton on GPUs plus the Redis component."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(K8S, tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        f"resources:\n  - {rel}/overlays/triton-gpu\ncomponents:\n  - {rel}/components/redis\n")
    return tmp_path


def find(docs: list[dict], kind: str, name: str) -> dict:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def validate(docs: list[dict], tmp_path: Path) -> None:
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    done = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def assert_namespaced_and_tagged(docs: list[dict]) -> None:
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "convrec", doc["metadata"]["name"]
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            assert ":" in container["image"], (doc["metadata"]["name"], container["image"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_validate_strictly(overlay, tmp_path):
    validate(render(overlay), tmp_path)


def test_the_redis_component_composes_with_the_gpu_overlay(tmp_path):
    docs = render(composed(tmp_path / "mine"))
    validate(docs, tmp_path)
    assert_namespaced_and_tagged(docs)
    assert find(docs, "Deployment", "triton") and find(docs, "StatefulSet", "redis")
    assert not [d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "gateway"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_is_in_the_namespace_and_every_image_is_tagged(overlay):
    assert_namespaced_and_tagged(render(overlay))


def test_every_service_has_grpc_readiness_and_autoscaling():
    docs = render("base")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for name, port in DOWNSTREAM:
        assert ("HorizontalPodAutoscaler", name) in kinds and ("Service", name) in kinds
        container = find(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]
        assert_probes_the_health_service(container, port)
        assert container["args"] == ["serve", name]
    config = find(docs, "ConfigMap", "convrec-config")["data"]
    assert config["CONVREC_MODEL_BACKEND"] == "embedded" and config["CONVREC_LOG_FORMAT"] == "json"


def test_downstream_services_are_headless_and_called_round_robin():
    docs = render("base")
    config = find(docs, "ConfigMap", "convrec-config")["data"]
    for name, port in DOWNSTREAM:
        assert find(docs, "Service", name)["spec"]["clusterIP"] == "None"
        assert config[f"CONVREC_{name.upper()}_ADDRESS"] == f"dns:///{name}:{port}"
    assert SERVICE_CONFIG["loadBalancingConfig"] == [{"round_robin": {}}]
    assert SERVICE_CONFIG["retryThrottling"]["maxTokens"] > 0
    assert int(config["CONVREC_MAX_CONNECTION_AGE_SECONDS"]) > 0


def _matches(selector: dict, labels: dict) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value, present = labels.get(expr["key"]), expr["key"] in labels
        if not {"In": present and value in expr.get("values", []),
                "NotIn": not present or value not in expr.get("values", []),
                "Exists": present, "DoesNotExist": not present}[expr["operator"]]:
            return False
    return True


def _peer_allows(peer: dict, pod: dict, namespace: dict) -> bool:
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        return _matches(peer["namespaceSelector"], namespace) and _matches(peer.get("podSelector", {}), pod)
    return namespace == NAMESPACE and _matches(peer["podSelector"], pod)


def reachable(docs, source: dict, target: dict, port: int, namespace: dict = NAMESPACE) -> bool:
    """Whether a pod labelled `source` in `namespace` may open `port` on a convrec pod
    labelled `target`, by the NetworkPolicy rules (ingress only)."""
    policies = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy"
                and "Ingress" in d["spec"].get("policyTypes", ["Ingress"])
                and _matches(d["spec"]["podSelector"], target)]
    if not policies:
        return True
    return any(
        (not rule.get("ports") or any(p.get("port") == port for p in rule["ports"]))
        and (not rule.get("from") or any(_peer_allows(peer, source, namespace) for peer in rule["from"]))
        for policy in policies for rule in policy.get("ingress", [])
    )


def app(name: str) -> dict:
    return {"app.kubernetes.io/name": name}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_reaches_the_services_behind_it(overlay):
    docs = render(overlay)
    for name, port in DOWNSTREAM:
        assert reachable(docs, app("gateway"), app(name), port)
        for other in ("intent", "retrieval", "ranking", "redis", "debug-shell"):
            assert not reachable(docs, app(other), app(name), port), (other, name)
        assert not reachable(docs, app("gateway"), app(name), port, MONITORING)
        assert reachable(docs, {}, app(name), METRICS[name], MONITORING)
    assert reachable(docs, app("debug-shell"), app("gateway"), 50051)
    assert not reachable(docs, app("debug-shell"), app("gateway"), 50051, {"kubernetes.io/metadata.name": "other"})
    assert not reachable(docs, app("debug-shell"), app("gateway"), 9151)


def test_only_the_gateway_reaches_redis_and_only_model_services_reach_triton():
    redis = render("overlays/redis")
    assert reachable(redis, app("gateway"), app("redis"), 6379)
    for other in ("intent", "retrieval", "ranking", "debug-shell"):
        assert not reachable(redis, app(other), app("redis"), 6379)
    gpu = render("overlays/triton-gpu")
    assert reachable(gpu, app("intent"), app("triton"), 8001) and reachable(gpu, app("retrieval"), app("triton"), 8001)
    assert not reachable(gpu, app("gateway"), app("triton"), 8001)


def test_the_base_gateway_is_one_sqlite_replica():
    docs = render("base")
    gateway = find(docs, "StatefulSet", "gateway")
    assert gateway["spec"]["replicas"] == 1 and gateway["spec"]["volumeClaimTemplates"]
    assert find(docs, "ConfigMap", "convrec-config")["data"]["CONVREC_STORE"] == "sqlite"


def test_the_redis_overlay_runs_gateway_replicas_on_a_durable_redis():
    docs = render("overlays/redis")
    assert not [d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "gateway"]
    gateway = find(docs, "Deployment", "gateway")
    assert gateway["spec"]["replicas"] >= 2
    assert find(docs, "HorizontalPodAutoscaler", "gateway")["spec"]["minReplicas"] >= 2
    assert find(docs, "PodDisruptionBudget", "gateway")["spec"]["selector"]["matchLabels"] == app("gateway")
    config = find(docs, "ConfigMap", "convrec-config")["data"]
    assert config["CONVREC_STORE"] == "redis" and "CONVREC_STATE_PATH" not in config
    env = {e["name"]: e for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CONVREC_REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "convrec-redis", "key": "url"}
    redis = find(docs, "StatefulSet", "redis")
    args = " ".join(redis["spec"]["template"]["spec"]["containers"][0]["args"])
    assert "--appendonly yes" in args and "--appendfsync always" in args and "--maxmemory-policy noeviction" in args
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert find(docs, "Service", "redis")["spec"]["ports"][0]["port"] == 6379


def test_gpu_overlay_points_the_services_at_triton_on_a_gpu():
    docs = render("overlays/triton-gpu")
    config = find(docs, "ConfigMap", "convrec-config")["data"]
    assert config["CONVREC_MODEL_BACKEND"] == "triton" and config["CONVREC_TRITON_URL"] == "triton:8001"
    container = find(docs, "Deployment", "triton")["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert container["image"] == "convrec-triton:0.1.0-triton24.10"
    assert "--model-repository=/models/repository" in container["args"]
    assert "/models/repository" in (REPO_ROOT / "Dockerfile.triton").read_text()


def assert_probes_the_health_service(container: dict, port: int) -> None:
    """Readiness (and startup) probes exec the TLS-capable health check against the pod's own port."""
    for kind in ("readinessProbe", "startupProbe"):
        if kind not in container:
            continue
        command = container[kind]["exec"]["command"]
        assert command[:3] == ["python", "-m", "convrec_kit.healthcheck"], command
        args = dict(zip(command[3::2], command[4::2]))
        assert args == {"--address": f"127.0.0.1:{port}", "--server-name": "localhost"}
        assert container[kind]["timeoutSeconds"] >= 3
    assert "readinessProbe" in container
    assert importlib.util.find_spec(command[2]) is not None  # the module the image runs


def pods(docs: list[dict]) -> dict[str, dict]:
    """The pod template of each convrec service workload, by name."""
    return {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in docs
            if d["kind"] in ("Deployment", "StatefulSet") and d["metadata"]["name"] in PORTS}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_serves_tls_from_the_secret_and_only_the_gateway_takes_clients_without_a_certificate(overlay):
    docs = render(overlay)
    config = find(docs, "ConfigMap", "convrec-config")["data"]
    tls = {k: v for k, v in config.items() if k.startswith("CONVREC_TLS_")}
    assert tls == {"CONVREC_TLS_CERT_FILE": f"{TLS_DIR}/tls.crt", "CONVREC_TLS_KEY_FILE": f"{TLS_DIR}/tls.key",
                   "CONVREC_TLS_CA_FILE": f"{TLS_DIR}/ca.crt", "CONVREC_TLS_CLIENT_CERT_FILE": f"{TLS_DIR}/tls.crt",
                   "CONVREC_TLS_CLIENT_KEY_FILE": f"{TLS_DIR}/tls.key"}
    assert {k.removeprefix("CONVREC_").lower() for k in tls} <= set(CommonSettings.model_fields)
    found = pods(docs)
    assert set(found) == set(PORTS)
    for name, pod in found.items():
        volume = next(v for v in pod["volumes"] if v["name"] == "tls")
        assert volume["secret"]["secretName"] == "convrec-tls" and volume["secret"]["defaultMode"] == 0o440
        container = pod["containers"][0]
        mount = next(m for m in container["volumeMounts"] if m["name"] == "tls")
        assert mount == {"name": "tls", "mountPath": TLS_DIR, "readOnly": True}  # no subPath: renewals reach it
        assert_probes_the_health_service(container, PORTS[name])
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        expected = None if name == "gateway" else f"{TLS_DIR}/ca.crt"
        assert env.get("CONVREC_TLS_CLIENT_CA_FILE") == expected, name  # mutual TLS behind the gateway
