"""`convrec serve all`: the four services as separate processes, stopped together."""

from __future__ import annotations

import os
import sys

from convrec_kit import processes
from convrec_kit.cluster import SERVICES, serve_command


def supervise(with_triton: bool = False) -> int:
    """Starts every service; if one exits, stops the rest and exits with its code.
    With `with_triton`, a tritonserver is started first and the services use it."""
    env = os.environ.copy()
    if not with_triton:
        return _run_services(env)
    from convrec_kit.settings import CommonSettings, load_settings

    from .triton import TritonServer

    settings = load_settings(CommonSettings)
    port = int(settings.triton_url.rsplit(":", 1)[1])
    triton = TritonServer(settings.artifacts_dir / "triton", settings.artifacts_dir, port, port - 1,
                          port + 1, settings.triton_device, settings.torch_threads, settings.catalog).start()
    try:
        triton.wait_ready()
        print(f"convrec: tritonserver ready on {triton.url}", file=sys.stderr)
        env["CONVREC_MODEL_BACKEND"] = "triton"
        return _run_services(env)
    finally:
        triton.stop()


def _run_services(env: dict[str, str]) -> int:
    procs = {name: processes.start(serve_command(name), env) for name in SERVICES}
    try:
        exited = processes.wait_first_exit(procs, processes.StopRequest())
        if exited is not None:
            print(f"convrec: {exited[0]} exited with {exited[1]}; stopping the others", file=sys.stderr)
    finally:
        processes.stop_all(list(procs.values()), grace=15.0)
    return 0 if exited is None else exited[1] or 1
