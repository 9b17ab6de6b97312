"""The convrec command: demo and chat against the gateway, and `serve all` supervising."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from convrec_cli.launcher import free_port, wait_serving

CONVREC = [sys.executable, "-m", "convrec_cli.main"]


def test_demo_prints_every_turn_with_explanations(cluster):
    done = subprocess.run([*CONVREC, "demo", "--address", cluster.address()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("you: ") >= 8
    assert "convrec [ask_clarification]" in out and "convrec [recommend]" in out
    assert "convrec [explain]" in out and "convrec [details]" in out
    assert "Because " in out and "推荐理由" in out


def test_chat_reads_utterances_until_an_empty_line(cluster):
    done = subprocess.run([*CONVREC, "chat", "--address", cluster.address()],
                          input="a western movie\nwhy the first one?\n\n", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "convrec [recommend]" in done.stdout and "convrec [explain]" in done.stdout
    assert " 1. " in done.stdout


def test_serve_all_runs_four_processes_and_stops_them_on_sigterm(tmp_path, catalog_dir):
    ports = {name: free_port() for name in ("gateway", "intent", "retrieval", "ranking")}
    env = os.environ.copy()
    env.update({f"CONVREC_{n.upper()}_PORT": str(p) for n, p in ports.items()})
    env.update({f"CONVREC_{n.upper()}_METRICS_PORT": "0" for n in ports})
    env.update({
        "CONVREC_INTENT_ADDRESS": f"127.0.0.1:{ports['intent']}",
        "CONVREC_RETRIEVAL_ADDRESS": f"127.0.0.1:{ports['retrieval']}",
        "CONVREC_RANKING_ADDRESS": f"127.0.0.1:{ports['ranking']}",
        "CONVREC_STATE_PATH": str(tmp_path / "state.sqlite3"),
    })
    proc = subprocess.Popen([*CONVREC, "serve", "all"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_serving(f"127.0.0.1:{ports['gateway']}", timeout=180)
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 4
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - started < 30
        for pid in children:
            assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
