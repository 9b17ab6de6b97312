"""`convrec train interest` from an interactions JSONL and from the gateway's SQLite store."""

from __future__ import annotations

import json

import pytest

from convrec.common.v1 import common_pb2
from convrec_cli.main import main
from convrec_gateway.store import SQLiteStore
from convrec_kit.models.interest import artifact

from .interest_fixtures import copy_catalog, synthetic_records

FAST = ["--epochs", "2", "--dim", "16", "--layers", "1", "--max-len", "12"]


@pytest.fixture()
def artifacts_dir(tmp_path, catalog_dir, monkeypatch):
    copy_catalog(catalog_dir, tmp_path / "artifacts" / "demo")
    monkeypatch.setenv("CONVREC_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    return tmp_path / "artifacts"


def test_train_from_an_interactions_file(tmp_path, artifacts_dir, catalog, capsys):
    records = synthetic_records(catalog, users=30)
    records += [{"user_id": "u1", "item_id": "no-such-item", "event": "like", "timestamp": 1.6e9},
                {"user_id": "u1", "item_id": records[0]["item_id"], "event": "like"},
                {"user_id": "u1", "item_id": records[0]["item_id"], "event": "shrug", "timestamp": 1.6e9}]
    path = tmp_path / "interactions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    main(["train", "interest", "--catalog", "demo", "--interactions", str(path), "--text", *FAST])
    directory = artifact.current(artifacts_dir / "demo")
    manifest = artifact.read_manifest(directory)
    assert manifest["skipped"] == {"item not in the catalog": 1, "no timestamp": 1, "unknown event": 1}
    assert manifest["users"] == 30 and manifest["config"]["dim"] == 16
    assert manifest["config"]["text"] is True and manifest["config"]["time"] is False
    assert len(manifest["data_sha256"]) == 64 and manifest["source"] == str(path)
    assert f"interest model {directory.name} for demo" in capsys.readouterr().out


async def test_train_from_the_feedback_store(tmp_path, artifacts_dir, catalog):
    store = SQLiteStore(tmp_path / "state.sqlite3")
    for user, records in enumerate([synthetic_records(catalog, users=1, seed=s) for s in range(12)]):
        events = []
        for r in records:
            kind = common_pb2.FEEDBACK_TYPE_LIKE if r["event"] == "like" else common_pb2.FEEDBACK_TYPE_DISLIKE
            events.append(common_pb2.FeedbackEvent(item_id=r["item_id"], type=kind))
            events[-1].timestamp.FromSeconds(int(r["timestamp"]))
        await store.add_events(f"user-{user}", "", events)
    await store.close()
    exported = tmp_path / "exported.jsonl"
    main(["train", "interest", "--from-store", "--store", str(tmp_path / "state.sqlite3"), "--export", str(exported),
          *FAST])
    manifest = artifact.read_manifest(artifact.current(artifacts_dir / "demo"))
    assert manifest["users"] == 12 and manifest["events"] == 120 and "feedback store" in manifest["source"]
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert len(lines) == 120 and {r["event"] for r in lines} == {"like", "dislike"}


def test_a_missing_store_is_a_clear_error(tmp_path, artifacts_dir):
    with pytest.raises(SystemExit, match="no feedback store"):
        main(["train", "interest", "--from-store", "--store", str(tmp_path / "none.sqlite3")])
