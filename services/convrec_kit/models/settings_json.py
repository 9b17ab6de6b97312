"""Hyper-parameter dataclasses to and from a manifest's JSON (unknown keys ignored)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Self


class JsonSettings:
    """Mixin for a dataclass of hyper-parameters."""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Self:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
