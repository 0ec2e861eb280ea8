from __future__ import annotations

import numpy as np
import pytest

from rag.embedding import SentenceTransformerEmbedder, make_embedder
from rag.onnx_backend import OnnxEmbedder

TEXTS = [
    "It was financed by Belgium, Norway, the Russian Federation and Japan.",
    "The two-day event brought together more than 90 experts.",
    "Who funded the 2008 Vienna conference?",
    "short",
]


@pytest.mark.model
def test_onnx_backends_match_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_ONNX_CACHE", str(tmp_path))
    ref = SentenceTransformerEmbedder().encode(TEXTS)
    fp32 = OnnxEmbedder("all-MiniLM-L6-v2", batch_size=2)
    int8 = OnnxEmbedder("all-MiniLM-L6-v2", batch_size=3, quantized=True)
    v32, v8 = fp32.encode(TEXTS), int8.encode(TEXTS)
    assert v32.shape == v8.shape == ref.shape == (4, fp32.dimension)
    assert np.allclose(np.linalg.norm(v8, axis=1), 1.0, atol=1e-5)
    assert (ref * v32).sum(axis=1).min() > 0.9999  # same model, same vectors
    assert (ref * v8).sum(axis=1).min() > 0.9  # quantised: close, not equal
    # Exported once, then loaded from the cache.
    assert sorted(p.name for p in next(tmp_path.iterdir()).iterdir()) == [
        "model-int8.onnx",
        "model.onnx",
    ]
    assert {fp32.name, int8.name} == {"all-MiniLM-L6-v2+onnx", "all-MiniLM-L6-v2+onnx-int8"}


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="torch, onnx or onnx-int8"):
        make_embedder("all-MiniLM-L6-v2", backend="tensorrt")
