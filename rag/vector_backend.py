"""Which vector index the store keeps: FAISS in the index folder, or a Milvus collection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.vectors import FAISS_KINDS, auto_faiss_kind

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.milvus_index import MilvusVectorIndex

BACKENDS = ("faiss", "milvus")
MILVUS_LITE_FILE = "milvus.db"


@dataclass(frozen=True)
class VectorConfig:
    backend: str = "faiss"
    faiss_index: str = "auto"
    milvus_uri: str = ""  # "" = Milvus Lite in <index_dir>/milvus.db
    milvus_token: str = ""
    milvus_collection: str = "rag_chunks"
    milvus_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"RAG_VECTOR_BACKEND must be faiss or milvus, not {self.backend!r}")
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
        from rag.milvus_index import MilvusVectorIndex

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
