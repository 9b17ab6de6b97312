"""The understanding model's data: markup, BIO alignment with the tokenizer, the corpus split,
the catalog's terms."""

from __future__ import annotations

import numpy as np
import pytest
from transformers import AutoTokenizer

from convrec_intent import corpus
from convrec_kit.catalog import Catalog, kinds_of
from convrec_kit.models.understanding import markup
from convrec_kit.models.understanding.decoding import decode_spans
from convrec_kit.models.understanding.encoding import IGNORE, encode, tag_targets
from convrec_kit.models.understanding.labels import TAG_INDEX, Slot
from convrec_kit.models.understanding.terms import CatalogTerms
from convrec_kit.settings import REPO_ROOT


def test_markup_round_trip():
    marked = "a [horror](category) [movie](category) [from the 90s](year) but no [gore](exclude), 不要[恐怖片](exclude)"
    text, spans = markup.parse(marked)
    assert text == "a horror movie from the 90s but no gore, 不要恐怖片"
    assert [(s.text, s.slot) for s in spans] == [("horror", Slot.CATEGORY), ("movie", Slot.CATEGORY),
                                                 ("from the 90s", Slot.YEAR), ("gore", Slot.EXCLUDE),
                                                 ("恐怖片", Slot.EXCLUDE)]
    assert markup.render(text, spans) == marked
    with pytest.raises(ValueError, match="unknown slot"):
        markup.parse("a [horror](genre) movie")


@pytest.fixture(scope="module")
def tokenizer(catalog_dir):
    from convrec_kit.models.e5_convert import E5_DIR

    return AutoTokenizer.from_pretrained(str(catalog_dir.parent / E5_DIR))


@pytest.mark.parametrize("marked", [
    "recommend a [science fiction](category) [movie](category) by [Christopher Nolan](person) [under 2 hours](runtime)",
    "有没有[九十年代](year)的[科幻片](category)，不要[恐怖](exclude)的",
    "something like [Inceptoin](title) but [cheaper than $20](price)",
])
def test_tags_decode_back_to_the_spans(tokenizer, marked):
    text, spans = markup.parse(marked)
    encoded = encode(tokenizer, [text], ["Here are three picks: 1. Alien 2. Dune"])
    tags = tag_targets(encoded.offsets[0], spans)
    assert tags[0] == IGNORE and tags[-1] == IGNORE  # <s>, and the context's tokens are not tagged
    assert TAG_INDEX["O"] in tags
    decoded = decode_spans(text, encoded.offsets[0], [t if t != IGNORE else 0 for t in tags])
    assert [(s.text, s.slot) for s, _ in decoded] == [(s.text, s.slot) for s in spans]


def test_unknown_spans_are_not_taught_as_outside(tokenizer):
    encoded = encode(tokenizer, ["a horror movie"])
    assert set(tag_targets(encoded.offsets[0], None)) == {IGNORE}


def test_the_corpus_holds_out_whole_templates_and_hand_written_rows(catalog):
    rows = corpus.build_corpus(catalog)
    by_template: dict[str, set[str]] = {}
    for row in rows:
        if row["source"].startswith("template"):
            by_template.setdefault(row["source"], set()).add(row["split"])
    assert all(len(splits) == 1 for splits in by_template.values())  # no held-out template is trained on
    assert {"train", "test"} <= {s for splits in by_template.values() for s in splits}
    hand = [r for r in rows if r["source"] == "hand"]
    assert hand and sum(r["split"] == "test" for r in hand) > len(hand) / 2
    assert corpus.build_corpus(catalog) == rows  # seeded
    for row in rows:
        markup.parse(row["text"])  # every row is valid markup
    languages = {r["lang"] for r in rows}
    assert languages == {"en", "zh", "mixed"}


def test_kinds_and_name_fields_come_from_the_catalog(catalog):
    assert set(kinds_of(catalog.items)) == {"movie", "book", "product"} == catalog.kinds
    assert catalog.name_fields == ("director", "author", "brand", "cast")  # not title_zh, not currency codes
    restaurants = Catalog.load(REPO_ROOT / "tests" / "data" / "restaurants.jsonl")
    assert restaurants.kinds == {"restaurant"}
    assert {"chef", "neighborhood"} <= set(restaurants.name_fields)
    item = restaurants.items[0]
    assert item.attributes["chef"] in restaurants.text(item)


def test_terms_link_exact_names_without_the_encoder_and_others_by_similarity():
    names = ["horror", "science fiction", "movie"]
    vectors = np.eye(3, 4, dtype=np.float32)
    terms = CatalogTerms(names, vectors, vectors.copy(), ["movie"])
    calls = []

    def encode(texts):
        calls.append(texts)
        return np.array([[0.0, 0.95, 0.0, 0.31]] * len(texts), dtype=np.float32)

    linked = terms.link(["Horrors", "sci-fi", "gardening"], encode, thresholds=(0.9, 0.99))
    assert linked[0] == ("horror", 1.0)
    assert linked[1][0] == "science fiction" and calls == [["sci-fi", "gardening"]]
    assert terms.link(["x"], lambda t: np.array([[0.5, 0.5, 0.5, 0.5]], np.float32), (0.9, 0.9))[0][0] is None
    # below the name threshold, what sets the items apart decides
    assert terms.link(["x"], lambda t: np.array([[0.5, 0.5, 0.5, 0.5]], np.float32), (0.9, 0.4))[0][0] == "horror"


def test_a_category_s_other_names_link_first_with_their_own_threshold():
    names = ["action", "sport", "movie"]
    vectors = np.eye(3, 5, dtype=np.float32)
    aliases = [(0, "动作"), (1, "体育")]
    terms = CatalogTerms(names, vectors, vectors.copy(), ["movie"], aliases, np.eye(2, 5, k=3, dtype=np.float32))
    assert terms.link(["动作"], lambda t: pytest.fail("an other name is matched as written"))[0] == ("action", 1.0)
    # "动作片": close to 动作 (fourth axis), and closer to sport's own name than to action's
    span = np.array([[0.3, 0.5, 0.0, 0.8, 0.0]], np.float32)
    assert terms.link(["动作片"], lambda t: span, (0.45, 0.99), alias_threshold=0.7)[0][0] == "action"
    assert terms.link(["动作片"], lambda t: span, (0.45, 0.99), alias_threshold=0.9)[0][0] == "sport"


@pytest.mark.parametrize("marked, joined", [
    ("想吃[水](keyword)[煮鱼](title)", [("水煮鱼", "title")]),
    ("想去吃[寿](category)[司omakase](title)", [("寿司omakase", "title")]),
    ("[90年代](year)[动作片](category)", [("90年代", "year"), ("动作片", "category")]),
    ("[周星驰](person)[喜剧](category)", [("周星驰", "person"), ("喜剧", "category")]),
    ("[科幻](category)[动作片](category)", [("科幻", "category"), ("动作片", "category")]),
    ("[dark](mood) [comedy](category)", [("dark", "mood"), ("comedy", "category")]),
])
def test_a_chinese_word_the_tagger_split_across_slots_is_one_span(tokenizer, marked, joined):
    assert decoded_as_tagged(tokenizer, marked) == joined


@pytest.mark.parametrize("marked, snapped", [
    ("附近有没有好吃的[火](category)锅", [("火锅", "category")]),
    ("想看九十年代的[港](category)片", [("港片", "category")]),
    ("附近有好吃的[豚骨拉](category)面吗", [("豚骨拉面", "category")]),
    ("换成[书](category)吧", [("书", "category")]),  # never into a particle
    ("[科幻](category)[动作片](category)", [("科幻", "category"), ("动作片", "category")]),
    ("a [dark](mood) comedy", [("dark", "mood")]),
])
def test_a_span_that_cuts_a_chinese_word_grows_to_the_word(tokenizer, marked, snapped):
    assert decoded_as_tagged(tokenizer, marked) == snapped


def decoded_as_tagged(tokenizer, marked: str) -> list[tuple[str, str]]:
    """The spans decoded from the tags the marked-up spans would have."""
    text, spans = markup.parse(marked)
    encoded = encode(tokenizer, [text])
    tags = tag_targets(encoded.offsets[0], spans)
    decoded = decode_spans(text, encoded.offsets[0], [t if t != IGNORE else 0 for t in tags])
    return [(s.text, s.slot.value) for s, _ in decoded]
