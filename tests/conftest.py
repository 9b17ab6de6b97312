"""Shared fixtures: built artifacts, and the four services as real processes."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from convrec.dialogue.v1 import dialogue_pb2_grpc
from convrec_kit import artifacts
from convrec_kit.cluster import Cluster
from convrec_kit.settings import REPO_ROOT

ARTIFACTS = REPO_ROOT / "artifacts"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def catalog_dir() -> Path:
    path = ARTIFACTS / "demo"
    if not (path / artifacts.MANIFEST_FILE).exists():
        pytest.fail("artifacts are missing: run `make test` (it runs `convrec build` first)")
    return path


@pytest.fixture(scope="session")
def catalog(catalog_dir):
    return artifacts.load_catalog(catalog_dir)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory, catalog_dir):
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def gateway(cluster):
    channel = grpc.insecure_channel(cluster.address())
    yield dialogue_pb2_grpc.DialogueServiceStub(channel)
    channel.close()
