"""The grpcurl session in README.md works as written, through server reflection."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from convrec_kit.settings import REPO_ROOT

GRPCURL = Path(sys.executable).parent / "grpcurl"


def readme_grpcurl_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"<!-- grpcurl-session -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "README.md has no grpcurl session block"
    commands, current = [], ""
    for line in block.group(1).splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            commands.append(current.strip())
            current = ""
    return commands


def run(command: str, address: str) -> str:
    argv = shlex.split(command.replace("127.0.0.1:50051", address))
    assert argv[0].endswith("grpcurl")
    argv[0] = str(GRPCURL)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    return done.stdout


@pytest.mark.e2e
def test_readme_grpcurl_session(cluster):
    commands = readme_grpcurl_commands()
    assert len(commands) >= 4
    outputs = [run(c, cluster.address()) for c in commands]
    listed = outputs[0].split()
    assert "convrec.dialogue.v1.DialogueService" in listed and "grpc.health.v1.Health" in listed
    assert "rpc Converse" in outputs[1]
    converse = json.loads(next(o for c, o in zip(commands, outputs) if "/Converse" in c))
    assert converse["action"] == "ACTION_RECOMMEND" and converse["recommendations"]
    feedback = json.loads(next(o for c, o in zip(commands, outputs) if "/SubmitFeedback" in c))
    assert feedback["accepted"] >= 1
