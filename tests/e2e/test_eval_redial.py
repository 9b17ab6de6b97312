"""`convrec eval redial` end to end on a few shared ReDial dialogues: import, split, build,
four services, stateless replay over gRPC, baselines, the table."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time

import grpc
import pytest

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_cli.main import main
from convrec_data import redial as rd
from convrec_eval.redial import CONVREC, LEARNED, RANKED
from convrec_kit.cluster import Cluster
from convrec_kit.models.dialogue import artifact as dialogue_artifact
from convrec_kit.models.ranker import artifact as ranker_artifact
from convrec_kit.models.ranker.features import FEATURES
from convrec_kit.vocabulary import QUOTE
from convrec_kit.vocabulary import Component as K

from .helpers import SHARED_DATA, needs_shared, turn

REDIAL = SHARED_DATA / "redial"
pytestmark = needs_shared(REDIAL / "train_sample_1000.jsonl", "ReDial data")


def small_redial(folder, dialogues: int = 20, extra_movies: int = 30):
    """The first dialogues, with the movies they mention and some others."""
    folder.mkdir()
    records = [json.loads(line) for line in (REDIAL / "train_sample_1000.jsonl").open()][:dialogues]
    mentioned = {m for r in records for m in r["movieMentions"]}
    with (REDIAL / "movies.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    keep = [r for i, r in enumerate(rows) if r["movieId"] in mentioned or i < extra_movies]
    with (folder / "movies.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["movieId", "movieName"])
        writer.writeheader()
        writer.writerows(keep)
    metadata = json.loads((REDIAL / "movie_metadata.json").read_text())
    ids = {r["movieId"] for r in keep}
    (folder / "movie_metadata.json").write_text(json.dumps({k: v for k, v in metadata.items() if k in ids}))
    (folder / "dialogues.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, catalog_dir):
    """`convrec eval redial` run once on 20 dialogues: its folder, artifacts and printed table."""
    tmp_path = tmp_path_factory.mktemp("redial-eval")
    folder = small_redial(tmp_path / "redial")
    artifacts_dir = tmp_path / "artifacts"
    artifacts_dir.mkdir()
    (artifacts_dir / "models").symlink_to(catalog_dir.parent / "models")  # the trained intent model
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([
            "eval", "redial", "--dialogues", str(folder / "dialogues.jsonl"), "--split-seed", "42",
            "--test-fraction", "0.2", "--max-test-dialogues", "2", "--artifacts-dir", str(artifacts_dir),
            "--catalog-name", "redial-small",
        ])
    return folder, artifacts_dir, out.getvalue()


def test_eval_redial_replays_test_turns_through_the_gateway(evaluated):
    folder, artifacts_dir, out = evaluated
    assert CONVREC in out and LEARNED in out and RANKED in out and "popularity, genres asked" in out
    report = json.loads((artifacts_dir / "eval" / "redial-small" / "results.json").read_text())

    movies = rd.load_movies(folder / "movies.csv")
    dialogues = rd.load_dialogues(folder / "dialogues.jsonl", movies)
    from convrec_eval.redial import split_dialogues

    test = split_dialogues(dialogues, 42, 0.2).test[:2]
    cases = [c for d in test for c in rd.eval_cases(d)]
    assert report["dialogues"] == {"train": 16, "test": 4, "evaluated": 2}
    assert report["cases"] == len(cases) > 0
    assert report["targets"] == sum(len(c.targets) for c in cases)
    assert report["convrec_errors"] == {}
    assert report["convrec_turns_with_items"] >= 1
    assert set(report["convrec_minus"]) == set(report["methods"]) - {RANKED}
    assert report["compared"] == RANKED
    for difference in report["convrec_minus"].values():
        assert all(low <= d <= high for d, low, high in difference.values())
    for method in report["methods"].values():
        for part in ("all", "new"):
            assert all(0.0 <= v <= 1.0 for v in method[part].values())
    # Everything learned from dialogues comes from the training part.
    counts = {json.loads(x)["item_id"] for x in (artifacts_dir / "eval" / "redial-small" / "popularity.jsonl").open()}
    train_only = {rd.item_id(m) for d in split_dialogues(dialogues, 42, 0.2).train for m in d.movie_ids()}
    assert counts == train_only


def test_the_dialogue_model_is_trained_on_the_training_part_only(evaluated):
    folder, artifacts_dir, _ = evaluated
    directory = dialogue_artifact.current(artifacts_dir / "redial-small")
    manifest = dialogue_artifact.read_manifest(directory)
    movies = rd.load_movies(folder / "movies.csv")
    from convrec_eval.redial import split_dialogues

    train = split_dialogues(rd.load_dialogues(folder / "dialogues.jsonl", movies), 42, 0.2).train
    assert manifest["dialogues"] == len({c.dialogue_id for c in rd.text_cases(train)})
    assert manifest["cases"] == len(rd.text_cases(train))
    assert manifest["items"] == len(movies) and len(manifest["curve"]) == manifest["train"]["epochs"]


def test_the_learned_ranker_learns_from_the_training_part_without_seeing_its_own_dialogue(evaluated):
    folder, artifacts_dir, _ = evaluated
    manifest = ranker_artifact.read_manifest(ranker_artifact.current(artifacts_dir / "redial-small"))
    movies = rd.load_movies(folder / "movies.csv")
    from convrec_eval.redial import split_dialogues

    train = split_dialogues(rd.load_dialogues(folder / "dialogues.jsonl", movies), 42, 0.2).train
    assert manifest["trained_on"].endswith(f"{len(train)} dialogues, each half replayed against popularity, "
                                           "co-mentions and a dialogue model learned from the other half")
    assert manifest["cases"] == sum(len(rd.eval_cases(d)) for d in train)
    assert manifest["features"] == list(FEATURES) and manifest["rerank"] == 100
    assert not (artifacts_dir / "redial-small-ranker-fold").exists()


@pytest.fixture(scope="module")
def served(evaluated):
    """The four services on the evaluated catalog, with its dialogue model and learned ranker."""
    _, artifacts_dir, _ = evaluated
    running = Cluster(artifacts_dir / "served", extra_env={
        "CONVREC_ARTIFACTS_DIR": str(artifacts_dir), "CONVREC_CATALOG": "redial-small",
        "CONVREC_STATE_PATH": str(artifacts_dir / "served" / "state.sqlite3"), "CONVREC_RANKING_LEARNED": "true",
    })
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_recommendations_carry_the_dialogue_component_with_its_evidence(served):
    with grpc.insecure_channel(served.address()) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        reply = stub.Converse(dialogue_pb2.ConverseRequest(
            utterance="I want a funny movie for tonight, something like a comedy",
            history=[turn("user", "hi"), turn("assistant", "Hi! What kind of movies do you like?")],
            page_size=20,
        ), timeout=60)
    parts = [c for r in reply.recommendations for c in r.components if c.name == K.DIALOGUE]
    assert parts, "no recommendation carries the dialogue model's score"
    assert all(0.0 < c.value <= 1.0 and c.source.startswith("dialogue-model ") for c in parts)
    # Nothing was mentioned: the evidence is the user's turn that the item matched, quoted.
    assert all(c.evidence.startswith(QUOTE) for c in parts)
    # The learned ranker ordered them: every feature it read carries its share of the score.
    scores = [r.score for r in reply.recommendations]
    assert scores == sorted(scores, reverse=True)
    assert all(c.HasField("contribution") for r in reply.recommendations for c in r.components
               if c.name in FEATURES)


def test_a_bad_dialogue_turn_is_an_invalid_argument(served):
    with grpc.insecure_channel(served.address("retrieval")) as channel:
        stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.Retrieve(retrieval_pb2.RetrieveRequest(query="comedy", dialogue=[
                common_pb2.Turn(role=common_pb2.Turn.Role.ROLE_UNSPECIFIED, text="x")]), timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "dialogue[0] has role 0" in err.value.details()


def prepare(stub, texts: list[str]) -> retrieval_pb2.PrepareDialogueResponse:
    return stub.PrepareDialogue(retrieval_pb2.PrepareDialogueRequest(texts=texts), timeout=60)


def test_dialogue_turns_are_encoded_once_ahead_of_retrieval(served):
    with grpc.insecure_channel(served.address("retrieval")) as channel:
        stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
        texts = ["a heist movie with a twist, please", "  How about Ocean's Eleven?  "]
        assert prepare(stub, texts) == retrieval_pb2.PrepareDialogueResponse(dialogue_model=True, encoded=2)
        assert prepare(stub, [*texts, "How about Ocean's Eleven?"]).encoded == 0  # kept, as turns are clipped
        # Concurrent calls for the same new texts encode each one once.
        fresh = [f"something like a courtroom drama, take {n}" for n in range(3)]
        futures = [stub.PrepareDialogue.future(retrieval_pb2.PrepareDialogueRequest(texts=fresh), timeout=60)
                   for _ in range(4)]
        assert sum(f.result().encoded for f in futures) == len(fresh)
        # Retrieve keeps the turns it encodes too.
        turns = [common_pb2.Turn(role=common_pb2.Turn.Role.ROLE_USER, text="any good space operas?")]
        stub.Retrieve(retrieval_pb2.RetrieveRequest(query="space opera", dialogue=turns), timeout=60)
        assert prepare(stub, ["any good space operas?"]).encoded == 0
        with pytest.raises(grpc.RpcError) as err:
            prepare(stub, ["x"] * 201)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_gateway_prepares_the_utterance_and_its_reply_for_the_next_turn(served):
    with grpc.insecure_channel(served.address()) as gateway, grpc.insecure_channel(served.address("retrieval")) as r:
        utterance = "I'd like a thriller with a great villain"
        reply = dialogue_pb2_grpc.DialogueServiceStub(gateway).Converse(
            dialogue_pb2.ConverseRequest(utterance=utterance, page_size=5), timeout=60)
        time.sleep(3)  # the reply is encoded in the background, after the turn answered
        assert prepare(retrieval_pb2_grpc.RetrievalServiceStub(r), [utterance, reply.reply]).encoded == 0


def test_without_a_dialogue_model_there_is_nothing_to_prepare(cluster):
    with grpc.insecure_channel(cluster.address("retrieval")) as channel:
        answer = prepare(retrieval_pb2_grpc.RetrievalServiceStub(channel), ["a funny movie"])
    assert answer == retrieval_pb2.PrepareDialogueResponse(dialogue_model=False, encoded=0)
