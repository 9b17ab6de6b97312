"""Small helpers for driving the gateway in tests."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2
from convrec_kit.settings import REPO_ROOT

A = dialogue_pb2
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # as in tests/conftest.py


def needs_shared(path: Path, what: str):
    """Skips a test module when a file of ../shared/data is absent."""
    return pytest.mark.skipif(not path.exists(), reason=f"shared {what} not at {path.parent}")


@contextmanager
def running_triton(workdir: Path, artifacts_dir: Path, catalog: str | None = None):
    """A real tritonserver on free loopback ports serving `artifacts_dir`'s models, until the block ends."""
    from convrec_cli.triton import TritonServer
    from convrec_kit.processes import free_port

    server = TritonServer(workdir, artifacts_dir, free_port(), free_port(), free_port(), catalog=catalog).start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def assert_bad_request_is_refused(url: str, model: str, tensors: dict, kinds: dict, message: str) -> None:
    """Raw named tensors ({name: array}, Triton types in `kinds`) answered with a Triton error
    matching `message`, and the model still ready afterwards."""
    import tritonclient.grpc as triton_grpc
    from tritonclient.utils import InferenceServerException

    client = triton_grpc.InferenceServerClient(url)
    inputs = []
    for name, array in tensors.items():
        inputs.append(triton_grpc.InferInput(name, list(array.shape), kinds[name][0]))
        inputs[-1].set_data_from_numpy(array)
    with pytest.raises(InferenceServerException, match=message):
        client.infer(model, inputs)
    assert client.is_model_ready(model)


def say(stub, utterance: str, session_id: str = "", user_id: str = "", page_size: int = 10, **kwargs):
    return stub.Converse(
        dialogue_pb2.ConverseRequest(
            session_id=session_id, user_id=user_id, utterance=utterance, page_size=page_size, **kwargs
        ),
        timeout=30,
    )


def ids(response) -> list[str]:
    return [r.item.item_id for r in response.recommendations]


def years(response) -> list[int]:
    return [int(r.item.numeric["year"]) for r in response.recommendations]


def turn(role: str, text: str) -> common_pb2.Turn:
    value = common_pb2.Turn.ROLE_USER if role == "user" else common_pb2.Turn.ROLE_ASSISTANT
    return common_pb2.Turn(role=value, text=text)
