"""Plain JSONL: a catalog (and optionally interactions) checked and normalised."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from tqdm import tqdm

from convrec_kit.catalog import (
    category_names_of,
    category_record,
    is_category_record,
    item_from_record,
    item_to_record,
)

from .common import (
    CATALOG_FILE,
    EVENTS,
    INTERACTIONS_FILE,
    DataError,
    Report,
    digest,
    read_jsonl,
    up_to_date,
    write_jsonl,
)


def _timestamp(value) -> float | None:
    """Unix seconds from a number or an ISO 8601 string; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"timestamp {value!r} is neither Unix seconds nor ISO 8601") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return stamp.timestamp()
    raise ValueError(f"timestamp {value!r} is neither Unix seconds nor ISO 8601")


def catalog_records(path: Path, report: Report) -> list[dict]:
    """The valid records: category names first, then items."""
    names, records, ids = {}, [], set()
    for line, record in tqdm(read_jsonl(path), desc="catalog", unit=" items", disable=None):
        kind = "category record" if is_category_record(record) else "item"
        try:
            if kind == "category record":
                category, by_language = category_names_of(record)
                names[category] = {**names.get(category, {}), **by_language}
                continue
            item = item_from_record(record)
        except (ValueError, TypeError) as exc:
            report.skip("items", f"invalid {kind} ({exc})")
            report.notes.setdefault("first_errors", []).append(f"{path.name}:{line}: {exc}")
            continue
        if item.item_id in ids:
            report.skip("items", "duplicate item_id")
            continue
        ids.add(item.item_id)
        records.append(item_to_record(item))
    if not records:
        raise DataError(f"{path}: no valid items")
    return [category_record(c, n) for c, n in sorted(names.items())] + records


def interaction_records(path: Path, item_ids: set[str], report: Report) -> list[dict]:
    out = []
    for line, record in tqdm(read_jsonl(path), desc="interactions", unit=" events", disable=None):
        missing = [k for k in ("user_id", "item_id", "event") if not str(record.get(k) or "").strip()]
        if missing:
            report.skip("interactions", f"missing {', '.join(missing)}")
            continue
        event = str(record["event"]).lower()
        if event not in EVENTS:
            report.skip("interactions", f"unknown event (expected one of {', '.join(EVENTS)})")
            continue
        if str(record["item_id"]) not in item_ids:
            report.skip("interactions", "item not in the catalog")
            continue
        try:
            value = float(record.get("value", 1.0) if record.get("value") is not None else 1.0)
            stamp = _timestamp(record.get("timestamp"))
        except (TypeError, ValueError) as exc:
            report.skip("interactions", "bad value or timestamp")
            report.notes.setdefault("first_errors", []).append(f"{path.name}:{line}: {exc}")
            continue
        if event == "rate" and not 0.5 <= value <= 5:
            report.skip("interactions", "rating outside 0.5-5")
            continue
        out.append(
            {
                "user_id": str(record["user_id"]),
                "item_id": str(record["item_id"]),
                "event": event,
                "value": value,
                "timestamp": stamp,
            }
        )
    return out


def import_jsonl(catalog: Path, interactions: Path | None, out_dir: Path, force: bool = False) -> Report:
    inputs = [catalog] + ([interactions] if interactions else [])
    for path in inputs:
        if not path.is_file():
            raise DataError(f"file not found: {path}")
    sha = digest(inputs)
    outputs = [CATALOG_FILE] + ([INTERACTIONS_FILE] if interactions else [])
    if not force and (old := up_to_date(out_dir, sha, outputs)):
        report = Report(source=old["source"] + " (up to date)", inputs_sha256=sha)
        report.imported = old.get("imported", {})
        return report
    report = Report(source=f"jsonl {catalog}", inputs_sha256=sha)
    records = catalog_records(catalog, report)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / CATALOG_FILE, records)
    item_ids = {r["item_id"] for r in records if not is_category_record(r)}
    report.imported["items"] = len(item_ids)
    if len(item_ids) < len(records):
        report.imported["category_names"] = len(records) - len(item_ids)
    if interactions:
        events = interaction_records(interactions, item_ids, report)
        report.imported["interactions"] = write_jsonl(out_dir / INTERACTIONS_FILE, events)
    if "first_errors" in report.notes:
        report.notes["first_errors"] = report.notes["first_errors"][:20]
    report.write(out_dir)
    return report
