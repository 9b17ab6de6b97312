"""Constraint extraction: categories to include or exclude, numeric ranges, moods,
keywords, detail questions, ordinals and relative changes, in English and Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from convrec_kit.text import STOPWORDS, fold, has_cjk

from . import lexicon as lx

_YEAR = r"(1[89]\d\d|20\d\d)"
_NUM = r"(\d+(?:\.\d+)?)"
_CNY = r"(?:元|块钱|块|rmb|yuan|cny|¥|￥)"
_USD = r"(?:\$|usd|dollars?|bucks)"
_AT_MOST = "under|below|less than|cheaper than|at most|up to|max(?:imum)?|no more than|within|不超过|低于|少于|小于"


@dataclass
class Extraction:
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    # field -> [min, max]; None is an open bound.
    ranges: dict[str, list[float | None]] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    mood: str = ""
    query_words: list[str] = field(default_factory=list)
    domain: str = ""
    detail_fields: list[str] = field(default_factory=list)
    ordinal: int = 0
    adjustments: list[tuple[str, int]] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    # Character spans consumed by the rules, left out of the keywords.
    spans: list[tuple[int, int]] = field(default_factory=list)

    def set_range(self, name: str, low: float | None, high: float | None) -> None:
        if low is not None and high is not None and low > high:
            low, high = high, low
        current = self.ranges.setdefault(name, [None, None])
        if low is not None:
            current[0] = low
        if high is not None:
            current[1] = high


@cache
def _word_pattern(phrase: str) -> re.Pattern:
    """A phrase as a whole word (English) or as a substring (Chinese), compiled once."""
    if has_cjk(phrase):
        return re.compile(re.escape(phrase))
    return re.compile(rf"(?<![\w]){re.escape(phrase)}(?![\w])")


def _phrase_pattern(phrase: str) -> re.Pattern:
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<![\w'])" + r"[\s\-]+".join(words) + r"(?![\w'])")


_EN_PATTERNS = sorted(
    ((p, _phrase_pattern(p), cats) for p, cats in lx.CATEGORY_EN.items()),
    key=lambda x: -len(x[0]),
)
_NEG_EN = re.compile(
    r"(?<![\w'])("
    + "|".join(re.escape(n) for n in sorted(lx.NEGATION_EN, key=len, reverse=True))
    + r")(?![\w'])"
)
_CHAIN_EN = re.compile(r"^[\s,/]*(?:or|and|nor|,|/)?[\s]*(?:any\s+)?$")


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


def _negated_en(text: str, start: int, end: int, previous_negated_end: int | None) -> bool:
    before = text[max(0, start - 40) : start]
    words = before.split()
    window = " ".join(words[-4:])
    if re.search(r"(anything but|other than|except|excluding)\s*$", window):
        return True
    clause = re.split(r"[.;!?,]| but | though | and | or ", f" {window} ")[-1]
    if _NEG_EN.search(clause):
        return True
    if previous_negated_end is not None and _CHAIN_EN.match(text[previous_negated_end:start]):
        return True
    after = text[end : end + 24]
    return any(after.lstrip(" s").startswith(cue) for cue in lx.NEGATION_EN_AFTER)


def _negated_zh(text: str, start: int, end: int, previous_negated_end: int | None) -> bool:
    before = re.split(r"[，。！？,.!?；;但而]", text[max(0, start - 8) : start])[-1]
    if any(cue in before for cue in lx.NEGATION_ZH_BEFORE):
        return True
    if previous_negated_end is not None and re.fullmatch(
        r"[片类的和或、与及\s]*", text[previous_negated_end:start]
    ):
        return True
    after = re.split(r"[，。！？,.!?；;但而]", text[end : end + 10])[0]
    return any(cue in after for cue in lx.NEGATION_ZH_AFTER)


def _categories(text: str, out: Extraction) -> None:
    found: list[tuple[int, int, tuple[str, ...]]] = []
    for _phrase, pattern, cats in _EN_PATTERNS:
        for m in pattern.finditer(text):
            if not _overlaps(m.span(), [(s, e) for s, e, _ in found]):
                found.append((m.start(), m.end(), cats))
    for phrase in sorted(lx.CATEGORY_ZH, key=len, reverse=True):
        for m in re.finditer(re.escape(phrase), text):
            if not _overlaps(m.span(), [(s, e) for s, e, _ in found]):
                found.append((m.start(), m.end(), lx.CATEGORY_ZH[phrase]))
    found.sort()
    last_negated_end: int | None = None
    for start, end, cats in found:
        is_zh = has_cjk(text[start:end])
        negated = (_negated_zh if is_zh else _negated_en)(text, start, end, last_negated_end)
        back = text[end : end + 16]
        if re.match(r"\s*(is|are)?\s*(fine|ok|okay) (now|again)|也可以|也行", back):
            out.cleared.extend(cats)
            negated = False
        elif negated:
            out.exclude.extend(c for c in cats if c not in out.exclude)
        else:
            out.include.extend(c for c in cats if c not in out.include)
        last_negated_end = end if negated else None
        out.spans.append((start, end))
    out.include = [c for c in out.include if c not in out.exclude]


def _decade(start: int) -> tuple[int, int]:
    return start, start + 9


def _year_rules() -> list[tuple[re.Pattern, callable]]:
    rules = [
        (
            rf"(?:between|from)\s+{_YEAR}\s+(?:and|to|-|until|till)\s+{_YEAR}",
            lambda m, now: (int(m[1]), int(m[2])),
        ),
        (rf"{_YEAR}\s*(?:-|–|~|到|至)\s*{_YEAR}(?:年)?", lambda m, now: (int(m[1]), int(m[2]))),
        (rf"(?:after|post|later than|newer than)\s*-?\s*{_YEAR}", lambda m, now: (int(m[1]) + 1, None)),
        (rf"(?:since|starting(?:\s+(?:from|in))?)\s+{_YEAR}(?:\s+on(?:wards?)?)?", lambda m, now: (int(m[1]), None)),
        (rf"from\s+{_YEAR}\s+on(?:wards?)?", lambda m, now: (int(m[1]), None)),
        (rf"{_YEAR}\s*(?:or later|and later|onwards?|or newer|\+)", lambda m, now: (int(m[1]), None)),
        (rf"(?:before|pre|earlier than|older than)\s*-?\s*{_YEAR}", lambda m, now: (None, int(m[1]) - 1)),
        (rf"(?:until|up to|through)\s+{_YEAR}", lambda m, now: (None, int(m[1]))),
        (rf"{_YEAR}\s*年?\s*(?:以后|之后)", lambda m, now: (int(m[1]) + 1, None)),
        (rf"{_YEAR}\s*年?\s*(?:以来|起)", lambda m, now: (int(m[1]), None)),
        (rf"{_YEAR}\s*年?\s*(?:以前|之前)", lambda m, now: (None, int(m[1]) - 1)),
        (r"(?:the\s+)?(?:(19|20)(\d)0|'(\d)0|(\d)0)'?s(?![a-z])", lambda m, now: _decade(_decade_start(m))),
        (r"(?:(19|20)?(\d)0|([一二三四五六七八九])十)年代", lambda m, now: _decade(_decade_start_zh(m))),
        (
            rf"(?:in|from|released in|made in)\s+{_YEAR}(?!\s*(?:-|to|and))",
            lambda m, now: (int(m[1]), int(m[1])),
        ),
        (rf"{_YEAR}\s*年(?:的|上映)", lambda m, now: (int(m[1]), int(m[1]))),
        (r"(?:last|past)\s+(\d+|few|couple of)\s+years", lambda m, now: (now - _count(m[1]), None)),
        (r"(?:近|最近)\s*(\d+|几|两|三|五|十)\s*年", lambda m, now: (now - _count_zh(m[1]), None)),
    ]
    rules += [
        (rf"(?<![a-z])(?:the\s+)?{word}", lambda m, now, d=decade: _decade(d))
        for word, decade in lx.DECADE_WORDS_EN.items()
    ]
    return [(re.compile(p), make) for p, make in rules]


def _years(text: str, out: Extraction, now_year: int) -> None:
    for pattern, make in _YEAR_RULES:
        for m in pattern.finditer(text):
            if _overlaps(m.span(), out.spans):
                continue
            out.set_range("year", *make(m, now_year))
            out.spans.append(m.span())


def _decade_start(m: re.Match) -> int:
    if m[1]:
        return int(m[1] + m[2] + "0")
    digit = int(m[3] or m[4])
    return (1900 if digit >= 3 else 2000) + digit * 10


def _decade_start_zh(m: re.Match) -> int:
    if m[2]:
        digit = int(m[2])
        century = m[1] or ("19" if digit >= 3 else "20")
        return int(century) * 100 + digit * 10
    digit = lx.ZH_DIGITS[m[3]]
    return 1900 + digit * 10


def _count(word: str) -> int:
    return {"few": 3, "couple of": 2}.get(word, None) or int(word)


def _count_zh(word: str) -> int:
    return int(word) if word.isdigit() else {"几": 3}.get(word, lx.ZH_DIGITS.get(word, 3))


_YEAR_RULES = _year_rules()


def _price_field(text: str, currency: str | None, language: str) -> str:
    if currency and re.fullmatch(_USD, currency.strip()):
        return "price_usd"
    if currency:
        return "price"
    return "price" if language == "zh" else "price_usd"


def _prices(text: str, out: Extraction, language: str) -> None:
    cur = rf"({_CNY}|{_USD})?"
    rules: list[tuple[str, callable]] = [
        (
            rf"(?:between\s+)?{cur}\s*{_NUM}\s*{cur}\s*(?:-|–|~|to|and|到|至)\s*{cur}\s*{_NUM}\s*{cur}(?:\s*之间)?",
            lambda m: (float(m[2]), float(m[5]), m[1] or m[3] or m[4] or m[6]),
        ),
        (
            rf"(?:{_AT_MOST})\s*{cur}\s*{_NUM}\s*{cur}",
            lambda m: (None, float(m[2]), m[1] or m[3]),
        ),
        (
            rf"{cur}\s*{_NUM}\s*{cur}\s*(?:以下|以内|之内|or less|or under|and under|max)",
            lambda m: (None, float(m[2]), m[1] or m[3]),
        ),
        (
            rf"(?:over|above|more than|at least|高于|超过|大于)\s*{cur}\s*{_NUM}\s*{cur}",
            lambda m: (float(m[2]), None, m[1] or m[3]),
        ),
        (
            rf"{cur}\s*{_NUM}\s*{cur}\s*(?:以上|or more|and up|\+)",
            lambda m: (float(m[2]), None, m[1] or m[3]),
        ),
    ]
    price_context = re.search(r"price|cost|budget|cheap|expensive|\$|元|块|价|钱|预算|buy|买", text)
    for pattern, make in rules:
        for m in re.finditer(pattern, text):
            if _overlaps(m.span(), out.spans):
                continue
            low, high, currency = make(m)
            if not currency and not price_context:
                continue
            if currency is None and re.fullmatch(r"\d{4}", m[2] or "") and not price_context:
                continue
            out.set_range(_price_field(text, currency, language), low, high)
            out.spans.append(m.span())


def _runtime_and_rating(text: str, out: Extraction) -> None:
    hours = r"(\d+(?:\.\d+)?|one|two|three|一|两|二|三)\s*(?:hours?|hrs?|h|个?小时)"
    words = {"one": 1, "two": 2, "three": 3, "一": 1, "两": 2, "二": 2, "三": 3}

    def as_minutes(value: str, minutes: bool) -> float:
        number = float(words.get(value, value) if value in words else value)
        return number if minutes else number * 60

    rules = [
        (
            rf"(?:under|less than|shorter than|at most|within|no longer than)\s*{hours}",
            lambda m: (None, as_minutes(m[1], False)),
        ),
        (rf"{hours}\s*(?:以内|之内|以下)", lambda m: (None, as_minutes(m[1], False))),
        (
            r"(?:under|less than|shorter than|at most)\s*(\d+)\s*(?:minutes|mins?)",
            lambda m: (None, as_minutes(m[1], True)),
        ),
        (r"(\d+)\s*分钟\s*(?:以内|之内|以下)", lambda m: (None, as_minutes(m[1], True))),
        (rf"(?:over|longer than|more than|at least)\s*{hours}", lambda m: (as_minutes(m[1], False), None)),
    ]
    for pattern, make in rules:
        for m in re.finditer(pattern, text):
            if not _overlaps(m.span(), out.spans):
                out.set_range("runtime", *make(m))
                out.spans.append(m.span())
    for pattern in (
        r"(?:rated|rating|score)\s*(?:of\s*)?(?:above|over|at least|>=?)\s*(\d(?:\.\d)?)",
        r"评分\s*(?:在\s*)?(\d(?:\.\d)?)\s*分?\s*(?:以上|及以上)",
        r"(\d(?:\.\d)?)\s*分以上",
    ):
        for m in re.finditer(pattern, text):
            if not _overlaps(m.span(), out.spans):
                out.set_range("rating", float(m[1]), None)
                out.spans.append(m.span())


def _simple_lookups(text: str, language: str, out: Extraction) -> None:
    for phrase, (mood, words) in {**lx.MOOD_EN, **lx.MOOD_ZH}.items():
        for m in _word_pattern(phrase).finditer(text):
            if not out.mood:
                out.mood = mood
            out.query_words.extend(words.split())
            out.spans.append(m.span())
    for zh, en in lx.ZH_QUERY_WORDS.items():
        if zh in text:
            out.query_words.extend(en.split())
    domains = [d for w, d in lx.DOMAIN_EN.items() if d and _word_pattern(w).search(text)] + [
        d for w, d in lx.DOMAIN_ZH.items() if w in text and not (w in "看读片" and len(text) < 3)
    ]
    for preferred in ("book", "product", "movie"):
        if preferred in domains:
            out.domain = preferred
            break
    for name, cues in {**lx.DETAIL_EN}.items():
        if any(_word_pattern(c).search(text) for c in cues):
            out.detail_fields.append(name)
    for name, cues in lx.DETAIL_ZH.items():
        if any(c in text for c in cues) and name not in out.detail_fields:
            out.detail_fields.append(name)
    for phrase, adj in {**lx.ADJUST_EN, **lx.ADJUST_ZH}.items():
        for m in _word_pattern(phrase).finditer(text):
            if not _overlaps(m.span(), out.spans) and adj not in out.adjustments:
                out.adjustments.append(adj)
                out.spans.append(m.span())
    _ordinal(text, out)


def ordinal_of(text: str) -> int:
    """The place in the list a text names ("the second one" 2, "第三部" 3, the last -1), else 0."""
    found = Extraction()
    _ordinal(text.lower(), found)
    return found.ordinal


def _ordinal(text: str, out: Extraction) -> None:
    m = re.search(
        r"(?:the\s+)?(" + "|".join(lx.ORDINALS_EN) + r")\s+(?:one|movie|film|book|item|pick|suggestion)", text
    )
    if m is None:
        m = re.search(r"(?:number|#|no\.)\s*(\d{1,2})(?!\d)", text) or re.search(
            r"\b(\d{1,2})(?:st|nd|rd|th)\s+(?:one|movie|film|book|item|pick|suggestion)", text
        )
        if m:
            out.ordinal = int(m[1])
            return
    else:
        out.ordinal = lx.ORDINALS_EN[m[1]]
        return
    m = re.search(r"第\s*([一二两三四五六七八九十]|\d{1,2})\s*[个部本项条件]", text)
    if m:
        out.ordinal = int(m[1]) if m[1].isdigit() else lx.ZH_DIGITS[m[1]]
        out.spans.append(m.span())
    elif m := re.search(r"最后[一那这]?[个部本件]", text):
        out.ordinal = -1
        out.spans.append(m.span())


_KEYWORD_STOP = (
    STOPWORDS
    | {
        "something",
        "anything",
        "movie",
        "film",
        "book",
        "show",
        "watch",
        "read",
        "buy",
        "tonight",
        "today",
        "want",
        "need",
        "maybe",
        "kind",
        "sort",
        "type",
        "new",
        "old",
        "year",
        "years",
        "price",
        "cost",
        "budget",
        "between",
        "under",
        "over",
        "after",
        "before",
        "since",
        "around",
        "less",
        "cheap",
        "cheaper",
        "hi",
        "hey",
        "thanks",
        "thank",
        "pls",
        "too",
        "yuan",
        "dollars",
        "dollar",
        "bucks",
        "usd",
        "rmb",
        "minutes",
        "hours",
        "hour",
        "like",
        "fine",
        "now",
        "again",
        "please",
        "one",
        "ones",
        "suggestions",
        "options",
        "instead",
    }
    | lx.CHAT_FILLER_EN
    | set(lx.ORDINALS_EN)
    | {w for phrase in lx.ADJUST_EN for w in phrase.split()}
    | {w for cues in lx.DETAIL_EN.values() for cue in cues for w in cue.split()}
)


def _keywords(text: str, out: Extraction) -> None:
    masked = list(text)
    for start, end in out.spans:
        for i in range(start, min(end, len(masked))):
            masked[i] = " "
    rest = "".join(masked)
    for match in re.finditer(r"[a-z][a-z'\-]{2,}", rest):
        word = match[0]
        # "about love": a topic, though "love" is usually an opinion.
        topic = word in lx.CHAT_FILLER_EN and rest[: match.start()].rstrip().endswith("about")
        stop = word in _KEYWORD_STOP and not topic
        if not stop and not _NEG_EN.fullmatch(word) and word not in out.keywords:
            out.keywords.append(word)


def extract(utterance: str, language: str, now_year: int) -> Extraction:
    """Rules over the folded text; the classifier decides what the turn is for."""
    text = fold(utterance)
    text = text.replace("sci-fi", "sci fi")
    out = Extraction()
    _years(text, out, now_year)
    _prices(text, out, language)
    _runtime_and_rating(text, out)
    _categories(text, out)
    _simple_lookups(text, language, out)
    _keywords(text, out)
    return out
