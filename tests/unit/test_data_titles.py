"""Movie titles: the year split off, and one key for the spellings of a title."""

from __future__ import annotations

import pytest

from convrec_data.titles import display_title, split_title_year, title_key, title_keys


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("Headhunter  (2009)", "Headhunter", 2009),
        ("The Mummy ", "The Mummy", None),
        ("Matrix, The (1999)", "Matrix, The", 1999),
        ("Seven (a.k.a. Se7en) (1995)", "Seven (a.k.a. Se7en)", 1995),
        (" (2015)", "", 2015),
    ],
)
def test_split_title_year(name, title, year):
    assert split_title_year(name) == (title, year)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Matrix, The", "The Matrix"),
        ("Matrix,  The", "the  matrix"),
        ("Lord of the Rings: The Fellowship of the Ring, The", "The Lord of the Rings: The Fellowship of the Ring"),
        ("Amélie", "Amelie"),
        ("Fast & Furious", "Fast and Furious"),
    ],
)
def test_spellings_of_one_title_share_a_key(a, b):
    assert title_key(a) == title_key(b)


def test_different_titles_differ():
    assert title_key("The Matrix") != title_key("The Matrix Reloaded")


def test_alternative_titles_are_keys_too():
    assert title_keys("Seven (a.k.a. Se7en)") == {"seven", "se7en"}
    assert "city of lost children" in title_keys("City of Lost Children, The (Cité des enfants perdus, La)")


def test_display_title_moves_the_article_and_drops_alternatives():
    assert display_title("Matrix, The") == "The Matrix"
    assert display_title("City of Lost Children, The (Cité des enfants perdus, La)") == "The City of Lost Children"
    assert display_title("Alien") == "Alien"
