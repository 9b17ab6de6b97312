"""Users' event sequences for training: from an interactions JSONL or the gateway's
feedback store, in time order with ties broken by a seeded shuffle (never by id)."""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np

from .features import EVENT_NAMES, Event

T = TypeVar("T")


def chronological(rows: Iterable[T], time_of: Callable[[T], float], key: Callable[[T], tuple],
                  seed: int, salt: str) -> list[T]:
    """Rows by time; rows with the same time in a seeded random order. `key` fixes a canonical
    order first, so the result does not depend on the order rows came in."""
    ordered = sorted(rows, key=key)
    rng = np.random.default_rng([seed, zlib.crc32(salt.encode())])
    shuffled = [ordered[i] for i in rng.permutation(len(ordered))]
    return sorted(shuffled, key=time_of)


def _order(user: str, events: list[Event], seed: int) -> list[Event]:
    return chronological(events, lambda e: e.timestamp, lambda e: (e.timestamp, e.position, e.type, e.value),
                         seed, user)


def from_records(records: Iterable[dict], index: dict[str, int], seed: int) -> tuple[dict[str, list[Event]], Counter]:
    """Per user, their events in time order; skipped records counted by reason."""
    users: dict[str, list[Event]] = defaultdict(list)
    skipped: Counter = Counter()
    for record in records:
        event_type = EVENT_NAMES.get(str(record.get("event", "")).lower())
        position = index.get(str(record.get("item_id", "")))
        stamp = record.get("timestamp")
        if event_type is None:
            skipped["unknown event"] += 1
        elif position is None:
            skipped["item not in the catalog"] += 1
        elif not isinstance(stamp, int | float) or isinstance(stamp, bool) or not math.isfinite(stamp):
            skipped["no timestamp"] += 1
        elif not str(record.get("user_id") or ""):
            skipped["no user_id"] += 1
        else:
            value = float(record.get("value") or 0.0)
            users[str(record["user_id"])].append(Event(position, event_type, value, float(stamp)))
    return {u: _order(u, e, seed) for u, e in sorted(users.items())}, skipped


def read_jsonl(path: Path) -> tuple[list[dict], str]:
    """The records of an interactions JSONL and the file's sha256."""
    data = path.read_bytes()
    records = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: invalid JSON: {exc}") from None
    return records, hashlib.sha256(data).hexdigest()


_TYPE_NAMES = {v: k for k, v in EVENT_NAMES.items()}


def from_store_events(pairs: Iterable[tuple[str, object]]) -> tuple[list[dict], str]:
    """A feedback store's (owner, FeedbackEvent) pairs as interaction records, and their sha256.
    Owners are pseudonyms (hashed user ids, or an anonymous session counted as one user)."""
    records = [
        {"user_id": owner, "item_id": e.item_id, "event": _TYPE_NAMES.get(e.type, f"type {e.type}"),
         "value": e.value, "timestamp": e.timestamp.ToNanoseconds() / 1e9}
        for owner, e in pairs
    ]
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
    return records, hashlib.sha256(text.encode()).hexdigest()


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records))
