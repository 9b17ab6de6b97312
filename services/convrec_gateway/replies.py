"""Reply texts in English and Chinese."""

from __future__ import annotations

from convrec_kit.names import DOMAIN_EN, DOMAIN_ZH_MEASURE, category_zh

from .session import Wanted


def _join_en(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def describe(wanted: Wanted, lang: str) -> str:
    """A short phrase for what was understood, e.g. 'science fiction, 1990–1999, not horror'."""
    parts = []
    zh = lang == "zh"
    if wanted.include:
        parts.append("、".join(category_zh(c) for c in wanted.include) if zh else " or ".join(wanted.include))
    for name, (low, high) in sorted(wanted.ranges.items()):
        unit = {"price": "¥", "price_usd": "$"}.get(name, "")
        label = {
            "year": "年份" if zh else "year",
            "price": "价格" if zh else "price",
            "price_usd": "价格" if zh else "price",
            "runtime": "片长" if zh else "runtime",
            "rating": "评分" if zh else "rating",
        }.get(name, name)
        if low is not None and high is not None:
            parts.append(f"{label} {unit}{low:g}–{unit}{high:g}")
        elif low is not None:
            parts.append(f"{label} ≥ {unit}{low:g}")
        elif high is not None:
            parts.append(f"{label} ≤ {unit}{high:g}")
    if wanted.people:
        parts.append(("与" if zh else "with ") + ", ".join(wanted.people))
    if wanted.mood:
        parts.append(f"{wanted.mood}")
    if wanted.exclude:
        parts.append(
            ("不要" + "、".join(category_zh(c) for c in wanted.exclude))
            if zh
            else "no " + " or ".join(wanted.exclude)
        )
    if wanted.keywords and not zh:
        parts.append("about " + " ".join(wanted.keywords[:4]))
    return ("，" if zh else ", ").join(parts)


def recommend(titles: list[str], wanted: Wanted, lang: str, lead: str = "", domain: str = "") -> str:
    summary = describe(wanted, lang)
    domain = wanted.domain or domain
    if lang == "zh":
        measure, noun = DOMAIN_ZH_MEASURE.get(domain, DOMAIN_ZH_MEASURE[""])
        head = f"{lead}为您推荐{len(titles)}{measure}{noun}" + (f"（{summary}）" if summary else "")
        return head + "：" + "、".join(titles[:5]) + ("等。" if len(titles) > 5 else "。")
    noun = DOMAIN_EN.get(domain, "picks")
    head = f"{lead}Here are {len(titles)} {noun}" + (f" ({summary})" if summary else "")
    shown = titles[:5] + ([f"{len(titles) - 5} more"] if len(titles) > 5 else [])
    return head + ": " + _join_en(shown) + "."


def no_match(wanted: Wanted, lang: str) -> str:
    summary = describe(wanted, lang)
    if lang == "zh":
        return f"没有找到符合条件（{summary}）的结果。可以放宽一些条件吗？比如换个年份或类型。"
    return (
        f"Nothing in the catalog matches all of that ({summary}). "
        "Could you relax something, such as the years or the genre?"
    )


CLARIFY = {
    "en": "Happy to help! What are you in the mood for? "
    "Tell me a genre, an era, a movie or book you liked, or a budget.",
    "zh": "很乐意帮忙！您想要什么样的？可以告诉我类型、年代、喜欢的电影或书，或者预算。",
}
CLARIFY_SUGGESTIONS = {
    "en": ["A funny movie from the 90s", "Something like Inception", "An economics book under $30"],
    "zh": ["推荐一部科幻电影", "类似《肖申克的救赎》的电影", "100-200元的经济类书"],
}
GREETING = {
    "en": "Hi! I can recommend movies, books and a few products. What would you like today?",
    "zh": "您好！我可以为您推荐电影、书籍和一些商品。今天想找点什么？",
}
GOODBYE = {"en": "Goodbye, and enjoy!", "zh": "再见，祝您观影愉快！"}
CHITCHAT = {
    "en": "I'm a recommender, so I'm best at suggesting movies and books. Want a suggestion?",
    "zh": "我是推荐助手，最擅长推荐电影和书。要不要来点推荐？",
}
CHITCHAT_LEAD = {"en": "Happy to chat! ", "zh": "聊得很开心！"}
OUT_OF_SCOPE = {
    "en": "Sorry, I can't help with that. I can recommend movies, books and products.",
    "zh": "抱歉，这个我帮不上忙。我可以为您推荐电影、书籍和商品。",
}
NO_TARGET = {
    "en": 'Which one do you mean? Name it or say "the second one".',
    "zh": "您指的是哪一个？可以说出名字，或者说“第二个”。",
}


def acknowledge_like(title: str, lang: str) -> str:
    return (
        f"很高兴您喜欢{title}！这里有一些相似的推荐。"
        if lang == "zh"
        else f"Glad you like {title}! Here are more like it."
    )


def acknowledge_dislike(title: str, lang: str, seen: bool) -> str:
    if lang == "zh":
        return f"好的，{'您已经看过' if seen else '您不喜欢'}{title}，我不会再推荐它。"
    return f"Got it, {'you have already seen' if seen else 'not'} {title}; I won't suggest it again. "


def suggestions_after_list(first_title: str, lang: str, domain: str = "movie") -> list[str]:
    if lang == "zh":
        if domain == "movie":
            return ["为什么推荐第一个？", f"{first_title}讲的是什么？", "换几部新一点的", "第一部看过了"]
        return ["为什么推荐第一个？", f"{first_title}讲的是什么？", "再便宜一点的", "第一个不喜欢"]
    if domain == "movie":
        return [
            "Why the first one?",
            f"Tell me more about {first_title}",
            "Something newer",
            "I've seen the first one",
        ]
    return [
        "Why the first one?",
        f"Tell me more about {first_title}",
        "Something cheaper",
        "Not the first one",
    ]
