"""A Milvus collection (RAG_VECTOR_BACKEND=milvus; rag.index.milvus_index): a vector backend.

Milvus holds the vectors outside this process, so a write changes the collection inside the
store's transaction, before its commit: if Milvus fails, the transaction rolls back (the
collection's own write puts the removed rows back); if the commit fails after Milvus was
written, the collection is marked stale. A collection whose recorded build and generation
disagree with the store (a crash or an outage mid-write) is rebuilt from the stored vectors on
the next load or write. Nothing is written to the index folder but the manifest's section.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rag.index.faiss_index import VectorIndex
from rag.index.files import Staged
from rag.index.milvus_index import MilvusVectorIndex, row_fields
from rag.index.vector_backend import OpenRequest, Rows, StoredRows, VectorConfig

log = logging.getLogger(__name__)


def _milvus_rows(rows: Rows) -> tuple:
    """(ids, vectors, row fields) as MilvusVectorIndex writes them."""
    fields = [
        row_fields(s, y, p) for s, y, p in zip(rows.sources, rows.years, rows.places, strict=True)
    ]
    return rows.ids, rows.vectors, fields


class MilvusBackend:
    name = "milvus"

    def __init__(self, index_dir: Path, config: VectorConfig) -> None:
        self.index_dir = Path(index_dir)
        self.config = config
        self._index: MilvusVectorIndex | None = None

    def _collection(self, dimension: int) -> MilvusVectorIndex:
        if self._index is None or self._index.dimension != dimension:
            self._index = self.config.milvus_index(self.index_dir, dimension)
        return self._index

    @staticmethod
    def _reset(
        index: MilvusVectorIndex, build_id: str, generation: int, stored: StoredRows
    ) -> None:
        index.reset(build_id, generation, (_milvus_rows(b) for b in stored()))

    def check_available(self, dimension: int) -> None:
        self._collection(dimension).ping()

    def create(self, dimension: int, build_id: str) -> VectorIndex:
        index = self._collection(dimension)
        index.reset(build_id, 0, [])
        return index

    def open(self, request: OpenRequest) -> tuple[VectorIndex, bool]:
        index = self._collection(request.dimension)
        state = index.state()
        if state is not None:
            index.load()
        if state == (request.build_id, str(request.generation)) and index.refresh_count() == len(
            request.live
        ):
            return index, False
        log.warning(
            "Milvus collection %s disagrees with the store; rebuilding it from stored vectors",
            index.location,
        )
        self._reset(index, request.build_id, request.generation, request.stored)
        return index, True

    def before_write(
        self, index: VectorIndex, build_id: str, generation: int, stored: StoredRows
    ) -> None:
        assert isinstance(index, MilvusVectorIndex)
        if index.state() != (build_id, str(generation)):  # also fails fast when Milvus is down
            log.warning("Milvus collection out of step with the store; rebuilding it")
            self._reset(index, build_id, generation, stored)

    def write(
        self,
        index: VectorIndex,
        generations: tuple[int, int],
        removed: Rows,
        added: Rows,
        n_chunks: int,
        stored: StoredRows,
    ) -> VectorIndex:
        assert isinstance(index, MilvusVectorIndex)
        index.write_batch(generations, _milvus_rows(removed), _milvus_rows(added))
        return index  # the same collection, now written

    def undo(self, index: VectorIndex) -> None:
        assert isinstance(index, MilvusVectorIndex)
        index.mark_stale()  # Milvus is ahead of SQLite: rebuilt on the next write or load

    def stage(self, index: VectorIndex, staged: Staged) -> dict:
        assert isinstance(index, MilvusVectorIndex)
        return {"uri": index.public_uri, "collection": index.collection}
