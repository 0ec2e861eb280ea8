"""FAISS in the index folder (RAG_VECTOR_BACKEND=faiss, the default): a vector backend.

The index lives in memory and in `vectors.faiss`. A write changes a copy of the snapshot's
index in memory (re-laid out from the stored vectors when the corpus crosses a size threshold:
rag.index.faiss_index.auto_faiss_kind) and stages the new file as a temp file before the store
commits;
the store renames it into place after the commit, so a full disk fails the write (507) before
anything is committed (rag.index.files). On load, a file that is missing, from another build or
write, corrupted (checksum, non-unit vectors) or holding other chunks than the store is rebuilt
from the stored vectors, never re-embedded.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from rag.index.faiss_index import FaissVectorIndex, VectorIndex
from rag.index.files import Staged, file_sha256, temp_path
from rag.index.vector_backend import OpenRequest, Rows, StoredRows, VectorConfig

log = logging.getLogger(__name__)

FAISS_NAME = "vectors.faiss"


class FaissBackend:
    name = "faiss"

    def __init__(self, index_dir: Path, config: VectorConfig) -> None:
        self.path = Path(index_dir) / FAISS_NAME
        self.config = config

    def check_available(self, dimension: int) -> None:
        return None  # a local file: nothing to reach

    def create(self, dimension: int, build_id: str) -> VectorIndex:
        return FaissVectorIndex(dimension, layout=self.config.faiss_layout(0))

    def _build(self, dimension: int, layout: str, stored: StoredRows) -> FaissVectorIndex:
        batches = list(stored())
        if not batches:
            return FaissVectorIndex(dimension, layout=layout)
        ids = np.concatenate([b.ids for b in batches])
        vectors = np.vstack([b.vectors for b in batches])
        started = time.perf_counter()
        index = FaissVectorIndex.build(dimension, layout, ids, vectors)
        log.info("built a %s index of %d vectors in %.1f s", layout, len(ids),
                 time.perf_counter() - started)  # fmt: skip
        return index

    def _problem(self, request: OpenRequest) -> tuple[FaissVectorIndex | None, str]:
        """The vector file as loaded, or None and why it cannot be used."""
        tag = request.manifest.get(self.name, {})
        if not self.path.exists():
            return None, "is missing"
        if tag.get("build_id") != request.build_id or tag.get("generation") != request.generation:
            return None, "is from another build or write than the store"
        if request.foreign:
            return None, f"belongs to another index: manifest.json says {request.foreign}"
        expected_sha = tag.get("sha256")
        if expected_sha and file_sha256(self.path) != expected_sha:
            return None, "fails its checksum (the file is corrupted)"
        try:
            index = FaissVectorIndex.read(self.path, request.dimension)
        except Exception as exc:  # a truncated or foreign file
            return None, f"is unreadable ({exc})"
        if not index.mask_all_but(request.live):
            return None, "holds other chunks than the store"
        bad = index.bad_norms(request.live)
        if bad:
            return None, f"holds {bad} vector(s) that are not unit length (the file is corrupted)"
        return index, ""

    def open(self, request: OpenRequest) -> tuple[VectorIndex, bool]:
        index, problem = self._problem(request)
        current = (
            index.layout if index is not None else request.manifest.get(self.name, {}).get("index")
        )
        layout = self.config.faiss_layout(len(request.live), current)
        if index is not None and not index.needs_rebuild(layout):
            return index, False
        if index is None:
            log.warning(
                "vector file %s %s; rebuilding it from the stored vectors", self.path, problem
            )
        else:
            log.warning("rebuilding the vector index as %s from stored vectors", layout)
        return self._build(request.dimension, layout, request.stored), True

    def before_write(
        self, index: VectorIndex, build_id: str, generation: int, stored: StoredRows
    ) -> None:
        return None  # the snapshot's index is always the committed one

    def write(
        self,
        index: VectorIndex,
        generations: tuple[int, int],
        removed: Rows,
        added: Rows,
        n_chunks: int,
        stored: StoredRows,
    ) -> VectorIndex:
        assert isinstance(index, FaissVectorIndex)
        new = index.copy()  # readers keep searching the snapshot's own
        new.remove(removed.ids)
        if len(added.ids):
            new.add(added.ids, added.vectors)
        layout = self.config.faiss_layout(n_chunks, new.layout)
        if not new.needs_rebuild(layout):
            return new
        if layout == new.layout == "hnsw":
            return new.compacted()
        log.info("corpus of %d chunks: rebuilding the vectors as %s", n_chunks, layout)
        return self._build(index.dimension, layout, stored)

    def undo(self, index: VectorIndex) -> None:
        return None  # the changed copy lived in memory only

    def stage(self, index: VectorIndex, staged: Staged) -> dict:
        assert isinstance(index, FaissVectorIndex)
        tmp = temp_path(self.path)
        staged.add(tmp, self.path)  # first: a partial file is discarded too
        return {"sha256": index.save(tmp), "index": index.layout}
