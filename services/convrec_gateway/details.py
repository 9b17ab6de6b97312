"""Answers questions about an item from its catalog record."""

from __future__ import annotations

from convrec.common.v1 import common_pb2
from convrec_kit.catalog import display_title
from convrec_kit.names import category_zh

DEFAULT_FIELDS = ("plot", "director", "author", "year", "cast")


def answer(item: common_pb2.Item, fields: list[str], lang: str) -> str:
    zh = lang == "zh"
    title = display_title(item, lang)
    a, n = item.attributes, item.numeric
    sentences = []
    for field in fields or DEFAULT_FIELDS:
        if field == "director" and a.get("director"):
            sentences.append(
                f"{title}的导演是{a['director']}。" if zh else f"{title} was directed by {a['director']}."
            )
        elif field == "cast" and a.get("cast"):
            sentences.append(f"主演：{a['cast']}。" if zh else f"It stars {a['cast']}.")
        elif field == "author" and a.get("author"):
            sentences.append(
                f"{title}的作者是{a['author']}。" if zh else f"{title} was written by {a['author']}."
            )
        elif field == "year" and "year" in n:
            sentences.append(
                f"{title}发行于{int(n['year'])}年。" if zh else f"{title} came out in {int(n['year'])}."
            )
        elif field == "runtime" and "runtime" in n:
            sentences.append(
                f"片长{int(n['runtime'])}分钟。" if zh else f"It runs {int(n['runtime'])} minutes."
            )
        elif field == "price" and "price" in n:
            usd = f" (about ${n['price_usd']:g})" if "price_usd" in n else ""
            sentences.append(
                f"{title}售价{n['price']:g}元。" if zh else f"{title} costs ¥{n['price']:g}{usd}."
            )
        elif field == "rating" and "rating" in n:
            scale = 10 if "movie" in item.categories else 5
            sentences.append(
                f"评分{n['rating']:g}/{scale}。" if zh else f"It is rated {n['rating']:g}/{scale}."
            )
        elif field == "genre":
            cats = [c for c in item.categories if c not in ("movie", "book", "product")]
            sentences.append(
                f"类型：{'、'.join(category_zh(c) for c in cats)}。" if zh else f"It is {', '.join(cats)}."
            )
        elif field == "plot" and item.description:
            sentences.append(f"{title}：{item.description}" if zh else f"{title}: {item.description}")
    if not sentences:
        return (
            f"抱歉，目录里没有{title}的这项信息。"
            if zh
            else f"Sorry, the catalog has no {', '.join(fields)} for {title}."
        )
    return " ".join(sentences)
