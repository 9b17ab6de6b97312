"""`convrec serve all`: the four services as separate processes, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

SERVICES = ("intent", "retrieval", "ranking", "gateway")


class StopRequest:
    """Becomes true on SIGTERM or SIGINT (Ctrl-C)."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._request)
        signal.signal(signal.SIGINT, self._request)

    def _request(self, *_) -> None:
        self.requested = True


def spawn(name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "convrec_cli.main", "serve", name], env=env or os.environ.copy()
    )


def supervise(with_triton: bool = False) -> int:
    """Starts every service; if one exits, stops the rest and exits with its code.
    With `with_triton`, a tritonserver is started first and the services use it."""
    env = os.environ.copy()
    triton = None
    if with_triton:
        from convrec_kit.settings import CommonSettings, load_settings

        from .triton import TritonServer

        settings = load_settings(CommonSettings)
        port = int(settings.triton_url.rsplit(":", 1)[1])
        triton = TritonServer(settings.artifacts_dir / "triton", settings.artifacts_dir, port, port - 1,
                              port + 1, settings.triton_device, settings.torch_threads).start()
        triton.wait_ready()
        print(f"convrec: tritonserver ready on {triton.url}", file=sys.stderr)
        env["CONVREC_MODEL_BACKEND"] = "triton"
    procs = {name: spawn(name, env) for name in SERVICES}
    stop = StopRequest()
    code = 0
    while not stop.requested:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"convrec: {name} exited with {proc.returncode}; stopping the others", file=sys.stderr)
                code = proc.returncode or 1
                stop.requested = True
                break
        time.sleep(0.2)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
    if triton is not None:
        triton.stop()
    return code
