"""The vector index behind a narrow interface (add, remove, search with an id filter).

FAISS (exact inner product over unit vectors = cosine) is the default; a distributed engine such
as Milvus can implement the same protocol.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    kind: str

    @property
    def count(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(
        self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k nearest, best first; ids of -1 are padding."""
        ...

    def copy(self) -> VectorIndex: ...

    def write(self, path: Path) -> None: ...


class FaissVectorIndex:
    kind = "faiss-flat-ip"

    def __init__(self, dimension: int, index=None) -> None:
        import faiss

        self.dimension = dimension
        self._index = (
            index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        )

    @classmethod
    def read(cls, path: Path, dimension: int) -> FaissVectorIndex:
        import faiss

        index = faiss.read_index(str(path))
        if index.d != dimension:
            raise ValueError(f"vector file has dimension {index.d}, expected {dimension}")
        return cls(dimension, index)

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32),
            np.ascontiguousarray(ids, dtype=np.int64),
        )

    def remove(self, ids: np.ndarray) -> None:
        import faiss

        if len(ids):
            self._index.remove_ids(faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64)))

    def search(
        self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        k = min(k, self.count)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if allowed_ids is not None:
            if len(allowed_ids) == 0:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            params = faiss.SearchParameters(
                sel=faiss.IDSelectorBatch(np.ascontiguousarray(allowed_ids, dtype=np.int64))
            )
        scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def copy(self) -> FaissVectorIndex:
        import faiss

        return FaissVectorIndex(self.dimension, faiss.clone_index(self._index))

    def write(self, path: Path) -> None:
        import os

        import faiss

        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        faiss.write_index(self._index, str(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
