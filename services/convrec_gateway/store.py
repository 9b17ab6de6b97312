"""Session and user-history storage behind one interface; SQLite (WAL) embedded.

An acknowledged feedback event is committed with synchronous=FULL before the call
returns, so it survives a crash right after the acknowledgement."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Protocol

from google.protobuf import timestamp_pb2

from convrec.common.v1 import common_pb2

from .session import Session

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS turns (
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  role INTEGER NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL DEFAULT '',
  session_id TEXT NOT NULL DEFAULT '',
  item_id TEXT NOT NULL,
  type INTEGER NOT NULL,
  value REAL NOT NULL DEFAULT 0,
  ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_user ON events(user_id, ts);
CREATE INDEX IF NOT EXISTS events_session ON events(session_id, ts);
"""


class ConcurrentUpdate(Exception):
    """Another turn on the same session was saved first."""


class Store(Protocol):
    async def create_session(self, user_id: str) -> Session: ...
    async def load_session(self, session_id: str) -> Session | None: ...
    async def save_session(self, session: Session, turns: list[common_pb2.Turn]) -> None: ...
    async def session_times(self, session_id: str) -> tuple[float, float]: ...
    async def session_turns(self, session_id: str) -> list[common_pb2.Turn]: ...
    async def add_events(
        self, user_id: str, session_id: str, events: list[common_pb2.FeedbackEvent]
    ) -> int: ...
    async def events_for(
        self, user_id: str, session_id: str, limit: int
    ) -> list[common_pb2.FeedbackEvent]: ...
    async def all_events(self) -> list[tuple[str, common_pb2.FeedbackEvent]]: ...
    async def delete_user(self, user_id: str) -> tuple[int, int]: ...
    async def close(self) -> None: ...


def user_tag(user_id: str) -> str:
    """A user id's stable pseudonym: the first 32 hex digits of its SHA-256."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:32]


def _event(item_id: str, kind: int, value: float, ts: float) -> common_pb2.FeedbackEvent:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(ts * 1e9))
    return common_pb2.FeedbackEvent(item_id=item_id, type=kind, value=value, timestamp=stamp)


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def _run(self, fn):
        def locked():
            with self._lock:
                return fn(self._db)

        return asyncio.to_thread(locked)

    async def create_session(self, user_id: str) -> Session:
        session = Session(session_id=uuid.uuid4().hex, user_id=user_id)
        now = time.time()

        def insert(db):
            db.execute(
                "INSERT INTO sessions(session_id, user_id, state, version, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?)",
                (session.session_id, user_id, session.to_json(), 0, now, now),
            )

        await self._run(insert)
        return session

    async def load_session(self, session_id: str) -> Session | None:
        def select(db):
            return db.execute(
                "SELECT user_id, version, state FROM sessions WHERE session_id=?", (session_id,)
            ).fetchone()

        row = await self._run(select)
        return None if row is None else Session.from_json(session_id, row[0], row[1], row[2])

    async def save_session(self, session: Session, turns: list[common_pb2.Turn]) -> None:
        def update(db):
            db.execute("BEGIN IMMEDIATE")
            try:
                cur = db.execute(
                    "UPDATE sessions SET state=?, version=version+1, updated_at=? WHERE session_id=? AND version=?",
                    (session.to_json(), time.time(), session.session_id, session.version),
                )
                if cur.rowcount != 1:
                    raise ConcurrentUpdate(session.session_id)
                (seq,) = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM turns WHERE session_id=?", (session.session_id,)
                ).fetchone()
                db.executemany(
                    "INSERT INTO turns(session_id, seq, role, text) VALUES (?,?,?,?)",
                    [(session.session_id, seq + i + 1, t.role, t.text) for i, t in enumerate(turns)],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            session.version += 1

        await self._run(update)

    async def session_times(self, session_id: str) -> tuple[float, float]:
        def select(db):
            return db.execute(
                "SELECT created_at, updated_at FROM sessions WHERE session_id=?", (session_id,)
            ).fetchone()

        return await self._run(select)

    async def session_turns(self, session_id: str) -> list[common_pb2.Turn]:
        def select(db):
            return db.execute(
                "SELECT role, text FROM turns WHERE session_id=? ORDER BY seq", (session_id,)
            ).fetchall()

        return [common_pb2.Turn(role=r, text=t) for r, t in await self._run(select)]

    async def add_events(self, user_id, session_id, events) -> int:
        now = time.time()
        rows = [
            (
                user_id,
                session_id,
                e.item_id,
                int(e.type),
                float(e.value),
                e.timestamp.ToNanoseconds() / 1e9 if e.HasField("timestamp") else now,
            )
            for e in events
        ]

        def insert(db):
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO events(user_id, session_id, item_id, type, value, ts) VALUES (?,?,?,?,?,?)",
                    rows,
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(insert)
        return len(rows)

    async def events_for(
        self, user_id: str, session_id: str, limit: int = 500
    ) -> list[common_pb2.FeedbackEvent]:
        def select(db):
            if user_id:
                return db.execute(
                    "SELECT item_id, type, value, ts FROM events WHERE user_id=? ORDER BY ts DESC, id DESC LIMIT ?",
                    (user_id, limit),
                ).fetchall()
            return db.execute(
                "SELECT item_id, type, value, ts FROM events WHERE user_id='' AND session_id=? "
                "ORDER BY ts DESC, id DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()

        return [_event(*row) for row in reversed(await self._run(select))]

    async def all_events(self) -> list[tuple[str, common_pb2.FeedbackEvent]]:
        """Every stored event with its owner ("user:<user_tag>", or "session:<id>" when
        anonymous), in the order stored: what a deployment retrains the interest model on."""
        rows = await self._run(lambda db: db.execute(
            "SELECT user_id, session_id, item_id, type, value, ts FROM events ORDER BY id").fetchall())
        return [(f"user:{user_tag(user)}" if user else f"session:{session}", _event(*rest))
                for user, session, *rest in rows]

    async def delete_user(self, user_id: str) -> tuple[int, int]:
        def delete(db):
            db.execute("BEGIN IMMEDIATE")
            try:
                ids = [
                    r[0] for r in db.execute("SELECT session_id FROM sessions WHERE user_id=?", (user_id,))
                ]
                db.executemany("DELETE FROM turns WHERE session_id=?", [(i,) for i in ids])
                sessions = db.execute("DELETE FROM sessions WHERE user_id=?", (user_id,)).rowcount
                events = db.execute("DELETE FROM events WHERE user_id=?", (user_id,)).rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return sessions, events

        return await self._run(delete)

    async def close(self) -> None:
        with self._lock:
            self._db.close()
