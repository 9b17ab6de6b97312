"""CONVREC_UNDERSTANDING=model over real gRPC: the joint model's spans become constraints, on
the demo catalog and on a restaurant catalog built from tests/data (a domain it never saw)."""

from __future__ import annotations

import os
import subprocess
import sys

import grpc
import pytest

from convrec.dialogue.v1 import dialogue_pb2_grpc
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit import artifacts
from convrec_kit.cluster import Cluster
from convrec_kit.settings import REPO_ROOT

from .helpers import ids, say

MODEL = {"CONVREC_UNDERSTANDING": "model"}


@pytest.fixture(scope="module")
def artifacts_dir(tmp_path_factory, catalog_dir):
    """The built encoders and models beside a restaurant catalog built here."""
    root = tmp_path_factory.mktemp("artifacts")
    built = catalog_dir.parent
    if not (built / artifacts.UNDERSTANDING_DIR / "manifest.json").exists():
        pytest.fail("the understanding model is missing: run `make test` (it runs `convrec build` first)")
    (root / "models").symlink_to(built / "models", target_is_directory=True)
    (root / "demo").symlink_to(catalog_dir, target_is_directory=True)
    subprocess.run([sys.executable, "-m", "convrec_cli.main", "build", "--catalog", "restaurants", "--source",
                    str(REPO_ROOT / "tests" / "data" / "restaurants.jsonl")], check=True,
                   env={**os.environ, "CONVREC_ARTIFACTS_DIR": str(root)}, stdout=subprocess.DEVNULL)
    return root


def serve(workdir, artifacts_dir, catalog: str):
    cluster = Cluster(workdir, extra_env={**MODEL, "CONVREC_ARTIFACTS_DIR": str(artifacts_dir),
                                          "CONVREC_CATALOG": catalog})
    cluster.start()
    return cluster


@pytest.fixture(scope="module")
def restaurant_cluster(tmp_path_factory, artifacts_dir):
    cluster = serve(tmp_path_factory.mktemp("restaurants"), artifacts_dir, "restaurants")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def restaurants(restaurant_cluster, artifacts_dir):
    channel = grpc.insecure_channel(restaurant_cluster.address())
    yield dialogue_pb2_grpc.DialogueServiceStub(channel), artifacts.load_catalog(artifacts_dir / "restaurants")
    channel.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, artifacts_dir):
    cluster = serve(tmp_path_factory.mktemp("demo"), artifacts_dir, "demo")
    channel = grpc.insecure_channel(cluster.address())
    yield dialogue_pb2_grpc.DialogueServiceStub(channel)
    channel.close()
    cluster.stop()


def test_demo_request_with_genre_exclusion_and_decade(demo, catalog):
    reply = say(demo, "recommend a science fiction movie from the 90s but no horror")
    wanted = reply.intent.constraints
    assert "science fiction" in wanted.include_categories and "horror" in wanted.exclude_categories
    assert reply.recommendations
    for item_id in ids(reply):
        item = catalog.get(item_id)
        assert "horror" not in item.categories and 1990 <= item.numeric["year"] <= 1999


def test_chinese_request_on_the_demo(demo, catalog):
    reply = say(demo, "推荐几部九十年代的科幻电影，不要恐怖片")
    wanted = reply.intent.constraints
    assert "science fiction" in wanted.include_categories and "horror" in wanted.exclude_categories
    assert all("horror" not in catalog.get(i).categories for i in ids(reply))


@pytest.mark.parametrize("utterance, category", [
    ("any good sichuan restaurants?", "sichuan"),
    ("a seafood place for dinner", "seafood"),
    ("想吃海鲜", "seafood"),
])
def test_another_domain_is_understood_without_code(restaurants, utterance, category):
    stub, catalog = restaurants
    reply = say(stub, utterance)
    assert category in reply.intent.constraints.include_categories
    assert reply.recommendations and all(category in catalog.get(i).categories for i in ids(reply))


def test_replies_speak_of_the_served_catalog_s_kind(restaurants, restaurant_cluster):
    stub, catalog = restaurants
    with grpc.insecure_channel(restaurant_cluster.address("retrieval")) as channel:
        described = retrieval_pb2_grpc.RetrievalServiceStub(channel).DescribeCatalog(
            retrieval_pb2.DescribeCatalogRequest())
    assert [k.category for k in described.kinds] == ["restaurant"] and described.items == len(catalog)
    greeting = say(stub, "hello there")
    assert "restaurants" in greeting.reply and "movie" not in greeting.reply
    assert greeting.suggested_replies and not any("movie" in s.lower() for s in greeting.suggested_replies)
    listed = say(stub, "any good sichuan restaurants?", page_size=3)
    assert listed.reply.startswith("Here are 3 restaurants")
    first = listed.recommendations[0].item
    details = say(stub, "what is the first one rated?", session_id=listed.session_id)
    assert f"rated {first.numeric['rating']:g}/5" in details.reply
    other = say(stub, "what's the weather like in Paris tomorrow?")
    assert "movie" not in other.reply and "book" not in other.reply
