"""A catalog's own words for keywords in Chinese, with the real multilingual encoder: a Han
keyword gets the catalog word closest to it, English keywords and far-off terms get none."""

from __future__ import annotations

import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec_kit.catalog import Catalog
from convrec_kit.models import e5_convert
from convrec_kit.models.e5 import E5Encoder
from convrec_kit.models.understanding.words import CatalogWords, pieces_of, words_of
from convrec_kit.settings import REPO_ROOT

BUILT_MODEL = REPO_ROOT / "artifacts" / e5_convert.E5_DIR
DESCRIPTIONS = [
    "A wedding in Paris goes wrong when the groom vanishes.",
    "A chef opens a coffee shop on a remote island.",
    "Two lawyers face each other in court over a stolen painting.",
]


@pytest.fixture(scope="module")
def encode():
    if not (BUILT_MODEL / "manifest.json").exists():
        pytest.skip(f"multilingual-e5-small is not converted in {BUILT_MODEL}; run `make build`")
    encoder = E5Encoder(BUILT_MODEL, threads=1)
    return lambda texts: encoder.encode(texts, "query")


@pytest.fixture(scope="module")
def words(encode):
    items = [common_pb2.Item(item_id=f"it-{i}", title=f"Story {i}", description=d, categories=["movie", "drama"])
             for i, d in enumerate(DESCRIPTIONS)]
    return CatalogWords.build(Catalog(items), encode)


def test_the_words_are_the_catalogs_own_without_stop_words():
    assert words_of("The Chef's coffee, in Paris!") == {"chef's", "coffee", "paris"}


def test_a_chinese_keyword_is_searched_with_the_closest_catalog_word(words, encode):
    assert words.translate(["婚礼"], encode) == ["wedding"]
    assert words.translate(["巴黎", "咖啡", "婚礼"], encode) == ["paris", "coffee", "wedding"]


def test_english_and_far_off_keywords_add_nothing(words, encode):
    assert words.translate(["wedding", "coffee"], encode) == []
    assert words.translate(["量子力学"], encode) == []  # quantum mechanics: nothing in this catalog


def test_saved_words_load_back(words, encode, tmp_path):
    words.save(tmp_path, "sha")
    loaded = CatalogWords.load(tmp_path)
    assert loaded.words == words.words
    assert np.allclose(loaded.vectors, words.vectors, atol=1e-3)
    assert loaded.translate(["婚礼"], encode) == ["wedding"]


def test_a_compound_keyword_is_also_searched_by_its_words(words, encode):
    assert pieces_of("巴黎婚礼") == ["巴黎婚礼", "巴黎", "婚礼"]
    assert {"paris", "wedding"} <= set(words.translate(["巴黎婚礼"], encode))
