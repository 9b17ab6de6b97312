"""convrec_kit.vocabulary: the names services exchange are defined once and understood by all:
every mood the intent service emits maps to catalog categories, every score component and
people field has its texts in every language."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from convrec.common.v1 import common_pb2
from convrec_gateway import explain
from convrec_gateway import messages as m
from convrec_gateway.session import Wanted
from convrec_intent import lexicon
from convrec_kit import catalog as catalog_module
from convrec_kit.settings import REPO_ROOT
from convrec_kit.vocabulary import MOOD_CATEGORIES, PEOPLE_FIELDS, Component, Mood
from convrec_ranking import ranker
from convrec_ranking.ranker import Ranker
from convrec_retrieval.engine import RetrievalEngine

SERVICES = REPO_ROOT / "services"
LANGS = sorted(m.catalogs())
EMITTED_MOODS = {mood for _, (mood, _) in [*lexicon.MOOD_EN.items(), *lexicon.MOOD_ZH.items()]}


def test_every_emitted_mood_is_a_vocabulary_mood():
    assert EMITTED_MOODS <= set(Mood)
    assert all(isinstance(mood, Mood) for mood in EMITTED_MOODS), "the lexicon names moods by Mood"


def test_every_mood_maps_to_categories_of_the_catalog(catalog):
    known = {c for item in catalog.items for c in item.categories}
    assert ranker.MOOD_CATEGORIES is MOOD_CATEGORIES, "ranking uses the shared mapping"
    for mood in EMITTED_MOODS | set(Mood):
        wanted = MOOD_CATEGORIES.get(mood)
        assert wanted, f"mood {mood!r} asks for no category"
        assert wanted <= known, f"mood {mood!r}: {sorted(wanted - known)} are not catalog categories"


@pytest.mark.parametrize("lang", LANGS)
def test_every_mood_has_a_display_name(lang):
    for mood in Mood:
        assert f"mood.{mood}" in m.catalogs()[lang], mood


@pytest.mark.parametrize("lang", LANGS)
def test_every_component_is_labelled_and_every_cited_one_has_a_reason(lang):
    book = m.catalogs()[lang]
    for name in Component:
        assert f"component.{name}" in book, name
    for name in explain.CITE:
        assert f"reason.{name}" in book, name


@pytest.mark.parametrize("lang", LANGS)
def test_every_people_field_has_its_role_texts(lang):
    book = m.catalogs()[lang]
    for field in PEOPLE_FIELDS:
        for msg_id in (f"fact.person.{field}", f"details.{field}", f"field.{field}"):
            assert msg_id in book, msg_id
    assert set(catalog_module.KNOWN_NAME_FIELDS) == set(PEOPLE_FIELDS)  # every catalog's name fields start so


def _literal_component_names(path: Path) -> list[str]:
    """ScoreComponent(name="...") calls in a file: names not taken from the vocabulary."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "ScoreComponent":
            for kw in node.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    found.append(f"{path.name}:{node.lineno}: {kw.value.value!r}")
    return found


def test_services_name_components_from_the_vocabulary():
    files = [*SERVICES.glob("convrec_retrieval/*.py"), *SERVICES.glob("convrec_ranking/*.py")]
    assert [f for path in files for f in _literal_component_names(path)] == []


@pytest.fixture(scope="module")
def scored(catalog_dir):
    """Every component the services produce for a request that exercises them all."""
    engine = RetrievalEngine(catalog_dir)
    seed, liked = engine.catalog.index["mv-alien-1979"], "mv-the-thing-1982"
    constraints = common_pb2.Constraints(seed_item_ids=["mv-alien-1979"], mood="scary", domain="movie")
    candidates, _ = engine.retrieve(
        engine.embeddings[seed], "alien", constraints, [], [liked], 40, context_ids=["mv-aliens-1986"]
    )
    history = [common_pb2.FeedbackEvent(item_id=liked, type=common_pb2.FeedbackType.FEEDBACK_TYPE_LIKE)]
    late = common_pb2.Context(device="mobile")
    late.timestamp.FromDatetime(dt.datetime(2024, 5, 3, 23, 30))
    ranked = Ranker(catalog_dir).rank(candidates, history, late, constraints, 10)
    return candidates, ranked


def test_produced_components_are_vocabulary_names(scored):
    candidates, ranked = scored
    from_retrieval = {c.name for s in candidates for c in s.components}
    from_ranking = {c.name for s in ranked for c in s.components}
    assert {"dense", "lexical", "seed", "discussed", "history", "prior"} <= from_retrieval
    assert {"interest", "category", "popularity", "diversity"} <= from_ranking
    assert from_retrieval | from_ranking <= set(Component)


@pytest.mark.parametrize("lang", LANGS)
def test_every_produced_component_can_be_explained(scored, catalog, lang):
    _, ranked = scored
    title_of = lambda item_id: item_id  # noqa: E731
    for s in ranked:
        text = explain.breakdown(s.score, list(s.components), lang, title_of)
        for c in s.components:
            assert m.label(lang, "component", c.name) in text
        assert explain.explain(
            catalog.get(s.item_id), list(s.components), Wanted(mood="scary"), "alien", lang, title_of
        )
