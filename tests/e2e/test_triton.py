"""The models served by a real tritonserver (Python backend, CPU): parity with the embedded
path, a conversation in Triton mode, and an outage the services survive."""

from __future__ import annotations

import time

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.utils import InferenceServerException

from convrec.dialogue.v1 import dialogue_pb2_grpc
from convrec_cli.launcher import Cluster
from convrec_cli.triton import TritonServer
from convrec_kit import artifacts
from convrec_kit.models.e5 import E5Encoder
from convrec_kit.models.e5_convert import E5_DIR
from convrec_kit.models.intent import IntentModel
from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.models.triton_client import TritonTextEncoder

from .helpers import A, ids, running_triton, say, turn

SENTENCES = [
    "a funny movie from the 90s", "Something like Alien, but after 2000 and no horror",
    "why the first one?", "who directed the second one?", "I've seen it", "hello there",
    "book me a flight to Paris", "我想看一部动作片", "我想买一本经济类的书，价格在100-200元之间",
    "第一本书多少钱？", "an economics book under $30", "something newer",
]


@pytest.fixture(scope="module")
def triton(tmp_path_factory, catalog_dir):
    with running_triton(tmp_path_factory.mktemp("triton"), catalog_dir.parent) as server:
        yield server


@pytest.fixture(scope="module")
def triton_cluster(tmp_path_factory, triton):
    cluster = Cluster(tmp_path_factory.mktemp("cluster-triton"),
                      extra_env={"CONVREC_MODEL_BACKEND": "triton", "CONVREC_TRITON_URL": triton.url})
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def triton_gateway(triton_cluster):
    with grpc.insecure_channel(triton_cluster.address()) as channel:
        yield dialogue_pb2_grpc.DialogueServiceStub(channel)


def infer(server: TritonServer, model: str, output: str, texts: list[str]) -> np.ndarray:
    client = triton_grpc.InferenceServerClient(server.url)
    data = np.array([[t.encode()] for t in texts], dtype=object)
    request = triton_grpc.InferInput("TEXT", list(data.shape), "BYTES")
    request.set_data_from_numpy(data)
    return client.infer(model, [request]).as_numpy(output)


def test_embedding_parity(triton):
    embedded = MiniLMEncoder().encode(SENTENCES)
    served = infer(triton, "text_encoder", "EMBEDDING", SENTENCES)
    cosine = (embedded * served).sum(1) / np.linalg.norm(embedded, axis=1) / np.linalg.norm(served, axis=1)
    assert cosine.min() >= 0.999


def test_multilingual_parity(triton, catalog_dir):
    embedded = E5Encoder(catalog_dir.parent / E5_DIR).encode(SENTENCES, "query")
    served = infer(triton, "multilingual_encoder", "EMBEDDING", SENTENCES)
    assert ((embedded * served).sum(1)).min() >= 0.999


def test_intent_parity(triton, catalog_dir):
    embedded = IntentModel(catalog_dir.parent / artifacts.INTENT_DIR).predict(SENTENCES)
    served = infer(triton, "intent_classifier", "PROBS", SENTENCES)
    assert (embedded.argmax(1) == served.argmax(1)).all()
    assert np.abs(embedded - served).max() < 1e-3


async def test_a_call_over_max_batch_size_is_split_not_rejected(triton):
    texts = [f"{sentence} ({i})" for i, sentence in enumerate(SENTENCES * 13)][:150]
    with pytest.raises(InferenceServerException, match="batch"):  # one request of 150 is refused
        infer(triton, "text_encoder", "EMBEDDING", texts)
    encoder = TritonTextEncoder(triton.url, timeout=60)
    await encoder.load()
    try:
        assert await encoder.ready()
        served = await encoder.encode(texts)
    finally:
        await encoder.close()
    embedded = MiniLMEncoder().encode(texts)
    assert served.shape == embedded.shape == (150, 384)
    assert ((embedded * served).sum(1)).min() >= 0.999  # both L2-normalised, same order


def test_bad_request_is_an_error_not_a_crash(triton):
    client = triton_grpc.InferenceServerClient(triton.url)
    bad = triton_grpc.InferInput("TEXT", [1, 1], "BYTES")
    bad.set_data_from_numpy(np.array([[b"\xff\xfe"]], dtype=object))
    with pytest.raises(InferenceServerException, match="bad TEXT input"):
        client.infer("text_encoder", [bad])
    assert client.is_server_ready() and client.is_model_ready("text_encoder")


def test_same_answers_as_embedded(gateway, triton_gateway):
    for utterance in SENTENCES:
        history = [turn("user", "I like science fiction"), turn("assistant", "How about Alien (1979)?")]
        embedded = say(gateway, utterance, history=history)
        served = say(triton_gateway, utterance, history=history)
        assert served.intent.type == embedded.intent.type, utterance
        assert served.action == embedded.action, utterance
        assert ids(served) == ids(embedded), utterance


def test_conversation_in_triton_mode(triton_gateway):
    r = say(triton_gateway, "Something like Alien, but after 2000 and no horror", page_size=5)
    assert r.action == A.ACTION_RECOMMEND and len(r.recommendations) == 5
    why = say(triton_gateway, "why the first one?", session_id=r.session_id)
    assert why.action == A.ACTION_EXPLAIN
    zh = say(triton_gateway, "我想买一本经济类的书，价格在100-200元之间", session_id=r.session_id)
    assert all(100 <= rec.item.numeric["price"] <= 200 for rec in zh.recommendations)


def _status(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status


def _wait_status(address: str, wanted: int, timeout: float) -> int:
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        status = _status(address)
        if status == wanted:
            break
        time.sleep(0.2)
    return status


def test_triton_outage_and_recovery(triton, triton_cluster, triton_gateway):
    triton.stop()
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        say(triton_gateway, "a thriller from the 80s")
    assert caught.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    assert "unavailable" in caught.value.details().lower() or "in time" in caught.value.details()
    assert time.monotonic() - started < 5, "no hang past the turn budget"
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    serving = health_pb2.HealthCheckResponse.SERVING
    assert _wait_status(triton_cluster.address("intent"), not_serving, 10) == not_serving
    assert _wait_status(triton_cluster.address("retrieval"), not_serving, 10) == not_serving
    # The gateway stays up: turns that need new items fail, the rest are answered degraded.
    assert _status(triton_cluster.address()) == serving

    triton.start()
    triton.wait_ready()
    assert _wait_status(triton_cluster.address("intent"), serving, 30) == serving
    assert _wait_status(triton_cluster.address("retrieval"), serving, 30) == serving
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the gateway's channels reconnect within about a second
        r = say(triton_gateway, "a thriller from the 80s")
        if not r.degraded:
            break
        time.sleep(0.3)
    assert r.action == A.ACTION_RECOMMEND and list(r.degraded) == []
