"""Explanations grounded in the score components and the item's own data."""

from __future__ import annotations

from collections.abc import Callable

from convrec.common.v1 import common_pb2
from convrec_kit.names import category_zh

from .session import Wanted

TitleOf = Callable[[str], str]
PERSONAL = ("seed", "discussed", "interest")
# Below these values a component is too weak to cite as a reason.
CITE = {
    "seed": 0.3,
    "discussed": 0.3,
    "interest": 0.05,
    "category": 0.01,
    "dense": 0.25,
    "lexical": 0.2,
    "popularity": 0.75,
    "context": 0.01,
    "co_occurrence": 0.1,
}
# Components whose evidence is an item id, shown as its title.
ITEM_EVIDENCE = ("seed", "discussed", "interest", "co_occurrence", "diversity")
# Reasons that name another item: {t} its title, {v} the component's value.
ITEM_REASONS = {
    "seed": ("与您提到的{t}相似（相似度 {v:.2f}）", "it is close to {t}, which you mentioned (similarity {v:.2f})"),
    "discussed": (
        "与之前聊到的{t}相似（相似度 {v:.2f}）",
        "it is close to {t}, which came up earlier (similarity {v:.2f})",
    ),
    "interest": ("您喜欢过{t}（兴趣匹配 {v:.2f}）", "you liked {t} (taste match {v:.2f})"),
    "co_occurrence": (
        "常与{t}一起被提到（关联度 {v:.2f}）",
        "people who talk about {t} often mention it too (strength {v:.2f})",
    ),
}


def _reason(
    c: common_pb2.ScoreComponent, item: common_pb2.Item, query: str, lang: str, title_of: TitleOf
) -> str:
    zh = lang == "zh"
    if c.name in ITEM_REASONS and c.evidence:
        zh_text, en_text = ITEM_REASONS[c.name]
        return (zh_text if zh else en_text).format(t=title_of(c.evidence), v=c.value)
    if c.name == "category" and c.evidence:
        cats = c.evidence.split(", ")
        return (
            f"属于您想要的{'、'.join(category_zh(x) for x in cats)}类型"
            if zh
            else f"it is {' and '.join(cats)}, as you asked"
        )
    if c.name in ("dense", "lexical") and query:
        return (
            f"与您的描述相符（匹配度 {c.value:.2f}）"
            if zh
            else f'it matches "{query}" ({c.name} match {c.value:.2f})'
        )
    if c.name == "popularity" and c.evidence:
        return (
            f"口碑很好（{c.evidence.replace('rated ', '评分 ')}）"
            if zh
            else f"it is well liked ({c.evidence})"
        )
    if c.name == "context" and c.evidence:
        return f"适合当前场景（{c.evidence}）" if zh else f"it suits the moment: {c.evidence}"
    return ""


def _facts(item: common_pb2.Item, wanted: Wanted, lang: str) -> list[str]:
    """Constraints the item satisfies, stated with the item's own values."""
    zh = lang == "zh"
    facts = []
    for name, (low, high) in sorted(wanted.ranges.items()):
        value = item.numeric.get(name)
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            continue
        if name == "year":
            bound = (
                f"{int(low)}–{int(high)}"
                if low is not None and high is not None
                else f"{int(low)} or later"
                if low is not None
                else f"{int(high)} or earlier"
            )
            facts.append(
                f"{int(value)}年的作品，符合您的年份要求"
                if zh
                else f"it is from {int(value)}, within {bound} as you asked"
            )
        elif name in ("price", "price_usd"):
            money = f"¥{value:g}" if name == "price" else f"${value:g}"
            facts.append(f"售价 {money}，在您的预算内" if zh else f"it costs {money}, within your budget")
        elif name == "runtime":
            facts.append(
                f"片长 {int(value)} 分钟，符合要求" if zh else f"it runs {int(value)} minutes, as you asked"
            )
        elif name == "rating":
            facts.append(f"评分 {value:g}，达到您的要求" if zh else f"it is rated {value:g}, as you asked")
    for person in wanted.people:
        role = _role_of(item, person)
        if role:
            facts.append(
                f"{_ROLE_ZH[role]}{person}，符合您的要求"
                if zh
                else f"it {_ROLE_EN[role]} {person}, as you asked"
            )
    if wanted.exclude and not set(wanted.exclude) & set(item.categories):
        shown = [category_zh(c) if zh else c for c in wanted.exclude]
        facts.append(f"不含您排除的{'、'.join(shown)}" if zh else f"it is not {' or '.join(shown)}")
    return facts


_ROLE_EN = {"director": "was directed by", "cast": "stars", "author": "was written by", "brand": "is made by"}
_ROLE_ZH = {"director": "导演是", "cast": "主演包括", "author": "作者是", "brand": "品牌是"}


def _role_of(item: common_pb2.Item, person: str) -> str:
    for role in _ROLE_EN:
        if person.lower() in item.attributes.get(role, "").lower():
            return role
    return ""


def explain(
    item: common_pb2.Item,
    components: list[common_pb2.ScoreComponent],
    wanted: Wanted,
    query: str,
    lang: str,
    title_of: TitleOf,
) -> str:
    """One or two sentences: the strongest cited components first, then the constraints met."""
    # Personal reasons (the item named, the user's taste) come first, then the rest by
    # contribution.
    ranked = sorted(components, key=lambda c: (c.name not in PERSONAL, -c.value * c.weight))
    text_match = [c for c in ranked if c.name in ("dense", "lexical")][1:]
    ranked = [c for c in ranked if c not in text_match]  # cite the stronger text match only
    reasons = []
    for c in ranked:
        if c.value * c.weight <= 0 or c.value < CITE.get(c.name, 1e9):
            continue
        text = _reason(c, item, query, lang, title_of)
        if text and text not in reasons:
            reasons.append(text)
        if len(reasons) == 3:
            break
    reasons += _facts(item, wanted, lang)
    if not reasons:
        top = max(components, key=lambda c: c.value * c.weight, default=None)
        if top is not None and top.value * top.weight > 0:
            return (
                f"综合得分最高的一项是{top.name}（{top.value:.2f}）"
                if lang == "zh"
                else f"its strongest signal is {top.name} ({top.value:.2f})"
            )
        return (
            "没有特别突出的理由：它符合您的筛选条件，综合得分不高。"
            if lang == "zh"
            else "No signal stands out for this one; it passes your filters with a modest score."
        )
    if lang == "zh":
        return "推荐理由：" + "；".join(reasons) + "。"
    return "Because " + "; ".join(reasons) + "."


def breakdown(score: float, components: list[common_pb2.ScoreComponent], lang: str, title_of: TitleOf) -> str:
    """Every component with its contribution, largest first."""
    parts = []
    for c in sorted(components, key=lambda c: abs(c.value * c.weight), reverse=True):
        evidence = c.evidence
        if c.name in ITEM_EVIDENCE and evidence:
            evidence = title_of(evidence)
        label = f"{c.name}" + (f" [{evidence}]" if evidence else "")
        parts.append(f"{label} {c.value:.2f}×{c.weight:g}={c.value * c.weight:+.3f}")
    head = f"总分 {score:.3f}：" if lang == "zh" else f"Score {score:.3f} = "
    return head + ("；" if lang == "zh" else "; ").join(parts)
