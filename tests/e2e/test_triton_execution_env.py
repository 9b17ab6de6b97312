"""The GPU image's way of running the models (Dockerfile.triton): a rendered repository whose
models carry their own Python backend stub and EXECUTION_ENV_PATH (docker/triton-execution-env.sh)
loads and serves on a tritonserver whose default stub is for another Python, with this
environment's bin off PATH."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as triton_grpc

from convrec_cli.triton import MODELS, pytriton_root, render
from convrec_kit import processes
from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.settings import REPO_ROOT

pytestmark = pytest.mark.e2e

SCRIPT = REPO_ROOT / "docker" / "triton-execution-env.sh"
OTHER_PYTHON = "3.10" if sys.version_info[:2] != (3, 10) else "3.12"


def default_backend(directory: Path) -> Path:
    """Triton's backend directory with the stub of another Python as the default."""
    root = pytriton_root()
    python = directory / "python"
    python.mkdir(parents=True)
    for source in (root / "backends" / "python" / "libtriton_python.so",
                   root / "backends" / "python" / "triton_python_backend_utils.py",
                   root / "python_backend_stubs" / OTHER_PYTHON / "triton_python_backend_stub"):
        (python / source.name).symlink_to(source)
    return directory


def server_env() -> dict[str, str]:
    """No trace of this environment on PATH; libpython of this interpreter (in the image the
    environment's libpython and stdlib come from one Python install)."""
    env = os.environ.copy()
    own_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != own_bin)
    env["LD_LIBRARY_PATH"] = sysconfig.get_config_var("LIBDIR") or ""
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory, catalog_dir):
    work = tmp_path_factory.mktemp("triton-env")
    repository = render(work / "repository", "cpu", catalog_dir.parent)
    subprocess.run(["bash", str(SCRIPT), str(repository), sys.prefix], check=True, capture_output=True)
    ports = [processes.free_port() for _ in range(3)]
    log = work / "tritonserver.log"
    command = [str(pytriton_root() / "bin" / "tritonserver"), f"--model-repository={repository}",
               f"--backend-directory={default_backend(work / 'backends')}", f"--grpc-port={ports[0]}",
               f"--http-port={ports[1]}", f"--metrics-port={ports[2]}", "--grpc-address=127.0.0.1",
               "--http-address=127.0.0.1", "--allow-gpu-metrics=false", "--log-verbose=1"]
    proc = processes.start(command, server_env(), log)
    client = triton_grpc.InferenceServerClient(f"127.0.0.1:{ports[0]}")

    def ready() -> bool:
        try:
            return client.is_server_ready() and all(client.is_model_ready(m) for m in MODELS)
        except Exception:  # not listening yet
            return False

    try:
        processes.wait_ready(ready, 180, "tritonserver", proc, log, interval=0.5)
        yield repository, client, log
    finally:
        client.close()
        processes.stop(proc)


def test_every_model_gets_its_stub_and_environment(served):
    repository, _, log = served
    for model in MODELS:
        config = (repository / model / "config.pbtxt").read_text()
        assert f'string_value: "{Path(sys.prefix).resolve()}"' in config
        assert (repository / model / "triton_python_backend_stub").resolve().parent.name == (
            f"{sys.version_info[0]}.{sys.version_info[1]}")
    text = log.read_text(errors="replace")
    assert f"{repository}/text_encoder/triton_python_backend_stub" in text
    assert "bin/activate" in text


def test_the_models_answer_as_embedded(served):
    _, client, _ = served
    texts = ["a funny movie from the 90s", "Something like Alien, but after 2000 and no horror"]
    data = np.array([[t.encode()] for t in texts], dtype=object)
    request = triton_grpc.InferInput("TEXT", list(data.shape), "BYTES")
    request.set_data_from_numpy(data)
    served_rows = client.infer("text_encoder", [request]).as_numpy("EMBEDDING")
    embedded = MiniLMEncoder().encode(texts)
    assert ((embedded * served_rows).sum(1)).min() >= 0.999
