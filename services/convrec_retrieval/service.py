"""RetrievalService servicer."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict

import numpy as np

from convrec.common.v1 import common_pb2
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit.catalog import Catalog, kinds_of
from convrec_kit.errors import invalid_argument, not_ready
from convrec_kit.models.client import TextEncoder
from convrec_kit.models.dialogue.client import DialogueHead
from convrec_kit.models.dialogue.inputs import ASSISTANT, USER, DialogueInput, clip_turn
from convrec_kit.text import has_cjk
from convrec_kit.validation import check_constraints, check_count

from .dialogue_source import DialogueQuery
from .engine import RetrievalEngine

MAX_IDS = 1000
MAX_DIALOGUE_TURNS = 200
QUERY_CACHE_SIZE = 4096
ROLE = common_pb2.Turn.Role


class RetrievalServicer(retrieval_pb2_grpc.RetrievalServiceServicer):
    def __init__(self, encoder: TextEncoder, max_query_bytes: int) -> None:
        self._encoders: dict[str, TextEncoder] = {"minilm": encoder}
        self._max_query_bytes = max_query_bytes
        self.engine: RetrievalEngine | None = None
        self._multilingual_queries = False
        self._dialogue: DialogueHead | None = None
        # A dialogue re-sends its accumulated query and its turns every turn; their vectors
        # are kept, and texts being encoded are awaited rather than encoded twice.
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._pending: dict[tuple[str, str], asyncio.Future] = {}
        self._described: tuple[Catalog, retrieval_pb2.DescribeCatalogResponse] | None = None

    def add_multilingual(self, encoder: TextEncoder, queries: bool = True) -> None:
        """multilingual-e5-small for the dialogue model's turns and, with `queries`, Chinese
        and mixed queries matched in its space."""
        self._encoders["e5"] = encoder
        self._multilingual_queries = queries

    def add_dialogue(self, model: DialogueHead) -> None:
        """The dialogue model: a `dialogue` source and component (needs the e5 encoder)."""
        self._dialogue = model

    def space_for(self, text: str, language: str) -> str:
        wants = language == "zh" or has_cjk(text)
        return "e5" if wants and self._multilingual_queries and self.engine.multilingual else "minilm"

    async def _query_vector(self, space: str, query: str, timeout: float | None) -> np.ndarray:
        return (await self._text_vectors(space, [query], timeout))[0]

    async def _text_vectors(self, space: str, texts: list[str], timeout: float | None) -> list[np.ndarray]:
        found, _ = await self._vectors_for(space, texts, timeout)
        return [found[t] for t in texts]

    async def _vectors_for(self, space: str, texts: list[str], timeout: float | None) -> tuple[dict, int]:
        """Each text's vector: kept ones, ones another call is encoding (awaited; encoded here
        if that call failed), the rest encoded in one call; and how many this call encoded."""
        found, waiting, missing = {}, {}, []
        for text in dict.fromkeys(texts):
            key = (space, text)
            if key in self._vectors:
                self._vectors.move_to_end(key)
                found[text] = self._vectors[key]
            elif key in self._pending:
                waiting[text] = self._pending[key]
            else:
                missing.append(text)
        if missing:
            found.update(await self._encode(space, missing, timeout))
        for text, future in waiting.items():
            done = await asyncio.shield(future)
            if done is not None:
                found[text] = done[text]
        retry = [t for t in waiting if t not in found]
        if retry:
            found.update(await self._encode(space, retry, timeout))
        return found, len(missing) + len(retry)

    async def _encode(self, space: str, texts: list[str], timeout: float | None) -> dict[str, np.ndarray]:
        """Encodes the texts in one call; callers wanting them meanwhile wait for this one."""
        future = asyncio.get_running_loop().create_future()
        for text in texts:
            self._pending[(space, text)] = future
        vectors = None
        try:
            vectors = dict(zip(texts, await self._encoders[space].encode(texts, timeout)))
            for text, vector in vectors.items():
                self._vectors[(space, text)] = vector
            while len(self._vectors) > QUERY_CACHE_SIZE:
                self._vectors.popitem(last=False)
            return vectors
        finally:
            future.set_result(vectors)  # None: the waiters encode for themselves
            for text in texts:
                if self._pending.get((space, text)) is future:
                    del self._pending[(space, text)]

    async def _dialogue_query(self, request, engine: RetrievalEngine, timeout: float | None) -> DialogueQuery | None:
        """The dialogue model's query for the request's turns and the items named in them."""
        model = self._dialogue
        if model is None or not request.dialogue:
            return None
        turns = [(USER if t.role == ROLE.ROLE_USER else ASSISTANT, clip_turn(t.text)) for t in request.dialogue]
        turns = [(r, t) for r, t in turns if t][-model.max_turns :]
        if not turns:
            return None
        vectors = np.stack(await self._text_vectors("e5", [t for _, t in turns], timeout))
        named = [*request.history_item_ids, *request.context_item_ids, *request.constraints.seed_item_ids]
        mentioned = engine.catalog.positions(list(dict.fromkeys(named)))
        roles = tuple(r for r, _ in turns)
        query = await model.query(DialogueInput(vectors, roles, tuple(mentioned)), timeout)
        said = [i for i, r in enumerate(roles) if r == USER]
        return DialogueQuery(query, model.bias, model.version, [turns[i][1] for i in said], vectors[said], mentioned)

    def _ready(self) -> RetrievalEngine:
        if self.engine is None:
            raise not_ready("retrieval")
        return self.engine

    async def Retrieve(self, request, context):
        engine = self._ready()
        top_k = check_count(request.top_k, "top_k", 100, 1000)
        check_constraints(request.constraints)
        if len(request.query.encode()) > self._max_query_bytes:
            raise invalid_argument("query", f"query is over {self._max_query_bytes} bytes")
        if len(request.exclude_item_ids) > 10 * MAX_IDS:
            raise invalid_argument("exclude_item_ids", f"at most {10 * MAX_IDS} ids")
        for name in ("history_item_ids", "context_item_ids"):
            if len(getattr(request, name)) > MAX_IDS:
                raise invalid_argument(name, f"at most {MAX_IDS} ids")
        self._check_dialogue(request.dialogue)
        query = request.query.strip()
        lexical = " ".join([query, *request.constraints.keywords]).strip()
        space = self.space_for(lexical, request.language)
        # e5 reads Chinese, so its query also carries the Chinese keywords.
        dense_text = lexical if space == "e5" else query
        vector = await self._query_vector(space, dense_text, context.time_remaining()) if dense_text else None
        candidates, total = engine.retrieve(
            vector,
            lexical,
            request.constraints,
            list(request.exclude_item_ids),
            list(request.history_item_ids),
            top_k,
            space,
            list(request.context_item_ids),
            await self._dialogue_query(request, engine, context.time_remaining()),
        )
        return retrieval_pb2.RetrieveResponse(candidates=candidates, total_matching=total)

    async def PrepareDialogue(self, request, context):
        self._ready()
        if len(request.texts) > MAX_DIALOGUE_TURNS:
            raise invalid_argument("texts", f"at most {MAX_DIALOGUE_TURNS} texts")
        for index, text in enumerate(request.texts):
            if len(text.encode()) > self._max_query_bytes:
                raise invalid_argument(f"texts[{index}]", f"texts[{index}] is over {self._max_query_bytes} bytes")
        if self._dialogue is None:
            return retrieval_pb2.PrepareDialogueResponse(dialogue_model=False)
        texts = [t for t in (clip_turn(t) for t in request.texts) if t]
        _, encoded = await self._vectors_for("e5", texts, context.time_remaining())
        return retrieval_pb2.PrepareDialogueResponse(dialogue_model=True, encoded=encoded)

    def _check_dialogue(self, turns) -> None:
        if len(turns) > MAX_DIALOGUE_TURNS:
            raise invalid_argument("dialogue", f"at most {MAX_DIALOGUE_TURNS} turns")
        for index, turn in enumerate(turns):
            if turn.role not in (ROLE.ROLE_USER, ROLE.ROLE_ASSISTANT):
                raise invalid_argument(f"dialogue[{index}].role",
                                       f"dialogue[{index}] has role {turn.role}; use ROLE_USER or ROLE_ASSISTANT")
            if len(turn.text.encode()) > self._max_query_bytes:
                raise invalid_argument(f"dialogue[{index}].text",
                                       f"dialogue[{index}] is over {self._max_query_bytes} bytes")

    async def DescribeCatalog(self, request, context):
        catalog = self._ready().catalog
        if self._described is None or self._described[0] is not catalog:  # once per catalog served
            described = retrieval_pb2.DescribeCatalogResponse(kinds=catalog_kinds(catalog), items=len(catalog))
            self._described = (catalog, described)
        return self._described[1]

    async def BatchGetItems(self, request, context):
        engine = self._ready()
        if len(request.item_ids) > MAX_IDS:
            raise invalid_argument("item_ids", f"at most {MAX_IDS} ids per call")
        found, missing = [], []
        for item_id in request.item_ids:
            item = engine.catalog.get(item_id)
            (found if item is not None else missing).append(item if item is not None else item_id)
        return retrieval_pb2.BatchGetItemsResponse(items=found, missing_ids=missing)


def catalog_kinds(catalog: Catalog) -> list[retrieval_pb2.CatalogKind]:
    counts = Counter(c for item in catalog.items for c in item.categories)
    return [
        retrieval_pb2.CatalogKind(
            category=kind,
            items=counts[kind],
            names={lang: names[0] for lang, names in catalog.category_names.get(kind, {}).items() if names},
            rating_scale=catalog.rating_scales.get(kind, 0.0),
        )
        for kind in kinds_of(catalog.items)
    ]
