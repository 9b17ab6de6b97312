"""The dialogue head on a real tritonserver (Python backend, CPU): parity with the embedded
model for single and concurrent (ragged) dialogues, a bad request answered with an error,
and the retrieval service's `dialogue` component computed through Triton."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_cli.bench_dialogue import model_catalog
from convrec_cli.triton import DIALOGUE_MODEL
from convrec_kit.cluster import Cluster
from convrec_kit.models.dialogue import artifact as dialogue_artifact
from convrec_kit.models.dialogue import wire
from convrec_kit.models.dialogue.client import TritonDialogue
from convrec_kit.models.dialogue.inputs import ASSISTANT, USER, DialogueInput
from convrec_kit.models.dialogue.model import DialogueModel

from .helpers import assert_bad_request_is_refused, running_triton

ROLE = common_pb2.Turn.Role


@pytest.fixture(scope="module")
def trained(tmp_path_factory, catalog_dir):
    """A copy of the demo catalog with a dialogue model trained on synthetic dialogues."""
    root = tmp_path_factory.mktemp("artifacts-dialogue")
    work = model_catalog(catalog_dir.parent, catalog_dir.name, root, progress=False)
    return root, work, dialogue_artifact.current(work)


@pytest.fixture(scope="module")
def triton(tmp_path_factory, trained):
    root, work, _ = trained
    with running_triton(tmp_path_factory.mktemp("triton-dialogue"), root, catalog=work.name) as server:
        yield server


@pytest.fixture(scope="module")
def embedded(trained):
    _, work, directory = trained
    return DialogueModel(directory, work)


def dialogues(dim: int, count: int = 5) -> list[DialogueInput]:
    rng = np.random.default_rng(3)
    out = []
    for n, k in ((1, 0), (2, 1), (4, 3), (12, 0), (20, 25))[:count]:  # 20 turns and 25 items: beyond the window
        vectors = rng.normal(size=(n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        roles = tuple(USER if t % 2 == 0 else ASSISTANT for t in range(n))
        out.append(DialogueInput(vectors, roles, tuple(int(i) for i in rng.choice(60, size=k, replace=False))))
    return out


def assert_same(a, b):
    np.testing.assert_allclose(a.text, b.text, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(a.items, b.items, rtol=1e-4, atol=1e-5)


async def test_parity_with_the_embedded_model_alone_and_batched(triton, trained, embedded):
    root, work, directory = trained
    assert DIALOGUE_MODEL in triton.models
    client = TritonDialogue(triton.url, 30.0, directory, work)
    await client.load()
    assert await client.ready() and client.version == embedded.version
    assert np.array_equal(client.bias, embedded.bias) and client.max_turns == embedded.net.config.max_turns
    cases = dialogues(embedded.net.dim)
    for one, expected in zip(cases, embedded.queries(cases)):
        assert_same(await client.query(one), expected)
    together = await asyncio.gather(*(client.query(d) for d in cases * 3))
    for query, expected in zip(together, embedded.queries(cases * 3)):
        assert_same(query, expected)
    await client.close()


def test_a_bad_request_is_an_error_not_a_crash(triton, embedded):
    tensors = wire.request_tensors(dialogues(embedded.net.dim, 2)[1])
    tensors["ITEMS"] = np.array([[len(embedded.bias) + 5]], dtype=np.int64)
    assert_bad_request_is_refused(triton.url, DIALOGUE_MODEL, tensors, wire.INPUTS, "outside the catalog")


def retrieve(address: str, catalog) -> retrieval_pb2.RetrieveResponse:
    liked = catalog.items[4]
    request = retrieval_pb2.RetrieveRequest(
        query="something similar", top_k=15, context_item_ids=[liked.item_id],
        dialogue=[common_pb2.Turn(role=ROLE.ROLE_USER, text=f"I really liked {liked.title}, anything similar?")])
    with grpc.insecure_channel(address) as channel:
        return retrieval_pb2_grpc.RetrievalServiceStub(channel).Retrieve(request, timeout=60)


def test_the_retrieval_service_scores_the_dialogue_on_triton_as_embedded(tmp_path, triton, trained, catalog):
    root, work, directory = trained
    env = {"CONVREC_ARTIFACTS_DIR": str(root), "CONVREC_CATALOG": work.name}
    replies = {}
    for backend, extra in (("embedded", {}), ("triton", {"CONVREC_TRITON_URL": triton.url})):
        cluster = Cluster(tmp_path / backend, extra_env={**env, "CONVREC_MODEL_BACKEND": backend, **extra})
        try:
            cluster.start(names=("retrieval",))
            replies[backend] = retrieve(cluster.address("retrieval"), catalog)
        finally:
            cluster.stop()
    dialogue = {b: {s.item_id: c for s in r.candidates for c in s.components if c.name == "dialogue"}
                for b, r in replies.items()}
    sources = {c.source for c in dialogue["triton"].values()}
    assert dialogue["triton"] and sources == {f"dialogue-model {directory.name}"}
    # The encoders run on Triton too, batched differently: the same items, the same values within float error.
    common = set(dialogue["triton"]) & set(dialogue["embedded"])
    assert len(common) >= 0.8 * max(len(dialogue["triton"]), len(dialogue["embedded"]))
    for item_id in common:
        assert dialogue["triton"][item_id].value == pytest.approx(dialogue["embedded"][item_id].value, abs=1e-3)
