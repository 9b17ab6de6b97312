"""`convrec train interest` from an interactions JSONL and from the gateway's SQLite or Redis store."""

from __future__ import annotations

import asyncio
import json

import pytest

from convrec.common.v1 import common_pb2
from convrec_cli.main import main
from convrec_gateway.redis_store import RedisStore
from convrec_gateway.store import SQLiteStore
from convrec_kit.models.interest import artifact
from convrec_kit.processes import free_port
from convrec_kit.redis_server import RedisServer

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


async def fill(open_store, catalog) -> None:
    """Twelve users' liked and disliked items, with timestamps, and one anonymous session."""
    store = open_store()
    store = await store if asyncio.iscoroutine(store) else store
    for user, records in enumerate([synthetic_records(catalog, users=1, seed=s) for s in range(12)]):
        events = []
        for r in records:
            kind = common_pb2.FEEDBACK_TYPE_LIKE if r["event"] == "like" else common_pb2.FEEDBACK_TYPE_DISLIKE
            events.append(common_pb2.FeedbackEvent(item_id=r["item_id"], type=kind))
            events[-1].timestamp.FromSeconds(int(r["timestamp"]))
        await store.add_events(f"user-{user}", "", events if user else events[:5])
        if not user:
            await store.add_events("", "anonymous-session", events[5:])
    await store.close()


def assert_trained_on_the_store(artifacts_dir, exported) -> None:
    manifest = artifact.read_manifest(artifact.current(artifacts_dir / "demo"))
    assert manifest["users"] == 13 and manifest["events"] == 120 and "feedback store" in manifest["source"]
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert len(lines) == 120 and {r["event"] for r in lines} == {"like", "dislike"}
    owners = {r["user_id"] for r in lines}
    assert "session:anonymous-session" in owners and not any("user-" in o for o in owners)  # pseudonyms only
    assert all(1.5e9 < r["timestamp"] < 2e9 for r in lines)


def test_train_from_the_sqlite_feedback_store(tmp_path, artifacts_dir, catalog):
    asyncio.run(fill(lambda: SQLiteStore(tmp_path / "state.sqlite3"), catalog))
    exported = tmp_path / "exported.jsonl"
    main(["train", "interest", "--from-store", "--store", str(tmp_path / "state.sqlite3"), "--export", str(exported),
          *FAST])
    assert_trained_on_the_store(artifacts_dir, exported)


def test_train_from_the_redis_feedback_store(tmp_path, artifacts_dir, catalog, monkeypatch):
    try:
        server = RedisServer(tmp_path / "redis").start()
    except FileNotFoundError as err:
        pytest.fail(str(err))
    try:
        asyncio.run(fill(lambda: RedisStore.connect(server.url, prefix="trained"), catalog))
        monkeypatch.setenv("CONVREC_STORE", "redis")
        monkeypatch.setenv("CONVREC_REDIS_URL", server.url)
        monkeypatch.setenv("CONVREC_REDIS_KEY_PREFIX", "trained")
        exported = tmp_path / "exported.jsonl"
        main(["train", "interest", "--from-store", "--export", str(exported), *FAST])
        assert_trained_on_the_store(artifacts_dir, exported)
    finally:
        server.stop()


def test_an_unreachable_redis_is_a_clear_error(artifacts_dir, monkeypatch):
    monkeypatch.setenv("CONVREC_STORE", "redis")
    monkeypatch.setenv("CONVREC_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(SystemExit, match="cannot reach Redis at"):
        main(["train", "interest", "--from-store"])


def test_a_missing_store_is_a_clear_error(tmp_path, artifacts_dir):
    with pytest.raises(SystemExit, match="no feedback store"):
        main(["train", "interest", "--from-store", "--store", str(tmp_path / "none.sqlite3")])
