"""`convrec serve all`: when one service exits, the others are stopped and its code returned."""

from __future__ import annotations

import signal
import sys

import pytest

from convrec_cli import supervise


@pytest.fixture
def restored_signals():
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def test_one_exit_stops_the_others_and_returns_its_code(monkeypatch, tmp_path, restored_signals, capsys):
    ready, stopped = tmp_path / "ready", tmp_path / "stopped"
    ready.mkdir()
    stopped.mkdir()

    def fake_service(name: str) -> list[str]:
        # the others mark themselves ready, then record that SIGTERM ended them;
        # ranking fails once they are all ready
        if name == "ranking":
            code = (f"import pathlib, time\n"
                    f"while len(list(pathlib.Path({str(ready)!r}).iterdir())) < 3: time.sleep(0.05)\n"
                    f"raise SystemExit(5)\n")
        else:
            code = (f"import pathlib, signal, sys, time\n"
                    f"def bye(*_):\n    pathlib.Path({str(stopped / name)!r}).touch(); sys.exit(0)\n"
                    f"signal.signal(signal.SIGTERM, bye)\n"
                    f"pathlib.Path({str(ready / name)!r}).touch()\ntime.sleep(60)\n")
        return [sys.executable, "-c", code]

    monkeypatch.setattr(supervise, "serve_command", fake_service)
    assert supervise.supervise() == 5
    assert sorted(p.name for p in stopped.iterdir()) == ["gateway", "intent", "retrieval"]
    assert "ranking exited with 5; stopping the others" in capsys.readouterr().err
