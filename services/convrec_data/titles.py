"""Movie titles: the year split off, and a key under which spellings of one title agree
("Matrix, The (1999)", "The Matrix  (1999)" and "the matrix" share the key "matrix")."""

from __future__ import annotations

import re
import unicodedata

from convrec_kit.text import normalize_title

_YEAR_AT_END = re.compile(r"\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$")
_ARTICLE_AT_END = re.compile(r"^(.*?),\s*(the|a|an|les|la|le|l'|il|el|der|die|das)$", re.IGNORECASE)
_PARENTHESES = re.compile(r"\s*\(([^()]*)\)")


def split_title_year(name: str) -> tuple[str, int | None]:
    """'Headhunter  (2009)' -> ('Headhunter', 2009); 'The Mummy ' -> ('The Mummy', None)."""
    name = " ".join(name.split())
    match = _YEAR_AT_END.search(name)
    if not match:
        return name, None
    return name[: match.start()].strip(), int(match.group(1))


def display_title(title: str) -> str:
    """'Matrix, The' -> 'The Matrix'; alternative titles in parentheses are dropped."""
    main = _PARENTHESES.sub("", title).strip() or title
    match = _ARTICLE_AT_END.match(main)
    if match:
        article = match.group(2)
        main = f"{article[:1].upper()}{article[1:]}{'' if article.endswith(chr(39)) else ' '}{match.group(1)}"
    return main


def title_key(title: str) -> str:
    """Lower case, no accents, punctuation, leading or trailing article, or year."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    main = display_title(text)
    return normalize_title(main)


def title_keys(title: str) -> set[str]:
    """The main title's key and those of alternative titles ('Seven (a.k.a. Se7en)')."""
    keys = {title_key(title)}
    for alternative in _PARENTHESES.findall(title):
        alternative = re.sub(r"^(a\.k\.a\.|aka)\s*", "", alternative.strip(), flags=re.IGNORECASE)
        if alternative:
            keys.add(title_key(alternative))
    return {k for k in keys if k}
