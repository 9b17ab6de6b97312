"""What every importer shares: input checks, deterministic atomic output, the report."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

FORMAT_VERSION = 1
CATALOG_FILE = "catalog.jsonl"
INTERACTIONS_FILE = "interactions.jsonl"
REPORT_FILE = "report.json"
# The feedback an interaction may record, as in convrec.common.v1.FeedbackType.
EVENTS = ("like", "dislike", "click", "rate", "purchase", "seen")


class DataError(ValueError):
    """Input that cannot be imported; the message says which file and what is wrong."""


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    return path


def read_csv(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with their line number; fails when a required column is missing."""
    require_file(path, "CSV file")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)} (found {reader.fieldnames})")
        for row in reader:
            yield reader.line_num, row


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Objects with their line number; fails on a line that is not a JSON object."""
    require_file(path, "JSONL file")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: invalid JSON: {exc}") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
            yield number, record


def digest(paths: Iterable[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    return sha.hexdigest()


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    """Writes through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def write_if_changed(path: Path, records: list[dict]) -> None:
    """Leaves the file (and what was built from it) alone when its content would not change."""
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_jsonl(path, records)


@dataclass
class Report:
    """Counts imported and skipped, with the reason for every skip."""

    source: str
    inputs_sha256: str
    imported: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, Counter] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)

    def skip(self, what: str, reason: str, count: int = 1) -> None:
        self.skipped.setdefault(what, Counter())[reason] += count

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "source": self.source,
            "inputs_sha256": self.inputs_sha256,
            "imported": self.imported,
            "skipped": {what: dict(sorted(c.items())) for what, c in sorted(self.skipped.items())},
            **self.notes,
        }

    def write(self, out_dir: Path) -> None:
        tmp = out_dir / (REPORT_FILE + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, out_dir / REPORT_FILE)

    def summary(self) -> str:
        lines = [f"{self.source}: " + ", ".join(f"{n:,} {what}" for what, n in self.imported.items())]
        for what, reasons in sorted(self.skipped.items()):
            for reason, n in sorted(reasons.items()):
                lines.append(f"  skipped {n:,} {what}: {reason}")
        return "\n".join(lines)


def up_to_date(out_dir: Path, inputs_sha256: str, outputs: Iterable[str]) -> dict | None:
    """The earlier report when the same inputs were already imported into out_dir."""
    path = out_dir / REPORT_FILE
    if not path.exists() or not all((out_dir / name).exists() for name in outputs):
        return None
    try:
        old = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    if old.get("inputs_sha256") == inputs_sha256 and old.get("format_version") == FORMAT_VERSION:
        return old
    return None
