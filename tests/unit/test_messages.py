"""convrec_gateway.messages: the catalogs agree with each other, lookups fall back to English,
and the reply modules hold no language of their own."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from convrec_gateway import messages as m
from convrec_gateway import replies
from convrec_gateway.catalog_profile import Profile

GATEWAY = Path(m.__file__).parent
OTHERS = [lang for lang in sorted(m.catalogs()) if lang != m.DEFAULT]


def test_english_and_chinese_are_catalogued():
    assert {"en", "zh"} <= set(m.catalogs())


@pytest.mark.parametrize("lang", OTHERS)
def test_every_language_has_the_same_ids(lang):
    english, other = set(m.catalogs()["en"]), set(m.catalogs()[lang])
    assert not english - other, f"{lang} lacks {sorted(english - other)}"
    assert not other - english, f"{lang} has ids English lacks: {sorted(other - english)}"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_message_has_the_same_placeholders_and_shape(lang):
    for msg_id, template in m.catalogs()["en"].items():
        other = m.catalogs()[lang][msg_id]
        assert type(other) is type(template), msg_id
        assert m.placeholders(other) == m.placeholders(template), msg_id


@pytest.mark.parametrize("lang", sorted(m.catalogs()))
def test_every_template_formats(lang):
    for msg_id, template in m.catalogs()[lang].items():
        params = {name: 1.5 for name in m.placeholders(template)}
        for part in template if isinstance(template, list) else [template]:
            assert isinstance(part.format(**params), str), msg_id


def test_language_resolution():
    assert m.language("zh") == "zh"
    assert m.language("zh-CN") == m.language("zh_TW") == "zh"
    assert m.language("fr") == m.language("") == "en"
    assert m.text("fr", "goodbye") == m.text("en", "goodbye") == "Goodbye, and enjoy!"


def test_a_missing_or_broken_text_falls_back_to_english(monkeypatch):
    books = {"en": {"a": "A {x}", "b": "B {x}", "c": "C"}, "xx": {"a": "Ä {x}", "b": "{typo}"}}
    monkeypatch.setattr(m, "catalogs", lambda: books)
    assert m.text("xx", "a", x=1) == "Ä 1"
    assert m.text("xx", "b", x=1) == "B 1"
    assert m.text("xx", "c") == "C"
    with pytest.raises(KeyError):
        m.text("xx", "nowhere")


def test_grammar_comes_from_the_catalog():
    assert m.join("en", ["A", "B", "C"]) == "A, B and C"
    assert m.join("en", ["A", "B"], "or") == "A or B"
    assert m.join("zh", ["A", "B", "C"]) == "A、B、C"
    assert m.join("en", ["A"]) == "A" and m.join("zh", []) == ""
    assert m.category("zh", "science fiction") == "科幻"
    assert m.category("zh", "no such genre") == "no such genre"
    assert m.value("en", "price", 12.5) == "¥12.5"
    assert m.value("en", "price_usd", 3) == "$3"
    assert m.value("zh", "year", 1999.0) == "1999"


@pytest.fixture
def french(tmp_path, monkeypatch):
    """A third language added as one file beside the others."""
    for path in m.LOCALES.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    french = {"goodbye": "Au revoir !", "list.and": "{items} et {last}", "ack.like": "Ravi que {title} vous plaise !"}
    (tmp_path / "fr.json").write_text(json.dumps(french), encoding="utf-8")
    monkeypatch.setattr(m, "LOCALES", tmp_path)
    m.catalogs.cache_clear()
    yield
    m.catalogs.cache_clear()


def test_a_third_language_is_one_more_file(french):
    assert "fr" in m.catalogs()
    assert replies.goodbye("fr") == replies.GOODBYE["fr"] == "Au revoir !"
    assert replies.acknowledge_like("Alien", "fr") == "Ravi que Alien vous plaise !"
    assert m.join("fr", ["A", "B", "C"]) == "A, B et C"
    assert replies.greeting("fr", Profile()) == replies.greeting("en", Profile())  # not translated yet: English


@pytest.mark.parametrize("module", ["replies.py", "explain.py", "details.py"])
def test_reply_modules_have_no_language_branches(module):
    source = (GATEWAY / module).read_text(encoding="utf-8")
    assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", source), "Chinese text belongs in the catalog"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant):
            assert node.value not in ("en", "zh"), f"{module}:{node.lineno}: a language code in code"
        if isinstance(node, ast.Name):
            assert node.id != "zh", f"{module}:{node.lineno}: a language flag in code"
