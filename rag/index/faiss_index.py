"""The vector index behind a narrow interface (add, remove, search with a filter, copy, write).

FAISS is the embedded default, inner product over unit vectors (= cosine), in one of three
layouts chosen by corpus size (RAG_FAISS_INDEX=flat|hnsw|ivf-sq8, or automatically):

- flat: exact; a scan of every vector per query, fine to a few hundred thousand vectors;
- hnsw: HNSW graph (M=32) over full vectors; sub-millisecond queries, about 1.7 KB a vector;
- ivf-sq8: inverted lists with 8-bit scalar quantisation; about 0.4 KB a vector.

A distributed engine (Milvus, rag.index.milvus_index) implements the same protocol.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

FAISS_KINDS = ("flat", "hnsw", "ivf-sq8")
# Automatic choice, from `python -m eval.bench scale` (eval/results/scale.json, 2 busy cores):
# a flat scan of 100k vectors took 16-48 ms a query (300k: 50 ms), as much as the whole rest of
# a question, where HNSW took 0.4-0.6 ms at recall@10 1.0 for 35-39 s of build; at 20k flat took
# 7.5 ms. HNSW keeps the full vectors plus its graph (~1.75 KB a vector, and a write clones
# it), so from IVF_FROM on IVF-SQ8 (~0.4 KB a vector, recall@10 0.97-0.99) is what fits in memory.
HNSW_FROM = 100_000
IVF_FROM = 2_000_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
IVF_NPROBE = 32
# A filter allowing at most this many vectors is answered exactly: graph and inverted-list
# searches lose recall when few of the vectors they visit pass. HNSW scores the allowed
# vectors directly; IVF scans every list, scoring only the allowed codes.
EXACT_FILTER_LIMIT = 20_000
# HNSW cannot delete: removed ids are masked out of searches until they make up this share.
HNSW_MAX_DELETED_SHARE = 0.25
# Stored vectors are unit length; a loaded one further off than this means a corrupted file.
NORM_TOLERANCE = 1e-3
NORM_TOLERANCE_SQ8 = 0.05


class SearchFilter:
    """Which vectors a search may return: chunks of the allowed releases.

    `sources` is always the exact allowed set. `years` / `places` are given when the allowed
    set is exactly "every release of these years / dateline places" (and `sources` is then
    None), so an engine with filterable fields can use a short expression instead of a list.
    `ids` (the chunk ids) is computed only for engines that filter by id.
    """

    def __init__(
        self,
        allowed_sources: set[str],
        ids_by_source: dict[str, list[int]],
        *,
        sources: set[str] | None = None,
        years: set[int] | None = None,
        places: set[str] | None = None,
    ) -> None:
        self.allowed_sources = frozenset(allowed_sources)
        self._ids_by_source = ids_by_source
        self.sources = frozenset(sources) if sources is not None else None
        self.years = frozenset(years or ())
        self.places = frozenset(places or ())

    @cached_property
    def ids(self) -> np.ndarray:
        return np.asarray(
            [i for s in self.allowed_sources for i in self._ids_by_source.get(s, [])],
            dtype=np.int64,
        )

    def __repr__(self) -> str:
        return (
            f"SearchFilter(sources={self.sources}, years={set(self.years)}, "
            f"places={set(self.places)})"
        )


class VectorIndex(Protocol):
    kind: str

    @property
    def count(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(
        self, query: np.ndarray, k: int, where: SearchFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k nearest passing `where`, best first."""
        ...

    def copy(self) -> VectorIndex: ...

    def write(self, path: Path) -> None: ...


_thread = threading.local()


def _omp_threads(searching: bool) -> None:
    """One OpenMP thread per search, all cores for builds; OpenMP's setting is per thread.

    Concurrent requests already spread over the cores, and a single query split over busy
    cores waits on the slowest: measured 4x slower (flat, 100k vectors, loaded 2-core host).
    """
    import faiss

    if getattr(_thread, "searching", None) != searching:
        faiss.omp_set_num_threads(1 if searching else (os.cpu_count() or 1))
        _thread.searching = searching


def auto_faiss_kind(n: int, current: str | None = None) -> str:
    """The layout for n vectors; with `current`, switch back down only at half the threshold."""
    if current == "ivf-sq8" and n >= IVF_FROM // 2:
        return current
    if current == "hnsw" and HNSW_FROM // 2 <= n < IVF_FROM:
        return current
    if n >= IVF_FROM:
        return "ivf-sq8"
    return "hnsw" if n >= HNSW_FROM else "flat"


def ivf_nlist(n: int) -> int:
    """About 4 sqrt(n) lists (4096 at 1M), a power of two, with >= 39 training points each."""
    target = 2 ** round(math.log2(max(1.0, 4 * math.sqrt(max(n, 1)))))
    return int(max(1, min(target, n // 39, 65536)))


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)


def _f32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def _i64(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.int64)


class FaissVectorIndex:
    """FAISS in one of FAISS_KINDS. flat and hnsw sit in an IndexIDMap2 (ids -> positions);
    ivf-sq8 stores the ids itself, with a hash-table direct map so ids can be reconstructed."""

    def __init__(
        self, dimension: int, index=None, layout: str = "flat", deleted: set[int] | None = None
    ) -> None:
        import faiss

        if layout not in FAISS_KINDS:
            raise ValueError(f"RAG_FAISS_INDEX must be auto, flat, hnsw or ivf-sq8, not {layout!r}")
        self.dimension = dimension
        self.layout = layout
        self._deleted = set(deleted or ())  # hnsw only
        if index is None:
            if layout == "flat":
                index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
            elif layout == "hnsw":
                hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
                hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
                index = faiss.IndexIDMap2(hnsw)
            else:  # trained on the first batch added (see add)
                index = None
        self._index = index

    @property
    def kind(self) -> str:
        return f"faiss-{self.layout}"

    @classmethod
    def build(
        cls, dimension: int, layout: str, ids: np.ndarray, vectors: np.ndarray
    ) -> FaissVectorIndex:
        index = cls(dimension, layout=layout)
        if len(ids):
            index.add(ids, vectors)
        return index

    @classmethod
    def read(cls, path: Path, dimension: int) -> FaissVectorIndex:
        import faiss

        index = faiss.read_index(str(path))
        if index.d != dimension:
            raise ValueError(f"vector file has dimension {index.d}, expected {dimension}")
        inner = faiss.downcast_index(index.index) if hasattr(index, "id_map") else index
        if isinstance(inner, faiss.IndexHNSWFlat):
            layout = "hnsw"
        elif isinstance(inner, faiss.IndexIVFScalarQuantizer):
            layout = "ivf-sq8"
            index = inner
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        else:
            layout = "flat"
        return cls(dimension, index, layout)

    # -- state ---------------------------------------------------------------------------
    @property
    def count(self) -> int:
        if self._index is None:
            return 0
        return int(self._index.ntotal) - len(self._deleted)

    @property
    def nlist(self) -> int:
        return int(self._index.nlist) if self.layout == "ivf-sq8" and self._index else 0

    def stored_ids(self) -> np.ndarray | None:
        """Every id the file holds, deleted ones included (flat and hnsw; None for ivf)."""
        import faiss

        if self._index is None or self.layout == "ivf-sq8":
            return None
        return faiss.vector_to_array(self._index.id_map)

    def mask_all_but(self, live: np.ndarray) -> bool:
        """After reading a file: mask ids the store no longer has; False if a live id is missing."""
        stored = self.stored_ids()
        if stored is None:
            return self.count == len(live)
        extra = np.setdiff1d(stored, live, assume_unique=True)
        if len(stored) - len(extra) != len(live):
            return False
        if len(extra) and self.layout != "hnsw":
            return False
        self._deleted = set(extra.tolist())
        return True

    def needs_rebuild(self, wanted_layout: str) -> bool:
        """True when the layout differs or an IVF's list count is far off its size."""
        if wanted_layout != self.layout:
            return True
        if self.layout == "ivf-sq8" and self._index is not None:
            ideal = ivf_nlist(int(self._index.ntotal))
            return not ideal / 4 <= self.nlist <= ideal * 4
        if self.layout == "hnsw" and self._index is not None:
            return len(self._deleted) > HNSW_MAX_DELETED_SHARE * max(1, self._index.ntotal)
        return False

    # -- writes --------------------------------------------------------------------------
    def _train_ivf(self, vectors: np.ndarray) -> None:
        import faiss

        nlist = ivf_nlist(len(vectors))
        quantizer = faiss.IndexFlatIP(self.dimension)
        ivf = faiss.IndexIVFScalarQuantizer(
            quantizer, self.dimension, nlist, faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )  # fmt: skip
        sample = vectors
        if len(vectors) > 64 * nlist:  # FAISS's own cap: more points only slow k-means down
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(len(vectors), 64 * nlist, replace=False)]
        ivf.train(_f32(sample))
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.nprobe = min(IVF_NPROBE, nlist)
        self._index = ivf

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        _omp_threads(searching=False)
        if self._index is None:
            self._train_ivf(_f32(vectors))
        self._index.add_with_ids(_f32(vectors), _i64(ids))

    def remove(self, ids: np.ndarray) -> None:
        import faiss

        if not len(ids) or self._index is None:
            return
        if self.layout == "hnsw":
            self._deleted.update(int(i) for i in ids)
            return
        ids = _i64(ids)
        # The ivf hash-table direct map can only remove through an IDSelectorArray.
        sel = faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))
        self._index.remove_ids(sel)

    def compacted(self) -> FaissVectorIndex:
        """An hnsw index rebuilt without its deleted vectors (the others: itself)."""
        if self.layout != "hnsw" or not self._deleted:
            return self
        stored = self.stored_ids()
        assert stored is not None
        live = stored[~np.isin(stored, np.fromiter(self._deleted, dtype=np.int64))]
        vectors = self._index.reconstruct_batch(_i64(live)) if len(live) else None
        fresh = FaissVectorIndex(self.dimension, layout="hnsw")
        if vectors is not None:
            fresh.add(live, vectors)
        return fresh

    # -- reads ---------------------------------------------------------------------------
    def _params(self, sel):
        import faiss

        if self.layout == "hnsw":
            return faiss.SearchParametersHNSW(sel=sel, efSearch=HNSW_EF_SEARCH)
        if self.layout == "ivf-sq8":
            return faiss.SearchParametersIVF(sel=sel, nprobe=min(IVF_NPROBE, self.nlist))
        return faiss.SearchParameters(sel=sel) if sel is not None else None

    def search(
        self, query: np.ndarray, k: int, where: SearchFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        _omp_threads(searching=True)
        query = _f32(query.reshape(1, -1))
        k = min(k, self.count)
        if k <= 0:
            return _empty()
        sel = None
        keep: list = []  # selectors must outlive the search
        if where is not None:
            allowed = where.ids
            if len(allowed) == 0:
                return _empty()
            small = len(allowed) <= EXACT_FILTER_LIMIT
            if self.layout == "hnsw" and small:
                return self._exact(query, k, allowed)
            sel = faiss.IDSelectorBatch(_i64(allowed))
            keep.append(sel)
        if self._deleted:
            deleted = np.fromiter(self._deleted, dtype=np.int64)
            batch = faiss.IDSelectorBatch(_i64(deleted))
            not_deleted = faiss.IDSelectorNot(batch)
            keep += [deleted, batch, not_deleted]
            sel = not_deleted if sel is None else faiss.IDSelectorAnd(sel, not_deleted)
            keep.append(sel)
        params = self._params(sel)
        if self.layout == "ivf-sq8" and where is not None and small:
            params.nprobe = self.nlist  # every list, but only the allowed codes are scored
        scores, ids = self._index.search(query, k, params=params)
        found = ids[0] >= 0
        return scores[0][found], ids[0][found]

    def _exact(
        self, query: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inner products with the allowed vectors (hnsw: its stored full vectors).

        The allowed ids are the snapshot's live chunks, all of them in the index.
        """
        if self._deleted:
            allowed = allowed[~np.isin(allowed, np.fromiter(self._deleted, dtype=np.int64))]
        vectors = self._index.reconstruct_batch(_i64(allowed))
        scores = vectors @ query[0]
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top].astype(np.float32), allowed[top]

    def copy(self) -> FaissVectorIndex:
        import faiss

        index = faiss.clone_index(self._index) if self._index is not None else None
        if self.layout == "ivf-sq8" and index is not None:
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        return FaissVectorIndex(self.dimension, index, self.layout, self._deleted)

    def save(self, path: Path) -> str:
        """Write the index to exactly `path`, synced to disk; returns the file's SHA-256.

        Bytes go through Python's file object, so a full disk raises OSError (FAISS's own
        file writer only prints a failed close to stderr and leaves a truncated file).
        """
        import faiss

        digest = hashlib.sha256()
        index = self._index
        if index is None:  # an untrained, empty ivf: write an empty flat file
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        try:
            with open(path, "wb") as fh:

                def sink(data: bytes) -> int:
                    digest.update(data)
                    return fh.write(data)

                faiss.write_index(index, faiss.PyCallbackIOWriter(sink))
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            Path(path).unlink(missing_ok=True)
            raise
        return digest.hexdigest()

    def write(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.save(tmp)
        os.replace(tmp, path)

    def bad_norms(self, ids: np.ndarray) -> int:
        """How many of these stored vectors are not unit length: a corrupted file.

        Every stored vector is normalised; ivf-sq8 stores 8-bit codes, so its tolerance is wider.
        """
        if self._index is None or not len(ids):
            return 0
        tolerance = NORM_TOLERANCE_SQ8 if self.layout == "ivf-sq8" else NORM_TOLERANCE
        bad = 0
        for start in range(0, len(ids), 65_536):
            vectors = self._index.reconstruct_batch(_i64(ids[start : start + 65_536]))
            with np.errstate(all="ignore"):
                norms = np.linalg.norm(vectors.astype(np.float64), axis=1)
            bad += int(np.count_nonzero(~np.isfinite(norms) | (np.abs(norms - 1.0) > tolerance)))
        return bad
