"""convrec_kit.processes: start, wait for readiness or exit, stop with a grace period."""

from __future__ import annotations

import signal
import socket
import sys
import time

import pytest

from convrec_kit import processes

# A gRPC health server: NOT_SERVING for half a second, then SERVING; exits 0 on SIGTERM.
HEALTH_SERVER = """
import signal, sys, threading, time
from concurrent import futures
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
server = grpc.server(futures.ThreadPoolExecutor(2))
servicer = health.HealthServicer()
servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
server.add_insecure_port(sys.argv[1])
server.start()
time.sleep(0.5)
servicer.set("", health_pb2.HealthCheckResponse.SERVING)
done.wait()
server.stop(0).wait()
print("stopped cleanly", flush=True)
"""
# Ignores SIGTERM, then says so by creating the file argv[1].
STUBBORN = """
import pathlib, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).touch()
time.sleep(60)
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def started_stubborn(tmp_path, name: str = "stubborn"):
    flag = tmp_path / f"{name}.ready"
    proc = processes.start(python(STUBBORN, str(flag)))
    processes.wait_ready(flag.exists, 10, name, proc)
    return proc


def test_free_port_can_be_bound():
    port = processes.free_port()
    assert 1024 <= port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_health_server_is_waited_for_and_stopped_within_grace(tmp_path):
    address = f"127.0.0.1:{processes.free_port()}"
    log = tmp_path / "logs" / "health.log"
    proc = processes.start(python(HEALTH_SERVER, address), log_path=log)
    try:
        started = time.monotonic()
        processes.wait_serving(address, timeout=30, proc=proc, log_path=log)
        assert time.monotonic() - started >= 0.5  # NOT_SERVING did not count as ready
        assert proc.poll() is None
        assert processes.stop(proc, grace=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "stopped cleanly" in log.read_text()


def test_wait_ready_polls_a_callable(tmp_path):
    flag = tmp_path / "ready"
    proc = processes.start(python("import pathlib, sys, time; time.sleep(0.3); pathlib.Path(sys.argv[1]).touch(); "
                                  "time.sleep(60)", str(flag)))
    try:
        assert not flag.exists()
        processes.wait_ready(flag.exists, 10, "sleeper", proc, interval=0.05)
        assert flag.exists()
    finally:
        assert processes.stop(proc, grace=5) == -signal.SIGTERM


def test_wait_ready_reports_an_early_exit_with_the_log(tmp_path):
    log = tmp_path / "crash.log"
    proc = processes.start(python("print('boom: no artifacts'); raise SystemExit(3)"), log_path=log)
    with pytest.raises(RuntimeError, match=r"(?s)crasher exited with 3:.*boom: no artifacts"):
        processes.wait_ready(lambda: False, 10, "crasher", proc, log)


def test_wait_ready_times_out():
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="never not ready within"):
        processes.wait_ready(lambda: False, 0.3, "never", interval=0.05)
    assert 0.3 <= time.monotonic() - started < 2


def test_wait_serving_times_out_without_a_server():
    with pytest.raises(TimeoutError, match="SERVING"):
        processes.wait_serving(f"127.0.0.1:{processes.free_port()}", timeout=0.5)


def test_stop_kills_after_the_grace_period(tmp_path):
    proc = started_stubborn(tmp_path)
    started = time.monotonic()
    assert processes.stop(proc, grace=0.5) == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - started < 5


def test_stop_all_shares_one_grace_period(tmp_path):
    procs = [started_stubborn(tmp_path, f"stubborn-{i}") for i in range(3)]
    quick = processes.start(python("import time; time.sleep(60)"))
    started = time.monotonic()
    codes = processes.stop_all([*procs, quick], grace=0.5)
    assert codes == [-signal.SIGKILL] * 3 + [-signal.SIGTERM]
    assert time.monotonic() - started < 1.5  # not 0.5 s per process


def test_stop_of_an_exited_process_returns_its_code():
    proc = processes.start(python("raise SystemExit(4)"))
    proc.wait(timeout=10)
    assert processes.stop(proc, grace=0.1) == 4


def test_wait_first_exit_names_the_first_to_exit():
    procs = {
        "sleeper": processes.start(python("import time; time.sleep(60)")),
        "quitter": processes.start(python("import time; time.sleep(0.2); raise SystemExit(7)")),
    }
    try:
        assert processes.wait_first_exit(procs, interval=0.05) == ("quitter", 7)
        assert procs["sleeper"].poll() is None
    finally:
        processes.stop_all(list(procs.values()), grace=5)


def test_stop_request_ends_the_wait_on_sigterm():
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    sleeper = processes.start(python("import time; time.sleep(60)"))
    try:
        stop = processes.StopRequest()
        assert not stop.requested
        signal.raise_signal(signal.SIGTERM)
        assert stop.requested
        assert processes.wait_first_exit({"sleeper": sleeper}, stop) is None
        assert sleeper.poll() is None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        processes.stop(sleeper, grace=5)
