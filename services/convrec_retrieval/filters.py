"""Constraint filters as boolean masks over the catalog."""

from __future__ import annotations

import numpy as np

from convrec.common.v1 import common_pb2
from convrec_kit.catalog import Catalog
from convrec_kit.text import fold


class FilterIndex:
    def __init__(self, catalog: Catalog) -> None:
        n = len(catalog)
        self.size = n
        self._categories: dict[str, np.ndarray] = {}
        self._numeric: dict[str, np.ndarray] = {}
        self._people = [
            fold(" | ".join(item.attributes.get(f, "") for f in catalog.name_fields)) for item in catalog.items
        ]
        for pos, item in enumerate(catalog.items):
            for category in item.categories:
                self._categories.setdefault(category, np.zeros(n, dtype=bool))[pos] = True
            for name, value in item.numeric.items():
                self._numeric.setdefault(name, np.full(n, np.nan, dtype=np.float64))[pos] = value
        self._catalog = catalog

    def category(self, name: str) -> np.ndarray:
        return self._categories.get(name.lower(), np.zeros(self.size, dtype=bool))

    def numeric(self, name: str) -> np.ndarray:
        return self._numeric.get(name, np.full(self.size, np.nan))

    def mask(self, constraints: common_pb2.Constraints, exclude_ids: list[str]) -> np.ndarray:
        keep = np.ones(self.size, dtype=bool)
        if constraints.domain:
            keep &= self.category(constraints.domain)
        if constraints.include_categories:
            any_of = np.zeros(self.size, dtype=bool)
            for name in constraints.include_categories:
                any_of |= self.category(name)
            keep &= any_of
        for name in constraints.exclude_categories:
            keep &= ~self.category(name)
        for r in constraints.ranges:
            values = self.numeric(r.field)
            with np.errstate(invalid="ignore"):
                if r.HasField("min"):
                    keep &= values >= r.min
                if r.HasField("max"):
                    keep &= values <= r.max
        if constraints.people:
            wanted = [fold(p) for p in constraints.people]
            keep &= np.array([any(p in text for p in wanted) for text in self._people])
        for pos in self._catalog.positions([*exclude_ids, *constraints.exclude_item_ids]):
            keep[pos] = False
        return keep
