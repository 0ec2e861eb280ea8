"""Vector backends: the seam between the store of record (SQLite, rag.index.store) and the index
that searches its vectors.

A backend is a class registered under the entry-point group "rag.vector_backends" (rag.plugins;
`RAG_VECTOR_BACKEND` names it), built as `Backend(index_dir, config)`, that owns its write
protocol: what it checks before a new index replaces the old one, how it reads its index back
or rebuilds it from the stored vectors, what it does inside the store's write transaction, what
it stages to disk before the commit and how it undoes a write the commit then failed. The store
never names a backend. Built-ins: FAISS in the index folder (rag.index.faiss_backend) and a Milvus
collection (rag.index.milvus_backend).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag import plugins
from rag.index.faiss_index import FAISS_KINDS, VectorIndex, auto_faiss_kind
from rag.index.files import Staged

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.index.milvus_index import MilvusVectorIndex

GROUP = "rag.vector_backends"
BUILTIN = {
    "faiss": "rag.index.faiss_backend:FaissBackend",
    "milvus": "rag.index.milvus_backend:MilvusBackend",
}
MILVUS_LITE_FILE = "milvus.db"


def backend_names() -> list[str]:
    return sorted(plugins.registered(GROUP, BUILTIN))


@dataclass(frozen=True)
class Rows:
    """Stored chunks' vectors with the fields a vector index may filter on."""

    ids: np.ndarray  # int64 row ids of the store
    vectors: np.ndarray  # float32, one row per id
    sources: list[str]
    years: list[int | None]
    places: list[str]

    @classmethod
    def empty(cls, dimension: int) -> Rows:
        return cls(
            np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32), [], [], []
        )


# Every stored chunk, in row-id order, in batches (read through the caller's transaction when
# the store passes one: a write's uncommitted rows included).
StoredRows = Callable[[], Iterator[Rows]]


@dataclass(frozen=True)
class OpenRequest:
    """What a backend needs to open the index of the store's committed state."""

    dimension: int
    build_id: str
    generation: int
    live: np.ndarray  # the row ids the store holds
    manifest: dict  # manifest.json as read (the backend's own section under its name)
    foreign: str  # what manifest.json says that the store does not ("" when they agree)
    stored: StoredRows


class VectorBackend(Protocol):
    name: str  # its entry-point name, also the manifest's key for its section

    def check_available(self, dimension: int) -> None:
        """Before a new index replaces the old one: raise VectorBackendUnavailable if it
        cannot serve."""
        ...

    def create(self, dimension: int, build_id: str) -> VectorIndex:
        """The empty index of a new build."""
        ...

    def open(self, request: OpenRequest) -> tuple[VectorIndex, bool]:
        """(the index of the committed state, True when it had to be rebuilt from the stored
        vectors: the store then republishes the manifest)."""
        ...

    def before_write(
        self, index: VectorIndex, build_id: str, generation: int, stored: StoredRows
    ) -> None:
        """Before a write's transaction: bring an index an earlier failed write left behind
        back in step (from the committed `stored` vectors), or raise when the backend is
        unavailable."""
        ...

    def write(
        self,
        index: VectorIndex,
        generations: tuple[int, int],
        removed: Rows,
        added: Rows,
        n_chunks: int,
        stored: StoredRows,
    ) -> VectorIndex:
        """Inside the store's write transaction: the index after the write (`n_chunks` then
        stored). Raising rolls the transaction back."""
        ...

    def undo(self, index: VectorIndex) -> None:
        """The transaction failed after `write` succeeded: make sure the next load or write
        does not trust what `write` changed."""
        ...

    def stage(self, index: VectorIndex, staged: Staged) -> dict:
        """Before the commit: write the backend's files as temp files into `staged` (installed
        after the commit, discarded on failure); returns its manifest section."""
        ...


def make_backend(index_dir: Path, config: VectorConfig) -> VectorBackend:
    backends = plugins.registered(GROUP, BUILTIN)
    return plugins.load(backends[config.backend])(Path(index_dir), config)


@dataclass(frozen=True)
class VectorConfig:
    backend: str = "faiss"
    faiss_index: str = "auto"
    milvus_uri: str = ""  # "" = Milvus Lite in <index_dir>/milvus.db
    milvus_token: str = ""
    milvus_collection: str = "rag_chunks"
    milvus_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.backend not in backend_names():
            raise ValueError(
                f"RAG_VECTOR_BACKEND must be one of {', '.join(backend_names())}, "
                f"not {self.backend!r}"
            )
        if self.faiss_index not in (*FAISS_KINDS, "auto"):
            raise ValueError(
                f"RAG_FAISS_INDEX must be auto, flat, hnsw or ivf-sq8, not {self.faiss_index!r}"
            )
        uri = self.milvus_uri
        if uri and "://" not in uri and not uri.startswith("unix:") and not uri.endswith(".db"):
            raise ValueError(
                f"RAG_MILVUS_URI {uri!r} is neither a Milvus Lite file (a path ending in .db) "
                "nor a server address like http://host:19530"
            )
        name = self.milvus_collection
        if not name or not (name[0].isalpha() or name[0] == "_"):
            raise ValueError(f"RAG_MILVUS_COLLECTION {name!r} must start with a letter or _")
        if not all(ch.isalnum() or ch == "_" for ch in name):
            raise ValueError(f"RAG_MILVUS_COLLECTION {name!r} may hold only letters, digits, _")

    @classmethod
    def from_settings(cls, settings: Settings) -> VectorConfig:
        return cls(
            backend=settings.vector_backend,
            faiss_index=settings.faiss_index,
            milvus_uri=settings.milvus_uri,
            milvus_token=settings.milvus_token,
            milvus_collection=settings.milvus_collection,
            milvus_timeout=settings.milvus_timeout,
        )

    def faiss_layout(self, n: int, current: str | None = None) -> str:
        """The FAISS layout for n vectors: the configured one, or chosen by size."""
        return auto_faiss_kind(n, current) if self.faiss_index == "auto" else self.faiss_index

    def milvus_index(self, index_dir: Path, dimension: int) -> MilvusVectorIndex:
        from rag.index.milvus_index import MilvusVectorIndex

        uri = self.milvus_uri or str(Path(index_dir) / MILVUS_LITE_FILE)
        if uri.endswith(".db"):  # Milvus Lite needs an absolute path in an existing folder
            path = Path(uri).expanduser().resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            uri = str(path)
        return MilvusVectorIndex(
            uri,
            self.milvus_collection,
            dimension,
            token=self.milvus_token,
            timeout=self.milvus_timeout,
        )
