"""convrec_gateway.store.SQLiteStore: sessions, optimistic concurrency, events, deletion."""

from __future__ import annotations

import sqlite3

import pytest
from google.protobuf import timestamp_pb2

from convrec.common.v1 import common_pb2
from convrec_gateway.session import Session, Wanted
from convrec_gateway.store import ConcurrentUpdate, SQLiteStore

FT = common_pb2.FeedbackType
USER = common_pb2.Turn.ROLE_USER
ASSISTANT = common_pb2.Turn.ROLE_ASSISTANT


@pytest.fixture
async def store(tmp_path):
    s = SQLiteStore(tmp_path / "db" / "state.sqlite")
    yield s
    await s.close()


def at(seconds: float) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromNanoseconds(int(seconds * 1e9))
    return t


def ev(item_id, kind=FT.FEEDBACK_TYPE_LIKE, ts=None, value=0.0):
    e = common_pb2.FeedbackEvent(item_id=item_id, type=kind, value=value)
    if ts is not None:
        e.timestamp.CopyFrom(at(ts))
    return e


async def test_create_and_load_session(store):
    session = await store.create_session("alice")
    assert session.user_id == "alice"
    assert session.version == 0
    assert len(session.session_id) == 32
    loaded = await store.load_session(session.session_id)
    assert loaded == session
    assert await store.load_session("missing") is None
    other = await store.create_session("alice")
    assert other.session_id != session.session_id


async def test_save_persists_state_and_bumps_version(store):
    session = await store.create_session("bob")
    session.wanted = Wanted(include=["horror"], ranges={"year": [1990, None]}, domain="movie")
    session.shown = ["mv-alien-1979"]
    session.language = "zh"
    session.turn_count = 1
    await store.save_session(session, [common_pb2.Turn(role=USER, text="恐怖片")])
    assert session.version == 1
    loaded = await store.load_session(session.session_id)
    assert loaded.version == 1
    assert loaded.wanted == session.wanted
    assert loaded.shown == ["mv-alien-1979"]
    assert loaded.language == "zh"
    assert loaded.turn_count == 1


async def test_turns_are_appended_in_order(store):
    session = await store.create_session("")
    await store.save_session(
        session, [common_pb2.Turn(role=USER, text="hi"), common_pb2.Turn(role=ASSISTANT, text="hello")]
    )
    await store.save_session(session, [common_pb2.Turn(role=USER, text="a comedy")])
    turns = await store.session_turns(session.session_id)
    assert [(t.role, t.text) for t in turns] == [(USER, "hi"), (ASSISTANT, "hello"), (USER, "a comedy")]
    assert session.version == 2


async def test_stale_version_raises_concurrent_update(store):
    session = await store.create_session("carol")
    a = await store.load_session(session.session_id)
    b = await store.load_session(session.session_id)
    a.shown = ["first"]
    await store.save_session(a, [common_pb2.Turn(role=USER, text="from a")])
    b.shown = ["second"]
    with pytest.raises(ConcurrentUpdate):
        await store.save_session(b, [common_pb2.Turn(role=USER, text="from b")])
    assert b.version == 0  # not bumped on failure
    loaded = await store.load_session(session.session_id)
    assert loaded.shown == ["first"] and loaded.version == 1
    # the losing turn was rolled back
    assert [t.text for t in await store.session_turns(session.session_id)] == ["from a"]


async def test_saving_an_unknown_session_raises(store):
    with pytest.raises(ConcurrentUpdate):
        await store.save_session(Session(session_id="nope"), [])


async def test_session_times(store):
    session = await store.create_session("dave")
    created, updated = await store.session_times(session.session_id)
    assert created == updated
    await store.save_session(session, [])
    created2, updated2 = await store.session_times(session.session_id)
    assert created2 == created and updated2 >= updated


async def test_events_round_trip_in_timestamp_order(store):
    events = [
        ev("c", FT.FEEDBACK_TYPE_DISLIKE, ts=1_700_000_300),
        ev("a", FT.FEEDBACK_TYPE_LIKE, ts=1_700_000_100),
        ev("b", FT.FEEDBACK_TYPE_RATE, ts=1_700_000_200.5, value=4.0),
    ]
    assert await store.add_events("erin", "s1", events) == 3
    out = await store.events_for("erin", "", 100)
    assert [e.item_id for e in out] == ["a", "b", "c"]
    assert [e.type for e in out] == [FT.FEEDBACK_TYPE_LIKE, FT.FEEDBACK_TYPE_RATE, FT.FEEDBACK_TYPE_DISLIKE]
    assert out[1].value == 4.0
    assert [e.timestamp.ToNanoseconds() / 1e9 for e in out] == pytest.approx(
        [1_700_000_100, 1_700_000_200.5, 1_700_000_300], abs=1e-6
    )


async def test_events_limit_keeps_the_most_recent(store):
    await store.add_events("frank", "", [ev(f"i{n}", ts=1_700_000_000 + n) for n in range(10)])
    out = await store.events_for("frank", "", 3)
    assert [e.item_id for e in out] == ["i7", "i8", "i9"]


async def test_events_without_timestamp_get_now(store):
    import time

    before = time.time()
    await store.add_events("gina", "", [ev("x")])
    [e] = await store.events_for("gina", "", 10)
    assert before - 1 <= e.timestamp.ToNanoseconds() / 1e9 <= time.time() + 1


async def test_anonymous_events_are_per_session(store):
    await store.add_events("", "s1", [ev("a", ts=1)])
    await store.add_events("", "s2", [ev("b", ts=2)])
    await store.add_events("henry", "s1", [ev("c", ts=3)])
    assert [e.item_id for e in await store.events_for("", "s1", 10)] == ["a"]
    assert [e.item_id for e in await store.events_for("", "s2", 10)] == ["b"]
    assert [e.item_id for e in await store.events_for("henry", "s1", 10)] == ["c"]


async def test_events_survive_reopening_the_file(tmp_path):
    path = tmp_path / "state.sqlite"
    first = SQLiteStore(path)
    session = await first.create_session("ivy")
    await first.add_events("ivy", session.session_id, [ev("mv-alien-1979", ts=1_700_000_000)])
    await first.close()

    second = SQLiteStore(path)
    try:
        [e] = await second.events_for("ivy", "", 10)
        assert e.item_id == "mv-alien-1979"
        assert e.timestamp.seconds == 1_700_000_000
        assert (await second.load_session(session.session_id)).user_id == "ivy"
    finally:
        await second.close()


async def test_delete_user_removes_only_that_users_data(tmp_path):
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path)
    try:
        mine = [await store.create_session("jack") for _ in range(2)]
        theirs = await store.create_session("kate")
        for s in [*mine, theirs]:
            await store.save_session(s, [common_pb2.Turn(role=USER, text=f"turn of {s.user_id}")])
        await store.add_events("jack", mine[0].session_id, [ev("a", ts=1), ev("b", ts=2), ev("c", ts=3)])
        await store.add_events("kate", theirs.session_id, [ev("d", ts=4)])

        assert await store.delete_user("jack") == (2, 3)

        for s in mine:
            assert await store.load_session(s.session_id) is None
            assert await store.session_turns(s.session_id) == []
        assert await store.events_for("jack", "", 10) == []
        assert (await store.load_session(theirs.session_id)).user_id == "kate"
        assert [t.text for t in await store.session_turns(theirs.session_id)] == ["turn of kate"]
        assert [e.item_id for e in await store.events_for("kate", "", 10)] == ["d"]
        assert await store.delete_user("jack") == (0, 0)
    finally:
        await store.close()
    # nothing of jack's is left in the file itself
    db = sqlite3.connect(str(path))
    try:
        assert db.execute("SELECT COUNT(*) FROM sessions WHERE user_id='jack'").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM events WHERE user_id='jack'").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone() == (1,)
    finally:
        db.close()


def test_session_json_round_trip():
    s = Session(
        session_id="s",
        user_id="u",
        wanted=Wanted(include=["动作"], ranges={"year": [None, 2000]}),
        shown=["a"],
        version=3,
        language="zh",
    )
    s.remember_scores(
        [
            common_pb2.ScoredItem(
                item_id="a",
                score=0.5,
                components=[common_pb2.ScoreComponent(name="dense", value=1.0, weight=0.5, evidence="e")],
            )
        ]
    )
    back = Session.from_json("s", "u", 3, s.to_json())
    assert back == s
    score, [c] = back.components_of("a")
    assert score == 0.5 and (c.name, c.value, c.weight, c.evidence) == ("dense", 1.0, 0.5, "e")
    assert back.components_of("zzz") is None
    assert "动作" in s.to_json()  # not ascii-escaped
