"""What the served catalog holds, as replies name it: its kinds of item ("movies, books and
products", "restaurants", "餐厅"), asked of retrieval and kept for a while."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from convrec.common.v1 import common_pb2
from convrec.retrieval.v1 import retrieval_pb2
from convrec_kit.catalog import rating_scale
from convrec_kit.channels import Budget, call
from convrec_kit.errors import ServiceError

from . import messages as m

# How long a description is kept before it is asked for again (a catalog can be reloaded).
KEEP_SECONDS = 300.0
# The most of a turn's time the question may take: a slow retrieval never holds up small talk.
ASK_SECONDS = 0.5


@dataclass(frozen=True)
class Profile:
    """The catalog's kinds of item, largest first, with the names the catalog gives them."""

    kinds: tuple[str, ...] = ()
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    rating_scales: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, described: retrieval_pb2.DescribeCatalogResponse) -> Profile:
        kinds = described.kinds
        return cls(tuple(k.category for k in kinds), {k.category: dict(k.names) for k in kinds},
                   {k.category: k.rating_scale for k in kinds if k.rating_scale > 0})

    def kind_of(self, item: common_pb2.Item) -> str:
        return next((c for c in item.categories if c in self.kinds), "")

    def rating_scale(self, item: common_pb2.Item) -> float:
        """What the item's rating is out of: its kind's scale, else judged from the rating."""
        return self.rating_scales.get(self.kind_of(item)) or rating_scale([item.numeric.get("rating", 0.0)])

    def noun(self, kind: str, lang: str, count: int = 2) -> str:
        """The kind as a noun for `count` of them: the message catalog's word, else the
        catalog's own name for it in that language, else its category name."""
        msg_id = f"kind.{kind}" if count > 1 else f"kind.{kind}.one"
        if m.has(msg_id):
            return m.text(lang, msg_id)
        named = self.names.get(kind, {}).get(lang) or self.names.get(kind, {}).get("en")
        return m.plural(lang, named or kind) if count > 1 else (named or kind)

    def offer(self, lang: str) -> str:
        """What the catalog offers, in a list: "movies, books and products"."""
        if not self.kinds:
            return m.text(lang, "kinds.none")
        return m.join(lang, [self.noun(kind, lang) for kind in self.kinds])


class CatalogProfiles:
    """The served catalog's profile, asked of retrieval at most every KEEP_SECONDS; while
    retrieval cannot say, replies speak of the catalog without naming its kinds."""

    def __init__(self, retrieval) -> None:
        self._retrieval = retrieval
        self._profile: Profile | None = None
        self._asked = -KEEP_SECONDS

    async def get(self, on) -> Profile:
        if self._profile is not None and time.monotonic() - self._asked < KEEP_SECONDS:
            return self._profile
        try:
            budget = Budget(min(ASK_SECONDS, on.budget.remaining()))
            described = await call("retrieval", self._retrieval.DescribeCatalog,
                                   retrieval_pb2.DescribeCatalogRequest(), budget, on.request_id)
        except ServiceError:
            return self._profile or Profile()
        self._profile, self._asked = Profile.of(described), time.monotonic()
        return self._profile
