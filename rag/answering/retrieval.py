"""Hybrid retrieval: dense (FAISS) and keyword (in-memory BM25) rankings, fused by rank."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from rag.answering import constraints as question_constraints
from rag.cache import LRU
from rag.embedders.base import Embedder
from rag.index.keyword_index import KeywordIndexer, query_terms
from rag.index.store import Snapshot
from rag.values import Hit

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "keyword")
QUERY_CACHE_SIZE = 1024


@dataclass(frozen=True)
class RetrievalParams:
    candidates: int = 50
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 1.0


def rrf_fuse(rankings: list[list[int]], weights: list[float], k: int) -> dict[int, float]:
    """Reciprocal rank fusion: sum of weight / (k + rank) over the rankings an id appears in."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


class Retriever:
    def __init__(self, embedder: Embedder, params: RetrievalParams) -> None:
        self.embedder = embedder
        self.params = params
        self.keywords = KeywordIndexer()  # in-memory BM25, ranks as the store's FTS5 does
        self._query_vectors: LRU = LRU(QUERY_CACHE_SIZE)
        self._query_lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector; recent ones are kept (a repeated question skips the model)."""
        with self._query_lock:
            cached = self._query_vectors.get(text)
            if cached is not None:
                self._query_vectors.move_to_end(text)
                return cached
        vector = self.embedder.encode([text])[0]
        vector.setflags(write=False)  # shared between callers
        with self._query_lock:
            self._query_vectors.put(text, vector)
        return vector

    def search_constrained(
        self,
        snapshot: Snapshot,
        text: str,
        k: int,
        *,
        mode: str = "hybrid",
        filters: dict | None = None,
    ) -> tuple[list[Hit], str, str | None]:
        """Search among the releases the question's year/place constraints (and explicit
        `filters`) allow: (hits, the text searched, None), or ([], text, why no release can
        answer) when a constraint matches no release."""
        constraints = question_constraints.extract(text, snapshot.documents, filters)
        resolution = question_constraints.resolve(constraints, snapshot.documents)
        if resolution.unmet:
            return [], text, resolution.unmet
        query = resolution.retrieval_text(text)
        hits = self.search(snapshot, query, k, mode=mode, sources=resolution.allowed)
        return hits, query, None

    def search(
        self,
        snapshot: Snapshot,
        query: str,
        k: int,
        *,
        mode: str = "hybrid",
        sources: set[str] | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """Top-k chunks for `query`, restricted to `sources` when given, best first."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if sources is not None and not sources:
            return []
        n = max(self.params.candidates, k)
        # Pushed down into the vector search (an id selector for FAISS, an expression in Milvus).
        where = snapshot.search_filter(sources) if sources is not None else None
        dense_ids: list[int] = []
        dense_scores: dict[int, float] = {}
        if mode in ("hybrid", "dense") and snapshot.vectors.count:
            qv = self.embed_query(query) if query_vector is None else query_vector
            scores, ids = snapshot.vectors.search(qv, n, where)
            dense_ids = [int(i) for i in ids if int(i) in snapshot.chunks]
            dense_scores = {int(i): float(s) for s, i in zip(scores, ids, strict=True)}
        keyword_ids: list[int] = []
        if mode in ("hybrid", "keyword"):
            allowed_ids = None
            if sources is not None:
                allowed_ids = np.asarray(
                    [i for s in sources for i in snapshot.ids_by_source.get(s, [])], dtype=np.int64
                )
            index = self.keywords.for_snapshot(snapshot)
            hits = index.search(query_terms(query), n, allowed_ids)
            keyword_ids = [i for i, _ in hits if i in snapshot.chunks]
        if mode == "dense":
            fused = {i: dense_scores[i] for i in dense_ids}
        elif mode == "keyword":
            fused = {i: 1.0 / (self.params.rrf_k + r) for r, i in enumerate(keyword_ids, 1)}
        else:
            fused = rrf_fuse(
                [dense_ids, keyword_ids],
                [self.params.dense_weight, self.params.keyword_weight],
                self.params.rrf_k,
            )
        dense_rank = {i: r for r, i in enumerate(dense_ids, 1)}
        keyword_rank = {i: r for r, i in enumerate(keyword_ids, 1)}
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        out = []
        for cid, score in ranked:
            chunk = snapshot.chunks[cid]
            out.append(
                Hit(
                    chunk=chunk,
                    document=snapshot.documents[chunk.source],
                    score=score,
                    dense_rank=dense_rank.get(cid),
                    keyword_rank=keyword_rank.get(cid),
                    dense_score=dense_scores.get(cid),
                )
            )
        return out
