"""The understanding corpus: templates filled from the catalog and slot pools, with noise and
code-switching; the project's intent-only utterances; the hand-written set and the
hand-checked training rows (never held out). Each row is
{"text": markup, "intent", "lang", "context", "source", "split"} (markup: models/understanding).

Held out: every row of 15% of the templates (by a hash of the template, so no filled copy of
a held-out template is trained on), 65% of the hand-written rows and the intent-only rows'
usual 20%. The word lists of lexicon.py are training data here and nowhere else."""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from convrec_kit.catalog import Catalog
from convrec_kit.models.understanding.markup import parse

from . import lexicon, templates

DATA = Path(__file__).with_name("data")
HANDWRITTEN = DATA / "understanding_handwritten.jsonl"
# Hand-checked rows written for training only, apart from the evaluation set above.
HAND_TRAIN = DATA / "understanding_train.jsonl"
INTENT_ONLY = DATA / "utterances.jsonl"
SEED = 17
FILLS = {"RECOMMEND": 24, "REFINE": 22}  # per template; other intents get DEFAULT_FILLS
DEFAULT_FILLS = 18
PLAIN_FILLS = 3  # a template without slots varies only by its noise and wrapping
HELD_OUT_TEMPLATES, HELD_OUT_HAND, HELD_OUT_INTENT_ONLY = 0.15, 0.65, 0.2
# Real wording weighs more than filled templates: each training copy of such a row counts once.
COPIES = {"hand": 3, "hand-train": 3, "intent-only": 2}
PEOPLE_FIELDS = ("director", "cast", "author", "brand")

# Other domains than the demo's (and none of the restaurant catalog's cuisines, which the
# tests use as an unseen domain), so the tagger learns where a category sits, not which.
OTHER_CATEGORIES_EN = (
    "strategy",
    "co-op",
    "party game",
    "deck-building",
    "true crime",
    "tech",
    "jazz",
    "rock",
    "hip hop",
    "classical",
    "indie",
    "k-pop",
    "folk",
    "outdoor",
    "running",
    "vintage",
    "casual",
    "formal",
    "skincare",
    "camping",
    "hiking",
    "gaming",
    "puzzle",
    "sandbox",
    "poetry",
    "self-help",
    "travel",
    "gardening",
    "yoga",
    "electronic",
)
OTHER_CATEGORIES_ZH = (
    "策略",
    "合作",
    "聚会",
    "卡牌",
    "真实犯罪",
    "科技",
    "爵士",
    "摇滚",
    "嘻哈",
    "古典",
    "独立",
    "民谣",
    "户外",
    "跑步",
    "复古",
    "休闲",
    "正装",
    "护肤",
    "露营",
    "徒步",
    "解谜",
    "诗歌",
    "自助",
    "旅行",
    "园艺",
    "瑜伽",
    "电子",
)
KINDS_EN = (
    "movie",
    "film",
    "flick",
    "book",
    "novel",
    "product",
    "gadget",
    "board game",
    "podcast",
    "album",
    "game",
    "show",
    "series",
    "jacket",
    "shoes",
    "headphones",
    "place",
    "app",
    "course",
)
KINDS_ZH = (
    "电影",
    "片子",
    "影片",
    "书",
    "小说",
    "产品",
    "东西",
    "桌游",
    "播客",
    "专辑",
    "剧",
    "游戏",
    "耳机",
    "课程",
    "衣服",
    "鞋",
)
MOODS_EN = (
    *lexicon.MOOD_EN,
    "heartwarming",
    "creepy",
    "intense",
    "chill",
    "cozy",
    "quirky",
    "gritty",
    "wholesome",
    "epic",
    "romantic",
    "nostalgic",
    "calm",
)
MOODS_ZH = (*lexicon.MOOD_ZH, "暖心", "燃", "虐心", "欢乐", "沉重", "浪漫", "怀旧", "安静", "热血")
KEYWORDS_EN = (
    "time travel",
    "robots",
    "space",
    "dinosaurs",
    "vampires",
    "a heist",
    "world war ii",
    "artificial intelligence",
    "zombies",
    "aliens",
    "the ocean",
    "a road trip",
    "friendship",
    "revenge",
    "wireless",
    "noise cancelling",
    "waterproof",
    "dragons",
    "a small town",
    "startups",
    "climate change",
    "chess",
    "cats",
    "pirates",
)
KEYWORDS_ZH = (
    "时间旅行",
    "机器人",
    "太空",
    "恐龙",
    "吸血鬼",
    "抢劫",
    "二战",
    "人工智能",
    "僵尸",
    "外星人",
    "海洋",
    "公路旅行",
    "友情",
    "复仇",
    "无线",
    "降噪",
    "防水",
    "龙",
    "小镇",
    "创业",
    "气候变化",
    "象棋",
    "猫",
    "海盗",
    "穿越",
)
PEOPLE_ZH = (
    "诺兰",
    "斯皮尔伯格",
    "周星驰",
    "张艺谋",
    "宫崎骏",
    "李安",
    "王家卫",
    "刘慈欣",
    "村上春树",
    "金庸",
    "莫言",
    "余华",
    "汤姆·汉克斯",
    "莱昂纳多",
    "成龙",
    "巩俐",
    "东野圭吾",
    "史蒂芬·金",
)
ZH_SUFFIXES = ("", "", "", "片", "类", "剧")


def _numbers(rng: random.Random, lang: str, slot: str) -> str:
    """A range expression of the slot's kind, its numbers drawn at random."""
    year, decade = rng.randint(1950, 2024), rng.choice((50, 60, 70, 80, 90, 2000, 2010))
    low, high = sorted(rng.sample(range(5, 300, 5), 2))
    hours, minutes, score = (
        rng.choice((1, 2, 3)),
        rng.choice((80, 90, 100, 120, 150)),
        rng.choice((6, 7, 7.5, 8, 8.5, 9)),
    )
    full_decade = decade if decade >= 100 else 1900 + decade
    zh_decade = {50: "五十", 60: "六十", 70: "七十", 80: "八十", 90: "九十"}.get(decade, str(full_decade))
    choices = {
        ("en", "year"): (
            f"from the {decade}s",
            f"after {year}",
            f"before {year}",
            f"from {year}",
            f"in the {full_decade}s",
            f"between {year} and {year + rng.randint(2, 15)}",
            "recent",
            f"older than {year}",
            f"released after {year}",
            f"from the early {decade}s",
            f"newer than {year}",
            f"{year}",
        ),
        ("zh", "year"): (
            f"{zh_decade}年代",
            f"{year}年以后",
            f"{year}年之前",
            f"{year}年的",
            f"{full_decade}年代",
            f"{year}到{year + rng.randint(2, 15)}年之间",
            "最近几年",
            f"{year}年后",
            "近几年",
        ),
        ("en", "price"): (
            f"under ${low}",
            f"less than {low} dollars",
            f"below {high} yuan",
            f"between ${low} and ${high}",
            f"under {low} bucks",
            f"around ${low}",
            f"no more than ${high}",
            f"over ${low}",
            f"{low}-{high} dollars",
            f"cheaper than ${high}",
        ),
        ("zh", "price"): (
            f"{low}-{high}元之间",
            f"不超过{high}块",
            f"{low}元以下",
            f"{high}块以内",
            f"{low}到{high}元",
            f"价格在{low}到{high}之间",
            f"{low}元左右",
            f"低于{high}元",
        ),
        ("en", "runtime"): (
            f"under {hours} hours",
            f"less than {minutes} minutes",
            f"shorter than {minutes} minutes",
            f"under {minutes} min",
            f"no longer than {hours} hours",
            f"over {minutes} minutes",
        ),
        ("zh", "runtime"): (
            f"{minutes}分钟以内",
            f"不超过{hours}小时",
            f"{hours}个小时以内",
            f"短于{minutes}分钟",
            f"{minutes}分钟左右",
        ),
        ("en", "rating"): (
            f"rated above {score}",
            f"with a rating over {score}",
            "highly rated",
            "top rated",
            f"rated {score}+",
            f"with at least {score} stars",
            "well reviewed",
            "critically acclaimed",
        ),
        ("zh", "rating"): (f"评分{score}分以上", "高分", "口碑好", f"{score}分以上", "评价高", f"评分不低于{score}"),
    }
    return rng.choice(choices[(lang, slot)])


class Fillers:
    """Span texts per slot and language: the catalog's values, the word lists, other domains."""

    def __init__(self, catalog: Catalog) -> None:
        categories = sorted({c for item in catalog.items for c in item.categories})
        self.pool = {
            ("en", "category"): sorted({*lexicon.CATEGORY_EN, *categories, *OTHER_CATEGORIES_EN}),
            ("zh", "category"): sorted({*lexicon.CATEGORY_ZH, *OTHER_CATEGORIES_ZH}),
            ("en", "kind"): KINDS_EN,
            ("zh", "kind"): KINDS_ZH,
            ("en", "mood"): MOODS_EN,
            ("zh", "mood"): MOODS_ZH,
            ("en", "keyword"): KEYWORDS_EN,
            ("zh", "keyword"): KEYWORDS_ZH,
            ("en", "title"): sorted({i.title for i in catalog.items}),
            ("zh", "title"): sorted({i.attributes["title_zh"] for i in catalog.items if i.attributes.get("title_zh")}),
            ("en", "person"): sorted(
                {
                    p.strip()
                    for i in catalog.items
                    for f in PEOPLE_FIELDS
                    for p in i.attributes.get(f, "").split(",")
                    if p.strip()
                }
            ),
            ("zh", "person"): PEOPLE_ZH,
        }
        self.pool[("zh", "title")] = self.pool[("zh", "title")] or self.pool[("en", "title")]

    def fill(self, slot: str, lang: str, rng: random.Random) -> tuple[str, str]:
        """(surface, slot name of the span) for one placeholder."""
        if lang == "zh" and slot in ("category", "title", "person", "keyword", "exclude") and rng.random() < 0.15:
            lang = "en"  # code-switching
        if slot in ("year", "price", "runtime", "rating"):
            return _numbers(rng, lang, slot), slot
        source = "category" if slot == "exclude" else slot
        surface = rng.choice(self.pool[(lang, source)])
        if lang == "zh" and source == "category" and not surface.endswith(("片", "类", "剧")):
            surface += rng.choice(ZH_SUFFIXES)
        if source == "title" and lang == "en" and rng.random() < 0.3:
            surface = surface.lower()
        return surface, "category" if slot == "kind" else slot


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isascii():
        return word
    i = rng.randrange(1, len(word) - 1)
    return rng.choice(
        (word[:i] + word[i + 1 :], word[:i] + word[i + 1] + word[i] + word[i + 2 :], word[:i] + word[i] + word[i:])
    )


def _noisy(segments: list[tuple[str, str | None]], lang: str, rng: random.Random) -> list[tuple[str, str | None]]:
    """Lower case, dropped punctuation, full-width punctuation, typos; spans stay spans."""
    lower, bare, typo = rng.random() < 0.4, rng.random() < 0.3, rng.random() < 0.1
    out = []
    for text, slot in segments:
        if slot is None and bare:
            text = re.sub(r"[?!.,，。？！]", "", text)
        if slot is None and lang == "zh" and rng.random() < 0.3:
            text = text.replace("?", "？").replace(",", "，")
        if lower:
            text = text.lower()
        if typo and rng.random() < 0.5:
            text = " ".join(_typo(w, rng) for w in text.split(" "))
        out.append((text, slot))
    return out


def _segments(template: str, fillers: Fillers, lang: str, rng: random.Random) -> list[tuple[str, str | None]]:
    segments, cursor = [], 0
    for match in re.finditer(r"\{(\w+)\}(s\b)?", template):
        segments.append((template[cursor : match.start()], None))
        surface, slot = fillers.fill(match.group(1), lang, rng)
        segments.append((surface + (match.group(2) or ""), slot))  # "{kind}s": the plural is the span
        cursor = match.end()
    segments.append((template[cursor:], None))
    return [(t, s) for t, s in segments if t]


def _wrapped(
    segments: list[tuple[str, str | None]], lang: str, intent: str, rng: random.Random
) -> list[tuple[str, str | None]]:
    """Paraphrase patterns around a request: openers and closers people add."""
    if intent not in templates.WRAPPABLE or rng.random() > 0.35:
        return segments
    opener, closer = rng.choice(templates.OPENERS[lang]), rng.choice(templates.CLOSERS[lang])
    return [(opener, None), *segments, (closer, None)]


def _markup(segments: list[tuple[str, str | None]]) -> str:
    return "".join(f"[{t}]({s})" if s and t.strip() else t for t, s in segments)


def _held_out(key: str, share: float) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def templated(catalog: Catalog, seed: int = SEED) -> Iterator[dict]:
    fillers, rng = Fillers(catalog), random.Random(seed)
    for lang, table in (("en", templates.EN), ("zh", templates.ZH)):
        for intent, patterns in table.items():
            for number, pattern in enumerate(patterns):
                context, _, utterance = pattern.rpartition("|")
                split = "test" if _held_out(f"{lang}:{pattern}", HELD_OUT_TEMPLATES) else "train"
                fills = FILLS.get(intent, DEFAULT_FILLS) if "{" in utterance else PLAIN_FILLS
                for _ in range(fills):
                    segments = _noisy(_wrapped(_segments(utterance, fillers, lang, rng), lang, intent, rng), lang, rng)
                    text = _markup(segments)
                    mixed = lang == "zh" and any(s and t.isascii() and t.strip() for t, s in segments)
                    plain_context = "".join(t for t, _ in _segments(context, fillers, lang, rng))
                    yield {
                        "text": text,
                        "intent": intent,
                        "lang": "mixed" if mixed else lang,
                        "context": plain_context,
                        "source": f"template:{lang}:{intent}:{number}",
                        "split": split,
                    }


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_corpus(catalog: Catalog, seed: int = SEED) -> list[dict]:
    rows = list(templated(catalog, seed))
    for row in _read(INTENT_ONLY):  # intents only: their spans are unknown, not empty
        split = "test" if _held_out(row["text"], HELD_OUT_INTENT_ONLY) else "train"
        rows.append(
            {
                "text": row["text"].replace("[", "(").replace("]", ")"),
                "intent": row["intent"],
                "lang": row.get("lang", "en"),
                "context": "",
                "source": "intent-only",
                "split": split,
                "spans_known": False,
            }
        )
    if HAND_TRAIN.exists():
        rows += [
            {**r, "context": r.get("context", ""), "source": "hand-train", "split": "train"} for r in _read(HAND_TRAIN)
        ]
    if HANDWRITTEN.exists():
        for row in _read(HANDWRITTEN):
            split = "test" if _held_out(parse(row["text"])[0], HELD_OUT_HAND) else "train"  # by the plain text
            rows.append({**row, "context": row.get("context", ""), "source": "hand", "split": split})
    return rows


def training_rows(rows: list[dict]) -> list[dict]:
    """The training split, hand-written and intent-only rows repeated COPIES times."""
    return [r for r in rows if r["split"] == "train" for _ in range(COPIES.get(r["source"], 1))]


def write(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
