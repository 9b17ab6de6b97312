"""The Kubernetes manifests turn authentication and rate limits on, with the secret from convrec-auth."""

from __future__ import annotations

import pytest

from convrec_gateway.ratelimit import RateLimitSettings

from .test_k8s import OVERLAYS, find, render

SERVICES = ("gateway", "intent", "retrieval", "ranking")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_authenticates_with_the_convrec_auth_secret(overlay):
    docs = render(overlay)
    config = find(docs, "ConfigMap", "convrec-config")["data"]
    assert config["CONVREC_AUTH"] == "on"
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet") and doc["metadata"]["name"] in SERVICES:
            container = doc["spec"]["template"]["spec"]["containers"][0]
            sources = [s.get("secretRef", {}).get("name") for s in container["envFrom"]]
            assert "convrec-auth" in sources, doc["metadata"]["name"]


def test_rate_limits_in_the_config_map_parse():
    config = find(render("base"), "ConfigMap", "convrec-config")["data"]
    limits = RateLimitSettings(rate_limit_converse=config["CONVREC_RATE_LIMIT_CONVERSE"],
                               rate_limit_feedback=config["CONVREC_RATE_LIMIT_FEEDBACK"]).rates()
    assert set(limits) == {"Converse", "SubmitFeedback"}
