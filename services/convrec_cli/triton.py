"""`convrec triton`: render model_repository/ for a device and run the tritonserver that
the PyPI package nvidia-pytriton bundles (Python backend, CPU here, GPUs in production)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from convrec_kit import processes
from convrec_kit.artifacts import UNDERSTANDING_DIR
from convrec_kit.settings import REPO_ROOT

SOURCE_REPOSITORY = REPO_ROOT / "model_repository"
MODELS = ("text_encoder", "intent_classifier", "multilingual_encoder")
# Served only for a catalog with a trained interest model (else ranking uses its formula).
INTEREST_MODEL = "interest_model"
# Served only for a catalog with a trained dialogue model.
DIALOGUE_MODEL = "dialogue_model"
# Served once `convrec build` has trained it.
UNDERSTANDING_MODEL = "understanding_model"


def render(out_dir: Path, device: str, artifacts_dir: Path, threads: int = 1, instances: int = 1,
           catalog: str | None = None) -> Path:
    """Copies each config.pbtxt with the instance kind and parameters filled in; the model
    code (1/model.py) is linked, not copied, so Triton runs the very same code. The interest
    and dialogue models are rendered for `catalog`'s current trained versions, when it has
    them; the understanding model once it is trained."""
    kind = {"cpu": "KIND_CPU", "gpu": "KIND_GPU"}[device]
    if out_dir.exists():
        shutil.rmtree(out_dir)
    versions = catalog_versions(artifacts_dir, catalog)
    for model_dir in sorted(p for p in SOURCE_REPOSITORY.iterdir() if (p / "config.pbtxt").exists()):
        if model_dir.name in (INTEREST_MODEL, DIALOGUE_MODEL) and versions.get(model_dir.name) is None:
            continue
        if model_dir.name == UNDERSTANDING_MODEL and not (artifacts_dir / UNDERSTANDING_DIR / "manifest.json").exists():
            continue
        config = (model_dir / "config.pbtxt").read_text()
        config = re.sub(r"kind: KIND_\w+", f"kind: {kind}", config)
        config = re.sub(r"count: \d+", f"count: {instances}", config)
        config = _set_parameter(config, "torch_threads", str(threads))
        config = _set_parameter(config, "artifacts_dir", str(artifacts_dir.resolve()))
        if model_dir.name in versions:
            config = _set_parameter(_set_parameter(config, "catalog", catalog), "version", versions[model_dir.name])
        target = out_dir / model_dir.name
        for version in sorted(p for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()):
            (target / version.name).mkdir(parents=True)
            (target / version.name / "model.py").symlink_to((version / "model.py").resolve())
        (target / "config.pbtxt").write_text(config)
    return out_dir


def catalog_versions(artifacts_dir: Path, catalog: str | None) -> dict[str, str | None]:
    """The catalog's current interest and dialogue model versions (None: not trained)."""
    from convrec_kit.models.dialogue import artifact as dialogue
    from convrec_kit.models.interest import artifact as interest

    versions = {}
    for name, artifact in ((INTEREST_MODEL, interest), (DIALOGUE_MODEL, dialogue)):
        directory = artifact.current(artifacts_dir / catalog) if catalog else None
        versions[name] = directory.name if directory else None
    return versions


def rendered_models(repository: Path) -> list[str]:
    return sorted(p.name for p in repository.iterdir() if (p / "config.pbtxt").exists())


def _set_parameter(config: str, key: str, value: str) -> str:
    pattern = rf'(key: "{key}"\s*value: \{{ string_value: )"[^"]*"'
    return re.sub(pattern, lambda m: f'{m.group(1)}"{value}"', config)


def pytriton_root() -> Path:
    import pytriton

    return Path(pytriton.__file__).parent / "tritonserver"


def backend_dir(out_dir: Path) -> Path:
    """Triton's backend directory: links to the bundled Python backend and its stub."""
    root = pytriton_root()
    python = out_dir / "python"
    if python.exists():
        shutil.rmtree(python)
    python.mkdir(parents=True)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for source in (
        root / "backends" / "python" / "libtriton_python.so",
        root / "backends" / "python" / "triton_python_backend_utils.py",
        root / "python_backend_stubs" / version / "triton_python_backend_stub",
    ):
        (python / source.name).symlink_to(source)
    return out_dir


def server_env() -> dict[str, str]:
    """The stub's Python finds this venv through `python3` on PATH and must load the
    libpython this interpreter was built with."""
    env = os.environ.copy()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (libdir, env.get("LD_LIBRARY_PATH", "")) if p)
    return env


@dataclass
class TritonServer:
    workdir: Path
    artifacts_dir: Path
    grpc_port: int
    http_port: int
    metrics_port: int
    device: str = "cpu"
    threads: int = 1
    # The served catalog: its interest model is served too, when it has one.
    catalog: str | None = None
    process: subprocess.Popen | None = field(default=None, init=False)
    models: list[str] = field(default_factory=lambda: list(MODELS), init=False)

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "tritonserver.log"

    def start(self) -> TritonServer:
        repository = render(self.workdir / "model_repository", self.device, self.artifacts_dir, self.threads,
                            catalog=self.catalog)
        self.models = rendered_models(repository)
        backends = backend_dir(self.workdir / "backends")
        command = [
            str(pytriton_root() / "bin" / "tritonserver"),
            f"--model-repository={repository}",
            f"--backend-directory={backends}",
            f"--grpc-port={self.grpc_port}",
            f"--http-port={self.http_port}",
            f"--metrics-port={self.metrics_port}",
            "--grpc-address=127.0.0.1",
            "--http-address=127.0.0.1",
            "--allow-gpu-metrics=false",
            "--strict-readiness=true",
            "--exit-on-error=true",
            "--log-verbose=0",
        ]
        self.process = processes.start(command, server_env(), self.log_path)
        return self

    def ready(self) -> bool:
        """The server and every model report ready."""
        import tritonclient.grpc as triton_grpc

        client = triton_grpc.InferenceServerClient(self.url)
        try:
            return client.is_server_ready() and all(client.is_model_ready(m) for m in self.models)
        except Exception:  # not listening yet
            return False
        finally:
            client.close()

    def wait_ready(self, timeout: float = 120.0) -> None:
        processes.wait_ready(self.ready, timeout, "tritonserver", self.process, self.log_path, interval=0.3)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is not None:
            processes.stop(self.process, timeout)


def serve_triton(artifacts_dir: Path, device: str, grpc_port: int, http_port: int, metrics_port: int,
                 threads: int, catalog: str | None = None) -> int:
    """Runs tritonserver in the foreground until SIGTERM or Ctrl-C."""
    server = TritonServer(artifacts_dir / "triton", artifacts_dir, grpc_port, http_port, metrics_port,
                          device, threads, catalog).start()
    stop = processes.StopRequest()
    try:
        server.wait_ready()
        print(f"tritonserver ready on {server.url} (gRPC), models: {', '.join(server.models)}", flush=True)
        processes.wait_first_exit({"tritonserver": server.process}, stop, interval=0.3)
    finally:
        server.stop()
    return server.process.returncode or 0
