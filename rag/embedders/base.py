"""Embedders: the sentence-transformers one (offline, lazy, batched) and a deterministic fake."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from typing import Protocol

import numpy as np

from rag import plugins
from rag.config import DEFAULT_MODEL
from rag.embedders.model_files import resolve_model_path

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class SentenceTransformerEmbedder:
    """Loads the model on first use (never at import), then encodes in batches."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # Never reach a hub: the model is a local folder shipped by a PyPI package.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    path = resolve_model_path(self.name)
                    log.info("loading embedding model %s from %s", self.name, path)
                    self._model = SentenceTransformer(path, device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        if self._model is None:
            # Read it from the model folder so that an unchanged re-index never loads the model.
            pooling = os.path.join(resolve_model_path(self.name), "1_Pooling", "config.json")
            try:
                with open(pooling) as fh:
                    return int(json.load(fh)["word_embedding_dimension"])
            except (OSError, KeyError, ValueError):
                pass
        model = self._load()
        get_dim = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(get_dim())

    def encode(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors (shared words, similar vectors): unit tests."""

    def __init__(
        self, dimension: int = 64, name: str = "fake-hash-embedder", delay_per_text: float = 0.0
    ) -> None:
        self.name = name
        self._dimension = dimension
        self.delay_per_text = delay_per_text  # lets tests interrupt a slow run
        self.calls = 0
        self.texts_encoded = 0

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        if self.delay_per_text:
            time.sleep(self.delay_per_text * len(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self._dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


EMBEDDERS_GROUP = "rag.embedders"
# Embedding backends (RAG_EMBED_BACKEND), each a factory (model name, batch size) -> Embedder,
# registered as entry points (rag.plugins); these are the built-ins pyproject.toml registers.
BUILTIN_EMBEDDERS = {
    "torch": "rag.embedders.base:SentenceTransformerEmbedder",
    "onnx": "rag.embedders.onnx_backend:onnx_embedder",
    "onnx-int8": "rag.embedders.onnx_backend:onnx_int8_embedder",
}


def embedder_backends() -> dict[str, str]:
    return plugins.registered(EMBEDDERS_GROUP, BUILTIN_EMBEDDERS)


def make_embedder(name: str, batch_size: int = 64, backend: str = "torch") -> Embedder:
    if name.startswith("fake"):
        # "fake" or "fake-slow": deterministic test embedders, never a real model.
        return FakeEmbedder(delay_per_text=0.01 if name == "fake-slow" else 0.0)
    backends = embedder_backends()
    if backend not in backends:
        raise ValueError(
            f"RAG_EMBED_BACKEND must be one of {', '.join(sorted(backends))}, not {backend!r}"
        )
    return plugins.load(backends[backend])(name, batch_size)
