"""Next-item baselines over a user-item matrix: popularity, item-kNN and ALS matrix
factorisation (the `implicit` package), each ranking all items but the user's own."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# Neighbours kept per movie, for item-kNN and for convrec's co-occurrence source.
NEIGHBOURS = 100


def top_k(scores: np.ndarray, seen: set[int], k: int) -> list[int]:
    """The k best positions, the seen ones excluded; ties by position (stable)."""
    scores = scores.astype(np.float64, copy=True)
    scores[list(seen)] = -np.inf
    best = np.argpartition(-scores, k)[:k]
    return [int(i) for i in best[np.lexsort((best, -scores[best]))]]


class Popularity:
    def __init__(self, counts: np.ndarray) -> None:
        self.order = np.argsort(-counts, kind="stable")

    def top(self, seen: set[int], k: int) -> list[int]:
        out = []
        for pos in self.order:
            if int(pos) not in seen:
                out.append(int(pos))
                if len(out) == k:
                    break
        return out


class ItemKNN:
    """Cosine similarity of movies over the users who rated them (training ratings), the
    NEIGHBOURS most similar kept per movie; a user's score for a movie is the sum of its
    similarities to the movies the user rated."""

    def __init__(self, matrix: np.ndarray, neighbours: int = NEIGHBOURS) -> None:
        co = matrix.T @ matrix
        norms = np.sqrt(np.maximum(np.diag(co), 1e-9))
        sims = co / norms[:, None] / norms[None, :]
        np.fill_diagonal(sims, 0.0)
        keep = np.argpartition(-sims, min(neighbours, sims.shape[1] - 1), axis=1)[:, :neighbours]
        pruned = np.zeros_like(sims)
        rows = np.arange(sims.shape[0])[:, None]
        pruned[rows, keep] = sims[rows, keep]
        self.sims = pruned
        self.co = co

    def top(self, history: list[int], seen: set[int], k: int) -> list[int]:
        return top_k(self.sims[history].sum(axis=0), seen, k)


@dataclass(frozen=True)
class ALSParams:
    factors: int = 64
    regularization: float = 0.05
    alpha: float = 10.0
    iterations: int = 15


class ALS:
    """Implicit-feedback ALS (Hu, Koren and Volinsky) from the `implicit` package, seeded."""

    def __init__(self, matrix: np.ndarray, params: ALSParams, seed: int = 0) -> None:
        from implicit.als import AlternatingLeastSquares
        from scipy.sparse import csr_matrix
        from threadpoolctl import threadpool_limits

        self.params = params
        with threadpool_limits(1, "blas"):  # implicit's own threads; BLAS threads would fight them
            model = AlternatingLeastSquares(**asdict(params), random_state=seed, calculate_training_loss=False)
            model.fit(csr_matrix(matrix), show_progress=False)
        self._model = model
        self.users = np.asarray(model.user_factors)
        self.items = np.asarray(model.item_factors)

    def top(self, row: int, seen: set[int], k: int) -> list[int]:
        return top_k(self.items @ self.users[row], seen, k)

    def top_for(self, history: list[int], seen: set[int], k: int) -> list[int]:
        """For a history the model was not trained on (a user who came back or came after
        training): the user's factors solved from it against the trained item factors."""
        from scipy.sparse import csr_matrix
        from threadpoolctl import threadpool_limits

        row = np.zeros((1, len(self.items)), dtype=np.float32)
        row[0, history] = 1.0
        with threadpool_limits(1, "blas"):
            user = np.asarray(self._model.recalculate_user(0, csr_matrix(row)))
        return top_k(self.items @ user, seen, k)
