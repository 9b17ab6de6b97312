"""The Store contract on SQLiteStore and RedisStore (a real redis-server): sessions, optimistic
concurrency, events, deletion; plus what is particular to each."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

import grpc
import pytest
from google.protobuf import timestamp_pb2

from convrec.common.v1 import common_pb2
from convrec_gateway.redis_store import RedisStore, UnsafeRedis, user_tag
from convrec_gateway.session import Session, Wanted
from convrec_gateway.settings import GatewaySettings
from convrec_gateway.store import ConcurrentUpdate, SQLiteStore
from convrec_gateway.stores import open_store
from convrec_kit.errors import ServiceError
from convrec_kit.processes import free_port
from convrec_kit.redis_server import RedisServer
from convrec_kit.settings import load_settings

FT = common_pb2.FeedbackType
USER = common_pb2.Turn.ROLE_USER
ASSISTANT = common_pb2.Turn.ROLE_ASSISTANT


def start_redis(workdir, **kwargs) -> RedisServer:
    try:
        return RedisServer(workdir, **kwargs).start()
    except FileNotFoundError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


async def redis_store(server: RedisServer, **kwargs) -> RedisStore:
    """A store under a prefix of its own, so that tests sharing one server do not meet."""
    return await RedisStore.connect(server.url, prefix=f"t{uuid.uuid4().hex[:10]}", **kwargs)


@pytest.fixture(params=["sqlite", "redis"])
async def store(request, tmp_path):
    if request.param == "sqlite":
        s = SQLiteStore(tmp_path / "db" / "state.sqlite")
    else:
        s = await redis_store(request.getfixturevalue("redis_server"))
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


async def delete_jack(store) -> None:
    """jack's two sessions, turns and events go; kate's stay."""
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


async def test_delete_user_removes_only_that_users_data(tmp_path):
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path)
    try:
        await delete_jack(store)
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


async def test_concurrent_saves_of_one_version_give_one_winner(store):
    session = await store.create_session("lena")
    copies = [await store.load_session(session.session_id) for _ in range(8)]
    for n, copy in enumerate(copies):
        copy.shown = [f"from-{n}"]
    results = await asyncio.gather(
        *(store.save_session(c, [common_pb2.Turn(role=USER, text=f"turn {n}")]) for n, c in enumerate(copies)),
        return_exceptions=True,
    )
    winners = [n for n, r in enumerate(results) if r is None]
    assert len(winners) == 1
    assert all(isinstance(r, ConcurrentUpdate) for r in results if r is not None)
    loaded = await store.load_session(session.session_id)
    assert loaded.version == 1 and loaded.shown == [f"from-{winners[0]}"]
    assert [t.text for t in await store.session_turns(session.session_id)] == [f"turn {winners[0]}"]


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


# --- RedisStore only -------------------------------------------------------------------------


async def keys_of(store: RedisStore) -> list[str]:
    return sorted([k async for k in store._redis.scan_iter(match=f"{store._keys.prefix}:*")])


async def test_redis_delete_user_leaves_no_key_of_the_user(redis_server):
    store = await redis_store(redis_server)
    try:
        await delete_jack(store)
        left = await keys_of(store)
    finally:
        await store.close()
    assert not [k for k in left if user_tag("jack") in k]
    assert len(left) == 4  # kate's session, turns, session index and events
    assert not [k for k in left if "kate" in k or "jack" in k], "user ids never appear in key names"


async def test_redis_sessions_expire_and_each_save_renews_them(redis_server):
    store = await redis_store(redis_server, ttl_seconds=100)
    try:
        keys, r = store._keys, store._redis
        session = await store.create_session("mona")
        anonymous = await store.create_session("")
        await store.add_events("", anonymous.session_id, [ev("x", ts=1)])
        watched = [keys.session(session.session_id), keys.user_sessions("mona"), keys.session(anonymous.session_id),
                   keys.events("", anonymous.session_id)]
        assert all(0 < t <= 100_000 for t in [await r.pttl(k) for k in watched])
        for k in watched:
            await r.pexpire(k, 5_000)
        await store.save_session(session, [common_pb2.Turn(role=USER, text="hi")])
        await store.save_session(anonymous, [common_pb2.Turn(role=USER, text="hi")])
        watched += [keys.turns(session.session_id), keys.turns(anonymous.session_id)]
        assert all(90_000 < t <= 100_000 for t in [await r.pttl(k) for k in watched])
        assert await r.pttl(keys.events("mona", "")) == -2  # none yet; a user's events never expire
        await store.add_events("mona", session.session_id, [ev("y", ts=1)])
        assert await r.pttl(keys.events("mona", "")) == -1
    finally:
        await store.close()


async def test_redis_a_retried_save_is_applied_once(redis_server):
    store = await redis_store(redis_server)
    try:
        session = await store.create_session("nina")
        keys = [store._keys.session(session.session_id), store._keys.turns(session.session_id),
                store._keys.owner(session)]
        args = [0, "token-1", session.to_json(), "1.0", 60_000, '[1, "once"]']
        assert await store._save(keys=keys, args=args) == 1
        assert await store._save(keys=keys, args=args) == 1  # the same call again: no second append
        assert await store._save(keys=keys, args=[0, "token-2", *args[2:]]) == 0
        assert [t.text for t in await store.session_turns(session.session_id)] == ["once"]
        assert (await store.load_session(session.session_id)).version == 1
    finally:
        await store.close()


async def test_redis_acknowledged_events_survive_sigkill(tmp_path):
    server = start_redis(tmp_path / "redis")
    try:
        store = await RedisStore.connect(server.url)
        session = await store.create_session("olga")
        await store.save_session(session, [common_pb2.Turn(role=USER, text="a comedy")])
        assert await store.add_events("olga", session.session_id, [ev("mv-alien-1979", ts=1_700_000_000)]) == 1
        await store.close()
        server.kill()
        server.start()
        store = await RedisStore.connect(server.url)
        [e] = await store.events_for("olga", "", 10)
        assert e.item_id == "mv-alien-1979" and e.timestamp.seconds == 1_700_000_000
        assert (await store.load_session(session.session_id)).version == 1
        assert [t.text for t in await store.session_turns(session.session_id)] == ["a comedy"]
        await store.close()
    finally:
        server.stop()


async def test_redis_outage_gives_unavailable_then_recovers(tmp_path):
    server = start_redis(tmp_path / "redis")
    try:
        store = await RedisStore.connect(server.url, timeout=0.5)
        session = await store.create_session("pia")
        server.kill()
        calls = [store.load_session(session.session_id), store.create_session("pia"),
                 store.save_session(session, []), store.add_events("pia", "", [ev("x")]),
                 store.events_for("pia", "", 10), store.delete_user("pia")]
        for pending in calls:
            with pytest.raises(ServiceError) as caught:
                await pending
            assert caught.value.code == grpc.StatusCode.UNAVAILABLE and "retry" in caught.value.message
        server.start()
        assert (await store.load_session(session.session_id)).user_id == "pia"
        await store.close()
    finally:
        server.stop()


async def test_redis_without_fsync_on_every_write_is_refused(tmp_path):
    for name, kwargs, shown in [
        ("off", {"durable": False}, "appendonly no"),
        ("everysec", {"args": ["--appendfsync", "everysec"]}, "appendfsync everysec"),
    ]:
        server = start_redis(tmp_path / name, **kwargs)
        try:
            with pytest.raises(UnsafeRedis) as caught:
                await RedisStore.connect(server.url)
            message = str(caught.value)
            assert shown in message and "appendonly yes" in message and "appendfsync always" in message
            assert "CONVREC_REDIS_ALLOW_UNSAFE" in message
            await (await RedisStore.connect(server.url, allow_unsafe=True)).close()
        finally:
            server.stop()


async def test_redis_without_config_command_needs_the_override(tmp_path):
    server = start_redis(tmp_path / "redis", args=["--rename-command", "CONFIG", "hidden-config"])
    try:
        with pytest.raises(UnsafeRedis) as caught:
            await RedisStore.connect(server.url)
        message = str(caught.value)
        assert "CONFIG" in message and "managed" in message and "CONVREC_REDIS_ALLOW_UNSAFE" in message
        store = await RedisStore.connect(server.url, allow_unsafe=True)
        assert (await store.create_session("quin")).user_id == "quin"
        await store.close()
    finally:
        server.stop()


async def test_redis_refusing_writes_gives_unavailable_without_quoting_the_data(redis_server, capsys):
    store = await redis_store(redis_server)
    try:
        session = await store.create_session("rosa")
        await store._redis.config_set("min-replicas-to-write", 1)  # writes now get NOREPLICAS
        try:
            for pending in (store.save_session(session, []), store.create_session("rosa"),
                            store.add_events("rosa", "", [ev("x")])):
                with pytest.raises(ServiceError) as caught:
                    await pending
                assert caught.value.code == grpc.StatusCode.UNAVAILABLE
        finally:
            await store._redis.config_set("min-replicas-to-write", 0)
        logged = "".join(capsys.readouterr())
        assert "store_unavailable" in logged and "NOREPLICAS" in logged and "rosa" not in logged
        await store.save_session(session, [])
    finally:
        await store.close()


async def test_open_store_picks_the_configured_store_and_refuses_clearly(tmp_path, redis_server):
    sqlite = await open_store(GatewaySettings(state_path=tmp_path / "s.sqlite3"))
    assert isinstance(sqlite, SQLiteStore)
    await sqlite.close()
    redis = await open_store(GatewaySettings(store="redis", redis_url=redis_server.url))
    assert isinstance(redis, RedisStore)
    await redis.close()
    with pytest.raises(SystemExit, match="cannot reach Redis at redis://127.0.0.1:.*CONVREC_REDIS_URL") as caught:
        await open_store(GatewaySettings(store="redis", redis_url=f"redis://:secret@127.0.0.1:{free_port()}/0"))
    assert "secret" not in str(caught.value)
    unsafe = start_redis(tmp_path / "unsafe", durable=False)
    try:
        with pytest.raises(SystemExit, match="appendonly no and appendfsync"):
            await open_store(GatewaySettings(store="redis", redis_url=unsafe.url))
    finally:
        unsafe.stop()


def test_redis_settings_are_validated(monkeypatch):
    monkeypatch.setenv("CONVREC_STORE", "redis")
    monkeypatch.setenv("CONVREC_REDIS_URL", "http://127.0.0.1:6379")
    with pytest.raises(SystemExit, match="CONVREC_REDIS_URL"):
        load_settings(GatewaySettings)
    monkeypatch.setenv("CONVREC_REDIS_URL", "redis://127.0.0.1:6380/2")
    monkeypatch.setenv("CONVREC_SESSION_TTL_SECONDS", "3600")
    settings = load_settings(GatewaySettings)
    assert (settings.store, settings.session_ttl_seconds) == ("redis", 3600)
    assert settings.redis_url == "redis://127.0.0.1:6380/2"
    monkeypatch.setenv("CONVREC_STORE", "memcached")
    with pytest.raises(SystemExit, match="CONVREC_STORE"):
        load_settings(GatewaySettings)
