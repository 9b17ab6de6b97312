"""The session and user-history store on Redis, shared by any number of gateway replicas.

Key layout (prefix `p`, CONVREC_REDIS_KEY_PREFIX; `uh` is the first 32 hex digits of the
SHA-256 of the user id, so key names carry no user id in clear and stay deterministic):

    p:session:<session_id>     hash: user, state (JSON), version, created, updated, token
    p:turns:<session_id>       list of turns, oldest first, each JSON [role, text]
    p:user:<uh>:sessions       set of the user's session ids (what delete_user erases)
    p:user:<uh>:events         sorted set of the user's feedback events, scored by timestamp
    p:anon:<session_id>:events sorted set of an anonymous session's feedback events

A session, its turns and its owner's index expire together CONVREC_SESSION_TTL_SECONDS after
the last save; a user's events do not expire. A save is one Lua script: it compares the
stored version, writes the state, appends the turns and refreshes the expiry atomically, so
of two saves of one loaded version exactly one wins. An acknowledged event is only as durable
as the server's AOF: `connect` refuses a Redis without appendonly yes and appendfsync always.
Single-primary Redis (optionally with replicas or Sentinel); not Redis Cluster, whose slots
would split a save's keys."""

from __future__ import annotations

import functools
import json
import secrets
import time
import uuid
from urllib.parse import urlsplit

import grpc
import structlog
from google.protobuf import timestamp_pb2
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    ClusterDownError,
    ConnectionError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
    TimeoutError,
    TryAgainError,
    WatchError,
)

from convrec.common.v1 import common_pb2
from convrec_kit.errors import ServiceError, unavailable

from .session import Session
from .store import ConcurrentUpdate, user_tag

log = structlog.get_logger()

# KEYS: session hash, turns list, then keys whose expiry follows the session's.
# ARGV: expected version, save token, state, now, ttl ms, turns...
# Returns 1 when saved (or when this very save, same token, was applied already), else 0.
SAVE_SCRIPT = """
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return 0 end
version = tonumber(version)
local expected = tonumber(ARGV[1])
if version ~= expected then
  if version == expected + 1 and redis.call('HGET', KEYS[1], 'token') == ARGV[2] then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'version', version + 1, 'updated', ARGV[4], 'token', ARGV[2])
for i = 6, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[5]) end
return 1
"""

# Replies of a Redis that is up but cannot take the command now (full, a replica, failing to
# persist, short of replicas, busy with a script): the caller may retry.
TRANSIENT_ERRORS = (OutOfMemoryError, ReadOnlyError, TryAgainError, ClusterDownError)
TRANSIENT_CODES = ("MISCONF", "NOREPLICAS", "BUSY", "LOADING", "MASTERDOWN", "OOM", "READONLY")


def reply_of(err: Exception) -> str:
    """The server's reply, without the command (user id, state) a failed pipeline quotes."""
    text = str(err)
    if "caused error: " in text:
        text = text.split("caused error: ", 1)[1].strip("()'\", ")
    return text[:200]


def transient(err: ResponseError) -> bool:
    return isinstance(err, TRANSIENT_ERRORS) or reply_of(err).startswith(TRANSIENT_CODES)


class UnsafeRedis(RuntimeError):
    """Redis would acknowledge writes it might lose; the message says what to change."""


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"
    return f"{parts.scheme}://{where}"


class Keys:
    """Key names under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def session(self, session_id: str) -> str:
        return f"{self.prefix}:session:{session_id}"

    def turns(self, session_id: str) -> str:
        return f"{self.prefix}:turns:{session_id}"

    def user_sessions(self, user_id: str) -> str:
        return f"{self.prefix}:user:{user_tag(user_id)}:sessions"

    def events(self, user_id: str, session_id: str) -> str:
        if user_id:
            return f"{self.prefix}:user:{user_tag(user_id)}:events"
        return f"{self.prefix}:anon:{session_id}:events"

    def owner(self, session: Session) -> str:
        """The key whose expiry follows this session's: its user's index, or its own events."""
        return self.user_sessions(session.user_id) if session.user_id else self.events("", session.session_id)


def _guarded(method):
    """Turns an unreachable or unwilling Redis into UNAVAILABLE for the caller, and any other
    error reply into one that quotes no command arguments (they may hold user data)."""

    @functools.wraps(method)
    async def wrapper(self, *args, **kwargs):
        try:
            return await method(self, *args, **kwargs)
        except (ConnectionError, TimeoutError) as err:
            raise self._unavailable(err) from None
        except ResponseError as err:
            if transient(err):
                raise self._unavailable(err) from None
            raise RuntimeError(f"Redis refused {method.__name__}: {reply_of(err)}") from None

    return wrapper


def _event_member(batch: str, index: int, event: common_pb2.FeedbackEvent, now_ns: int) -> tuple[str, float]:
    """A sorted-set member and its score. Members are unique and, for one timestamp, sort in
    insertion order; a retried write adds the same members again, which changes nothing."""
    ts_ns = event.timestamp.ToNanoseconds() if event.HasField("timestamp") else now_ns
    body = json.dumps([event.item_id, int(event.type), float(event.value), ts_ns], ensure_ascii=False)
    return f"{batch}:{index:06d}|{body}", ts_ns / 1e9


def _event_of(member: str) -> common_pb2.FeedbackEvent:
    item_id, kind, value, ts_ns = json.loads(member.split("|", 1)[1])
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(ts_ns)
    return common_pb2.FeedbackEvent(item_id=item_id, type=kind, value=value, timestamp=stamp)


class RedisStore:
    """Implements `Store` on one Redis; build it with `await RedisStore.connect(...)`."""

    def __init__(self, client: aioredis.Redis, url: str, prefix: str = "convrec",
                 ttl_seconds: int = 30 * 24 * 3600) -> None:
        self._redis = client
        self._where = redacted(url)
        self._keys = Keys(prefix)
        self._ttl_ms = int(ttl_seconds * 1000)
        self._save = client.register_script(SAVE_SCRIPT)

    @classmethod
    async def connect(cls, url: str, prefix: str = "convrec", ttl_seconds: int = 30 * 24 * 3600,
                      timeout: float = 1.0, allow_unsafe: bool = False) -> RedisStore:
        """Connects and checks persistence. Raises UnsafeRedis, or ConnectionError when unreachable."""
        client = aioredis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # Only connection errors are retried (every write here is safe to repeat), briefly.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 2, supported_errors=(ConnectionError,)),
        )
        try:
            await check_durability(client, redacted(url), allow_unsafe)
        except BaseException:
            await client.aclose()
            raise
        return cls(client, url, prefix, ttl_seconds)

    def _unavailable(self, err: Exception) -> ServiceError:
        log.warning("store_unavailable", store="redis", error=reply_of(err))
        return unavailable("redis", f"the session store ({self._where}) is unavailable; retry shortly")

    @_guarded
    async def create_session(self, user_id: str) -> Session:
        session = Session(session_id=uuid.uuid4().hex, user_id=user_id)
        key, now = self._keys.session(session.session_id), repr(time.time())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"user": user_id, "state": session.to_json(), "version": 0,
                                    "created": now, "updated": now})
            pipe.pexpire(key, self._ttl_ms)
            if user_id:
                index = self._keys.user_sessions(user_id)
                pipe.sadd(index, session.session_id)
                pipe.pexpire(index, self._ttl_ms)
            await pipe.execute()
        return session

    @_guarded
    async def load_session(self, session_id: str) -> Session | None:
        user_id, version, state = await self._redis.hmget(self._keys.session(session_id), "user", "version", "state")
        if state is None:
            return None
        return Session.from_json(session_id, user_id or "", int(version), state)

    @_guarded
    async def save_session(self, session: Session, turns: list[common_pb2.Turn]) -> None:
        keys = self._keys
        saved = await self._save(
            keys=[keys.session(session.session_id), keys.turns(session.session_id), keys.owner(session)],
            args=[
                session.version,
                secrets.token_hex(8),
                session.to_json(),
                repr(time.time()),
                self._ttl_ms,
                *(json.dumps([int(t.role), t.text], ensure_ascii=False) for t in turns),
            ],
        )
        if saved != 1:
            raise ConcurrentUpdate(session.session_id)
        session.version += 1

    @_guarded
    async def session_times(self, session_id: str) -> tuple[float, float] | None:
        created, updated = await self._redis.hmget(self._keys.session(session_id), "created", "updated")
        return None if created is None else (float(created), float(updated))

    @_guarded
    async def session_turns(self, session_id: str) -> list[common_pb2.Turn]:
        rows = await self._redis.lrange(self._keys.turns(session_id), 0, -1)
        return [common_pb2.Turn(role=role, text=text) for role, text in map(json.loads, rows)]

    @_guarded
    async def add_events(self, user_id, session_id, events) -> int:
        now_ns = time.time_ns()
        batch = f"{now_ns:020d}{secrets.token_hex(4)}"
        members = dict(_event_member(batch, i, e, now_ns) for i, e in enumerate(events))
        if not members:
            return 0
        key = self._keys.events(user_id, session_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, members)
            if not user_id:  # anonymous history lives as long as its session
                pipe.pexpire(key, self._ttl_ms)
            await pipe.execute()
        return len(members)

    @_guarded
    async def events_for(self, user_id: str, session_id: str, limit: int = 500) -> list[common_pb2.FeedbackEvent]:
        if limit <= 0:
            return []
        newest = await self._redis.zrevrange(self._keys.events(user_id, session_id), 0, limit - 1)
        return [_event_of(m) for m in reversed(newest)]

    @_guarded
    async def all_events(self) -> list[tuple[str, common_pb2.FeedbackEvent]]:
        """Every user's and anonymous session's events, owners named by their key ("user:<uh>"
        carries the hashed id only), each owner's in timestamp order."""
        out = []
        for pattern in (f"{self._keys.prefix}:user:*:events", f"{self._keys.prefix}:anon:*:events"):
            async for key in self._redis.scan_iter(match=pattern, count=1000):
                owner = key[len(self._keys.prefix) + 1: -len(":events")].replace("anon:", "session:", 1)
                out.extend((owner, _event_of(m)) for m in await self._redis.zrange(key, 0, -1))
        return out

    @_guarded
    async def delete_user(self, user_id: str) -> tuple[int, int]:
        """Erases the user's sessions, turns, index and events in one MULTI, retried while a
        session of the user is being created at the same moment (WATCH on the index)."""
        keys = self._keys
        index, events = keys.user_sessions(user_id), keys.events(user_id, "")
        async with self._redis.pipeline(transaction=True) as pipe:
            for _ in range(20):
                try:
                    await pipe.watch(index)
                    ids = sorted(await pipe.smembers(index))
                    pipe.multi()
                    for session_id in ids:
                        pipe.exists(keys.session(session_id))
                    pipe.zcard(events)
                    pipe.delete(index, events, *(k for s in ids for k in (keys.session(s), keys.turns(s))))
                    results = await pipe.execute()
                except WatchError:
                    continue
                return sum(results[: len(ids)]), results[len(ids)]
        raise ServiceError(grpc.StatusCode.ABORTED, "CONCURRENT_DELETE",
                           "the user's sessions kept changing during the deletion; retry")

    async def close(self) -> None:
        await self._redis.aclose()


async def check_durability(client: aioredis.Redis, where: str, allow_unsafe: bool) -> None:
    """Refuses (UnsafeRedis) a Redis that does not fsync every write before it answers."""
    override = "set CONVREC_REDIS_ALLOW_UNSAFE=true to start anyway"
    try:
        config = await client.config_get("append*")
    except ResponseError as err:
        if allow_unsafe:
            log.warning("redis_durability_unchecked", where=where, error=str(err)[:200])
            return
        raise UnsafeRedis(
            f"cannot read the persistence settings of Redis at {where} (CONFIG GET refused: {err}; "
            f"a managed Redis often disables CONFIG). Acknowledged feedback must survive a crash, "
            f"which needs appendonly yes and appendfsync always: make sure the server runs so, "
            f"then {override}"
        ) from None
    appendonly, appendfsync = config.get("appendonly", "?"), config.get("appendfsync", "?")
    if appendonly == "yes" and appendfsync == "always":
        return
    if allow_unsafe:
        log.warning("redis_not_durable", where=where, appendonly=appendonly, appendfsync=appendfsync)
        return
    raise UnsafeRedis(
        f"Redis at {where} runs with appendonly {appendonly} and appendfsync {appendfsync}: an "
        f"acknowledged feedback event could be lost in a crash. Run it with appendonly yes and "
        f"appendfsync always (redis-server --appendonly yes --appendfsync always, or CONFIG SET), "
        f"or {override}"
    )
