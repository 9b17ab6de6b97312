"""The dialogue head's tensors on Triton: a dialogue and its query to and from named numpy
arrays, shared by the client and the Triton model so both sides read them one way."""

from __future__ import annotations

import numpy as np

from .inputs import ROLES, DialogueInput
from .model import Query

# name: (Triton data type, numpy dtype); each request carries a leading batch dimension of 1.
# ITEMS is never empty on the wire: -1 alone stands for "no items mentioned".
INPUTS = {"TURNS": ("FP32", np.float32), "ROLES": ("INT64", np.int64), "ITEMS": ("INT64", np.int64)}
OUTPUTS = {"TEXT_QUERY": np.float32, "ITEM_QUERY": np.float32}
NO_ITEMS = -1


def request_tensors(dialogue: DialogueInput) -> dict[str, np.ndarray]:
    items = list(dialogue.items) or [NO_ITEMS]
    return {
        "TURNS": np.asarray(dialogue.turn_vectors, dtype=np.float32)[None],
        "ROLES": np.asarray(dialogue.roles, dtype=np.int64)[None],
        "ITEMS": np.asarray(items, dtype=np.int64)[None],
    }


def request_from(tensors: dict[str, np.ndarray], items: int, dim: int) -> DialogueInput:
    """A dialogue from its tensors; ValueError when they are malformed or name unknown items."""
    turns = tensors["TURNS"]
    if turns.ndim != 3 or turns.shape[-1] != dim:
        raise ValueError(f"TURNS must be (1, turns, {dim})")
    turns, roles, mentioned = turns.reshape(-1, dim), tensors["ROLES"].reshape(-1), tensors["ITEMS"].reshape(-1)
    if len(turns) == 0 or len(roles) != len(turns):
        raise ValueError("TURNS must hold at least one turn, with one ROLES id each")
    if not np.isfinite(turns).all() or not ((0 <= roles) & (roles < ROLES)).all():
        raise ValueError("TURNS must be finite and ROLES within the speaker ids")
    mentioned = mentioned[mentioned != NO_ITEMS]
    if len(mentioned) and (mentioned.min() < 0 or mentioned.max() >= items):
        raise ValueError(f"ITEMS names an item outside the catalog's {items} items")
    return DialogueInput(turns.astype(np.float32), tuple(int(r) for r in roles), tuple(int(i) for i in mentioned))


def query_tensors(query: Query) -> dict[str, np.ndarray]:
    return {"TEXT_QUERY": query.text.astype(np.float32)[None], "ITEM_QUERY": query.items.astype(np.float32)[None]}


def query_from(tensors: dict[str, np.ndarray]) -> Query:
    return Query(tensors["TEXT_QUERY"].reshape(-1), tensors["ITEM_QUERY"].reshape(-1))
