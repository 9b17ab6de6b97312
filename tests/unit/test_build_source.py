"""`convrec build` without --source never rebuilds an imported catalog from the demo source."""

from __future__ import annotations

import json

import pytest

from convrec_build.pipeline import DEMO_CATALOG, source_for


def built(directory, source) -> None:
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text(json.dumps({"source": str(source), "items": 3}))


def test_a_given_source_is_used(tmp_path):
    assert source_for(tmp_path / "mine", "mine", tmp_path / "mine.jsonl") == tmp_path / "mine.jsonl"


def test_an_imported_catalog_is_served_as_built(tmp_path):
    built(tmp_path / "mine", tmp_path / "restaurants.jsonl")
    assert source_for(tmp_path / "mine", "mine", None) is None


def test_the_demo_is_rebuilt_from_the_demo_source(tmp_path):
    assert source_for(tmp_path / "demo", "demo", None) == DEMO_CATALOG
    built(tmp_path / "copy", DEMO_CATALOG)
    assert source_for(tmp_path / "copy", "copy", None) == DEMO_CATALOG


def test_a_new_catalog_without_a_source_says_what_to_run(tmp_path):
    with pytest.raises(SystemExit, match=r"catalog 'mine' is not built .*convrec build --catalog mine --source FILE"):
        source_for(tmp_path / "mine", "mine", None)
