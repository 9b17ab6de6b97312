"""The understanding model on a real tritonserver (Python backend, CPU): the same intents and
spans as the embedded model, alone and for concurrent requests with and without contexts, a
bad request answered with an error, and the intent service parsing through Triton."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
from tritonclient.utils import InferenceServerException

from convrec.intent.v1 import intent_pb2, intent_pb2_grpc
from convrec_cli.launcher import Cluster
from convrec_cli.triton import UNDERSTANDING_MODEL
from convrec_kit import artifacts
from convrec_kit.models.e5 import E5Encoder
from convrec_kit.models.e5_convert import E5_DIR
from convrec_kit.models.understanding.client import TritonUnderstanding
from convrec_kit.models.understanding.model import UnderstandingModel

from .helpers import running_triton

PAIRS = [
    ("a science fiction movie from the 90s, no horror", ""),
    ("推荐几部九十年代的科幻电影，不要恐怖片", ""),
    ("the second one", "Here are three picks: 1. Alien (1979) 2. Arrival (2016) 3. Dune (2021)"),
    ("有没有 Nolan 的片子", ""),
    ("bye!", ""),
]


@pytest.fixture(scope="module")
def triton(tmp_path_factory, catalog_dir):
    root = catalog_dir.parent
    if not (root / artifacts.UNDERSTANDING_DIR / "manifest.json").exists():
        pytest.fail("the understanding model is missing: run `make test` (it runs `convrec build` first)")
    with running_triton(tmp_path_factory.mktemp("triton-understanding"), root) as server:
        yield server


@pytest.fixture(scope="module")
def embedded(catalog_dir):
    root = catalog_dir.parent
    return UnderstandingModel(root / artifacts.UNDERSTANDING_DIR, root / E5_DIR)


def assert_same(a, b, atol: float = 1e-4):
    np.testing.assert_allclose(a.probs, b.probs, atol=atol)
    assert int(a.probs.argmax()) == int(b.probs.argmax())
    assert [(s.start, s.end, s.slot) for s, _ in a.spans] == [(s.start, s.end, s.slot) for s, _ in b.spans]


async def test_parity_with_the_embedded_model_alone_and_batched(triton, embedded):
    assert UNDERSTANDING_MODEL in triton.models
    client = TritonUnderstanding(triton.url, 30.0)
    await client.load()
    assert await client.ready()
    expected = [embedded.predict([t], [c])[0] for t, c in PAIRS]
    for pair, want in zip(PAIRS, expected, strict=True):
        assert_same((await client.predict([pair]))[0], want)
    # Concurrent requests are padded into one batch: in bf16 that moves probabilities a little.
    concurrent = await asyncio.gather(*(client.predict([p]) for p in PAIRS * 3))
    for got, want in zip(concurrent, expected * 3, strict=True):
        assert_same(got[0], want, atol=1e-2)
    await client.close()


def test_a_bad_request_is_an_error_not_a_crash(triton):
    client = triton_grpc.InferenceServerClient(triton.url)
    text = triton_grpc.InferInput("TEXT", [1, 1], "BYTES")
    text.set_data_from_numpy(np.array([[b"   "]], dtype=object))
    context = triton_grpc.InferInput("CONTEXT", [1, 1], "BYTES")
    context.set_data_from_numpy(np.array([[b""]], dtype=object))
    with pytest.raises(InferenceServerException, match="bad TEXT, CONTEXT input"):
        client.infer(UNDERSTANDING_MODEL, [text, context])
    client.close()


def test_the_intent_service_parses_through_triton(triton, tmp_path):
    cluster = Cluster(tmp_path, extra_env={"CONVREC_UNDERSTANDING": "model", "CONVREC_MODEL_BACKEND": "triton",
                                           "CONVREC_TRITON_URL": triton.url})
    try:
        cluster.start(names=("intent",))
        with grpc.insecure_channel(cluster.address("intent")) as channel:
            stub = intent_pb2_grpc.IntentServiceStub(channel)
            parsed = stub.Parse(intent_pb2.ParseRequest(utterance="a science fiction movie from the 90s, no horror"),
                                timeout=30)
    finally:
        cluster.stop()
    assert "science fiction" in parsed.constraints.include_categories
    assert "horror" in parsed.constraints.exclude_categories


def test_the_service_s_shared_word_embeddings_change_nothing(catalog_dir, embedded):
    """The intent service builds the model around its span encoder's word embeddings; Triton
    and the model alone read them from the converted encoder: the same answers."""
    root = catalog_dir.parent
    words = E5Encoder(root / E5_DIR).model.embeddings.word_embeddings.weight
    shared = UnderstandingModel(root / artifacts.UNDERSTANDING_DIR, root / E5_DIR, word_embeddings=words)
    assert shared.net.encoder.embeddings.word_embeddings.weight.data_ptr() == words.data_ptr()
    for text, context in PAIRS:
        assert_same(shared.predict([text], [context])[0], embedded.predict([text], [context])[0])
