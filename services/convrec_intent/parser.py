"""Turns classifier probabilities and extracted slots into a ParseResponse."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2
from convrec_kit import ranges
from convrec_kit.catalog import Catalog
from convrec_kit.models.intent import LABELS
from convrec_kit.text import detect_language, fold

from . import flags
from .constraints import Extraction, extract
from .mentions import PeopleLinker, TitleLinker

_ZH_STOP = set(
    "推荐 一些 一部 几部 一本 几本 想看 想买 我想 电影 好看 比较 什么 有没有 可以 一下 类似 喜欢 看看 "
    "给我 帮我 我们 你们 这部 那部 这个 那个 还有 就是 最近 今天 我 你 的 了 吗 呢 吧 啊 和 与 或 "
    "买 看 书 本 部 片 很 太 都 也 要 想 能 不 一个 之间 价格 元 类 不要 来点 来些 一点 有点 一批 几个 "
    "其他 别的 再来 还要 也要".split()
)
_ORDER = {name: i for i, name in enumerate(LABELS)}
# Types a clear request signal can override when the classifier is unsure.
_WEAK_TYPES = {"CHITCHAT", "OUT_OF_SCOPE", "GREETING", "GOODBYE", "ASK_DETAILS"}


class Parser:
    def __init__(self, catalog: Catalog, min_confidence: float) -> None:
        self._titles = TitleLinker(catalog)
        self._people = PeopleLinker(catalog)
        self._min_confidence = min_confidence
        # Kinds (movie, book, product) and categories the catalog has items of.
        self._categories = {c for item in catalog.items for c in item.categories}

    def parse(self, utterance: str, probs: np.ndarray, locale: str = "") -> intent_pb2.ParseResponse:
        language = language_of(utterance, locale)
        ext = extract(utterance, language, dt.datetime.now(dt.UTC).year)
        mentions = self._titles.link(utterance)
        people = self._people.link(utterance)
        turn_flags, flag_spans = flags.scan(utterance)
        spans = [(m.start, m.end) for m in mentions] + [(s, e) for _, s, e in people] + flag_spans
        masked = _mask(fold(utterance), spans)
        ext.keywords = [k for k in ext.keywords if k in masked]
        if language == "zh":
            ext.keywords += _chinese_keywords(masked, ext)
        self._fit_to_catalog(ext)

        order = np.argsort(-probs)
        label, confidence = LABELS[int(order[0])], float(probs[order[0]])
        label = self._correct(label, confidence, ext, mentions, people, utterance)

        constraints = _constraints(ext, people)
        if label in ("RECOMMEND", "REFINE"):
            constraints.seed_item_ids.extend(dict.fromkeys(m.item_id for m in mentions))
        query_words = ext.query_words + ext.include + [k for k in ext.keywords if k.isascii()]
        return intent_pb2.ParseResponse(
            intent=intent_pb2.IntentType.Value(f"INTENT_TYPE_{label}"),
            confidence=confidence
            if label == LABELS[int(order[0])]
            else max(confidence, self._min_confidence),
            alternatives=intent_scores(probs),
            constraints=constraints,
            mentions=[mention_message(m) for m in mentions],
            rewritten_query=" ".join(dict.fromkeys(query_words)),
            language=language,
            flags=turn_flags,
            **turn_fields(ext),
        )

    def _fit_to_catalog(self, ext: Extraction) -> None:
        """What the catalog cannot match is not a filter: a category no item has becomes a
        search word, and a kind of item the catalog lacks ("comic book" in a movie catalog)
        is dropped."""
        missing = [c for c in ext.include if c not in self._categories]
        if missing:
            ext.include = [c for c in ext.include if c in self._categories]
            ext.keywords += [c for c in missing if c not in ext.keywords]
        if ext.domain and ext.domain not in self._categories:
            ext.domain = ""

    def _correct(self, label, confidence, ext: Extraction, mentions, people, utterance) -> str:
        """Clear request signals win over an unsure small-talk or details label."""
        if confidence >= self._min_confidence or label not in _WEAK_TYPES:
            return label
        if label == "ASK_DETAILS" and (ext.detail_fields or "?" in utterance):
            return label
        if ext.include or ext.ranges or people or (mentions and re.search(r"like|像|类似", utterance)):
            return "RECOMMEND"
        return label


def language_of(utterance: str, locale: str) -> str:
    """"en" or "zh"; Han characters with a Chinese locale make a mostly Latin text Chinese."""
    language = detect_language(utterance)
    if language == "en" and locale.lower().startswith("zh") and re.search(r"[\u4e00-\u9fff]", utterance):
        return "zh"
    return language


def intent_scores(probs: np.ndarray) -> list[intent_pb2.IntentScore]:
    """Every intent type with its probability, most likely first."""
    return [intent_pb2.IntentScore(type=intent_pb2.IntentType.Value(f"INTENT_TYPE_{LABELS[int(i)]}"),
                                   confidence=float(probs[i])) for i in np.argsort(-probs)]


def turn_fields(ext: Extraction) -> dict:
    """What the rules read besides constraints: details asked, ordinal, relative changes, categories cleared."""
    return {"detail_fields": ext.detail_fields, "ordinal": ext.ordinal, "cleared_categories": ext.cleared,
            "adjustments": [intent_pb2.RelativeAdjustment(field=f, direction=d) for f, d in ext.adjustments]}


def _constraints(ext: Extraction, people) -> common_pb2.Constraints:
    return common_pb2.Constraints(
        include_categories=ext.include,
        exclude_categories=ext.exclude,
        ranges=ranges.to_protos(ext.ranges),
        keywords=ext.keywords,
        mood=ext.mood,
        domain=ext.domain,
        people=sorted({name for name, _, _ in people}),
    )


def mention_message(m) -> intent_pb2.ItemMention:
    return intent_pb2.ItemMention(
        item_id=m.item_id,
        title=m.title,
        surface=m.surface,
        confidence=m.confidence,
        start=m.start,
        end=m.end,
        ambiguous=m.ambiguous,
        alternative_item_ids=m.alternatives,
    )


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _chinese_keywords(text: str, ext: Extraction) -> list[str]:
    from convrec_kit.text import _jieba

    residual = _mask(text, ext.spans)
    words = []
    for run in re.findall(r"[\u4e00-\u9fff]+", residual):
        for word in _jieba().lcut(run):
            if len(word) >= 2 and word not in _ZH_STOP and word not in words:
                words.append(word)
    return words
